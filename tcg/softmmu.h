/* The softmmu: a per-vCPU TLB from guest virtual pages to host pointers,
 * and the slow paths behind it.
 *
 * Fast path (inlined by backends): index the TLB of the access's mmu
 * index by virtual page, compare the entry's tag with the page of the
 * address; equal means RAM that may be accessed directly at addr +
 * addend, with no lock and no atomic.  Flag bits in the tag (I/O, page
 * holding translated code, ...) make the comparison fail, so every
 * special page takes the slow path.  Invalid entries hold -1.
 *
 * Slow path (tcg/softmmu.c): refill through the architecture's tlb_fill
 * hook (page walk; it calls tlb_set_page), which asks the memory core,
 * through TCGMemoryOps, for the host page or "I/O".  I/O accesses go to
 * TCGMemoryOps.io_read/io_write; writes to pages with translated code
 * invalidate that code first.
 *
 * Threads: a vCPU's TLB is written by its own thread (fill, flush).  The
 * only foreign writer is tlb-maint marking a page as holding code, which
 * sets TLB_NOTDIRTY in write tags atomically; all tag accesses are
 * therefore atomic (relaxed: plain moves on the hosts we support).
 * Flushing another vCPU's TLB goes through run_on_cpu.
 */
#ifndef TCG_SOFTMMU_H
#define TCG_SOFTMMU_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "util/atomic.h"
#include "util/compiler.h"

typedef struct CPUState CPUState;

/* Guest page size used by the TLB and the code-page tracking; equal to
 * the memory core's TARGET_PAGE_BITS. */
#define TCG_PAGE_BITS   12
#define TCG_PAGE_SIZE   (1ull << TCG_PAGE_BITS)
#define TCG_PAGE_MASK   (~(TCG_PAGE_SIZE - 1))

#define TCG_NB_MMU_MODES 8
#define TCG_TLB_BITS    8
#define TCG_TLB_ENTRIES (1u << TCG_TLB_BITS)

/* Tag flags: above the largest alignment mask the fast path folds into
 * its comparison (7 for 8-byte accesses) and below the page bits. */
enum {
    TLB_MMIO     = 1u << 6,     /* I/O: go through TCGMemoryOps.io_* */
    TLB_NOTDIRTY = 1u << 7,     /* writes: page holds translated code */
    TLB_WATCH    = 1u << 8,     /* reserved: watchpoints */
    TLB_REFILL   = 1u << 9,     /* valid for one access: refill every time */
    TLB_FLAGS_MASK = TLB_MMIO | TLB_NOTDIRTY | TLB_WATCH | TLB_REFILL,
};

#define TLB_INVALID UINT64_MAX

typedef enum MMUAccessType {
    MMU_DATA_LOAD,
    MMU_DATA_STORE,
    MMU_INST_FETCH,
} MMUAccessType;

enum {
    PAGE_READ = 1,
    PAGE_WRITE = 2,
    PAGE_EXEC = 4,
    /* The permissions differ within the page (a PMP boundary inside it):
     * the entry serves the access that filled it, and every later access
     * takes the slow path and calls tlb_fill again. */
    PAGE_REFILL = 8,
};

typedef struct CPUTLBEntry {
    uint64_t addr_read;         /* page | flags, or TLB_INVALID */
    uint64_t addr_write;
    uint64_t addr_code;
    uintptr_t addend;           /* host = guest virtual + addend (RAM) */
} CPUTLBEntry;

/* What the slow path needs beyond the tag. */
typedef struct CPUTLBEntryFull {
    uint64_t paddr;             /* guest physical page */
    int prot;
} CPUTLBEntryFull;

typedef struct CPUTLBDesc {
    CPUTLBEntry table[TCG_TLB_ENTRIES];
    CPUTLBEntryFull full[TCG_TLB_ENTRIES];
    /* Guest mappings larger than a TLB page are cached as several
     * entries, one per TLB page touched; a flush of one address inside
     * such a mapping must drop them all.  One region per index covers
     * every large mapping cached since the last full flush (widened as
     * needed): flushing a page inside it flushes the whole index. */
    bool has_large_page;
    uint64_t large_page_addr;
    uint64_t large_page_mask;   /* 0 once widened to everything */
} CPUTLBDesc;

typedef struct CPUTLB {
    CPUTLBDesc d[TCG_NB_MMU_MODES];
} CPUTLB;

/* Hooks into the memory core; installed once with tcg_set_memory_ops. */
typedef struct TCGMemoryOps {
    /* Host address of the RAM page at paddr (page-aligned), or NULL for
     * I/O or nothing.  *writable is false for ROM (writes become I/O).
     * Called on the vCPU thread, RCU-online. */
    void *(*phys_to_host)(CPUState *cpu, uint64_t paddr, bool *writable);
    /* I/O accesses of 1, 2, 4 or 8 bytes; false for a bus error. */
    bool (*io_read)(CPUState *cpu, uint64_t paddr, unsigned size,
                    uint64_t *val);
    bool (*io_write)(CPUState *cpu, uint64_t paddr, unsigned size,
                     uint64_t val);
} TCGMemoryOps;

void tcg_set_memory_ops(const TCGMemoryOps *ops);

static inline unsigned tlb_index(uint64_t addr)
{
    return (addr >> TCG_PAGE_BITS) & (TCG_TLB_ENTRIES - 1);
}

/* The fast path's comparison value for an access of `size` bytes with
 * alignment mask a_mask (size - 1 if MO_ALIGN, else 0): includes the
 * misaligned bits, and for unaligned-allowed accesses uses the page of
 * the last byte, so that a page-crossing access misses. */
static inline uint64_t tlb_compare_value(uint64_t addr, unsigned size,
                                         unsigned a_mask)
{
    return (addr + (size - 1 - a_mask)) & (TCG_PAGE_MASK | a_mask);
}

/* Called by tlb_fill: maps the page of vaddr to the page of paddr with
 * PAGE_* permissions, for mmu_idx. */
void tlb_set_page(CPUState *cpu, uint64_t vaddr, uint64_t paddr, int prot,
                  int mmu_idx);
/* The same for a page of a guest mapping of 1 << page_bits bytes
 * (page_bits >= TCG_PAGE_BITS) containing vaddr: a later flush of any
 * address in that mapping flushes this entry too. */
void tlb_set_page_sized(CPUState *cpu, uint64_t vaddr, uint64_t paddr,
                        int prot, int mmu_idx, unsigned page_bits);

/* Flushes on cpu's own thread (or while it is stopped or exclusive).
 * Flushing also clears cpu's jump cache (virtual pcs may map elsewhere). */
void tlb_flush(CPUState *cpu);
void tlb_flush_page(CPUState *cpu, uint64_t addr);
void tlb_flush_by_mmuidx(CPUState *cpu, uint16_t idxmap);
void tlb_flush_page_by_mmuidx(CPUState *cpu, uint64_t addr, uint16_t idxmap);

/* Slow paths; return false after raising an exception (tcg_raise_...).
 * The loaded value is sign- or zero-extended per mop. */
bool tcg_softmmu_ld(CPUState *cpu, uint64_t addr, unsigned mop,
                    int mmu_idx, uint64_t *val);
bool tcg_softmmu_st(CPUState *cpu, uint64_t addr, unsigned mop,
                    int mmu_idx, uint64_t val);

/* Code fetch for translators: the guest physical address of addr, or -1
 * after raising an exception. */
uint64_t get_page_addr_code(CPUState *cpu, uint64_t addr);
/* The physical page of code at addr, or -1 (no exception raised). */
uint64_t tcg_probe_code_page(CPUState *cpu, uint64_t addr);
/* Loads size bytes of code at addr; false after raising. */
bool tcg_code_ld(CPUState *cpu, uint64_t addr, unsigned size,
                 uint64_t *val);

/* Called by tb-maint when paddr's page gets its first translated block:
 * makes every vCPU's write entries for it take the slow path. */
void tlb_protect_code_page(uint64_t paddr);

/* Counters (tests, -d stats): fills done, I/O accesses. */
typedef struct TCGSoftmmuStats {
    unsigned long fills;
    unsigned long io_accesses;
    unsigned long code_writes;
} TCGSoftmmuStats;
extern TCGSoftmmuStats tcg_softmmu_stats;

#endif
