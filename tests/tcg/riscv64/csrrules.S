/* CSR access rules (priv spec 2.1-2.3, 3.1.11-12): read-only numbers
 * trap on any instruction that writes (even a zero from a register),
 * not on pure reads; the number's privilege bits; counters below M
 * gated by mcounteren and scounteren; CSR numbers that do not exist
 * (incl. the odd pmpcfg on RV64); WARL fields; mtval = the bits. */
#include "rvt.h"
RVT_PROLOGUE

/* insn must trap as illegal with its bits in mtval */
#define ILLEGAL(n, insn...)                   \
    la s4, 8f;                              \
8:  insn;                                   \
    CHECK_TRAP(n, mtrap_rec, CAUSE_ILLEGAL); \
    lwu s3, 0(s4);                          \
    CHECK_REC_REG(n, mtrap_rec, REC_TVAL, s3)

#define LEGAL(n, insn...)                    \
    insn;                                   \
    CHECK_NO_TRAP(n, mtrap_rec)

    .option norvc
main:
    /* read-only CSRs: reads work, every writing form traps */
    LEGAL(1, csrr a1, mvendorid; csrr a1, marchid; csrr a1, mimpid; csrr a1, mconfigptr)
    LEGAL(2, csrrsi a1, mhartid, 0; csrrc a1, mhartid, zero)
    ILLEGAL(3, csrw mvendorid, zero)
    ILLEGAL(4, csrwi marchid, 0)
    li a2, 0
    ILLEGAL(5, csrrs a1, mhartid, a2)       /* rs1 != x0: a write */
    ILLEGAL(6, csrrc zero, mimpid, a2)
    ILLEGAL(7, csrrw zero, cycle, a2)
    ILLEGAL(8, csrrsi a1, time, 1)
    ILLEGAL(9, csrw instret, a2)
    ILLEGAL(10, csrw hpmcounter3, a2)
    ILLEGAL(11, csrw mconfigptr, a2)
    /* CSR numbers that do not exist */
    ILLEGAL(12, csrr a1, 0x3a1)             /* pmpcfg1: RV32 only */
    ILLEGAL(13, csrr a1, 0x3a3)
    ILLEGAL(14, csrr a1, 0x800)
    ILLEGAL(15, csrr a1, 0xfff)
    ILLEGAL(16, csrw 0x5c0, a2)
    /* misa and mhpmcounter writes are ignored */
    csrr a1, misa
    csrw misa, zero
    csrr a3, misa
    CHECK_EQ(17, a1, a3)
    li a1, 5
    csrw mhpmcounter3, a1
    csrr a3, mhpmcounter3
    CHECK(18, a3, 0)
    CHECK_NO_TRAP(19, mtrap_rec)
    /* WARL: MPP = 2 is reserved and keeps the old value */
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    li t0, 1 << 11
    csrs mstatus, t0
    li t0, 2 << 11
    csrc mstatus, t0            /* MPP = 1 -> 1 (no bit 12) */
    csrs mstatus, t0            /* 1 | 2 = 3 */
    csrr a1, mstatus
    srli a1, a1, 11
    andi a1, a1, 3
    CHECK(20, a1, 3)
    li t0, 1 << 11
    csrc mstatus, t0            /* 3 & ~1 = 2: reserved */
    csrr a1, mstatus
    srli a1, a1, 11
    andi a1, a1, 3
    CHECK(21, a1, 3)
    /* medeleg: ecall from M cannot be delegated */
    li a1, -1
    csrw medeleg, a1
    csrr a1, medeleg
    srli a1, a1, 11
    andi a1, a1, 1
    CHECK(22, a1, 0)
    csrw medeleg, zero
    /* sstatus is a view of mstatus */
    li t0, MSTATUS_SUM
    csrs sstatus, t0
    csrr a1, mstatus
    and a1, a1, t0
    CHECK(23, a1, MSTATUS_SUM)
    csrc mstatus, t0
    csrr a1, sstatus
    and a1, a1, t0
    CHECK(24, a1, 0)
    /* sstatus does not show M fields */
    li t0, MSTATUS_MPP | MSTATUS_MIE | MSTATUS_TVM
    csrs mstatus, t0
    csrr a1, sstatus
    and a1, a1, t0
    CHECK(25, a1, 0)
    csrc mstatus, t0
    /* sie is mie masked by mideleg */
    li t0, (1 << 1) | (1 << 5)      /* SSIE, STIE */
    csrw mie, t0
    csrw mideleg, zero
    csrr a1, sie
    CHECK(26, a1, 0)
    li t0, 1 << 1
    csrw mideleg, t0
    csrr a1, sie
    CHECK(27, a1, 2)
    csrw mie, zero
    csrw mideleg, zero

    /* privilege of the number: M CSRs from S, S CSRs from U */
    GOTO_S
    ILLEGAL(30, csrr a1, mstatus)
    ILLEGAL(31, csrw mscratch, zero)
    ILLEGAL(32, csrr a1, mhartid)
    LEGAL(33, csrw sscratch, zero; csrr a1, sstatus)
    GOTO_M
    CHECK_REC(34, mtrap_rec, REC_PRIV, 1)   /* last trap came from S */
    GOTO_U
    ILLEGAL(35, csrr a1, sstatus)
    ILLEGAL(36, csrr a1, satp)
    ILLEGAL(37, csrr a1, mepc)
    GOTO_M
    CHECK_REC(38, mtrap_rec, REC_PRIV, 0)

    /* counters: M always reads; S needs mcounteren; U needs both */
    csrw mcounteren, zero
    csrw scounteren, zero
    LEGAL(40, csrr a1, cycle; csrr a1, time; csrr a1, instret; csrr a1, hpmcounter3)
    GOTO_S
    ILLEGAL(41, csrr a1, cycle)
    ILLEGAL(42, csrr a1, time)
    ILLEGAL(43, csrr a1, instret)
    ILLEGAL(44, csrr a1, hpmcounter31)
    GOTO_M
    li t0, 0x80000007               /* CY, TM, IR, HPM31 */
    csrw mcounteren, t0
    GOTO_S
    LEGAL(45, csrr a1, cycle; csrr a1, time; csrr a1, instret; csrr a1, hpmcounter31)
    ILLEGAL(46, csrr a1, hpmcounter3)
    GOTO_M
    GOTO_U
    ILLEGAL(47, csrr a1, cycle)
    ILLEGAL(48, csrr a1, time)
    GOTO_M
    li t0, 0x5                      /* CY, IR */
    csrw scounteren, t0
    GOTO_U
    LEGAL(49, csrr a1, cycle; csrr a1, instret)
    ILLEGAL(50, csrr a1, time)
    GOTO_M
    csrw mcounteren, zero           /* scounteren alone is not enough */
    GOTO_U
    ILLEGAL(51, csrr a1, cycle)
    GOTO_M
    /* counters count: instret after a loop */
    csrr a1, minstret
    li a2, 100
1:  addi a2, a2, -1
    bnez a2, 1b
    csrr a3, minstret
    sub a3, a3, a1
    li t0, 200
    bltu a3, t0, bad_count
    /* mcountinhibit freezes minstret */
    li t0, 4
    csrw mcountinhibit, t0
    csrr a1, minstret
    nop
    nop
    csrr a3, minstret
    CHECK_EQ(52, a1, a3)
    csrw mcountinhibit, zero
    PASS
bad_count:
    FAIL(53)
