/* Translation blocks and the code cache.
 *
 * A TB is the translation of guest code starting at virtual pc `pc` in
 * CPU state `flags`/`cs_base`, located at guest physical `phys_pc`.  TB
 * structures and their code live together in one big buffer, allocated
 * by bumping a pointer; nothing is freed except by a full flush.  An
 * invalidated TB therefore stays readable (a vCPU may still be running
 * it) until the flush, which only happens with every vCPU out of guest
 * code.
 *
 * Lookup: per-vCPU jump cache (direct-mapped by virtual pc), then the
 * global hash table (liburcu cds_lfht, QSBR), keyed by (phys_pc, pc,
 * cs_base, flags).  Lookups take no lock.
 *
 * Locks (order: translation lock -> tb_pages_lock -> tb_jmp_lock):
 *  - translation lock: tcg_ctx, the code buffer's allocation pointer.
 *  - tb_pages_lock: the page -> TB lists, hash insertion/removal, the
 *    "page has code" bitmap (whose reads are lock-free).
 *  - tb_jmp_lock: jump slots, outgoing jmp_dest and incoming jump lists.
 */
#ifndef TCG_TB_H
#define TCG_TB_H

#include <stdbool.h>
#include <stdint.h>

#include "tcg/tcg.h"

/* cflags */
enum {
    CF_COUNT_MASK = 0x1ff,      /* max guest insns; 0 = default */
    CF_NOCHAIN    = 1u << 10,   /* never chain this block's exits */
    CF_INVALID    = 1u << 31,   /* invalidated: never enter, never chain */
};

#define TCG_MAX_INSNS 512

/* One entry per guest instruction: where its code starts, and its
 * insn_start data. */
typedef struct TBInsnData {
    uint32_t code_offset;
    uint32_t pad;
    uint64_t data[2];
} TBInsnData;

struct TranslationBlock {
    uint64_t pc;                /* virtual pc of the first insn */
    uint64_t cs_base;
    uint32_t flags;
    uint32_t cflags;            /* atomic: CF_INVALID set at invalidation */
    uint64_t phys_pc;
    uint32_t size;              /* guest bytes */
    uint32_t icount;            /* guest insns */
    /* Guest physical pages holding the code (page-aligned); page_addr[1]
     * is -1 unless the block crosses into a second page. */
    uint64_t page_addr[2];
    /* Each page's code write count when the translator started reading
     * it (tb_mark_code_page); publication checks them. */
    unsigned long page_seq[2];
    /* Next entry (tagged: tb | slot) in the list of page_addr[i], under
     * tb_pages_lock. */
    uintptr_t page_next[2];
    uint32_t hash;

    const void *tc_ptr;         /* backend code */
    uint32_t tc_size;
    const TBInsnData *insn_data;
    uint32_t insn_count;

    /* Chaining, under tb_jmp_lock (slots are read by running code).
     * jmp_target_addr[n]: backend address of jump slot n, 0 if the block
     * has no goto_tb n.  jmp_reset[n]: the slot's unchained value.
     * jmp_dest[n]: TB slot n points to, or 0.  jmp_list_head: incoming
     * jumps, as tagged pointers (tb | n) linked through jmp_list_next[n]
     * of the source. */
    uintptr_t jmp_target_addr[2];
    uintptr_t jmp_reset[2];
    uintptr_t jmp_dest[2];
    uintptr_t jmp_list_head;
    uintptr_t jmp_list_next[2];

    /* Storage for the hash table node (struct cds_lfht_node, kept out of
     * weft's headers). */
    _Alignas(16) uintptr_t hash_node[2];
};

static inline bool tb_is_invalid(const TranslationBlock *tb)
{
    return atomic_load_acquire(&((TranslationBlock *)tb)->cflags) &
           CF_INVALID;
}

/* ---- lookup and translation (vCPU thread, RCU-online) */

/* Jump cache, then hash.  NULL if there is none (or the code page is not
 * mapped: then exception_index is set). */
TranslationBlock *tb_lookup(CPUState *cpu, uint64_t pc, uint64_t cs_base,
                            uint32_t flags);
/* Translates and publishes the block; returns it, or the one another
 * thread published meanwhile.  NULL if the code cache is full (a flush is
 * then scheduled and cpu_exit(cpu) requested) or if fetching the first
 * instruction raised.  Rarely (its code kept being written while it was
 * translated) the block is returned unpublished and CF_INVALID: run it
 * once, never chain it. */
TranslationBlock *tb_gen_code(CPUState *cpu, uint64_t pc, uint64_t cs_base,
                              uint32_t flags, uint32_t cflags);
/* Chains jump slot n of tb to dest (no-op if either is invalid or the
 * slot is already chained). */
void tb_add_jump(TranslationBlock *tb, int n, TranslationBlock *dest);
/* Restores the guest state of the instruction containing backend
 * position fault_pc of tb; false if fault_pc is not in tb. */
bool tb_restore_state(CPUState *cpu, TranslationBlock *tb,
                      uintptr_t fault_pc);

/* ---- invalidation (any thread, RCU-online or BQL) */

/* Invalidates every TB with code in guest physical [start, end). */
void tb_invalidate_phys_range(uint64_t start, uint64_t end);
/* A store into [start, end) of a page holding code: begin invalidates
 * and keeps blocks from being published until end, so that no block
 * translated from the old bytes survives the store (see tb-maint.c).
 * Store between the two, with the same range; nothing else (no locks,
 * no guest accesses). */
void tb_code_write_begin(uint64_t start, uint64_t end);
void tb_code_write_end(uint64_t start, uint64_t end);
/* The translator is about to read code from the physical page: writes
 * to it take the slow path from now on.  Returns the page's write count
 * for tb->page_seq. */
unsigned long tb_mark_code_page(uint64_t page);
/* Lock-free: does the page of paddr hold translated code?  The memory
 * core routes writes to such pages through the slow path. */
bool tb_page_has_code(uint64_t paddr);
/* Hook called (under tb_pages_lock) when a page becomes a code page
 * (before the translator reads it); default: tlb_protect_code_page.
 * For the memory core's dirty tracking. */
void tb_set_code_page_hook(void (*hook)(uint64_t page));

/* ---- full flush */

/* Requests a full flush of the code cache.  From a vCPU inside exec it
 * is queued as exclusive work on that vCPU and cpu_exit() is called;
 * from another thread it runs at once inside start_exclusive(). */
void tb_flush(CPUState *cpu);
/* The flush itself; the caller guarantees no vCPU is in guest code or
 * looking blocks up (exclusive section, or no vCPU running). */
void tb_flush_exclusive(void);
/* Number of completed flushes (generation of the code cache). */
unsigned tb_flush_count(void);

/* ---- jump cache */
void tb_jmp_cache_clear(TCGCPUState *ts);

/* Statistics: live TBs in the hash, bytes used in the code buffer. */
unsigned long tb_count(void);
size_t tb_code_used(void);

/* Internal to tcg/: allocation of code-buffer space (translation lock
 * held).  tcg_code_alloc returns NULL when the buffer is full. */
void *tcg_code_alloc(size_t size, size_t align);
void tcg_code_cache_init(size_t size);

#endif
