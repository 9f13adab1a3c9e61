/* A device write into translated code invalidates it.  The HTIF syscall
 * proxy is the device: it writes the syscall's result into word 0 of the
 * syscall block, which here is also an instruction that already ran. */
#include "test.h"
TEST_PROLOGUE
main:
    la t0, handler
    csrw mtvec, t0
    la s0, block
    /* word 0 = "syscall" 0x00100513 = addi a0, zero, 1 (unknown to
     * HTIF: it answers -ENOSYS); the high half (0) is an illegal
     * instruction, which the handler turns into a return */
    li t0, 0x00100513
    sd t0, 0(s0)
    fence.i
    li a0, 0
    jalr s0
    CHECK(1, a0, 1)             /* the block ran: it is translated */
    la t1, tohost
    sd s0, 0(t1)                /* HTIF writes -38 over the code */
    la t2, fromhost
1:  ld t0, 0(t2)
    beqz t0, 1b
    sd zero, 0(t2)
    ld t0, 0(s0)
    CHECK(2, t0, -38)
    fence.i
    li a0, 0
    jalr s0                     /* new bytes: no "addi a0, zero, 1" */
    CHECK(3, a0, 0)
    PASS

    .align 2
handler:
    csrw mepc, ra               /* back to the caller */
    mret

    .data
    .balign 64
block: .dword 0, 0, 0, 0, 0, 0, 0, 0
