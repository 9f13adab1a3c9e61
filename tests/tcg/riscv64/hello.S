/* HTIF console output: the syscall proxy (SYS_write through a magic_mem
 * block, as riscv-tests' syscalls.c does it) and device 1 putchar. */
#include "test.h"
TEST_PROLOGUE
main:
    la a1, magic
    li t0, 64           /* SYS_write */
    sd t0, 0(a1)
    li t0, 1            /* fd */
    sd t0, 8(a1)
    la t0, msg
    sd t0, 16(a1)
    li t0, 6            /* "hello\n" */
    sd t0, 24(a1)
    fence
    la t1, tohost
    sd a1, 0(t1)
    la t2, fromhost
wait:
    ld t0, 0(t2)
    beqz t0, wait
    sd zero, 0(t2)
    ld t0, 0(a1)        /* return value: bytes written */
    CHECK(1, t0, 6)
    /* putchar "ok\n" through device 1, command 1 */
    li t0, (1 << 56) | (1 << 48) | 'o'
    sd t0, 0(t1)
    li t0, (1 << 56) | (1 << 48) | 'k'
    sd t0, 0(t1)
    li t0, (1 << 56) | (1 << 48) | '\n'
    sd t0, 0(t1)
    PASS

    .data
    .align 6
magic: .dword 0, 0, 0, 0, 0, 0, 0, 0
msg: .ascii "hello\n"
