/*
 * The RISC-V CSR file (privileged spec 1.12, chapters 2, 3 and 4, and
 * the Sstc extension).  One table entry per implemented CSR number; a
 * number without an entry does not exist and traps as illegal.
 *
 * Access order in riscv_csr_op(): existence, privilege (number bits
 * 9:8), read-only on write (bits 11:10 == 3), then the CSR's own
 * predicate (FS, counter enables, TVM, Sstc).  Then read, then the WARL
 * write.
 */
#include "cpu/riscv/cpu.h"

#include <string.h>

#include "cpu/riscv/mmu.h"
#include "cpu/riscv/pmp.h"

#include "util/atomic.h"

typedef int csr_pred_fn(const CPURISCVState *env, unsigned csrno);
typedef uint64_t csr_read_fn(const CPURISCVState *env, unsigned csrno);
typedef void csr_write_fn(CPURISCVState *env, unsigned csrno, uint64_t v);
typedef void csr_rmw_fn(CPURISCVState *env, unsigned csrno,
                        enum riscv_csr_op op, uint64_t src);

struct csr_ops {
    csr_pred_fn *pred;      /* NULL: no check beyond the number's bits */
    csr_read_fn *read;      /* NULL: the CSR does not exist */
    csr_write_fn *write;    /* NULL: writes are ignored */
    /* Replaces write for registers other threads modify too (mip):
     * applies the operation atomically instead of writing back a value
     * computed from an earlier read. */
    csr_rmw_fn *rmw;
};

/* Writable fields. */
#define MSTATUS_WRITABLE                                                  \
    (MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE |            \
     MSTATUS_SPP | MSTATUS_MPP | MSTATUS_FS | MSTATUS_MPRV |              \
     MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR)
#define SSTATUS_READABLE                                                  \
    (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_UBE | MSTATUS_SPP |              \
     MSTATUS_VS | MSTATUS_FS | MSTATUS_XS | MSTATUS_SUM | MSTATUS_MXR |   \
     MSTATUS_UXL | MSTATUS_SD)
#define SSTATUS_WRITABLE                                                  \
    (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS |              \
     MSTATUS_SUM | MSTATUS_MXR)
/* Every cause but ecall from M (read-only zero, spec 3.1.8) and the
 * reserved 10 and 14. */
#define MEDELEG_WRITABLE 0xb3ffull
#define MIDELEG_WRITABLE MIP_S_BITS
#define MIE_WRITABLE MIP_ALL
#define MIP_SW_WRITABLE MIP_S_BITS
#define ENVCFG_CB (ENVCFG_FIOM | ENVCFG_CBIE | ENVCFG_CBCFE | ENVCFG_CBZE)
#define MENVCFG_WRITABLE (ENVCFG_CB | MENVCFG_ADUE | MENVCFG_STCE)

static void notify_mmu(CPURISCVState *env)
{
    if (env->mmu_changed)
        env->mmu_changed(env->opaque);
}

static void notify_stimecmp(CPURISCVState *env)
{
    if (env->stimecmp_changed)
        env->stimecmp_changed(env->opaque);
}

static uint64_t read_time(const CPURISCVState *env)
{
    return env->read_time ? env->read_time(env->opaque) : 0;
}

/* ---- state accessors shared with trap.c */

uint64_t riscv_read_mstatus(const CPURISCVState *env)
{
    uint64_t s = env->mstatus;

    if ((s & MSTATUS_FS) == MSTATUS_FS || (s & MSTATUS_XS) == MSTATUS_XS)
        s |= MSTATUS_SD;
    return s;
}

static bool sstc_active(const CPURISCVState *env)
{
    return (env->menvcfg & MENVCFG_STCE) != 0;
}

uint64_t riscv_read_mip(const CPURISCVState *env)
{
    uint64_t mip = atomic_read(&env->irq_lines) | atomic_read(&env->mip_sw);

    /* With Sstc, STIP is the comparator's output and nothing else. */
    if (sstc_active(env)) {
        mip &= ~MIP_STIP;
        if (read_time(env) >= env->stimecmp)
            mip |= MIP_STIP;
    }
    return mip;
}

/* ---- predicates */

static int pred_fp(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return riscv_fs_enabled(env) ? RISCV_EXCP_NONE : RISCV_EXCP_ILLEGAL_INSN;
}

/* cycle, time, instret, hpmcounterN: S needs mcounteren, U needs both
 * mcounteren and scounteren. */
static int pred_counter(const CPURISCVState *env, unsigned csrno)
{
    uint32_t bit = 1u << (csrno & 0x1f);

    if (env->priv < RISCV_PRIV_M && !(env->mcounteren & bit))
        return RISCV_EXCP_ILLEGAL_INSN;
    if (env->priv < RISCV_PRIV_S && !(env->scounteren & bit))
        return RISCV_EXCP_ILLEGAL_INSN;
    return RISCV_EXCP_NONE;
}

static int pred_satp(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    if (env->priv == RISCV_PRIV_S && (env->mstatus & MSTATUS_TVM))
        return RISCV_EXCP_ILLEGAL_INSN;
    return RISCV_EXCP_NONE;
}

/* Sstc: below M, stimecmp needs menvcfg.STCE and mcounteren.TM. */
static int pred_stimecmp(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    if (env->priv == RISCV_PRIV_M)
        return RISCV_EXCP_NONE;
    if (!sstc_active(env) || !(env->mcounteren & COUNTEREN_TM))
        return RISCV_EXCP_ILLEGAL_INSN;
    return RISCV_EXCP_NONE;
}

/* ---- floating point */

static uint64_t read_fflags(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return env->fflags;
}

static void write_fflags(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    (void)csrno;
    env->fflags = v & 0x1f;
    riscv_mark_fs_dirty(env);
}

static uint64_t read_frm(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return env->frm;
}

/* frm holds any 3-bit value; a reserved one makes dynamic-rm
 * instructions illegal when they execute (riscv_fpu_resolve_rm). */
static void write_frm(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    (void)csrno;
    env->frm = v & 7;
    riscv_mark_fs_dirty(env);
}

static uint64_t read_fcsr(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return (uint64_t)env->frm << 5 | env->fflags;
}

static void write_fcsr(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    (void)csrno;
    env->fflags = v & 0x1f;
    env->frm = (v >> 5) & 7;
    riscv_mark_fs_dirty(env);
}

/* ---- counters */

static bool counter_inhibited(const CPURISCVState *env, uint32_t bit)
{
    return (env->mcountinhibit & bit) != 0;
}

static uint64_t counter_value(const CPURISCVState *env, uint32_t bit)
{
    bool cy = bit == COUNTEREN_CY;

    if (counter_inhibited(env, bit))
        return cy ? env->mcycle_frozen : env->minstret_frozen;
    return env->icount + (cy ? env->mcycle_offset : env->minstret_offset);
}

static void counter_set(CPURISCVState *env, uint32_t bit, uint64_t v)
{
    bool cy = bit == COUNTEREN_CY;

    if (counter_inhibited(env, bit))
        *(cy ? &env->mcycle_frozen : &env->minstret_frozen) = v;
    else
        *(cy ? &env->mcycle_offset : &env->minstret_offset) = v - env->icount;
}

/* cycle/mcycle and instret/minstret share the number's low bits. */
static uint64_t read_counter(const CPURISCVState *env, unsigned csrno)
{
    return counter_value(env, 1u << (csrno & 0x1f));
}

static void write_counter(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    counter_set(env, 1u << (csrno & 0x1f), v);
}

static uint64_t read_time_csr(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return read_time(env);
}

static uint64_t read_zero(const CPURISCVState *env, unsigned csrno)
{
    (void)env;
    (void)csrno;
    return 0;
}

static uint64_t read_mcountinhibit(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return env->mcountinhibit;
}

/* Only CY and IR can be inhibited (TM is read-only zero, and the hpm
 * counters are always zero).  Freezing keeps the value; unfreezing
 * resumes counting from it. */
static void write_mcountinhibit(CPURISCVState *env, unsigned csrno,
                                uint64_t v)
{
    static const uint32_t bits[] = { COUNTEREN_CY, COUNTEREN_IR };

    (void)csrno;
    for (unsigned i = 0; i < 2; i++) {
        uint64_t value = counter_value(env, bits[i]);

        if (v & bits[i])
            env->mcountinhibit |= bits[i];
        else
            env->mcountinhibit &= ~bits[i];
        counter_set(env, bits[i], value);
    }
}

static uint64_t read_mcounteren(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return env->mcounteren;
}

static void write_mcounteren(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    (void)csrno;
    env->mcounteren = (uint32_t)v;
}

static uint64_t read_scounteren(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return env->scounteren;
}

static void write_scounteren(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    (void)csrno;
    env->scounteren = (uint32_t)v;
}

/* ---- status */

static void set_mstatus(CPURISCVState *env, uint64_t mask, uint64_t v)
{
    uint64_t old = env->mstatus;
    uint64_t new = (old & ~mask) | (v & mask);

    /* MPP is WARL over U, S, M: the reserved 2 keeps the old value. */
    if ((new & MSTATUS_MPP) == (2ull << MSTATUS_MPP_SHIFT))
        new = (new & ~MSTATUS_MPP) | (old & MSTATUS_MPP);
    env->mstatus = new;
    if ((old ^ new) & (MSTATUS_SUM | MSTATUS_MXR))
        notify_mmu(env);
}

static uint64_t read_mstatus(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return riscv_read_mstatus(env);
}

static void write_mstatus(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    (void)csrno;
    set_mstatus(env, MSTATUS_WRITABLE, v);
}

static uint64_t read_sstatus(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return riscv_read_mstatus(env) & SSTATUS_READABLE;
}

static void write_sstatus(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    (void)csrno;
    set_mstatus(env, SSTATUS_WRITABLE, v);
}

static uint64_t read_misa(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return env->misa;
}

/* ---- trap set-up */

static uint64_t read_medeleg(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return env->medeleg;
}

static void write_medeleg(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    (void)csrno;
    env->medeleg = v & MEDELEG_WRITABLE;
}

static uint64_t read_mideleg(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return env->mideleg;
}

static void write_mideleg(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    (void)csrno;
    env->mideleg = v & MIDELEG_WRITABLE;
}

static uint64_t read_mie(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return env->mie;
}

static void write_mie(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    (void)csrno;
    env->mie = v & MIE_WRITABLE;
}

/* sie: the bits of mie that mideleg hands to S; the others read 0. */
static uint64_t read_sie(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return env->mie & env->mideleg;
}

static void write_sie(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    (void)csrno;
    env->mie = (env->mie & ~env->mideleg) | (v & env->mideleg);
}

/* tvec: MODE 0 direct, 1 vectored; a reserved mode drops the write.
 * BASE is 4-byte aligned because MODE takes the two low bits. */
static void write_tvec(uint64_t *tvec, uint64_t v)
{
    if ((v & 3) >= 2)
        return;
    *tvec = v;
}

static uint64_t read_mtvec(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return env->mtvec;
}

static void write_mtvec(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    (void)csrno;
    write_tvec(&env->mtvec, v);
}

static uint64_t read_stvec(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return env->stvec;
}

static void write_stvec(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    (void)csrno;
    write_tvec(&env->stvec, v);
}

/* ---- pending interrupts */

/*
 * mip_sw is shared with riscv_set_irq_line() callers on other threads,
 * so csrrs/csrrc become atomic OR/AND of the bits they name (a
 * concurrent SSIP set is never lost) and csrrw a compare-and-swap of the
 * writable bits.  Only the software SEIP bit takes part, never the
 * external line, as spec 3.1.9 requires for csrrs/csrrc.
 */
static void rmw_mip_sw(CPURISCVState *env, uint64_t mask,
                       enum riscv_csr_op op, uint64_t src)
{
    uint64_t old, seen;

    switch (op) {
    case RISCV_CSR_RS:
        atomic_fetch_or(&env->mip_sw, src & mask);
        return;
    case RISCV_CSR_RC:
        atomic_fetch_and(&env->mip_sw, ~(src & mask));
        return;
    default:
        old = atomic_read(&env->mip_sw);
        for (;;) {
            seen = atomic_cmpxchg(&env->mip_sw, old,
                                  (old & ~mask) | (src & mask));
            if (seen == old)
                return;
            old = seen;
        }
    }
}

static uint64_t mip_writable(const CPURISCVState *env)
{
    uint64_t mask = MIP_SW_WRITABLE;

    /* With Sstc the comparator owns STIP. */
    if (sstc_active(env))
        mask &= ~MIP_STIP;
    return mask;
}

static uint64_t read_mip(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return riscv_read_mip(env);
}

static void rmw_mip(CPURISCVState *env, unsigned csrno,
                    enum riscv_csr_op op, uint64_t src)
{
    (void)csrno;
    rmw_mip_sw(env, mip_writable(env), op, src);
}

static uint64_t read_sip(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return riscv_read_mip(env) & env->mideleg;
}

/* From S only SSIP is writable, and only when delegated. */
static void rmw_sip(CPURISCVState *env, unsigned csrno,
                    enum riscv_csr_op op, uint64_t src)
{
    (void)csrno;
    rmw_mip_sw(env, MIP_SSIP & env->mideleg, op, src);
}

/* ---- plain trap-handling registers */

#define PLAIN_CSR(name, field, wmask)                                     \
    static uint64_t read_##name(const CPURISCVState *env, unsigned csrno) \
    {                                                                     \
        (void)csrno;                                                      \
        return env->field;                                                \
    }                                                                     \
    static void write_##name(CPURISCVState *env, unsigned csrno,          \
                             uint64_t v)                                  \
    {                                                                     \
        (void)csrno;                                                      \
        env->field = v & (wmask);                                         \
    }

/* IALIGN is 16 (C is always on): epc bit 0 is zero. */
PLAIN_CSR(mscratch, mscratch, ~0ull)
PLAIN_CSR(sscratch, sscratch, ~0ull)
PLAIN_CSR(mepc, mepc, ~1ull)
PLAIN_CSR(sepc, sepc, ~1ull)
PLAIN_CSR(mcause, mcause, ~0ull)
PLAIN_CSR(scause, scause, ~0ull)
PLAIN_CSR(mtval, mtval, ~0ull)
PLAIN_CSR(stval, stval, ~0ull)
PLAIN_CSR(senvcfg, senvcfg, ENVCFG_CB)

/* ---- address translation */

static uint64_t read_satp(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return env->satp;
}

/* WARL: a write with an unsupported MODE changes nothing (spec 4.1.11). */
static void write_satp(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    unsigned mode = v >> RISCV_SATP64_MODE_SHIFT;

    (void)csrno;
    if (mode != RISCV_SATP_MODE_BARE && mode != RISCV_SATP_MODE_SV39 &&
        mode != RISCV_SATP_MODE_SV48 && mode != RISCV_SATP_MODE_SV57)
        return;
    env->satp = v;
    notify_mmu(env);
}

/* ---- environment configuration, Sstc */

/* CBIE 2 is reserved: keep the old field. */
static uint64_t envcfg_warl(uint64_t old, uint64_t new)
{
    if ((new & ENVCFG_CBIE) == (2ull << 4))
        new = (new & ~ENVCFG_CBIE) | (old & ENVCFG_CBIE);
    return new;
}

static uint64_t read_menvcfg(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return env->menvcfg;
}

static void write_menvcfg(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    uint64_t old = env->menvcfg;

    (void)csrno;
    env->menvcfg = envcfg_warl(old, v & MENVCFG_WRITABLE);
    if ((old ^ env->menvcfg) & MENVCFG_STCE)
        notify_stimecmp(env);
}

static void write_senvcfg_warl(CPURISCVState *env, unsigned csrno,
                               uint64_t v)
{
    uint64_t old = env->senvcfg;

    write_senvcfg(env, csrno, v);
    env->senvcfg = envcfg_warl(old, env->senvcfg);
}

static uint64_t read_stimecmp(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return env->stimecmp;
}

static void write_stimecmp(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    (void)csrno;
    env->stimecmp = v;
    notify_stimecmp(env);
}

/* ---- machine information */

static uint64_t read_mhartid(const CPURISCVState *env, unsigned csrno)
{
    (void)csrno;
    return env->mhartid;
}

/* ---- PMP: the WARL and lock rules are pmp.c's */

static uint64_t read_pmpcfg(const CPURISCVState *env, unsigned csrno)
{
    uint64_t v = 0;

    riscv_pmp_read_pmpcfg(&env->pmp, csrno - CSR_PMPCFG0, &v, 64);
    return v;
}

static void write_pmpcfg(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    riscv_pmp_write_pmpcfg(&env->pmp, csrno - CSR_PMPCFG0, v, 64);
    notify_mmu(env);
}

static uint64_t read_pmpaddr(const CPURISCVState *env, unsigned csrno)
{
    return riscv_pmp_read_addr(&env->pmp, csrno - CSR_PMPADDR0);
}

static void write_pmpaddr(CPURISCVState *env, unsigned csrno, uint64_t v)
{
    riscv_pmp_write_addr(&env->pmp, csrno - CSR_PMPADDR0, v);
    notify_mmu(env);
}

/* ---- the table */

#define RO(rd)              { NULL, rd, NULL, NULL }
#define RW(rd, wr)          { NULL, rd, wr, NULL }
#define P(pred, rd, wr)     { pred, rd, wr, NULL }

static const struct csr_ops csr_table[4096] = {
    [CSR_FFLAGS] = P(pred_fp, read_fflags, write_fflags),
    [CSR_FRM] = P(pred_fp, read_frm, write_frm),
    [CSR_FCSR] = P(pred_fp, read_fcsr, write_fcsr),

    [CSR_CYCLE] = P(pred_counter, read_counter, NULL),
    [CSR_TIME] = P(pred_counter, read_time_csr, NULL),
    [CSR_INSTRET] = P(pred_counter, read_counter, NULL),
    [CSR_HPMCOUNTER3 ... CSR_HPMCOUNTER31] = P(pred_counter, read_zero, NULL),

    [CSR_SSTATUS] = RW(read_sstatus, write_sstatus),
    [CSR_SIE] = RW(read_sie, write_sie),
    [CSR_STVEC] = RW(read_stvec, write_stvec),
    [CSR_SCOUNTEREN] = RW(read_scounteren, write_scounteren),
    [CSR_SENVCFG] = RW(read_senvcfg, write_senvcfg_warl),
    [CSR_SSCRATCH] = RW(read_sscratch, write_sscratch),
    [CSR_SEPC] = RW(read_sepc, write_sepc),
    [CSR_SCAUSE] = RW(read_scause, write_scause),
    [CSR_STVAL] = RW(read_stval, write_stval),
    [CSR_SIP] = { NULL, read_sip, NULL, rmw_sip },
    [CSR_STIMECMP] = P(pred_stimecmp, read_stimecmp, write_stimecmp),
    [CSR_SATP] = P(pred_satp, read_satp, write_satp),

    [CSR_MVENDORID] = RO(read_zero),
    [CSR_MARCHID] = RO(read_zero),
    [CSR_MIMPID] = RO(read_zero),
    [CSR_MHARTID] = RO(read_mhartid),
    [CSR_MCONFIGPTR] = RO(read_zero),

    [CSR_MSTATUS] = RW(read_mstatus, write_mstatus),
    [CSR_MISA] = RO(read_misa),     /* writes ignored: misa is fixed */
    [CSR_MEDELEG] = RW(read_medeleg, write_medeleg),
    [CSR_MIDELEG] = RW(read_mideleg, write_mideleg),
    [CSR_MIE] = RW(read_mie, write_mie),
    [CSR_MTVEC] = RW(read_mtvec, write_mtvec),
    [CSR_MCOUNTEREN] = RW(read_mcounteren, write_mcounteren),
    [CSR_MENVCFG] = RW(read_menvcfg, write_menvcfg),
    [CSR_MCOUNTINHIBIT] = RW(read_mcountinhibit, write_mcountinhibit),
    [CSR_MHPMEVENT3 ... CSR_MHPMEVENT31] = RO(read_zero),
    [CSR_MSCRATCH] = RW(read_mscratch, write_mscratch),
    [CSR_MEPC] = RW(read_mepc, write_mepc),
    [CSR_MCAUSE] = RW(read_mcause, write_mcause),
    [CSR_MTVAL] = RW(read_mtval, write_mtval),
    [CSR_MIP] = { NULL, read_mip, NULL, rmw_mip },

    /* RV64 has only the even pmpcfg registers. */
    [CSR_PMPCFG0] = RW(read_pmpcfg, write_pmpcfg),
    [CSR_PMPCFG0 + 2] = RW(read_pmpcfg, write_pmpcfg),
    [CSR_PMPCFG0 + 4] = RW(read_pmpcfg, write_pmpcfg),
    [CSR_PMPCFG0 + 6] = RW(read_pmpcfg, write_pmpcfg),
    [CSR_PMPCFG0 + 8] = RW(read_pmpcfg, write_pmpcfg),
    [CSR_PMPCFG0 + 10] = RW(read_pmpcfg, write_pmpcfg),
    [CSR_PMPCFG0 + 12] = RW(read_pmpcfg, write_pmpcfg),
    [CSR_PMPCFG0 + 14] = RW(read_pmpcfg, write_pmpcfg),
    [CSR_PMPADDR0 ... CSR_PMPADDR63] = RW(read_pmpaddr, write_pmpaddr),

    [CSR_MCYCLE] = RW(read_counter, write_counter),
    [CSR_MINSTRET] = RW(read_counter, write_counter),
    [CSR_MHPMCOUNTER3 ... CSR_MHPMCOUNTER31] = RO(read_zero),
};

/* ---- access */

static int csr_check(const CPURISCVState *env, unsigned csrno, bool write)
{
    const struct csr_ops *ops = &csr_table[csrno];

    if (!ops->read)
        return RISCV_EXCP_ILLEGAL_INSN;
    if (env->priv < ((csrno >> 8) & 3))
        return RISCV_EXCP_ILLEGAL_INSN;
    if (write && ((csrno >> 10) & 3) == 3)
        return RISCV_EXCP_ILLEGAL_INSN;
    if (ops->pred)
        return ops->pred(env, csrno);
    return RISCV_EXCP_NONE;
}

static uint64_t csr_new_value(enum riscv_csr_op op, uint64_t old,
                              uint64_t src)
{
    switch (op) {
    case RISCV_CSR_RS:
        return old | src;
    case RISCV_CSR_RC:
        return old & ~src;
    default:
        return src;
    }
}

int riscv_csr_op(CPURISCVState *env, unsigned csrno, enum riscv_csr_op op,
                 uint64_t src, bool write, uint64_t *old)
{
    const struct csr_ops *ops;
    int excp;

    if (csrno >= 4096)
        return RISCV_EXCP_ILLEGAL_INSN;
    excp = csr_check(env, csrno, write);
    if (excp != RISCV_EXCP_NONE)
        return excp;
    ops = &csr_table[csrno];
    *old = ops->read(env, csrno);
    if (!write)
        return RISCV_EXCP_NONE;
    if (ops->rmw)
        ops->rmw(env, csrno, op, src);
    else if (ops->write)
        ops->write(env, csrno, csr_new_value(op, *old, src));
    return RISCV_EXCP_NONE;
}

int riscv_csr_read(CPURISCVState *env, unsigned csrno, uint64_t *value)
{
    return riscv_csr_op(env, csrno, RISCV_CSR_RS, 0, false, value);
}

int riscv_csr_write(CPURISCVState *env, unsigned csrno, uint64_t value)
{
    uint64_t old;

    return riscv_csr_op(env, csrno, RISCV_CSR_RW, value, true, &old);
}

/* ---- reset */

void riscv_cpu_reset(CPURISCVState *env, uint64_t reset_vector)
{
    uint64_t lines = atomic_read(&env->irq_lines);
    CPURISCVState keep = *env;

    memset(env, 0, sizeof(*env));
    env->mhartid = keep.mhartid;
    riscv_pmp_init(&env->pmp, keep.pmp.nr_entries ? keep.pmp.nr_entries
                                                  : RISCV_PMP_DEFAULT_ENTRIES);
    env->opaque = keep.opaque;
    env->read_time = keep.read_time;
    env->stimecmp_changed = keep.stimecmp_changed;
    env->mmu_changed = keep.mmu_changed;
    /* The lines are the devices' state, not the hart's. */
    atomic_set(&env->irq_lines, lines);

    env->priv = RISCV_PRIV_M;
    env->pc = reset_vector;
    env->misa = RISCV_MISA_RV64GC_SU;
    /* UXL = SXL = 64, fixed. */
    env->mstatus = (2ull << 32) | (2ull << 34);
    notify_mmu(env);
}
