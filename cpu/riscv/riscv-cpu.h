/*
 * The RISC-V hart as a vCPU: CPUState + architectural state (cpu.h) +
 * the translator's per-vCPU state, and the TCGCPUOps that plug it into
 * tcg/.  The front end (translate.c) and its helpers (helper.c) are
 * private to cpu/riscv/.
 *
 * Start-up order: riscv_tcg_init() once; riscv_cpu_set_memory_ops() with
 * the memory core's TCGMemoryOps (it also installs them in the softmmu:
 * the page walk needs them for PTE accesses); riscv_cpu_new() per hart;
 * then, in the hart's thread before it runs, tcg_cpu_init(&cpu->parent)
 * (the TCG accelerator's thread_init: riscv_cpu_new does not do it).
 *
 * The name riscv_cpu_reset is taken twice: cpu.h has
 * riscv_cpu_reset(CPURISCVState *, pc) (the architectural reset, csr.c)
 * and this interface wants riscv_cpu_reset(RISCVCPU *, pc).  C has no
 * overloading, so the macro below dispatches on the argument type: both
 * spellings keep working for every caller that includes this header.
 */
#ifndef CPU_RISCV_RISCV_CPU_H
#define CPU_RISCV_RISCV_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "cpu/riscv/cpu.h"
#include "tcg/tcg.h"
#include "util/error.h"

typedef struct RISCVCPU RISCVCPU;
struct RISCVCPU {
    CPUState parent;            /* first: cpu/cpu.h */
    CPURISCVState env;
    TCGCPUState tcg;            /* at the fixed offset tcg expects from env */

    /* tval of the exception in tcg.exception_index (set with it) */
    uint64_t excp_tval;
    /* LR reservation: address (-1: none) and the value LR saw; SC
     * succeeds iff memory still holds that value (compare-and-swap). */
    uint64_t res_addr;
    uint64_t res_val;
    unsigned hartid;

    /* The board's hooks (env.opaque is this RISCVCPU, so env's own hooks
     * are thunks to these): mtime for the time CSR and Sstc, and a
     * notification that stimecmp or menvcfg.STCE changed (re-arm the
     * timer).  Either may be NULL. */
    uint64_t (*read_time)(void *opaque);
    void *time_opaque;
    void (*stimecmp_changed)(struct RISCVCPU *cpu, void *opaque);
};

static inline RISCVCPU *riscv_cpu_of(CPUState *cs)
{
    return (RISCVCPU *)cs;
}

static inline RISCVCPU *riscv_cpu_of_env(CPURISCVState *env)
{
    return (RISCVCPU *)((char *)env - offsetof(RISCVCPU, env));
}

/* Process-wide, once, before any hart is created: registers
 * riscv_tcg_ops with tcg_init. */
void riscv_tcg_init(void);

/* The memory core's hooks: installed in the softmmu and kept for the
 * page walk's PTE loads and A/D updates.  Call instead of
 * tcg_set_memory_ops (or in addition, with the same ops). */
void riscv_cpu_set_memory_ops(const TCGMemoryOps *ops);

/* A new hart (not started): reset state, pc = reset_pc, a0 = hartid,
 * a1 = a1.  read_time(opaque) gives mtime for the time CSR/Sstc (may be
 * NULL = 0). */
RISCVCPU *riscv_cpu_new(unsigned hartid, uint64_t reset_pc, uint64_t a1,
                        uint64_t (*read_time)(void *), void *time_opaque,
                        Error **errp);
void riscv_cpu_free(RISCVCPU *cpu);

/* Hart reset (architectural state, reservation, TLB if initialised). */
void riscv_hart_reset(RISCVCPU *cpu, uint64_t pc);

#define riscv_cpu_reset(c, pc)                                          \
    _Generic((c),                                                       \
             RISCVCPU *: riscv_hart_reset,                              \
             CPURISCVState *: riscv_cpu_reset)(c, pc)

/* Any thread: set/clear an mip hardware bit (MSIP=3, MTIP=7, MEIP=11,
 * SEIP=9) and kick the hart. */
void riscv_cpu_set_irq(RISCVCPU *cpu, unsigned irq, bool level);

/* AccelOps.has_work for RISC-V harts: an interrupt pending and enabled
 * in mie (the wfi wake-up condition).  Atomics only. */
bool riscv_cpu_accel_has_work(CPUState *cs);

extern const TCGCPUOps riscv_tcg_ops;

#endif
