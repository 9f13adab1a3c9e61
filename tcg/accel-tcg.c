/* The TCG accelerator glue: AccelOps for the vCPU framework, TCGMemoryOps
 * over the memory core, TLB flushes on memory-map changes, and TB
 * invalidation for DMA writes into code pages.  docs/tcg-accel.md has the
 * reasoning; the short version is beside each part.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "memory/memory.h"
#include "system/bql.h"
#include "tcg/accel-tcg.h"
#include "tcg/tb.h"
#include "tcg/tcg.h"
#include "util/rcu.h"

_Static_assert(TCG_PAGE_BITS == TARGET_PAGE_BITS,
               "the TLB and the memory core must agree on the page size");

TCGAccelStats tcg_accel_stats;

/* The address space every vCPU's physical accesses go to.  Set once by
 * tcg_accel_init() before any vCPU runs; read-only afterwards. */
static AddressSpace *tcg_as;

/* Bumped (under the BQL) by every commit of the system address space.
 * Read by vCPUs around a blocking I/O access to notice a view change
 * that happened while they were RCU-offline. */
static unsigned long view_generation;

/* ---- RAM ranges watched for DMA writes into code pages
 *
 * Each RAM range of the view whose region logs for DIRTY_CLIENT_CODE.
 * The listener edits `watched` under the BQL and publishes an immutable
 * copy with RCU at commit; vCPUs read the copy without a lock. */
typedef struct WatchedRam {
    MemoryRegion *mr;           /* valid until its region_del */
    hwaddr offset_within_region;
    hwaddr addr;                /* in the address space */
    uint64_t size;
} WatchedRam;

typedef struct WatchedRamSet {
    RcuHead rcu;
    unsigned nr;
    WatchedRam ram[];
} WatchedRamSet;

#define MAX_WATCHED_RAM 64

/* BQL: the listener's working copy. */
static WatchedRam watched[MAX_WATCHED_RAM];
static unsigned nr_watched;
static bool watched_changed;

/* RCU: what vCPUs scan. */
static WatchedRamSet *watched_set;

/* ---- TCGMemoryOps */

/* The vCPU thread is an online QSBR reader for as long as it runs guest
 * code, so the host pointer stays valid until its next quiescent state;
 * the view-change flush (below) drops the TLB entry before that. */
static void *tcg_phys_to_host(CPUState *cpu, uint64_t paddr, bool *writable)
{
    MemoryRegionSection s;
    MemoryRegion *mr;
    void *host = NULL;

    *writable = false;
    weft_rcu_read_lock();
    if (address_space_translate(tcg_as, paddr, false, MEMTXATTRS_UNSPECIFIED,
                                &s) != MEMTX_OK) {
        goto out;
    }
    mr = s.mr;
    /* Only whole pages of RAM go on the fast path: a page shared with
     * I/O, or the tail of a region, stays on the slow path. */
    if (!memory_region_is_ram(mr) || s.size < TCG_PAGE_SIZE ||
        (s.offset_within_region & ~TCG_PAGE_MASK)) {
        goto out;
    }
    host = (uint8_t *)memory_region_get_ram_ptr(mr) + s.offset_within_region;
    /* Writes bypass the memory core on the fast path, so a region that
     * logs writes for the display or migration takes them through
     * io_write, where dispatch marks the bitmaps.  CODE logging does not
     * count: CPU stores to code pages are caught by TLB_NOTDIRTY. */
    *writable = !memory_region_is_rom(mr) && !s.readonly &&
                !(memory_region_get_dirty_log_mask(mr) &
                  ~(1u << DIRTY_CLIENT_CODE));
out:
    weft_rcu_read_unlock();
    return host;
}

/* Called after an access that may have slept on the BQL (RCU-offline):
 * a view published meanwhile may have freed RAM our TLB points to. */
static void revalidate_tlb(CPUState *cpu, unsigned long gen_before)
{
    if (atomic_read(&view_generation) != gen_before) {
        tlb_flush(cpu);
        atomic_fetch_add_relaxed(&tcg_accel_stats.view_flushes, 1);
    }
}

static bool tcg_io_read(CPUState *cpu, uint64_t paddr, unsigned size,
                        uint64_t *val)
{
    unsigned long gen = atomic_read(&view_generation);
    /* address_space_load: lookup, reference on the owner, BQL unless the
     * region is lockless (DESIGN §3 steps 1-4). */
    MemTxResult r = address_space_load(tcg_as, paddr, size,
                                       DEVICE_NATIVE_ENDIAN,
                                       MEMTXATTRS_UNSPECIFIED, val);

    revalidate_tlb(cpu, gen);
    return r == MEMTX_OK;
}

/* What a store to paddr lands on, looked up without keeping anything. */
typedef enum StoreTarget { STORE_IO, STORE_RAM, STORE_ROM } StoreTarget;

static StoreTarget store_target(uint64_t paddr)
{
    MemoryRegionSection s;
    StoreTarget t = STORE_IO;

    weft_rcu_read_lock();
    if (address_space_translate(tcg_as, paddr, true, MEMTXATTRS_UNSPECIFIED,
                                &s) == MEMTX_OK && memory_region_is_ram(s.mr)) {
        t = memory_region_is_rom(s.mr) || s.readonly ? STORE_ROM : STORE_RAM;
    }
    weft_rcu_read_unlock();
    return t;
}

static void scan_dma_code_writes(void);

static bool tcg_io_write(CPUState *cpu, uint64_t paddr, unsigned size,
                         uint64_t val)
{
    StoreTarget target = store_target(paddr);
    unsigned long gen;
    MemTxResult r;

    switch (target) {
    case STORE_ROM:
        /* CPU stores to ROM are dropped silently, as on real boards. */
        return true;
    case STORE_RAM:
    case STORE_IO:
        break;
    }
    gen = atomic_read(&view_generation);
    if (target == STORE_RAM) {
        /* Logged RAM (see tcg_phys_to_host): a code write like any other,
         * so no block of the old bytes may outlive the store. */
        tb_code_write_begin(paddr, paddr + size);
    }
    r = address_space_store(tcg_as, paddr, size, DEVICE_NATIVE_ENDIAN,
                            MEMTXATTRS_UNSPECIFIED, val);
    if (target == STORE_RAM) {
        tb_code_write_end(paddr, paddr + size);
    }
    revalidate_tlb(cpu, gen);
    if (target == STORE_IO) {
        /* The device may have written guest memory synchronously (HTIF
         * syscalls, a DMA engine started by this write). */
        scan_dma_code_writes();
    }
    return r == MEMTX_OK;
}

const TCGMemoryOps tcg_accel_memory_ops = {
    .phys_to_host = tcg_phys_to_host,
    .io_read = tcg_io_read,
    .io_write = tcg_io_write,
};

/* ---- DMA writes into code pages
 *
 * CPU stores to code pages are caught by TLB_NOTDIRTY.  Device writes
 * (address_space_write) do not go through the TLB; the memory core marks
 * them in the CODE dirty bitmap of regions that log for it.  A page's
 * CODE bit is cleared when the translator first reads code from it, before
 * the fetch (code_page_hook), so
 * a set bit on a page with code means "written by a device since it was
 * translated".  Each vCPU scans the bitmaps when it enters exec and
 * invalidates such pages.  A guest learns that DMA finished through an
 * interrupt (which kicks the vCPU, so exec is entered again) before it
 * jumps into the new code. */

/* page: index of a target page in w's RAM block, inside w's range. */
static void scan_code_page(const WatchedRam *w, uint64_t page)
{
    /* The page's address where this range maps the block; a page cut by
     * the range's edges is still invalidated whole. */
    hwaddr paddr = ((w->addr - w->offset_within_region) & TARGET_PAGE_MASK) +
                   (page << TARGET_PAGE_BITS);

    if (tb_page_has_code(paddr)) {
        tb_invalidate_phys_range(paddr, paddr + TARGET_PAGE_SIZE);
        atomic_fetch_add_relaxed(&tcg_accel_stats.dma_code_invalidations, 1);
    }
}

/* Bits first..last (inclusive) of word index i, as a mask. */
static unsigned long word_mask(uint64_t i, uint64_t first, uint64_t last)
{
    uint64_t lo = MAX(first, i * DIRTY_BITS_PER_WORD);
    uint64_t hi = MIN(last, (i + 1) * DIRTY_BITS_PER_WORD - 1);
    unsigned n = hi - lo + 1;
    unsigned long ones = n == DIRTY_BITS_PER_WORD ? ~0ul : (1ul << n) - 1;

    return ones << (lo % DIRTY_BITS_PER_WORD);
}

/* Only the bits of w's pages are taken: one RAM block may show up in
 * several ranges (a device window cuts it), each scanned on its own. */
static void scan_watched_ram(const WatchedRam *w)
{
    RAMBlock *rb = memory_region_get_ram_block(w->mr);
    unsigned long *bitmap;
    uint64_t first, last;

    if (!rb || !w->size) {
        return;
    }
    bitmap = rb->dirty[DIRTY_CLIENT_CODE];
    first = w->offset_within_region >> TARGET_PAGE_BITS;
    last = (w->offset_within_region + w->size - 1) >> TARGET_PAGE_BITS;
    for (uint64_t i = first / DIRTY_BITS_PER_WORD;
         i <= last / DIRTY_BITS_PER_WORD; i++) {
        unsigned long mask = word_mask(i, first, last), bits;

        if (!(atomic_read(&bitmap[i]) & mask)) {
            continue;
        }
        bits = __atomic_fetch_and(&bitmap[i], ~mask, __ATOMIC_SEQ_CST) & mask;
        while (bits) {
            unsigned b = __builtin_ctzl(bits);

            bits &= bits - 1;
            scan_code_page(w, i * DIRTY_BITS_PER_WORD + b);
        }
    }
}

static void scan_dma_code_writes(void)
{
    tcg_accel_check_dma_code_writes();
}

void tcg_accel_check_dma_code_writes(void)
{
    WatchedRamSet *set = weft_rcu_dereference(watched_set);

    for (unsigned i = 0; set && i < set->nr; i++) {
        scan_watched_ram(&set->ram[i]);
    }
}

/* Under tb_pages_lock, on the translating vCPU (online reader). */
static void code_page_hook(uint64_t page)
{
    MemoryRegionSection s;

    weft_rcu_read_lock();
    if (address_space_translate(tcg_as, page, false, MEMTXATTRS_UNSPECIFIED,
                                &s) == MEMTX_OK &&
        memory_region_is_ram(s.mr)) {
        memory_region_reset_dirty(s.mr, s.offset_within_region,
                                  TARGET_PAGE_SIZE, DIRTY_CLIENT_CODE);
    }
    weft_rcu_read_unlock();
    tlb_protect_code_page(page);
}

/* ---- the listener: TLB flushes on view changes, watched RAM */

static void flush_tlb_work(CPUState *cpu, void *data)
{
    tlb_flush(cpu);
    atomic_fetch_add_relaxed(&tcg_accel_stats.view_flushes, 1);
}

static void watched_add(MemoryListener *l, MemoryRegionSection *s)
{
    if (!memory_region_is_ram(s->mr) ||
        !(memory_region_get_dirty_log_mask(s->mr) &
          (1u << DIRTY_CLIENT_CODE))) {
        return;
    }
    if (nr_watched == MAX_WATCHED_RAM) {
        return;     /* documented limit: further ranges are not watched */
    }
    watched[nr_watched++] = (WatchedRam) {
        .mr = s->mr,
        .offset_within_region = s->offset_within_region,
        .addr = s->offset_within_address_space,
        .size = s->size,
    };
    watched_changed = true;
}

static void watched_del(MemoryListener *l, MemoryRegionSection *s)
{
    for (unsigned i = 0; i < nr_watched; i++) {
        if (watched[i].mr == s->mr &&
            watched[i].addr == s->offset_within_address_space) {
            watched[i] = watched[--nr_watched];
            watched_changed = true;
            return;
        }
    }
}

static void watched_log(MemoryListener *l, MemoryRegionSection *s,
                        unsigned old_mask, unsigned new_mask)
{
    watched_del(l, s);
    watched_add(l, s);
}

static void free_watched_set(RcuHead *head)
{
    free(container_of(head, WatchedRamSet, rcu));
}

static void publish_watched(void)
{
    WatchedRamSet *set, *old;

    if (!watched_changed) {
        return;
    }
    watched_changed = false;
    set = malloc(sizeof(*set) + nr_watched * sizeof(set->ram[0]));
    if (!set) {
        abort();
    }
    set->nr = nr_watched;
    memcpy(set->ram, watched, nr_watched * sizeof(watched[0]));
    old = watched_set;
    weft_rcu_assign_pointer(watched_set, set);
    if (old) {
        weft_call_rcu(&old->rcu, free_watched_set);
    }
}

/* BQL.  The new view is published after the listeners return, still
 * under the BQL; each flush runs as a work item, i.e. after the vCPU
 * took the BQL, so it happens after the publication and every later
 * fill sees the new view.  The vCPU leaves guest code at its next block
 * (the item kicks it), and does not report a quiescent state before
 * leaving guest code, so old RAM stays mapped until the flush. */
static void tcg_listener_commit(MemoryListener *l)
{
    CPUState *cpu;

    assert(bql_locked());
    atomic_fetch_inc(&view_generation);
    publish_watched();
    CPU_FOREACH(cpu) {
        if (cpu->ops == &tcg_accel_ops) {
            async_run_on_cpu(cpu, flush_tlb_work, NULL);
        }
    }
}

static MemoryListener tcg_listener = {
    .name = "tcg",
    .commit = tcg_listener_commit,
    .region_add = watched_add,
    .region_del = watched_del,
    .log_start = watched_log,
    .log_stop = watched_log,
};

void tcg_accel_init(AddressSpace *as)
{
    assert(bql_locked());
    assert(!tcg_as);
    tcg_as = as;
    tcg_set_memory_ops(&tcg_accel_memory_ops);
    tb_set_code_page_hook(code_page_hook);
    memory_listener_register(&tcg_listener, as);
}

/* ---- AccelOps */

static void tcg_accel_thread_init(CPUState *cpu)
{
    tcg_cpu_init(cpu);
}

static void tcg_accel_thread_exit(CPUState *cpu)
{
    tcg_cpu_exit(cpu);
}

/* Called by the vCPU loop between cpu_exec_start() and cpu_exec_end(). */
static int tcg_accel_exec(CPUState *cpu)
{
    scan_dma_code_writes();
    return tcg_cpu_exec(cpu);
}

/* Written once before any vCPU exists (tcg_accel_set_has_work). */
static bool (*arch_has_work)(CPUState *cpu);

void tcg_accel_set_has_work(bool (*has_work)(CPUState *cpu))
{
    arch_has_work = has_work;
}

/* Whatever makes the architecture's condition true kicks the vCPU
 * (docs/threading.md §5).  Default: any interrupt_request bit. */
static bool tcg_accel_has_work(CPUState *cpu)
{
    if (arch_has_work) {
        return arch_has_work(cpu);
    }
    return atomic_read(&cpu->interrupt_request) != 0;
}

/* Guest code polls exit_request at every block entry, which cpu_kick()
 * already set: nothing more to interrupt. */
static void tcg_accel_kick(CPUState *cpu)
{
}

const AccelOps tcg_accel_ops = {
    .name = "tcg",
    .thread_init = tcg_accel_thread_init,
    .thread_exit = tcg_accel_thread_exit,
    .exec = tcg_accel_exec,
    .has_work = tcg_accel_has_work,
    .kick = tcg_accel_kick,
};
