/*
 * Trap-recording harness for the bare-metal guest tests that check
 * exceptions, privilege changes and translation.  Builds on test.h
 * (PASS, FAIL, CHECK; t4-t6 are theirs).
 *
 * Register use: tp belongs to the M-mode trap handler (it clobbers it
 * before it can save anything, because it must clear MPRV before its
 * first memory access), t5/t6/t4 to the check macros.  Tests keep
 * their values in s and a registers.
 *
 * Every trap taken in M (mtrap) or S (strap) is recorded in a struct
 * REC (see the offsets below): how many, the last cause, tval, epc and
 * previous privilege.  Then the handler returns either to a recovery
 * address armed with EXPECT_TRAP, in the handler's own mode (needed
 * when the faulting pc cannot be read back: fetch faults), or to the
 * instruction after the faulting
 * one (its length read from memory).  An ecall with a7 = TO_M_MAGIC
 * returns to M-mode after the ecall instead: GOTO_M (a delegated one
 * from U is forwarded by strap with an ecall from S; tp is clobbered).
 * A runaway trap loop fails the test with number 98.
 */
#ifndef TESTS_TCG_RISCV64_RVT_H
#define TESTS_TCG_RISCV64_RVT_H

#include "test.h"

/* Where harts other than 0 go (their sp is hart 0's: set your own). */
#ifndef RVT_SECONDARY
#define RVT_SECONDARY   park
#endif

#define TO_M_MAGIC      0x4d4d
#define TRAP_LIMIT      1000

#define REC_COUNT       0
#define REC_CAUSE       8
#define REC_TVAL        16
#define REC_EPC         24
#define REC_PRIV        32      /* MPP, or SPP for strap */
#define REC_RECOVER     40
#define REC_SIZE        48

#define MSTATUS_SIE     (1 << 1)
#define MSTATUS_MIE     (1 << 3)
#define MSTATUS_SPIE    (1 << 5)
#define MSTATUS_MPIE    (1 << 7)
#define MSTATUS_SPP     (1 << 8)
#define MSTATUS_MPP     (3 << 11)
#define MSTATUS_FS      (3 << 13)
#define MSTATUS_MPRV    (1 << 17)
#define MSTATUS_SUM     (1 << 18)
#define MSTATUS_MXR     (1 << 19)
#define MSTATUS_TVM     (1 << 20)
#define MSTATUS_TW      (1 << 21)
#define MSTATUS_TSR     (1 << 22)

#define CAUSE_MISALIGNED_FETCH  0
#define CAUSE_FETCH_ACCESS      1
#define CAUSE_ILLEGAL           2
#define CAUSE_BREAKPOINT        3
#define CAUSE_MISALIGNED_LOAD   4
#define CAUSE_LOAD_ACCESS       5
#define CAUSE_MISALIGNED_STORE  6
#define CAUSE_STORE_ACCESS      7
#define CAUSE_ECALL_U           8
#define CAUSE_ECALL_S           9
#define CAUSE_ECALL_M           11
#define CAUSE_FETCH_PAGE        12
#define CAUSE_LOAD_PAGE         13
#define CAUSE_STORE_PAGE        15

/* ---- privilege changes (from M for GOTO_S/GOTO_U) */

#define GOTO_MODE(mpp)                      \
    li t5, MSTATUS_MPP;                     \
    csrc mstatus, t5;                       \
    li t5, (mpp) << 11;                     \
    csrs mstatus, t5;                       \
    la t5, 7f;                              \
    csrw mepc, t5;                          \
    mret;                                   \
7:

#define GOTO_S  GOTO_MODE(1)
#define GOTO_U  GOTO_MODE(0)
/* From S or U (ecall must not be delegated). */
#define GOTO_M                              \
    li a7, TO_M_MAGIC;                      \
    ecall

/* ---- trap records */

/* The next trap recorded in rec returns to lbl. */
#define EXPECT_TRAP(rec, lbl)               \
    la t5, rec;                             \
    la t6, lbl;                             \
    sd t6, REC_RECOVER(t5)

#define TRAP_RESET(rec)                     \
    la t5, rec;                             \
    sd zero, REC_COUNT(t5);                 \
    li t6, -1;                              \
    sd t6, REC_CAUSE(t5);                   \
    sd zero, REC_TVAL(t5);                  \
    sd zero, REC_EPC(t5);                   \
    sd zero, REC_RECOVER(t5)

/* Exactly one trap with this cause since the last check; resets. */
#define CHECK_TRAP(n, rec, cause)           \
    la t5, rec;                             \
    ld t6, REC_COUNT(t5);                   \
    li t4, 1;                               \
    bne t6, t4, 5f;                         \
    ld t6, REC_CAUSE(t5);                   \
    li t4, cause;                           \
    bne t6, t4, 5f;                         \
    sd zero, REC_COUNT(t5);                 \
    li t6, -1;                              \
    sd t6, REC_CAUSE(t5);                   \
    j 6f;                                   \
5:  FAIL(n);                                \
6:

#define CHECK_NO_TRAP(n, rec)               \
    la t5, rec;                             \
    ld t6, REC_COUNT(t5);                   \
    beqz t6, 6f;                            \
    FAIL(n);                                \
6:

/* A field of the last trap recorded equals an immediate. */
#define CHECK_REC(n, rec, field, value)     \
    la t5, rec;                             \
    ld t6, field(t5);                       \
    li t4, value;                           \
    beq t6, t4, 6f;                         \
    FAIL(n);                                \
6:

/* A field of the last trap recorded equals the address of sym. */
#define CHECK_REC_SYM(n, rec, field, sym)   \
    la t5, rec;                             \
    ld t6, field(t5);                       \
    la t4, sym;                             \
    beq t6, t4, 6f;                         \
    FAIL(n);                                \
6:

/* A field of the last trap recorded equals a register (not t4-t6). */
#define CHECK_REC_REG(n, rec, field, reg)   \
    la t5, rec;                             \
    ld t6, field(t5);                       \
    beq t6, reg, 6f;                        \
    FAIL(n);                                \
6:

/* Registers are equal (neither t4-t6). */
#define CHECK_EQ(n, a, b)                   \
    beq a, b, 6f;                           \
    FAIL(n);                                \
6:

/* ---- start-up and handlers */

/*
 * Hart 0 runs main in M-mode with mtvec = mtrap, a trap stack in
 * mscratch and sscratch, and PMP entry 15 granting RWX on everything
 * (the lowest priority, so tests can program entries 0-14 above it).
 * Other harts park in wfi.
 */
#define RVT_PROLOGUE                                    \
    .section .tohost, "aw", @progbits;                  \
    .align 6; .globl tohost; tohost: .dword 0;          \
    .align 6; .globl fromhost; fromhost: .dword 0;      \
    .section .text.init, "ax", @progbits;               \
    .globl _start;                                      \
_start:                                                 \
    csrr a0, mhartid;                                   \
    la sp, _stack_top;                                  \
    bnez a0, RVT_SECONDARY;                             \
    la t0, mtrap_stack_top;                             \
    csrw mscratch, t0;                                  \
    la t0, strap_stack_top;                             \
    csrw sscratch, t0;                                  \
    la t0, mtrap;                                       \
    csrw mtvec, t0;                                     \
    la t0, strap;                                       \
    csrw stvec, t0;                                     \
    li t0, -1;                                          \
    csrw pmpaddr15, t0;                                 \
    li t0, 0x1f << 56;                                  \
    csrw pmpcfg2, t0;                                   \
    TRAP_RESET(mtrap_rec);                              \
    TRAP_RESET(strap_rec);                              \
    j main;                                             \
park:                                                   \
    wfi;                                                \
    j park;                                             \
                                                        \
    .align 2;                                           \
mtrap:                                                  \
    li tp, MSTATUS_MPRV;                                \
    csrc mstatus, tp;                                   \
    csrrw sp, mscratch, sp;                             \
    sd t0, 0(sp);                                       \
    sd t1, 8(sp);                                       \
    csrr t0, mcause;                                    \
    li t1, CAUSE_ECALL_U;                               \
    bltu t0, t1, 1f;                                    \
    li t1, CAUSE_ECALL_M;                               \
    bgtu t0, t1, 1f;                                    \
    li t1, TO_M_MAGIC;                                  \
    bne a7, t1, 1f;                                     \
    li a7, 0;                                           \
    li t1, MSTATUS_MPP;                                 \
    csrs mstatus, t1;                                   \
    csrr t1, mepc;                                      \
    addi t1, t1, 4;                                     \
    csrw mepc, t1;                                      \
    j 9f;                                               \
1:  la t1, mtrap_rec;                                   \
    ld tp, REC_COUNT(t1);                               \
    addi tp, tp, 1;                                     \
    sd tp, REC_COUNT(t1);                               \
    li t0, TRAP_LIMIT;                                  \
    bgeu tp, t0, runaway;                               \
    csrr t0, mcause;                                    \
    sd t0, REC_CAUSE(t1);                               \
    csrr tp, mtval;                                     \
    sd tp, REC_TVAL(t1);                                \
    csrr tp, mepc;                                      \
    sd tp, REC_EPC(t1);                                 \
    csrr tp, mstatus;                                   \
    srli tp, tp, 11;                                    \
    andi tp, tp, 3;                                     \
    sd tp, REC_PRIV(t1);                                \
    ld tp, REC_RECOVER(t1);                             \
    beqz tp, 2f;                                        \
    sd zero, REC_RECOVER(t1);                           \
    csrw mepc, tp;                                      \
    li tp, MSTATUS_MPP;                                 \
    csrs mstatus, tp;                                   \
    j 9f;                                               \
2:  bltz t0, 9f;                                        \
    csrr t0, mepc;                                      \
    lhu tp, 0(t0);                                      \
    andi tp, tp, 3;                                     \
    li t1, 3;                                           \
    addi t0, t0, 2;                                     \
    bne tp, t1, 3f;                                     \
    addi t0, t0, 2;                                     \
3:  csrw mepc, t0;                                      \
9:  ld t0, 0(sp);                                       \
    ld t1, 8(sp);                                       \
    csrrw sp, mscratch, sp;                             \
    mret;                                               \
runaway:                                                \
    FAIL(98);                                           \
                                                        \
    .align 2;                                           \
strap:                                                  \
    csrrw sp, sscratch, sp;                             \
    sd t0, 0(sp);                                       \
    sd t1, 8(sp);                                       \
    sd t2, 16(sp);                                      \
    csrr t0, scause;                                    \
    li t1, CAUSE_ECALL_U;                               \
    bne t0, t1, 1f;                                     \
    li t1, TO_M_MAGIC;                                  \
    bne a7, t1, 1f;                                     \
    ld t0, 0(sp);                                       \
    ld t1, 8(sp);                                       \
    ld t2, 16(sp);                                      \
    csrrw sp, sscratch, sp;                             \
    ecall;                                              \
    csrr tp, sepc;                                      \
    addi tp, tp, 4;                                     \
    jr tp;                                              \
1:  la t1, strap_rec;                                   \
    ld t2, REC_COUNT(t1);                               \
    addi t2, t2, 1;                                     \
    sd t2, REC_COUNT(t1);                               \
    li t0, TRAP_LIMIT;                                  \
    bgeu t2, t0, 8f;                                    \
    csrr t0, scause;                                    \
    sd t0, REC_CAUSE(t1);                               \
    csrr t2, stval;                                     \
    sd t2, REC_TVAL(t1);                                \
    csrr t2, sepc;                                      \
    sd t2, REC_EPC(t1);                                 \
    csrr t2, sstatus;                                   \
    srli t2, t2, 8;                                     \
    andi t2, t2, 1;                                     \
    sd t2, REC_PRIV(t1);                                \
    ld t2, REC_RECOVER(t1);                             \
    beqz t2, 2f;                                        \
    sd zero, REC_RECOVER(t1);                           \
    csrw sepc, t2;                                      \
    li t2, MSTATUS_SPP;                                 \
    csrs sstatus, t2;                                   \
    j 9f;                                               \
2:  bltz t0, 9f;                                        \
    csrr t0, sepc;                                      \
    lhu t2, 0(t0);                                      \
    andi t2, t2, 3;                                     \
    li t1, 3;                                           \
    addi t0, t0, 2;                                     \
    bne t2, t1, 3f;                                     \
    addi t0, t0, 2;                                     \
3:  csrw sepc, t0;                                      \
9:  ld t0, 0(sp);                                       \
    ld t1, 8(sp);                                       \
    ld t2, 16(sp);                                      \
    csrrw sp, sscratch, sp;                             \
    sret;                                               \
8:  GOTO_M;                                             \
    FAIL(97);                                           \
                                                        \
    .data;                                              \
    .align 6;                                           \
    .globl mtrap_rec, strap_rec;                        \
mtrap_rec: .space REC_SIZE;                             \
strap_rec: .space REC_SIZE;                             \
    .bss;                                               \
    .align 4;                                           \
    .space 256;                                         \
mtrap_stack_top:                                        \
    .space 256;                                         \
strap_stack_top:                                        \
    .text

#endif
