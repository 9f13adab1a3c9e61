/* Softmmu slow paths: TLB fill, I/O dispatch through TCGMemoryOps,
 * writes to pages holding code, page-crossing and misaligned accesses,
 * flushes.  The fast path is inlined in the backends (see softmmu.h).
 *
 * Tags are accessed atomically because tlb_protect_code_page() (any
 * thread) may set TLB_NOTDIRTY in another vCPU's write tags.  The
 * protocol against a concurrent refill of the same entry: the filler
 * stores paddr then the write tag (seq_cst) then reads the code bitmap
 * (seq_cst); the protector sets the bitmap bit (seq_cst) then reads tags
 * and paddrs.  One of them sees the other, so no write entry to a code
 * page stays on the fast path.
 */
#include <assert.h>
#include <endian.h>
#include <string.h>

#include "tcg/softmmu.h"
#include "tcg/tb.h"
#include "tcg/tcg.h"
#include "util/host-mem.h"

#define atomic_load_sc(p)     __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define atomic_store_sc(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)

static const TCGMemoryOps *mem_ops;
TCGSoftmmuStats tcg_softmmu_stats;

void tcg_set_memory_ops(const TCGMemoryOps *ops)
{
    atomic_store_release(&mem_ops, ops);
}

static CPUTLBDesc *tlb_desc(CPUState *cpu, int mmu_idx)
{
    assert(mmu_idx >= 0 && mmu_idx < TCG_NB_MMU_MODES);
    return &tcg_cpu_state(cpu)->tlb.d[mmu_idx];
}

static void tlb_entry_invalidate(CPUTLBEntry *e)
{
    atomic_set(&e->addr_read, TLB_INVALID);
    atomic_set(&e->addr_write, TLB_INVALID);
    atomic_set(&e->addr_code, TLB_INVALID);
}

static bool tag_matches_page(uint64_t tag, uint64_t page)
{
    return tag != TLB_INVALID && (tag & TCG_PAGE_MASK) == page;
}

/* Widens the index's large-page region until it covers the mapping of
 * 1 << page_bits bytes at vaddr. */
static void tlb_add_large_page(CPUTLBDesc *d, uint64_t vaddr,
                               unsigned page_bits)
{
    uint64_t mask = page_bits >= 64 ? 0 : ~((1ull << page_bits) - 1);

    if (d->has_large_page) {
        mask &= d->large_page_mask;
        while ((d->large_page_addr ^ vaddr) & mask) {
            mask <<= 1;
        }
    }
    d->has_large_page = true;
    d->large_page_addr = vaddr & mask;
    d->large_page_mask = mask;
}

void tlb_set_page_sized(CPUState *cpu, uint64_t vaddr, uint64_t paddr,
                        int prot, int mmu_idx, unsigned page_bits)
{
    if (page_bits > TCG_PAGE_BITS) {
        tlb_add_large_page(tlb_desc(cpu, mmu_idx), vaddr, page_bits);
    }
    tlb_set_page(cpu, vaddr, paddr, prot, mmu_idx);
}

void tlb_set_page(CPUState *cpu, uint64_t vaddr, uint64_t paddr, int prot,
                  int mmu_idx)
{
    CPUTLBDesc *d = tlb_desc(cpu, mmu_idx);
    unsigned i = tlb_index(vaddr);
    CPUTLBEntry *e = &d->table[i];
    uint64_t page = vaddr & TCG_PAGE_MASK, ppage = paddr & TCG_PAGE_MASK;
    const TCGMemoryOps *ops = atomic_load_acquire(&mem_ops);
    bool writable = false;
    void *host = ops ? ops->phys_to_host(cpu, ppage, &writable) : NULL;
    uint64_t io = host ? 0 : TLB_MMIO;
    uint64_t wtag;

    if (prot & PAGE_REFILL) {
        io |= TLB_REFILL;
    }
    atomic_fetch_add_relaxed(&tcg_softmmu_stats.fills, 1);
    tlb_entry_invalidate(e);
    atomic_set(&d->full[i].paddr, ppage);
    d->full[i].prot = prot;
    e->addend = host ? (uintptr_t)host - (uintptr_t)page : 0;
    atomic_set(&e->addr_read, prot & PAGE_READ ? page | io : TLB_INVALID);
    atomic_set(&e->addr_code, prot & PAGE_EXEC ? page | io : TLB_INVALID);
    if (!(prot & PAGE_WRITE)) {
        return;
    }
    wtag = page | io | (writable ? 0 : TLB_MMIO);
    atomic_store_sc(&e->addr_write, wtag);
    if (!(wtag & TLB_MMIO) && tb_page_has_code(ppage)) {
        __atomic_fetch_or(&e->addr_write, TLB_NOTDIRTY, __ATOMIC_SEQ_CST);
    }
}

static void protect_in_cpu(TCGCPUState *ts, void *opaque)
{
    uint64_t page = *(uint64_t *)opaque;

    for (int m = 0; m < TCG_NB_MMU_MODES; m++) {
        CPUTLBDesc *d = &ts->tlb.d[m];

        for (unsigned i = 0; i < TCG_TLB_ENTRIES; i++) {
            uint64_t tag = atomic_load_sc(&d->table[i].addr_write);

            if (tag != TLB_INVALID && !(tag & TLB_MMIO) &&
                atomic_read(&d->full[i].paddr) == page) {
                __atomic_fetch_or(&d->table[i].addr_write, TLB_NOTDIRTY,
                                  __ATOMIC_SEQ_CST);
            }
        }
    }
}

void tlb_protect_code_page(uint64_t paddr)
{
    uint64_t page = paddr & TCG_PAGE_MASK;

    tcg_for_each_cpu_state(protect_in_cpu, &page);
}

/* ---- flushes */

static void tlb_flush_desc(CPUTLBDesc *d)
{
    for (unsigned i = 0; i < TCG_TLB_ENTRIES; i++) {
        tlb_entry_invalidate(&d->table[i]);
    }
    d->has_large_page = false;
}

void tlb_flush_by_mmuidx(CPUState *cpu, uint16_t idxmap)
{
    TCGCPUState *ts = tcg_cpu_state(cpu);

    for (int m = 0; m < TCG_NB_MMU_MODES; m++) {
        if (idxmap & (1u << m)) {
            tlb_flush_desc(&ts->tlb.d[m]);
        }
    }
    tb_jmp_cache_clear(ts);
}

void tlb_flush(CPUState *cpu)
{
    tlb_flush_by_mmuidx(cpu, (1u << TCG_NB_MMU_MODES) - 1);
}

void tlb_flush_page_by_mmuidx(CPUState *cpu, uint64_t addr, uint16_t idxmap)
{
    TCGCPUState *ts = tcg_cpu_state(cpu);
    uint64_t page = addr & TCG_PAGE_MASK;
    unsigned i = tlb_index(addr);

    for (int m = 0; m < TCG_NB_MMU_MODES; m++) {
        CPUTLBDesc *d = &ts->tlb.d[m];
        CPUTLBEntry *e = &d->table[i];

        if (!(idxmap & (1u << m))) {
            continue;
        }
        if (d->has_large_page &&
            (addr & d->large_page_mask) == d->large_page_addr) {
            /* The rest of that mapping is in other entries. */
            tlb_flush_desc(d);
        } else if (tag_matches_page(atomic_read(&e->addr_read), page) ||
                   tag_matches_page(atomic_read(&e->addr_write), page) ||
                   tag_matches_page(atomic_read(&e->addr_code), page)) {
            tlb_entry_invalidate(e);
        }
    }
    /* Blocks found by virtual pc on that page may now be elsewhere. */
    tb_jmp_cache_clear(ts);
}

void tlb_flush_page(CPUState *cpu, uint64_t addr)
{
    tlb_flush_page_by_mmuidx(cpu, addr, (1u << TCG_NB_MMU_MODES) - 1);
}

/* ---- slow paths */

static uint64_t tag_of(const CPUTLBEntry *e, MMUAccessType type)
{
    switch (type) {
    case MMU_DATA_LOAD:
        return atomic_read(&e->addr_read);
    case MMU_DATA_STORE:
        return atomic_read(&e->addr_write);
    default:
        return atomic_read(&e->addr_code);
    }
}

/* Makes sure the entry of addr is valid for type; returns it, or NULL
 * after the architecture raised. */
static CPUTLBEntry *tlb_entry_for(CPUState *cpu, uint64_t addr,
                                  unsigned size, MMUAccessType type,
                                  int mmu_idx, uint64_t *tag)
{
    CPUTLBDesc *d = tlb_desc(cpu, mmu_idx);
    CPUTLBEntry *e = &d->table[tlb_index(addr)];
    uint64_t page = addr & TCG_PAGE_MASK;

    *tag = tag_of(e, type);
    if (!tag_matches_page(*tag, page) || (*tag & TLB_REFILL)) {
        if (!tcg_cpu_ops->tlb_fill(cpu, addr, (int)size, type, mmu_idx,
                                   false)) {
            return NULL;
        }
        *tag = tag_of(e, type);
        /* tlb_fill must have mapped the page */
        assert(tag_matches_page(*tag, page));
    }
    return e;
}

static uint64_t entry_paddr(CPUState *cpu, int mmu_idx, uint64_t addr)
{
    return atomic_read(&tlb_desc(cpu, mmu_idx)->full[tlb_index(addr)].paddr) |
           (addr & ~TCG_PAGE_MASK);
}

static void transaction_failed(CPUState *cpu, uint64_t paddr, uint64_t addr,
                               MMUAccessType type, int mmu_idx, bool *ok)
{
    if (tcg_cpu_ops->do_transaction_failed) {
        tcg_cpu_ops->do_transaction_failed(cpu, paddr, addr, type, mmu_idx);
        *ok = tcg_cpu_state(cpu)->exception_index == EXCP_NONE;
    }
}

static bool unaligned(CPUState *cpu, uint64_t addr, MMUAccessType type,
                      int mmu_idx)
{
    if (tcg_cpu_ops->do_unaligned_access) {
        tcg_cpu_ops->do_unaligned_access(cpu, addr, type, mmu_idx);
    } else {
        tcg_raise_exception(cpu, EXCP_DEBUG);
    }
    return false;
}

/* An access within one page. */
static bool ld_page(CPUState *cpu, uint64_t addr, unsigned size,
                    MMUAccessType type, int mmu_idx, uint64_t *val)
{
    uint64_t tag;
    CPUTLBEntry *e = tlb_entry_for(cpu, addr, size, type, mmu_idx, &tag);
    bool ok = true;

    if (!e) {
        return false;
    }
    if (tag & TLB_MMIO) {
        const TCGMemoryOps *ops = atomic_load_acquire(&mem_ops);
        uint64_t paddr = entry_paddr(cpu, mmu_idx, addr);

        atomic_fetch_add_relaxed(&tcg_softmmu_stats.io_accesses, 1);
        *val = 0;
        if (!ops || !ops->io_read(cpu, paddr, size, val)) {
            *val = 0;
            transaction_failed(cpu, paddr, addr, type, mmu_idx, &ok);
        }
        return ok;
    }
    *val = ldn_le_p((void *)(uintptr_t)(addr + e->addend), size);
    return true;
}

static bool st_page(CPUState *cpu, uint64_t addr, unsigned size,
                    int mmu_idx, uint64_t val)
{
    uint64_t tag;
    CPUTLBEntry *e = tlb_entry_for(cpu, addr, size, MMU_DATA_STORE, mmu_idx,
                                   &tag);
    uint64_t paddr;
    bool ok = true;

    if (!e) {
        return false;
    }
    paddr = entry_paddr(cpu, mmu_idx, addr);
    if (tag & TLB_MMIO) {
        const TCGMemoryOps *ops = atomic_load_acquire(&mem_ops);

        atomic_fetch_add_relaxed(&tcg_softmmu_stats.io_accesses, 1);
        if (!ops || !ops->io_write(cpu, paddr, size, val)) {
            transaction_failed(cpu, paddr, addr, MMU_DATA_STORE, mmu_idx, &ok);
        }
        return ok;
    }
    if (tag & TLB_NOTDIRTY) {
        /* No vCPU may find or publish a block of the old code once the
         * new bytes may be visible. */
        atomic_fetch_add_relaxed(&tcg_softmmu_stats.code_writes, 1);
        tb_code_write_begin(paddr, paddr + size);
        stn_le_p((void *)(uintptr_t)(addr + e->addend), size, val);
        tb_code_write_end(paddr, paddr + size);
        if (!tb_page_has_code(paddr)) {
            atomic_cmpxchg(&e->addr_write, tag, tag & ~(uint64_t)TLB_NOTDIRTY);
        }
        return true;
    }
    stn_le_p((void *)(uintptr_t)(addr + e->addend), size, val);
    return true;
}

static uint64_t extend(uint64_t v, unsigned size, bool sign)
{
    unsigned shift = 64 - 8 * size;

    if (!sign || size == 8) {
        return v;
    }
    return (uint64_t)((int64_t)(v << shift) >> shift);
}

static bool crosses_page(uint64_t addr, unsigned size)
{
    return (addr & ~TCG_PAGE_MASK) + size > TCG_PAGE_SIZE;
}

static bool ld_any(CPUState *cpu, uint64_t addr, unsigned size,
                   MMUAccessType type, int mmu_idx, uint64_t *val)
{
    uint64_t v = 0;

    if (!crosses_page(addr, size)) {
        return ld_page(cpu, addr, size, type, mmu_idx, val);
    }
    /* Byte by byte: each byte's page is filled (and may fault) in turn. */
    for (unsigned i = 0; i < size; i++) {
        uint64_t b;

        if (!ld_page(cpu, addr + i, 1, type, mmu_idx, &b)) {
            return false;
        }
        v |= b << (8 * i);
    }
    *val = v;
    return true;
}

bool tcg_softmmu_ld(CPUState *cpu, uint64_t addr, unsigned mop, int mmu_idx,
                    uint64_t *val)
{
    unsigned size = memop_size(mop);

    if ((mop & MO_ALIGN) && (addr & (size - 1))) {
        return unaligned(cpu, addr, MMU_DATA_LOAD, mmu_idx);
    }
    if (!ld_any(cpu, addr, size, MMU_DATA_LOAD, mmu_idx, val)) {
        return false;
    }
    *val = extend(*val, size, mop & MO_SIGN);
    return true;
}

bool tcg_softmmu_st(CPUState *cpu, uint64_t addr, unsigned mop, int mmu_idx,
                    uint64_t val)
{
    unsigned size = memop_size(mop);
    uint64_t tag;

    if ((mop & MO_ALIGN) && (addr & (size - 1))) {
        return unaligned(cpu, addr, MMU_DATA_STORE, mmu_idx);
    }
    if (!crosses_page(addr, size)) {
        return st_page(cpu, addr, size, mmu_idx, val);
    }
    /* Probe both pages first so that a fault on the second page leaves
     * the first one unmodified. */
    if (!tlb_entry_for(cpu, addr, 1, MMU_DATA_STORE, mmu_idx, &tag) ||
        !tlb_entry_for(cpu, addr + size - 1, 1, MMU_DATA_STORE, mmu_idx,
                       &tag)) {
        return false;
    }
    for (unsigned i = 0; i < size; i++) {
        if (!st_page(cpu, addr + i, 1, mmu_idx, val >> (8 * i))) {
            return false;
        }
    }
    return true;
}

uint64_t get_page_addr_code(CPUState *cpu, uint64_t addr)
{
    int mmu_idx = tcg_cpu_ops->mmu_index(cpu, true);
    uint64_t tag;

    if (!tlb_entry_for(cpu, addr, 1, MMU_INST_FETCH, mmu_idx, &tag)) {
        return UINT64_MAX;
    }
    return entry_paddr(cpu, mmu_idx, addr);
}

uint64_t tcg_probe_code_page(CPUState *cpu, uint64_t addr)
{
    int mmu_idx = tcg_cpu_ops->mmu_index(cpu, true);
    CPUTLBEntry *e = &tlb_desc(cpu, mmu_idx)->table[tlb_index(addr)];
    uint64_t tag = atomic_read(&e->addr_code);
    bool hit = tag_matches_page(tag, addr & TCG_PAGE_MASK) &&
               !(tag & TLB_REFILL);

    if (!hit &&
        !tcg_cpu_ops->tlb_fill(cpu, addr, 1, MMU_INST_FETCH, mmu_idx, true)) {
        return UINT64_MAX;
    }
    return entry_paddr(cpu, mmu_idx, addr) & TCG_PAGE_MASK;
}

bool tcg_code_ld(CPUState *cpu, uint64_t addr, unsigned size, uint64_t *val)
{
    return ld_any(cpu, addr, size, MMU_INST_FETCH,
                  tcg_cpu_ops->mmu_index(cpu, true), val);
}
