/* Traps: ecall from M, an illegal instruction, mret to U, ecall from U. */
#include "test.h"
TEST_PROLOGUE
main:
    la t0, handler
    csrw mtvec, t0
    li s0, 0            /* traps taken */
    ecall
    CHECK(1, s0, 1)
    CHECK(2, s1, 11)    /* ecall from M */
    .word 0x00000000    /* illegal */
    CHECK(3, s0, 2)
    CHECK(4, s1, 2)
    CHECK(5, s2, 0)     /* mtval = the instruction bits */
    /* U-mode needs a PMP entry to reach memory: one NAPOT entry, RWX,
     * over the whole address space */
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f
    csrw pmpcfg0, t0
    /* mret to U-mode at user_code */
    li t0, 0x1800       /* MPP */
    csrc mstatus, t0
    la t0, user_code
    csrw mepc, t0
    mret
user_code:
    li s3, 0x55
    ecall               /* from U: mcause 8 */
    j user_code         /* not reached: the handler goes to back_in_m */
back_in_m:
    CHECK(6, s0, 3)
    CHECK(7, s1, 8)
    CHECK(8, s3, 0x55)
    PASS

    .align 2
handler:
    addi s0, s0, 1
    csrr s1, mcause
    csrr s2, mtval
    li t0, 8
    beq s1, t0, from_user
    csrr t0, mepc
    addi t0, t0, 4
    csrw mepc, t0
    mret
from_user:
    /* back to M-mode code: MPP = M */
    li t0, 0x1800
    csrs mstatus, t0
    la t0, back_in_m
    csrw mepc, t0
    mret
