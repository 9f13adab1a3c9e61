/* Synchronous traps and privilege transitions: every cause that bare
 * metal can raise without paging (ecall from U/S/M, breakpoint, illegal
 * incl. xRET/wfi/sfence/satp under TSR/TW/TVM, misaligned load/store,
 * fetch/load/store access faults) with mcause, mtval and mepc; medeleg
 * delegation to S (scause/stval/sepc/SPP) and M traps never delegated;
 * mret/sret stacking of MIE/MPIE/MPP and SIE/SPIE/SPP; MPRV.
 * (An instruction-address-misaligned fetch cannot happen: C is always
 * on, so every jump target is 2-byte aligned and jalr clears bit 0.) */
#include "rvt.h"
RVT_PROLOGUE
    .option norvc
main:
    /* ecall from each mode (a7 != magic: the handler skips it) */
    li a7, 0
    ecall
    CHECK_TRAP(1, mtrap_rec, CAUSE_ECALL_M)
    CHECK_REC(2, mtrap_rec, REC_TVAL, 0)
    GOTO_S
    li a7, 0
    ecall
    GOTO_M
    CHECK_TRAP(3, mtrap_rec, CAUSE_ECALL_S)
    CHECK_REC(4, mtrap_rec, REC_PRIV, 1)
    GOTO_U
    li a7, 0
    ecall
    GOTO_M
    CHECK_TRAP(5, mtrap_rec, CAUSE_ECALL_U)
    CHECK_REC(6, mtrap_rec, REC_PRIV, 0)
    /* ebreak: tval = epc = its pc */
brk:
    ebreak
    CHECK_TRAP(7, mtrap_rec, CAUSE_BREAKPOINT)
    CHECK_REC_SYM(8, mtrap_rec, REC_TVAL, brk)
    CHECK_REC_SYM(9, mtrap_rec, REC_EPC, brk)
    /* illegal: tval = the bits */
ill:
    .word 0x1234500b            /* custom-0: not implemented */
    CHECK_TRAP(10, mtrap_rec, CAUSE_ILLEGAL)
    CHECK_REC(11, mtrap_rec, REC_TVAL, 0x1234500b)
    CHECK_REC_SYM(12, mtrap_rec, REC_EPC, ill)
    /* misaligned load/store: tval = the address */
    la s1, buf
    addi s1, s1, 1
    ld a1, 0(s1)
    CHECK_TRAP(13, mtrap_rec, CAUSE_MISALIGNED_LOAD)
    CHECK_REC_REG(14, mtrap_rec, REC_TVAL, s1)
    sw a1, 0(s1)
    CHECK_TRAP(15, mtrap_rec, CAUSE_MISALIGNED_STORE)
    CHECK_REC_REG(16, mtrap_rec, REC_TVAL, s1)
    lh a1, 2(s1)
    addi s2, s1, 2
    CHECK_TRAP(17, mtrap_rec, CAUSE_MISALIGNED_LOAD)
    CHECK_REC_REG(18, mtrap_rec, REC_TVAL, s2)
    lbu a1, 0(s1)               /* bytes are never misaligned */
    CHECK_NO_TRAP(19, mtrap_rec)
    /* access faults: nothing is mapped at 0x100 */
    li s1, 0x100
    ld a1, 8(s1)
    addi s2, s1, 8
    CHECK_TRAP(20, mtrap_rec, CAUSE_LOAD_ACCESS)
    CHECK_REC_REG(21, mtrap_rec, REC_TVAL, s2)
    sd a1, 0(s1)
    CHECK_TRAP(22, mtrap_rec, CAUSE_STORE_ACCESS)
    CHECK_REC_REG(23, mtrap_rec, REC_TVAL, s1)
    EXPECT_TRAP(mtrap_rec, after_fetch)
    jalr s1
after_fetch:
    CHECK_TRAP(24, mtrap_rec, CAUSE_FETCH_ACCESS)
    CHECK_REC_REG(25, mtrap_rec, REC_TVAL, s1)
    CHECK_REC_REG(26, mtrap_rec, REC_EPC, s1)

    /* xRET in the wrong mode */
    GOTO_U
    mret
    sret
    GOTO_M
    la t5, mtrap_rec
    ld a1, REC_COUNT(t5)
    CHECK(30, a1, 2)
    CHECK(31, a1, 2)
    TRAP_RESET(mtrap_rec)
    GOTO_S
    mret
    GOTO_M
    CHECK_TRAP(32, mtrap_rec, CAUSE_ILLEGAL)
    /* TSR: sret from S traps; TW: wfi from S traps; TVM: satp and
     * sfence.vma from S trap */
    li t0, MSTATUS_TSR | MSTATUS_TW | MSTATUS_TVM
    csrs mstatus, t0
    GOTO_S
    sret
    GOTO_M
    CHECK_TRAP(33, mtrap_rec, CAUSE_ILLEGAL)
    GOTO_S
    wfi
    GOTO_M
    CHECK_TRAP(34, mtrap_rec, CAUSE_ILLEGAL)
    GOTO_S
    csrr a1, satp
    GOTO_M
    CHECK_TRAP(35, mtrap_rec, CAUSE_ILLEGAL)
    GOTO_S
    sfence.vma
    GOTO_M
    CHECK_TRAP(36, mtrap_rec, CAUSE_ILLEGAL)
    /* M-mode is not affected by them */
    csrr a1, satp
    sfence.vma
    CHECK_NO_TRAP(37, mtrap_rec)
    li t0, MSTATUS_TSR | MSTATUS_TW | MSTATUS_TVM
    csrc mstatus, t0
    GOTO_S
    csrr a1, satp
    sfence.vma
    GOTO_M
    CHECK_NO_TRAP(38, mtrap_rec)

    /* delegation: illegal and ecall-from-U to S */
    li t0, (1 << CAUSE_ILLEGAL) | (1 << CAUSE_ECALL_U) | (1 << CAUSE_BREAKPOINT)
    csrw medeleg, t0
    GOTO_S
s_ill:
    .word 0x1234500b
    li a7, 0
    GOTO_M                      /* ecall from S: not delegated */
    CHECK_TRAP(40, strap_rec, CAUSE_ILLEGAL)
    CHECK_REC(41, strap_rec, REC_TVAL, 0x1234500b)
    CHECK_REC_SYM(42, strap_rec, REC_EPC, s_ill)
    CHECK_REC(43, strap_rec, REC_PRIV, 1)
    CHECK_NO_TRAP(44, mtrap_rec)
    GOTO_U
    li a7, 0
    ecall                       /* to S, which returns to U */
u_brk:
    ebreak
    csrw medeleg, zero          /* illegal from U: delegated to S */
    GOTO_M                      /* delegated too: forwarded by strap */
    la t5, strap_rec
    ld a1, REC_COUNT(t5)
    CHECK(45, a1, 3)
    CHECK_REC(46, strap_rec, REC_CAUSE, CAUSE_ILLEGAL)
    CHECK_REC(47, strap_rec, REC_PRIV, 0)
    TRAP_RESET(strap_rec)
    /* traps taken in M are never delegated */
    .word 0x1234500b
    CHECK_TRAP(48, mtrap_rec, CAUSE_ILLEGAL)
    CHECK_NO_TRAP(49, strap_rec)
    csrw medeleg, zero

    /* mret: MIE <- MPIE, MPIE <- 1, MPP <- U */
    li t0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
    csrc mstatus, t0
    li t0, MSTATUS_MPIE | MSTATUS_MPP
    csrs mstatus, t0
    la t0, 1f
    csrw mepc, t0
    mret
1:  csrr a1, mstatus
    andi a2, a1, MSTATUS_MIE | MSTATUS_MPIE
    CHECK(50, a2, MSTATUS_MIE | MSTATUS_MPIE)
    li t0, MSTATUS_MPP
    and a2, a1, t0
    CHECK(51, a2, 0)
    /* trap entry: MPIE <- MIE, MIE <- 0, MPP <- M (mie = 0: nothing
     * can interrupt) */
    csrw mie, zero
    li t0, MSTATUS_MPIE
    csrc mstatus, t0
    la t0, m_probe
    csrw mtvec, t0
    ecall
    la t0, mtrap
    csrw mtvec, t0
    andi a2, s5, MSTATUS_MIE | MSTATUS_MPIE
    CHECK(52, a2, MSTATUS_MPIE)
    li t0, MSTATUS_MPP
    and a2, s5, t0
    CHECK(53, a2, MSTATUS_MPP)
    li t0, MSTATUS_MIE
    csrc mstatus, t0
    /* sret from M: SIE <- SPIE, SPIE <- 1, SPP <- U, to S */
    li t0, MSTATUS_SPP | MSTATUS_SPIE
    csrs mstatus, t0
    li t0, MSTATUS_SIE
    csrc mstatus, t0
    la t0, 2f
    csrw sepc, t0
    sret
2:  csrr a1, sstatus
    csrr a3, mscratch           /* illegal: proves we are in S */
    GOTO_M
    CHECK_TRAP(54, mtrap_rec, CAUSE_ILLEGAL)
    CHECK_REC(58, mtrap_rec, REC_PRIV, 1)
    andi a2, a1, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP
    CHECK(55, a2, MSTATUS_SIE | MSTATUS_SPIE)
    /* S trap entry: SPIE <- SIE, SIE <- 0, SPP <- S */
    li t0, 1 << CAUSE_ECALL_U
    csrw medeleg, t0
    li t0, MSTATUS_SIE
    csrc mstatus, t0
    GOTO_U
    li a7, 0
    ecall
    GOTO_M
    csrw medeleg, zero
    CHECK_TRAP(56, strap_rec, CAUSE_ECALL_U)
    CHECK_REC(57, strap_rec, REC_PRIV, 0)

    /* MPRV: M-mode loads and stores with MPP's privilege; entry 0 of
     * PMP forbids U and S everything on `page` */
    la s1, page
    srli t0, s1, 2
    ori t0, t0, (4096 / 8 - 1) >> 1
    csrw pmpaddr0, t0
    li t0, 0x18
    csrw pmpcfg0, t0
    ld a1, 0(s1)                /* M: PMP without L does not apply */
    CHECK_NO_TRAP(60, mtrap_rec)
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    li t0, MSTATUS_MPRV
    csrs mstatus, t0
    ld a1, 0(s1)                /* as U: fault (the handler clears MPRV) */
    CHECK_TRAP(61, mtrap_rec, CAUSE_LOAD_ACCESS)
    CHECK_REC_REG(62, mtrap_rec, REC_TVAL, s1)
    li t0, 1 << 11              /* MPP = S */
    csrs mstatus, t0
    li t0, MSTATUS_MPRV
    csrs mstatus, t0
    sd a1, 0(s1)
    CHECK_TRAP(63, mtrap_rec, CAUSE_STORE_ACCESS)
    li t0, MSTATUS_MPP
    csrs mstatus, t0            /* MPP = M */
    li t0, MSTATUS_MPRV
    csrs mstatus, t0
    ld a1, 0(s1)
    csrc mstatus, t0
    CHECK_NO_TRAP(64, mtrap_rec)
    /* mret to a lower mode clears MPRV (priv 1.12) */
    li t0, MSTATUS_MPRV
    csrs mstatus, t0
    GOTO_S
    li a7, TO_M_MAGIC
    la t0, m_probe
    csrw stvec, zero
    GOTO_M
    csrr a1, mstatus
    li t0, MSTATUS_MPRV
    and a1, a1, t0
    CHECK(65, a1, 0)
    csrw pmpcfg0, zero
    /* a parcel with the low 7 bits all ones starts an instruction
     * longer than 32 bits (reserved lengths): illegal, never decoded as
     * a compressed one.  Last, because weft gets it wrong (see report). */
    EXPECT_TRAP(mtrap_rec, after_long)
    .word 0xffffffff
    .word 0xffffffff
after_long:
    CHECK_TRAP(70, mtrap_rec, CAUSE_ILLEGAL)
    PASS

    /* records mstatus as the trap saw it, then returns after the ecall */
    .align 2
m_probe:
    csrr s5, mstatus
    csrr t0, mepc
    addi t0, t0, 4
    csrw mepc, t0
    mret

    .data
    .align 3
buf:    .space 64
    .align 12
page:   .space 4096
