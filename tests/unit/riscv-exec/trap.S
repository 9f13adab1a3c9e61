/* Traps: misaligned accesses, ecall from M/S/U, ebreak, illegal
 * instructions and their tval, CSR access rules, M -> S -> U with
 * mret/sret, delegation to S. */
#include "rvtest.h"

main:
    EXPECT_TRAPS
    la a0, data
    /* misaligned load/store: cause 4/6, tval = address */
    lw a1, 1(a0)
    CHECK(1, s10, 4)
    addi t0, a0, 1
    CHECKR(2, s11, t0)
    sd a1, 3(a0)
    CHECK(3, s10, 6)
    addi t0, a0, 3
    CHECKR(4, s11, t0)
    /* ecall from M: cause 11 */
    ecall
    CHECK(5, s10, 11)
    /* ebreak: cause 3, tval = pc */
1:  ebreak
    CHECK(6, s10, 3)
    la t0, 1b
    CHECKR(7, s11, t0)
    /* illegal instruction: tval = the instruction bits */
    .word 0x0000700b
    CHECK(8, s10, 2)
    li t0, 0x0000700b
    CHECKR(9, s11, t0)
    .2byte 0x0000               /* all-zero parcel: illegal */
    CHECK(10, s10, 2)
    CHECK(11, s11, 0)
    /* CSR rules: writing a read-only CSR is illegal, reading is fine */
    csrr a1, mvendorid
    CHECK(12, s10, 2)           /* unchanged from the last trap */
    li s10, -1
    csrw mvendorid, zero
    CHECK(13, s10, 2)
    li s10, -1
    csrrs a1, mhartid, zero     /* read only: legal */
    CHECK(14, s10, -1)
    CHECK(15, a1, 0)
    /* mscratch round trip, csrrs/csrrc bit ops */
    li a1, 0x5a
    csrw mscratch, a1
    csrrsi a2, mscratch, 0x5
    CHECK(16, a2, 0x5a)
    csrrci a2, mscratch, 0x2
    CHECK(17, a2, 0x5f)
    csrr a2, mscratch
    CHECK(18, a2, 0x5d)
    /* FP off at reset: FP instructions are illegal */
    li s10, -1
    fmv.x.d a1, fa0
    CHECK(19, s10, 2)

    /* M -> S with mret */
    li t0, 3 << 11
    csrc mstatus, t0
    li t0, 1 << 11
    csrs mstatus, t0            /* MPP = S */
    la t0, in_s
    csrw mepc, t0
    mret
    j fail

in_s:
    /* S-mode: M CSRs are illegal, ecall from S is cause 9 */
    li s10, -1
    csrr a1, mstatus
    CHECK(20, s10, 2)
    li s10, -1
    ecall
    CHECK(21, s10, 9)
    /* mret in S: illegal */
    li s10, -1
    mret
    CHECK(22, s10, 2)
    csrr a1, sstatus            /* legal */
    /* S -> U with sret */
    li t0, 1 << 8
    csrc sstatus, t0            /* SPP = U */
    la t0, in_u
    csrw sepc, t0
    sret
    j fail

in_u:
    li s10, -1
    csrr a1, sstatus
    CHECK(23, s10, 2)
    li s10, -1
    sret
    CHECK(24, s10, 2)
    li s10, -1
    wfi
    CHECK(25, s10, 2)
    ecall
    CHECK(26, s10, 8)
    /* back to M through an exception delegated nowhere: done */
    TO_M(back_in_m)
back_in_m:
    csrr a1, mcause
    CHECK(27, a1, 8)
    /* delegation: illegal instructions from U go to S */
    li t0, 1 << 2
    csrw medeleg, t0
    la t0, s_handler
    csrw stvec, t0
    li t0, 3 << 11
    csrc mstatus, t0            /* MPP = U */
    la t0, u_again
    csrw mepc, t0
    mret
u_again:
    .word 0x0000700b
    j fail
s_handler:
    csrr a1, scause
    CHECK(28, a1, 2)
    csrr a1, stval
    li t0, 0x0000700b
    CHECKR(29, a1, t0)
    csrr a1, sstatus
    andi a1, a1, 1 << 8
    CHECK(30, a1, 0)            /* SPP = U */
    TO_M(pass)                  /* from S, not delegated: to M */
    j fail

    .data
    .align 3
data:
    .dword 0, 0, 0, 0
