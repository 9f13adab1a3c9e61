/*
 * The RISC-V hart as a TCG vCPU: TCGCPUOps (TB flags, state restore,
 * interrupts, exceptions, page walks), creation, reset and irq lines.
 *
 * Exceptions travel as exception_index = mcause (enum riscv_excp), with
 * the tval beside it in RISCVCPU.excp_tval; do_interrupt hands both to
 * trap.c.  Interrupts: CPU_INTERRUPT_HARD in interrupt_request means
 * "mip & mie may be non-zero"; cpu_exec_interrupt takes the interrupt if
 * trap.c says one is deliverable, and drops the bit when nothing is
 * pending any more.
 *
 * TLB fill: M-mode (index 3) and Bare satp map identically; otherwise
 * mmu.c walks the tables, reading PTEs through the memory core's
 * TCGMemoryOps.  PMP: a page whose PMP rule is uniform is cached with
 * the PMP permissions folded in; a page split between PMP rules is
 * checked for the access that fills it and then cached with that
 * access's permission only (accepted imprecision: another access to a
 * differently-ruled part of the same page is not re-checked until the
 * entry is evicted or flushed).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/riscv/helper.h"
#include "cpu/riscv/mmu.h"
#include "tcg/tb.h"
#include "util/log.h"

static const TCGMemoryOps *riscv_mem_ops;

static CPURISCVState *env_of(CPUState *cs)
{
    return &riscv_cpu_of(cs)->env;
}

/* ---- mmu indexes */

int riscv_fetch_mmu_index(const CPURISCVState *env)
{
    return env->priv == RISCV_PRIV_M ? RISCV_MMU_M :
           env->priv == RISCV_PRIV_S ? RISCV_MMU_S : RISCV_MMU_U;
}

int riscv_data_mmu_index(const CPURISCVState *env)
{
    uint64_t priv = env->priv;
    int idx;

    if (priv == RISCV_PRIV_M && (env->mstatus & MSTATUS_MPRV)) {
        priv = (env->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
    }
    if (priv == RISCV_PRIV_M) {
        return RISCV_MMU_M;
    }
    if (priv == RISCV_PRIV_S) {
        idx = (env->mstatus & MSTATUS_SUM) ? RISCV_MMU_S_SUM : RISCV_MMU_S;
    } else {
        idx = RISCV_MMU_U;
    }
    return (env->mstatus & MSTATUS_MXR) ? idx | RISCV_MMU_MXR : idx;
}

static int riscv_mmu_index(CPUState *cs, bool ifetch)
{
    return ifetch ? riscv_fetch_mmu_index(env_of(cs))
                  : riscv_data_mmu_index(env_of(cs));
}

/* ---- TB state */

static void riscv_get_tb_cpu_state(CPUState *cs, uint64_t *pc,
                                   uint64_t *cs_base, uint32_t *flags)
{
    CPURISCVState *env = env_of(cs);

    *pc = env->pc;
    *cs_base = 0;
    *flags = (uint32_t)env->priv |
             (uint32_t)((env->mstatus & MSTATUS_FS) >> MSTATUS_FS_SHIFT)
                 << TB_FLAGS_FS_SHIFT |
             (uint32_t)riscv_data_mmu_index(env) << TB_FLAGS_MEMIDX_SHIFT;
}

static void riscv_synchronize_from_tb(CPUState *cs,
                                      const TranslationBlock *tb)
{
    env_of(cs)->pc = tb->pc;
}

/* data[1] is how far to step past the instruction for a non-architectural
 * exit (wfi's EXCP_HLT resumes after the wfi); 0 for everything else. */
static void riscv_restore_state_to_opc(CPUState *cs,
                                       const TranslationBlock *tb,
                                       const uint64_t *data)
{
    env_of(cs)->pc = data[0];
    if (tcg_cpu_state(cs)->exception_index > EXCP_ARCH_MAX) {
        env_of(cs)->pc += data[1];
    }
}

/* ---- interrupts and exceptions */

static bool riscv_cpu_exec_interrupt(CPUState *cs, uint32_t request)
{
    RISCVCPU *cpu = riscv_cpu_of(cs);

    if (!(request & CPU_INTERRUPT_HARD)) {
        return false;
    }
    if (riscv_take_interrupt(&cpu->env)) {
        log_mask_printf(LOG_INT, "cpu%d: interrupt cause %" PRIu64
                        " epc %" PRIx64 "\n", cs->index,
                        (uint64_t)(cpu->env.mcause & ~RISCV_CAUSE_INTR),
                        cpu->env.pc);
        cpu->res_addr = UINT64_MAX;
        return true;
    }
    /* Clear first, then look: a line raised meanwhile sets it again. */
    cpu_reset_interrupt(cs, CPU_INTERRUPT_HARD);
    riscv_update_irq_request(&cpu->env);
    return false;
}

static void riscv_do_interrupt(CPUState *cs)
{
    RISCVCPU *cpu = riscv_cpu_of(cs);
    int cause = tcg_cpu_state(cs)->exception_index;

    log_mask_printf(LOG_INT, "cpu%d: exception %d epc %" PRIx64
                    " tval %" PRIx64 "\n", cs->index, cause, cpu->env.pc,
                    cpu->excp_tval);
    riscv_do_trap(&cpu->env, (unsigned)cause, cpu->excp_tval, false);
    cpu->res_addr = UINT64_MAX;
}

static const unsigned access_fault[] = {
    [MMU_DATA_LOAD] = RISCV_EXCP_LOAD_ACCESS_FAULT,
    [MMU_DATA_STORE] = RISCV_EXCP_STORE_ACCESS_FAULT,
    [MMU_INST_FETCH] = RISCV_EXCP_INSN_ACCESS_FAULT,
};

static void riscv_do_unaligned_access(CPUState *cs, uint64_t addr,
                                      MMUAccessType type, int mmu_idx)
{
    static const unsigned misaligned[] = {
        [MMU_DATA_LOAD] = RISCV_EXCP_LOAD_MISALIGNED,
        [MMU_DATA_STORE] = RISCV_EXCP_STORE_MISALIGNED,
        [MMU_INST_FETCH] = RISCV_EXCP_INSN_MISALIGNED,
    };

    riscv_raise(env_of(cs), misaligned[type], addr);
}

static void riscv_do_transaction_failed(CPUState *cs, uint64_t paddr,
                                        uint64_t addr, MMUAccessType type,
                                        int mmu_idx)
{
    riscv_raise(env_of(cs), access_fault[type], addr);
}

/* ---- page walk */

static RiscvMemResult pte_load64(void *opaque, uint64_t paddr, uint64_t *val)
{
    CPUState *cs = opaque;
    const TCGMemoryOps *ops = atomic_load_acquire(&riscv_mem_ops);
    bool writable;
    uint8_t *host;

    if (!ops || (paddr & 7)) {
        return RISCV_MEM_FAULT;
    }
    host = ops->phys_to_host(cs, paddr & TCG_PAGE_MASK, &writable);
    if (host) {
        *val = __atomic_load_n((uint64_t *)(host + (paddr & ~TCG_PAGE_MASK)),
                               __ATOMIC_ACQUIRE);
        return RISCV_MEM_OK;
    }
    return ops->io_read(cs, paddr, 8, val) ? RISCV_MEM_OK : RISCV_MEM_FAULT;
}

static RiscvMemResult pte_cmpxchg64(void *opaque, uint64_t paddr,
                                    uint64_t old, uint64_t new_val)
{
    CPUState *cs = opaque;
    const TCGMemoryOps *ops = atomic_load_acquire(&riscv_mem_ops);
    bool writable, swapped;
    uint8_t *host;

    if (!ops || (paddr & 7)) {
        return RISCV_MEM_FAULT;
    }
    host = ops->phys_to_host(cs, paddr & TCG_PAGE_MASK, &writable);
    if (!host || !writable) {
        return RISCV_MEM_FAULT;     /* A/D updates in I/O or ROM: no */
    }
    /* A page table may share a page with code: the update is a code
     * write, so no block of the old bytes may be found or published once
     * the new ones may be visible (tcg/tb-maint.c). */
    tb_code_write_begin(paddr, paddr + 8);
    swapped = __atomic_compare_exchange_n(
                  (uint64_t *)(host + (paddr & ~TCG_PAGE_MASK)), &old,
                  new_val, false, __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE);
    tb_code_write_end(paddr, paddr + 8);
    return swapped ? RISCV_MEM_OK : RISCV_MEM_CHANGED;
}

static const RiscvPteOps riscv_pte_ops = {
    .load64 = pte_load64,
    .cmpxchg64 = pte_cmpxchg64,
};

static RiscvPriv mmu_idx_priv(int mmu_idx)
{
    if (mmu_idx == RISCV_MMU_M) {
        return RISCV_PRIV_M;
    }
    return (mmu_idx & 3) == RISCV_MMU_U ? RISCV_PRIV_U : RISCV_PRIV_S;
}

static bool riscv_tlb_fill(CPUState *cs, uint64_t addr, int size,
                           MMUAccessType type, int mmu_idx, bool probe)
{
    CPURISCVState *env = env_of(cs);
    RiscvPriv priv = mmu_idx_priv(mmu_idx);
    /* MMUAccessType and RiscvAccess have the same order. */
    RiscvAccess access = (RiscvAccess)type;
    uint64_t paddr = addr;
    unsigned prot = RISCV_PROT_RWX, pmp_prot;
    unsigned page_bits = TCG_PAGE_BITS;     /* of the guest mapping */

    if (priv != RISCV_PRIV_M &&
        (env->satp >> RISCV_SATP64_MODE_SHIFT) != RISCV_SATP_MODE_BARE) {
        RiscvMmuParams p = {
            .satp = env->satp,
            .priv = priv,
            .sum = (mmu_idx & 3) == RISCV_MMU_S_SUM,
            .mxr = (mmu_idx & RISCV_MMU_MXR) != 0,
            .adue = (env->menvcfg & MENVCFG_ADUE) != 0,
            .pmp = &env->pmp,
            .ops = &riscv_pte_ops,
            .opaque = cs,
        };
        RiscvTranslation t;

        if (!riscv_translate(&p, addr, access, &t)) {
            if (!probe) {
                riscv_raise(env, t.cause, addr);
            }
            return false;
        }
        paddr = t.paddr;
        prot = t.prot;
        page_bits = t.page_shift;
    }
    if (riscv_pmp_page_uniform(&env->pmp, paddr, priv, &pmp_prot)) {
        prot &= pmp_prot;
    } else if (riscv_pmp_check(&env->pmp, paddr, (unsigned)size, access,
                               priv)) {
        prot = (prot & (1u << access)) | PAGE_REFILL;
    } else {
        prot = 0;
    }
    if (!(prot & (1u << access))) {
        if (!probe) {
            riscv_raise(env, access_fault[type], addr);
        }
        return false;
    }
    /* sfence.vma of one address in a superpage drops all of it */
    tlb_set_page_sized(cs, addr & TCG_PAGE_MASK, paddr & TCG_PAGE_MASK,
                       (int)prot, mmu_idx, page_bits);
    return true;
}

const TCGCPUOps riscv_tcg_ops = {
    .env_offset = offsetof(RISCVCPU, env),
    .tcg_state_offset = offsetof(RISCVCPU, tcg) - offsetof(RISCVCPU, env),
    .translate_code = riscv_translate_code,
    .get_tb_cpu_state = riscv_get_tb_cpu_state,
    .synchronize_from_tb = riscv_synchronize_from_tb,
    .restore_state_to_opc = riscv_restore_state_to_opc,
    .cpu_exec_interrupt = riscv_cpu_exec_interrupt,
    .do_interrupt = riscv_do_interrupt,
    .tlb_fill = riscv_tlb_fill,
    .do_unaligned_access = riscv_do_unaligned_access,
    .do_transaction_failed = riscv_do_transaction_failed,
    .mmu_index = riscv_mmu_index,
};

/* ---- set-up */

void riscv_tcg_init(void)
{
    tcg_init(&riscv_tcg_ops, 0, NULL);
    riscv_translate_init();
}

void riscv_cpu_set_memory_ops(const TCGMemoryOps *ops)
{
    atomic_store_release(&riscv_mem_ops, ops);
    tcg_set_memory_ops(ops);
}

/* env->mmu_changed: satp, SUM/MXR or PMP changed (a CSR write on this
 * hart's thread). */
static void riscv_mmu_changed(void *opaque)
{
    RISCVCPU *cpu = opaque;

    /* Before tcg_cpu_init (reset at creation) there is no TLB yet. */
    if (cpu->tcg.jmp_cache) {
        tlb_flush(&cpu->parent);
    }
}

static uint64_t riscv_read_time(void *opaque)
{
    RISCVCPU *cpu = opaque;

    return cpu->read_time ? cpu->read_time(cpu->time_opaque) : 0;
}

static void riscv_stimecmp_changed(void *opaque)
{
    RISCVCPU *cpu = opaque;

    if (cpu->stimecmp_changed) {
        cpu->stimecmp_changed(cpu, cpu->time_opaque);
    }
}

void riscv_hart_reset(RISCVCPU *cpu, uint64_t pc)
{
    riscv_cpu_reset(&cpu->env, pc);
    cpu->res_addr = UINT64_MAX;
    cpu->excp_tval = 0;
    riscv_mmu_changed(cpu);
}

RISCVCPU *riscv_cpu_new(unsigned hartid, uint64_t reset_pc, uint64_t a1,
                        uint64_t (*read_time)(void *), void *time_opaque,
                        Error **errp)
{
    RISCVCPU *cpu = calloc(1, sizeof(*cpu));

    if (!cpu) {
        error_setg(errp, "hart %u: out of memory", hartid);
        return NULL;
    }
    cpu->hartid = hartid;
    cpu->read_time = read_time;
    cpu->time_opaque = time_opaque;
    cpu->env.mhartid = hartid;
    cpu->env.opaque = cpu;
    cpu->env.read_time = riscv_read_time;
    cpu->env.stimecmp_changed = riscv_stimecmp_changed;
    cpu->env.mmu_changed = riscv_mmu_changed;
    riscv_hart_reset(cpu, reset_pc);
    cpu->env.x[10] = hartid;
    cpu->env.x[11] = a1;
    return cpu;
}

void riscv_cpu_free(RISCVCPU *cpu)
{
    free(cpu);
}

void riscv_cpu_set_irq(RISCVCPU *cpu, unsigned irq, bool level)
{
    if (!riscv_set_irq_line(&cpu->env, irq, level)) {
        return;
    }
    if (atomic_load_acquire(&cpu->parent.ops)) {
        cpu_interrupt(&cpu->parent, CPU_INTERRUPT_HARD);
    } else {
        /* No vCPU thread (tests driving tcg_cpu_exec directly). */
        atomic_fetch_or(&cpu->parent.interrupt_request, CPU_INTERRUPT_HARD);
        cpu_exit(&cpu->parent);
    }
}

bool riscv_cpu_accel_has_work(CPUState *cs)
{
    return riscv_cpu_has_work(env_of(cs));
}
