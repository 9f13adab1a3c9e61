/*
 * The RISC-V hart: architectural state (CPURISCVState, "env"), the CSR
 * file (csr.c) and traps, returns and interrupts (trap.c), per the
 * privileged spec 1.12.  RV64 only, privilege modes M, S and U.
 *
 * What the hart advertises: RV64IMAFDC + S + U (misa read-only), Zicsr,
 * Zifencei, Zicbom/Zicboz (menvcfg/senvcfg CBIE/CBCFE/CBZE), Sstc
 * (stimecmp, menvcfg.STCE), Svadu (menvcfg.ADUE writable, reset 0:
 * the page walk updates A/D only when it is set).  Not advertised:
 * Svpbmt (PBMTE reads 0), H, Smepmp, Sscofpmf, debug mode (the debug and
 * trigger CSRs do not exist), hardware performance counters
 * (hpmcounter3..31 and mhpmevent3..31 read 0 and ignore writes).
 *
 * Nothing here raises through the translator: every check returns an
 * exception cause (enum riscv_excp) or RISCV_EXCP_NONE, and the caller
 * (a translator helper) hands it to tcg_env_raise_exception().
 *
 * Threads.  env belongs to its vCPU thread.  The only exception is the
 * interrupt-pending state: riscv_set_irq_line() may be called from any
 * thread (the board's timer, PLIC, ACLINT), and it updates mip with
 * atomics.  It does not kick the vCPU; the caller must follow it with
 * cpu_interrupt(cpu, CPU_INTERRUPT_HARD) so a running hart leaves its
 * block and a halted one (wfi) re-evaluates riscv_cpu_has_work().
 */
#ifndef CPU_RISCV_CPU_H
#define CPU_RISCV_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RiscvPriv (RISCV_PRIV_U/S/M), RiscvPmp; satp fields are in mmu.h. */
#include "cpu/riscv/pmp.h"

/* ---- exception causes (xcause with the interrupt bit clear) */
enum riscv_excp {
    RISCV_EXCP_NONE = -1,
    RISCV_EXCP_INSN_MISALIGNED = 0,
    RISCV_EXCP_INSN_ACCESS_FAULT = 1,
    RISCV_EXCP_ILLEGAL_INSN = 2,
    RISCV_EXCP_BREAKPOINT = 3,
    RISCV_EXCP_LOAD_MISALIGNED = 4,
    RISCV_EXCP_LOAD_ACCESS_FAULT = 5,
    RISCV_EXCP_STORE_MISALIGNED = 6,    /* also AMO */
    RISCV_EXCP_STORE_ACCESS_FAULT = 7,  /* also AMO */
    RISCV_EXCP_ECALL_U = 8,
    RISCV_EXCP_ECALL_S = 9,
    RISCV_EXCP_ECALL_M = 11,
    RISCV_EXCP_INSN_PAGE_FAULT = 12,
    RISCV_EXCP_LOAD_PAGE_FAULT = 13,
    RISCV_EXCP_STORE_PAGE_FAULT = 15,   /* also AMO */
};

/* ---- interrupt causes (xcause with the interrupt bit set), mip bits */
enum riscv_irq {
    RISCV_IRQ_S_SOFT = 1,
    RISCV_IRQ_M_SOFT = 3,
    RISCV_IRQ_S_TIMER = 5,
    RISCV_IRQ_M_TIMER = 7,
    RISCV_IRQ_S_EXT = 9,
    RISCV_IRQ_M_EXT = 11,
};

#define MIP_SSIP (1ull << RISCV_IRQ_S_SOFT)
#define MIP_MSIP (1ull << RISCV_IRQ_M_SOFT)
#define MIP_STIP (1ull << RISCV_IRQ_S_TIMER)
#define MIP_MTIP (1ull << RISCV_IRQ_M_TIMER)
#define MIP_SEIP (1ull << RISCV_IRQ_S_EXT)
#define MIP_MEIP (1ull << RISCV_IRQ_M_EXT)
#define MIP_S_BITS (MIP_SSIP | MIP_STIP | MIP_SEIP)
#define MIP_M_BITS (MIP_MSIP | MIP_MTIP | MIP_MEIP)
#define MIP_ALL (MIP_S_BITS | MIP_M_BITS)

#define RISCV_CAUSE_INTR (1ull << 63)

/* ---- mstatus fields (RV64) */
#define MSTATUS_SIE     (1ull << 1)
#define MSTATUS_MIE     (1ull << 3)
#define MSTATUS_SPIE    (1ull << 5)
#define MSTATUS_UBE     (1ull << 6)
#define MSTATUS_MPIE    (1ull << 7)
#define MSTATUS_SPP     (1ull << 8)
#define MSTATUS_VS      (3ull << 9)
#define MSTATUS_MPP     (3ull << 11)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_FS      (3ull << 13)
#define MSTATUS_FS_SHIFT 13
#define MSTATUS_XS      (3ull << 15)
#define MSTATUS_MPRV    (1ull << 17)
#define MSTATUS_SUM     (1ull << 18)
#define MSTATUS_MXR     (1ull << 19)
#define MSTATUS_TVM     (1ull << 20)
#define MSTATUS_TW      (1ull << 21)
#define MSTATUS_TSR     (1ull << 22)
#define MSTATUS_UXL     (3ull << 32)
#define MSTATUS_SXL     (3ull << 34)
#define MSTATUS_SBE     (1ull << 36)
#define MSTATUS_MBE     (1ull << 37)
#define MSTATUS_SD      (1ull << 63)

/* mstatus.FS / XS values */
enum { RISCV_FS_OFF = 0, RISCV_FS_INITIAL = 1, RISCV_FS_CLEAN = 2,
       RISCV_FS_DIRTY = 3 };

/* ---- misa: MXL=2 (64), extensions A C D F I M S U */
#define MISA_EXT(c)     (1ull << ((c) - 'A'))
#define RISCV_MISA_RV64GC_SU                                              \
    ((2ull << 62) | MISA_EXT('A') | MISA_EXT('C') | MISA_EXT('D') |       \
     MISA_EXT('F') | MISA_EXT('I') | MISA_EXT('M') | MISA_EXT('S') |      \
     MISA_EXT('U'))

/* ---- menvcfg / senvcfg */
#define ENVCFG_FIOM     (1ull << 0)
#define ENVCFG_CBIE     (3ull << 4)
#define ENVCFG_CBCFE    (1ull << 6)
#define ENVCFG_CBZE     (1ull << 7)
#define MENVCFG_ADUE    (1ull << 61)
#define MENVCFG_PBMTE   (1ull << 62)
#define MENVCFG_STCE    (1ull << 63)

/* ---- counters: bit n of mcounteren/scounteren/mcountinhibit */
#define COUNTEREN_CY    (1u << 0)
#define COUNTEREN_TM    (1u << 1)
#define COUNTEREN_IR    (1u << 2)

/* ---- CSR numbers this file implements (csr-names.c has all names) */
enum {
    CSR_FFLAGS = 0x001, CSR_FRM = 0x002, CSR_FCSR = 0x003,
    CSR_CYCLE = 0xc00, CSR_TIME = 0xc01, CSR_INSTRET = 0xc02,
    CSR_HPMCOUNTER3 = 0xc03, CSR_HPMCOUNTER31 = 0xc1f,
    CSR_SSTATUS = 0x100, CSR_SIE = 0x104, CSR_STVEC = 0x105,
    CSR_SCOUNTEREN = 0x106, CSR_SENVCFG = 0x10a,
    CSR_SSCRATCH = 0x140, CSR_SEPC = 0x141, CSR_SCAUSE = 0x142,
    CSR_STVAL = 0x143, CSR_SIP = 0x144, CSR_STIMECMP = 0x14d,
    CSR_SATP = 0x180,
    CSR_MVENDORID = 0xf11, CSR_MARCHID = 0xf12, CSR_MIMPID = 0xf13,
    CSR_MHARTID = 0xf14, CSR_MCONFIGPTR = 0xf15,
    CSR_MSTATUS = 0x300, CSR_MISA = 0x301, CSR_MEDELEG = 0x302,
    CSR_MIDELEG = 0x303, CSR_MIE = 0x304, CSR_MTVEC = 0x305,
    CSR_MCOUNTEREN = 0x306, CSR_MENVCFG = 0x30a,
    CSR_MCOUNTINHIBIT = 0x320,
    CSR_MHPMEVENT3 = 0x323, CSR_MHPMEVENT31 = 0x33f,
    CSR_MSCRATCH = 0x340, CSR_MEPC = 0x341, CSR_MCAUSE = 0x342,
    CSR_MTVAL = 0x343, CSR_MIP = 0x344,
    CSR_PMPCFG0 = 0x3a0, CSR_PMPCFG15 = 0x3af,
    CSR_PMPADDR0 = 0x3b0, CSR_PMPADDR63 = 0x3ef,
    CSR_MCYCLE = 0xb00, CSR_MINSTRET = 0xb02,
    CSR_MHPMCOUNTER3 = 0xb03, CSR_MHPMCOUNTER31 = 0xb1f,
};

typedef struct CPURISCVState CPURISCVState;

struct CPURISCVState {
    /* Translator globals first: x[0] is always 0 (writes are dropped by
     * the front end, not here). */
    uint64_t x[32];
    uint64_t f[32];     /* singles NaN-boxed, see cpu/riscv/fpu.h */
    uint64_t pc;
    uint64_t priv;      /* RiscvPriv; 64-bit so IR can load it */
    uint32_t frm;       /* fcsr.frm, 3 bits */
    uint32_t fflags;    /* fcsr.fflags, 5 bits; FP helpers OR into it */

    /* Instructions retired, as counted by the translator (it adds a
     * block's instruction count when the block completes).  cycle and
     * instret are both derived from it. */
    uint64_t icount;

    uint64_t misa;
    uint64_t mstatus;   /* without SD: computed on read */
    uint64_t mtvec, stvec;
    uint64_t medeleg, mideleg;
    uint64_t mie;
    /*
     * mip is split by writer.  irq_lines holds the levels of MSIP, MTIP,
     * MEIP and the external SEIP line, written by other threads through
     * riscv_set_irq_line().  mip_sw holds the software-writable SSIP,
     * STIP and SEIP bits (also set by riscv_set_irq_line(SSIP) for an
     * ACLINT SSWI).  Both only with atomics.  The value of mip is their
     * OR, with STIP replaced by the stimecmp comparison when
     * menvcfg.STCE is set: riscv_read_mip().
     */
    uint64_t irq_lines;
    uint64_t mip_sw;
    uint64_t mscratch, sscratch;
    uint64_t mepc, sepc;
    uint64_t mcause, scause;
    uint64_t mtval, stval;
    uint64_t satp;
    uint32_t mcounteren, scounteren, mcountinhibit;
    uint64_t menvcfg, senvcfg;
    uint64_t stimecmp;
    uint64_t mhartid;

    /* counter value = icount + offset; frozen value while inhibited */
    uint64_t mcycle_offset, minstret_offset;
    uint64_t mcycle_frozen, minstret_frozen;

    /* PMP registers; the pmpcfg/pmpaddr CSRs go through the pmp.h
     * accessors (WARL and lock rules live there), then mmu_changed. */
    RiscvPmp pmp;

    /* ---- hooks, set by the board / CPU glue; each may be NULL */
    void *opaque;
    /* The time CSR: the board's ACLINT mtime.  NULL: time reads 0. */
    uint64_t (*read_time)(void *opaque);
    /* stimecmp or menvcfg.STCE changed: the board re-arms the timer that
     * kicks this hart when time reaches stimecmp. */
    void (*stimecmp_changed)(void *opaque);
    /* A CSR write changed something cached TLB entries depend on: satp,
     * mstatus.SUM or MXR, a PMP register.  The CPU glue flushes its TLB.
     * Not called for priv, MPRV or MPP changes (traps, returns, CSR
     * writes): the mmu index of a data access must encode the effective
     * privilege (MPRV ? MPP : priv), so those need no flush. */
    void (*mmu_changed)(void *opaque);
};

/* ---- state set-up */

/* Reset state (spec 3.4): M-mode, pc = reset_vector, MIE = MPRV = 0,
 * misa at its maximum, mcause 0, PMP entries off and unlocked,
 * everything else zero (FS Off).  Kept: hooks, mhartid, the number of
 * PMP entries (RISCV_PMP_DEFAULT_ENTRIES if it was 0), irq_lines. */
void riscv_cpu_reset(CPURISCVState *env, uint64_t reset_vector);

/* ---- CSR access (csr.c) */

enum riscv_csr_op {
    RISCV_CSR_RW,   /* csrrw(i): new = src */
    RISCV_CSR_RS,   /* csrrs(i): new = old | src */
    RISCV_CSR_RC,   /* csrrc(i): new = old & ~src */
};

/*
 * One Zicsr instruction: checks access (existence, privilege, read-only,
 * FS, counter enables, TVM, Sstc), returns the old value in *old and, if
 * 'write', writes the new value through the CSR's WARL rules.  'write' is
 * false for csrrs/csrrc with rs1 = x0 and csrrsi/csrrci with uimm = 0:
 * those only read, so they are legal on read-only CSRs.  Returns
 * RISCV_EXCP_NONE or RISCV_EXCP_ILLEGAL_INSN (nothing changed then).
 * The translator ends the block after any write (TB flags may change).
 */
int riscv_csr_op(CPURISCVState *env, unsigned csrno, enum riscv_csr_op op,
                 uint64_t src, bool write, uint64_t *old);

/* Shorthands: a pure read, and a csrrw whose old value is dropped. */
int riscv_csr_read(CPURISCVState *env, unsigned csrno, uint64_t *value);
int riscv_csr_write(CPURISCVState *env, unsigned csrno, uint64_t value);

/* mstatus with SD computed. */
uint64_t riscv_read_mstatus(const CPURISCVState *env);
/* mip as the hart sees it now (lines, software bits, Sstc timer). */
uint64_t riscv_read_mip(const CPURISCVState *env);

/* FP state: FP instructions are illegal while mstatus.FS is Off, and
 * every FP register or fcsr write makes it Dirty. */
static inline bool riscv_fs_enabled(const CPURISCVState *env)
{
    return (env->mstatus & MSTATUS_FS) != 0;
}
static inline void riscv_mark_fs_dirty(CPURISCVState *env)
{
    env->mstatus |= MSTATUS_FS;
}

/* ---- traps, returns, interrupts (trap.c) */

/*
 * Takes a trap at env->pc: exception 'cause' (enum riscv_excp) or, if
 * is_interrupt, interrupt 'cause' (enum riscv_irq).  Goes to S if the
 * hart is in U or S and medeleg/mideleg delegates the cause, else to M;
 * writes xepc, xcause, xtval (= tval), the xstatus stack, priv and pc.
 */
void riscv_do_trap(CPURISCVState *env, unsigned cause, uint64_t tval,
                   bool is_interrupt);

/* mret / sret: return RISCV_EXCP_ILLEGAL_INSN (nothing changed) when not
 * allowed (mret below M; sret in U, or in S with mstatus.TSR), else do
 * the return (pc = xepc) and return RISCV_EXCP_NONE. */
int riscv_mret(CPURISCVState *env);
int riscv_sret(CPURISCVState *env);

/* wfi: RISCV_EXCP_ILLEGAL_INSN if it must trap (U mode; S with
 * mstatus.TW), else RISCV_EXCP_NONE and the caller halts the hart until
 * riscv_cpu_has_work(). */
int riscv_wfi_check(const CPURISCVState *env);
/* sfence.vma: illegal in U, and in S with mstatus.TVM. */
int riscv_sfence_vma_check(const CPURISCVState *env);

/* The interrupt to take now (enum riscv_irq), or -1: the highest
 * priority pending, enabled and globally enabled interrupt. */
int riscv_pending_interrupt(const CPURISCVState *env);
/* If an interrupt is to be taken, takes it and returns true. */
bool riscv_take_interrupt(CPURISCVState *env);
/* wfi wake-up condition: some interrupt pending and enabled in mie,
 * whatever the global enables and delegation. */
bool riscv_cpu_has_work(const CPURISCVState *env);

/*
 * A hardware interrupt line changed: 'irq' is RISCV_IRQ_M_SOFT,
 * M_TIMER, M_EXT or S_EXT (levels), or S_SOFT (edge: level 1 sets SSIP,
 * as an ACLINT SSWI write does; level 0 does nothing).  Any thread.  The
 * caller then calls cpu_interrupt(cpu, CPU_INTERRUPT_HARD) on the hart's
 * vCPU.  Returns false for any other irq (ignored).
 */
bool riscv_set_irq_line(CPURISCVState *env, unsigned irq, bool level);

#endif
