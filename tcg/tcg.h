/* The translator core's public interface: what an architecture provides
 * (TCGCPUOps), what each vCPU embeds (TCGCPUState), the backend
 * interface, and the execution loop.  The IR is in tcg/ir.h, blocks and
 * the code cache in tcg/tb.h, the TLB in tcg/softmmu.h; docs/translator.md
 * has the whole picture.
 *
 * Layout contract.  The architecture's CPU structure embeds CPUState and
 * an "env" structure at fixed offsets, and env (or the CPU structure)
 * embeds one TCGCPUState at a fixed offset from env.  Generated code
 * reaches everything through the env pointer: globals at their offset,
 * block temps in TCGCPUState.frame, the TLB in TCGCPUState.tlb, the exit
 * request in CPUState.  These offsets are given once to tcg_init().
 */
#ifndef TCG_TCG_H
#define TCG_TCG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpu/cpu.h"
#include "tcg/ir.h"
#include "tcg/softmmu.h"

typedef struct TranslationBlock TranslationBlock;
typedef struct TBJmpCache TBJmpCache;

/* Frame slots of block temps: locals, plus scratch slots the backend uses
 * to materialise constants. */
#define TCG_FRAME_SCRATCH 8
#define TCG_FRAME_SLOTS (TCG_MAX_TEMPS + TCG_FRAME_SCRATCH)

/* Generic exception numbers (architectures use 0 .. EXCP_ARCH_MAX).  They
 * are consumed by the execution loop rather than by do_interrupt. */
enum {
    EXCP_NONE = -1,
    EXCP_ARCH_MAX = 0xffff,
    EXCP_INTERRUPT = 0x10000,   /* just leave the loop */
    EXCP_HLT = 0x10001,         /* the CPU halts (wfi) */
    EXCP_DEBUG = 0x10002,       /* stop the vCPU (breakpoint) */
};

typedef struct TCGCPUState {
    void *env;                  /* value of the tcg_env temp */
    CPUState *cpu;
    /* Pending exception, EXCP_NONE if none.  Written by helpers and slow
     * paths of this vCPU, read by its execution loop. */
    int32_t exception_index;
    /* Backend position of the op that raised (0: none): lets the loop
     * find the guest instruction through insn_start data. */
    uintptr_t fault_pc;
    TBJmpCache *jmp_cache;
    /* Counters for tests and -d stats. */
    unsigned long tb_execs;     /* blocks entered from the loop */
    unsigned long tb_exit_requests;

    CPUTLB tlb;
    uint64_t frame[TCG_FRAME_SLOTS];
} TCGCPUState;

/* ---- what the architecture provides */

typedef struct TCGCPUOps {
    /* Offsets: env from the CPUState pointer, TCGCPUState from env. */
    ptrdiff_t env_offset;
    ptrdiff_t tcg_state_offset;

    /* Translates the block at tb->pc into tcg_ctx (usually by calling
     * translator_loop).  Under the translation lock. */
    void (*translate_code)(CPUState *cpu, TranslationBlock *tb,
                           int max_insns);
    /* The lookup key of the next block: virtual pc, extra key, flags
     * (privilege, XLEN, FP state: anything that changes decoding). */
    void (*get_tb_cpu_state)(CPUState *cpu, uint64_t *pc, uint64_t *cs_base,
                             uint32_t *flags);
    /* The loop left before executing tb (exit request seen at its
     * entry): make the CPU state point at tb's start (pc = tb->pc). */
    void (*synchronize_from_tb)(CPUState *cpu, const TranslationBlock *tb);
    /* A fault inside tb at the instruction whose insn_start had data[]:
     * restore the guest pc (and whatever data[1] encodes). */
    void (*restore_state_to_opc)(CPUState *cpu, const TranslationBlock *tb,
                                 const uint64_t *data);
    /* Called with interrupt_request != 0 before each block looked up by
     * the loop.  Returns true if it delivered an interrupt (the state
     * changed: pc, privilege). */
    bool (*cpu_exec_interrupt)(CPUState *cpu, uint32_t interrupt_request);
    /* Delivers the architectural exception in exception_index. */
    void (*do_interrupt)(CPUState *cpu);
    /* Page walk for addr; on success calls tlb_set_page and returns
     * true.  On failure: if probe, returns false quietly; else raises
     * (tcg_raise_exception) and returns false. */
    bool (*tlb_fill)(CPUState *cpu, uint64_t addr, int size,
                     MMUAccessType type, int mmu_idx, bool probe);
    /* Misaligned access with MO_ALIGN: raises.  Optional (default: an
     * EXCP_DEBUG stop). */
    void (*do_unaligned_access)(CPUState *cpu, uint64_t addr,
                                MMUAccessType type, int mmu_idx);
    /* Bus error on an I/O access: raises.  Optional (default: reads
     * return 0, writes are dropped). */
    void (*do_transaction_failed)(CPUState *cpu, uint64_t paddr,
                                  uint64_t addr, MMUAccessType type,
                                  int mmu_idx);
    /* mmu index of instruction fetches in the current state. */
    int (*mmu_index)(CPUState *cpu, bool ifetch);
} TCGCPUOps;

extern const TCGCPUOps *tcg_cpu_ops;

static inline void *tcg_cpu_env(CPUState *cpu)
{
    return (char *)cpu + tcg_cpu_ops->env_offset;
}
static inline TCGCPUState *tcg_env_state(void *env)
{
    return (TCGCPUState *)((char *)env + tcg_cpu_ops->tcg_state_offset);
}
static inline TCGCPUState *tcg_cpu_state(CPUState *cpu)
{
    return tcg_env_state(tcg_cpu_env(cpu));
}
static inline CPUState *tcg_env_cpu(void *env)
{
    return (CPUState *)((char *)env - tcg_cpu_ops->env_offset);
}

/* ---- backends */

typedef struct TCGBackend {
    const char *name;
    /* Generates host (or threaded) code for tcg_ctx into [buf, buf +
     * size) for tb.  Fills tb->jmp_reset/jmp_target_addr and the insn
     * table (tb->insn_*).  Returns the bytes used, -1 if it does not
     * fit. */
    ssize_t (*gen_code)(TCGContext *s, TranslationBlock *tb, void *buf,
                        size_t size);
    /* Runs code until it leaves: returns (uintptr_t)last_tb | TB_EXIT_*. */
    uintptr_t (*exec)(CPUState *cpu, const void *code);
    /* Atomically points jump slot n of tb at target (code of the next
     * block, or tb->jmp_reset[n] to unchain). */
    void (*set_jmp_target)(TranslationBlock *tb, int n, uintptr_t target);
} TCGBackend;

extern const TCGBackend tcg_threaded_backend;
extern const TCGBackend *tcg_backend;

/* exit codes in the low bits of a backend's exec result */
enum {
    TB_EXIT_IDX0 = 0,       /* left through goto_tb slot 0: may chain */
    TB_EXIT_IDX1 = 1,
    TB_EXIT_REQUESTED = 2,  /* exit_request seen at the entry of last_tb,
                               which did not run */
    TB_EXIT_NOCHAIN = 3,    /* exit_tb without chaining, goto_ptr miss,
                               or an exception (exception_index set) */
    TB_EXIT_MASK = 3,
};

/* ---- set-up */

/* Once, before any vCPU runs: the architecture, the code-cache size in
 * bytes (0: default 64 MiB) and the backend (NULL: threaded). */
void tcg_init(const TCGCPUOps *ops, size_t code_cache_size,
              const TCGBackend *backend);
/* Per vCPU, before it runs (any thread): sets up its TCGCPUState (TLB
 * flushed, jump cache allocated) and registers it for cross-vCPU
 * maintenance.  tcg_cpu_exit undoes it. */
void tcg_cpu_init(CPUState *cpu);
void tcg_cpu_exit(CPUState *cpu);
/* Calls fn on every registered vCPU's TCGCPUState, under the lock of
 * the vCPU list. */
void tcg_for_each_cpu_state(void (*fn)(TCGCPUState *ts, void *opaque),
                            void *opaque);

/* ---- used by helpers and slow paths */

/* Records an exception for the current block to leave with.  Helpers
 * call it and return; the op that called them leaves the block.  The
 * guest pc is restored from insn_start data. */
static inline void tcg_raise_exception(CPUState *cpu, int excp)
{
    tcg_cpu_state(cpu)->exception_index = excp;
}
static inline void tcg_env_raise_exception(void *env, int excp)
{
    tcg_env_state(env)->exception_index = excp;
}

/* ---- the execution loop (tcg/cpu-exec.c) */

/* AccelOps.exec of the TCG accelerator: runs blocks until exit_request is
 * set, the CPU halts, or it must stop.  Returns CPU_EXEC_*.  Does not
 * clear exit_request (the vCPU loop does). */
int tcg_cpu_exec(CPUState *cpu);

/* Counters, for tests and -d stats (relaxed atomics). */
typedef struct TCGStats {
    unsigned long translations;
    unsigned long flushes;
    unsigned long invalidations;
    unsigned long chains;
    unsigned long lookups_hash;
    unsigned long discards;     /* translations not published: code
                                 * written meanwhile */
} TCGStats;
extern TCGStats tcg_stats;

#endif
