/* Interrupts: wfi halts until an enabled interrupt is pending (even with
 * MIE clear), an interrupt is taken once MIE is set, mcause has the
 * interrupt bit, delegation of SSIP to S. */
#include "rvtest.h"

#define IRQ_LINE (TOHOST + 8)

main:
    la t0, m_handler
    csrw mtvec, t0
    li t0, 1 << 3
    csrw mie, t0                /* MSIE */
    li s0, 0
    wfi                         /* harness raises MSIP */
    csrr a1, mip
    andi a1, a1, 1 << 3
    CHECK(1, a1, 1 << 3)
    CHECK(2, s0, 0)             /* MIE clear: not taken yet */
    csrsi mstatus, 1 << 3       /* MIE: taken right after this */
    CHECK(3, s0, 1)
    csrr a1, mcause
    CHECK(4, a1, 0x8000000000000003)
    /* SSIP delegated to S, raised from M by software, taken in S */
    la t0, s_handler
    csrw stvec, t0
    li t0, 1 << 1
    csrw mideleg, t0
    csrs mie, t0
    csrs mip, t0                /* SSIP pending */
    li t0, 3 << 11
    csrc mstatus, t0
    li t0, 1 << 11
    csrs mstatus, t0            /* MPP = S */
    la t0, in_s
    csrw mepc, t0
    li s1, 0
    mret
in_s:
    csrsi sstatus, 1 << 1       /* SIE: taken now */
    CHECK(5, s1, 1)
    li a7, 99
    la a6, pass
    la t0, skip_trap
    ecall                       /* m_handler: to pass in M */
    j fail

    .align 2
m_handler:
    csrr t0, mcause
    li t1, 11
    beq t0, t1, 1f
    li t1, 9
    beq t0, t1, 1f
    addi s0, s0, 1
    li t0, IRQ_LINE
    li t1, 3                    /* MSIP level 0 */
    sd t1, 0(t0)
    mret
1:  jr a6

    .align 2
s_handler:
    csrr t0, scause
    li t1, 0x8000000000000001
    li gp, 6
    bne t0, t1, fail
    addi s1, s1, 1
    csrci sip, 1 << 1
    sret
