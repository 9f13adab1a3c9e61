/* The TCG accelerator: the glue between the translator core (tcg/), the
 * vCPU framework (cpu/) and the memory core (memory/).
 *
 *  - tcg_accel_ops: the AccelOps a board passes to cpu_create() for a
 *    vCPU that runs translated code.
 *  - tcg_accel_init(as): installs the TCGMemoryOps over `as` (the system
 *    address space: every vCPU's physical accesses go there), and the
 *    MemoryListener that flushes every vCPU's TLB when the view changes.
 *
 * docs/tcg-accel.md says why each part is the way it is.
 */
#ifndef TCG_ACCEL_TCG_H
#define TCG_ACCEL_TCG_H

#include "cpu/cpu.h"
#include "memory/memory.h"
#include "tcg/softmmu.h"

extern const AccelOps tcg_accel_ops;

/* BQL, once, after tcg_init() and before the first vCPU runs.  as lives
 * as long as the machine. */
void tcg_accel_init(AddressSpace *as);

/* The TCGMemoryOps tcg_accel_init() installs, for architectures that
 * keep their own pointer to them (the RISC-V page walk). */
extern const TCGMemoryOps tcg_accel_memory_ops;

/* The architecture's wake-up condition for a halted vCPU (AccelOps
 * has_work: atomics only).  Set once before the first vCPU is created;
 * without it, any interrupt_request bit is work. */
void tcg_accel_set_has_work(bool (*has_work)(CPUState *cpu));

/* Invalidates translated code that devices overwrote since it was
 * translated (CODE dirty bitmaps of logged RAM).  vCPU thread, inside
 * exec.  Called at every exec entry and after every store to I/O; a
 * front end may call it from fence.i too, to also cover a guest that
 * polls RAM for the completion of asynchronous DMA. */
void tcg_accel_check_dma_code_writes(void);

/* Counters for tests and -d stats (relaxed atomics). */
typedef struct TCGAccelStats {
    unsigned long view_flushes;     /* TLB flushes after a view change */
    unsigned long dma_code_invalidations;   /* code pages hit by DMA */
} TCGAccelStats;
extern TCGAccelStats tcg_accel_stats;

#endif
