/* CSR instructions and a few machine CSRs. */
#include "test.h"
TEST_PROLOGUE
main:
    la t0, handler
    csrw mtvec, t0
    li a1, 0x1234
    csrw mscratch, a1
    csrr a2, mscratch
    CHECK(1, a2, 0x1234)
    csrrs a2, mscratch, 0x3     /* returns old, sets bits */
    CHECK(2, a2, 0x1234)
    csrr a2, mscratch
    CHECK(3, a2, 0x1237)
    li a1, 0x1200
    csrrc a2, mscratch, a1
    CHECK(4, a2, 0x1237)
    csrr a2, mscratch
    CHECK(5, a2, 0x37)
    csrrwi a2, mscratch, 17
    CHECK(6, a2, 0x37)
    csrr a2, mscratch
    CHECK(7, a2, 17)
    csrr a2, mhartid
    CHECK(8, a2, 0)
    csrr a2, misa
    srli a3, a2, 62
    CHECK(9, a3, 2)             /* MXL = 64 */
    li t0, 0x1101               /* I, M, A */
    and a3, a2, t0
    CHECK(10, a3, 0x1101)
    /* writing a read-only CSR (mhartid) is illegal */
    li s0, 0
    csrw mhartid, zero
    CHECK(11, s0, 1)
    CHECK(12, s1, 2)
    /* mcycle counts (across blocks: a loop of 10 iterations) */
    csrr a2, mcycle
    li t0, 10
4:  addi t0, t0, -1
    bnez t0, 4b
    csrr a3, mcycle
    bgeu a2, a3, bad_cycle
    PASS
bad_cycle:
    FAIL(13)

    .align 2
handler:
    addi s0, s0, 1
    csrr s1, mcause
    csrr t0, mepc
    addi t0, t0, 4
    csrw mepc, t0
    mret
