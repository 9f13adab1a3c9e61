/*
 * RISC-V traps, trap returns and interrupt selection (privileged spec
 * 1.12, sections 3.1.6-3.1.9, 3.3.2, 3.3.3, 4.1).
 */
#include "cpu/riscv/cpu.h"

#include "util/atomic.h"

/* ---- trap entry */

static bool trap_goes_to_s(const CPURISCVState *env, unsigned cause,
                           bool is_interrupt)
{
    uint64_t deleg = is_interrupt ? env->mideleg : env->medeleg;

    /* Traps never go to a lower privilege than the current one. */
    if (env->priv > RISCV_PRIV_S || cause >= 64)
        return false;
    return (deleg >> cause) & 1;
}

/* Vectored mode applies to interrupts only: BASE + 4 * cause. */
static uint64_t trap_target(uint64_t tvec, unsigned cause, bool is_interrupt)
{
    uint64_t base = tvec & ~3ull;

    if ((tvec & 3) == 1 && is_interrupt)
        return base + 4ull * cause;
    return base;
}

static void trap_to_s(CPURISCVState *env, uint64_t xcause, uint64_t tval)
{
    uint64_t s = env->mstatus & ~(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP);

    if (env->mstatus & MSTATUS_SIE)
        s |= MSTATUS_SPIE;
    if (env->priv == RISCV_PRIV_S)
        s |= MSTATUS_SPP;
    env->mstatus = s;
    env->sepc = env->pc & ~1ull;
    env->scause = xcause;
    env->stval = tval;
    env->priv = RISCV_PRIV_S;
}

static void trap_to_m(CPURISCVState *env, uint64_t xcause, uint64_t tval)
{
    uint64_t s = env->mstatus & ~(MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_MPP);

    if (env->mstatus & MSTATUS_MIE)
        s |= MSTATUS_MPIE;
    s |= env->priv << MSTATUS_MPP_SHIFT;
    env->mstatus = s;
    env->mepc = env->pc & ~1ull;
    env->mcause = xcause;
    env->mtval = tval;
    env->priv = RISCV_PRIV_M;
}

void riscv_do_trap(CPURISCVState *env, unsigned cause, uint64_t tval,
                   bool is_interrupt)
{
    uint64_t xcause = cause | (is_interrupt ? RISCV_CAUSE_INTR : 0);

    if (trap_goes_to_s(env, cause, is_interrupt)) {
        trap_to_s(env, xcause, tval);
        env->pc = trap_target(env->stvec, cause, is_interrupt);
    } else {
        trap_to_m(env, xcause, tval);
        env->pc = trap_target(env->mtvec, cause, is_interrupt);
    }
}

/* ---- trap return */

int riscv_mret(CPURISCVState *env)
{
    uint64_t s = env->mstatus;
    uint64_t mpp = (s & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;

    if (env->priv < RISCV_PRIV_M)
        return RISCV_EXCP_ILLEGAL_INSN;
    s &= ~(MSTATUS_MIE | MSTATUS_MPP);
    if (s & MSTATUS_MPIE)
        s |= MSTATUS_MIE;
    s |= MSTATUS_MPIE;
    /* 1.12: leaving M for a lower mode clears MPRV. */
    if (mpp != RISCV_PRIV_M)
        s &= ~MSTATUS_MPRV;
    env->mstatus = s;
    env->priv = mpp;
    env->pc = env->mepc;
    return RISCV_EXCP_NONE;
}

int riscv_sret(CPURISCVState *env)
{
    uint64_t s = env->mstatus;
    uint64_t spp = (s & MSTATUS_SPP) ? RISCV_PRIV_S : RISCV_PRIV_U;

    if (env->priv < RISCV_PRIV_S)
        return RISCV_EXCP_ILLEGAL_INSN;
    if (env->priv == RISCV_PRIV_S && (s & MSTATUS_TSR))
        return RISCV_EXCP_ILLEGAL_INSN;
    s &= ~(MSTATUS_SIE | MSTATUS_SPP);
    if (s & MSTATUS_SPIE)
        s |= MSTATUS_SIE;
    s |= MSTATUS_SPIE;
    /* sret always lands below M. */
    s &= ~MSTATUS_MPRV;
    env->mstatus = s;
    env->priv = spp;
    env->pc = env->sepc;
    return RISCV_EXCP_NONE;
}

/* ---- wfi, sfence.vma */

/*
 * The spec lets wfi below M run for a bounded time before trapping when
 * it must trap; weft traps at once.  U always traps (S is implemented);
 * S traps only with TW.
 */
int riscv_wfi_check(const CPURISCVState *env)
{
    if (env->priv == RISCV_PRIV_M)
        return RISCV_EXCP_NONE;
    if (env->priv == RISCV_PRIV_U || (env->mstatus & MSTATUS_TW))
        return RISCV_EXCP_ILLEGAL_INSN;
    return RISCV_EXCP_NONE;
}

int riscv_sfence_vma_check(const CPURISCVState *env)
{
    if (env->priv == RISCV_PRIV_U)
        return RISCV_EXCP_ILLEGAL_INSN;
    if (env->priv == RISCV_PRIV_S && (env->mstatus & MSTATUS_TVM))
        return RISCV_EXCP_ILLEGAL_INSN;
    return RISCV_EXCP_NONE;
}

/* ---- interrupts */

/* Decreasing priority among interrupts bound for the same mode. */
static const unsigned irq_priority[] = {
    RISCV_IRQ_M_EXT, RISCV_IRQ_M_SOFT, RISCV_IRQ_M_TIMER,
    RISCV_IRQ_S_EXT, RISCV_IRQ_S_SOFT, RISCV_IRQ_S_TIMER,
};

static int highest_priority(uint64_t set)
{
    for (unsigned i = 0; i < sizeof(irq_priority) / sizeof(irq_priority[0]);
         i++) {
        if (set & (1ull << irq_priority[i]))
            return irq_priority[i];
    }
    return -1;
}

static bool m_irqs_enabled(const CPURISCVState *env)
{
    return env->priv < RISCV_PRIV_M || (env->mstatus & MSTATUS_MIE);
}

/* Interrupts delegated to S are never taken in M. */
static bool s_irqs_enabled(const CPURISCVState *env)
{
    if (env->priv == RISCV_PRIV_M)
        return false;
    return env->priv < RISCV_PRIV_S || (env->mstatus & MSTATUS_SIE);
}

/* Interrupts for M are serviced before interrupts for S (spec 3.1.9). */
int riscv_pending_interrupt(const CPURISCVState *env)
{
    uint64_t pending = riscv_read_mip(env) & env->mie;
    uint64_t to_m = pending & ~env->mideleg;
    uint64_t to_s = pending & env->mideleg;

    if (to_m && m_irqs_enabled(env))
        return highest_priority(to_m);
    if (to_s && s_irqs_enabled(env))
        return highest_priority(to_s);
    return -1;
}

bool riscv_take_interrupt(CPURISCVState *env)
{
    int irq = riscv_pending_interrupt(env);

    if (irq < 0)
        return false;
    riscv_do_trap(env, irq, 0, true);
    return true;
}

bool riscv_cpu_has_work(const CPURISCVState *env)
{
    return (riscv_read_mip(env) & env->mie) != 0;
}

bool riscv_set_irq_line(CPURISCVState *env, unsigned irq, bool level)
{
    uint64_t bit = 1ull << irq;

    switch (irq) {
    case RISCV_IRQ_M_SOFT:
    case RISCV_IRQ_M_TIMER:
    case RISCV_IRQ_M_EXT:
    case RISCV_IRQ_S_EXT:
        if (level)
            atomic_fetch_or(&env->irq_lines, bit);
        else
            atomic_fetch_and(&env->irq_lines, ~bit);
        return true;
    case RISCV_IRQ_S_SOFT:
        if (level)
            atomic_fetch_or(&env->mip_sw, bit);
        return true;
    default:
        return false;
    }
}
