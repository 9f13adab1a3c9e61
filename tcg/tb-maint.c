/* The code cache: buffer allocation, the TB hash table, page lists and
 * the "page has code" bitmap, chaining and unchaining, invalidation, the
 * full flush, the per-vCPU jump caches and the registry of vCPUs.
 *
 * Locks (order as listed; see also tcg/tb.h):
 *  - translate_lock protects tcg_ctx, the optimiser's and backends'
 *    static state, and the code buffer's allocation pointer.  Held for
 *    a whole translation; lookups never take it.
 *  - pages_lock protects the page descriptors (TB lists per physical
 *    page), insertion into and removal from the hash table, and writes
 *    of the code bitmap.  Never held while translating: translation
 *    reads guest memory, which may write page tables (A/D bits), which
 *    may invalidate code and take this lock.
 *  - jmp_lock protects every TB's jmp_dest, jmp_list_* and jump slots,
 *    and the transition to CF_INVALID.
 *  - cpus_lock protects the vCPU registry; a leaf.
 *
 * Writes racing with translation.  A block must not be published from
 * bytes older than a store that completed before the publication: a hart
 * that sees the store (a flag written after it), runs fence.i (which just
 * ends the block) and jumps to the code must find the new bytes.  So:
 *  - the translator marks each page as code before reading it
 *    (tb_mark_code_page: later stores there take the slow path) and
 *    notes the page's write count (PageDesc.write_seq);
 *  - a store to a code page runs inside tb_code_write_begin/end:
 *    pages_lock held, blocks invalidated, the bytes stored, then the
 *    page's write count bumped;
 *  - tb_link (pages_lock) publishes only if the counts of the block's
 *    pages have not moved.  A block linked before the store is
 *    invalidated by it; one linked after was translated across it: it
 *    is thrown away and translated again (twice at most; then the
 *    caller runs it once unpublished, which is still correct: its fetch
 *    preceded the store).
 * Every CPU-side writer (softmmu stores, AMOs, A/D updates, stores to
 * logged RAM) uses the pair.  tb_invalidate_phys_range is for writes
 * that already happened (device DMA found in the dirty bitmap): it
 * invalidates and bumps the counts with nothing stored in between.
 */
#include <assert.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <urcu/urcu-qsbr.h>
#include <urcu/rculfhash.h>

#include "tcg/tb.h"
#include "tcg/tcg.h"
#include "tcg/translator.h"
#include "util/log.h"
#include "util/rcu.h"

#ifdef WEFT_TSAN
/* liburcu is not instrumented: model publication through the hash table
 * and the code buffer as release (insert) / acquire (lookup) on the TB. */
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define TSAN_PUBLISH(p) __tsan_release(p)
#define TSAN_OBTAIN(p)  __tsan_acquire(p)
#else
#define TSAN_PUBLISH(p) do { } while (0)
#define TSAN_OBTAIN(p)  do { } while (0)
#endif

const TCGCPUOps *tcg_cpu_ops;
const TCGBackend *tcg_backend;
TCGStats tcg_stats;

static pthread_mutex_t translate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t pages_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t jmp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cpus_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- code buffer (translate_lock) */

static struct {
    uint8_t *base;
    size_t size;
    size_t used;            /* atomic reads for statistics */
} code_buf;

static unsigned flush_count;

void tcg_code_cache_init(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (p == MAP_FAILED) {
        error_report("tcg: cannot map a %zu-byte code cache", size);
        abort();
    }
    code_buf.base = p;
    code_buf.size = size;
    code_buf.used = 0;
}

void *tcg_code_alloc(size_t size, size_t align)
{
    size_t start = (code_buf.used + align - 1) & ~(align - 1);

    if (start + size > code_buf.size) {
        return NULL;
    }
    atomic_set(&code_buf.used, start + size);
    return code_buf.base + start;
}

size_t tb_code_used(void)
{
    return atomic_read(&code_buf.used);
}

unsigned tb_flush_count(void)
{
    return atomic_load_acquire(&flush_count);
}

/* ---- vCPU registry (cpus_lock) */

static TCGCPUState **cpu_states;
static unsigned nb_cpu_states, cpu_states_cap;

/* Jump cache: direct-mapped by virtual pc. */
#define TB_JMP_CACHE_BITS 12
#define TB_JMP_CACHE_SIZE (1u << TB_JMP_CACHE_BITS)

struct TBJmpCache {
    TranslationBlock *array[TB_JMP_CACHE_SIZE];
};

static unsigned tb_jmp_cache_hash(uint64_t pc)
{
    return (unsigned)((pc >> 1) ^ (pc >> (TB_JMP_CACHE_BITS + 1))) &
           (TB_JMP_CACHE_SIZE - 1);
}

void tb_jmp_cache_clear(TCGCPUState *ts)
{
    for (unsigned i = 0; i < TB_JMP_CACHE_SIZE; i++) {
        atomic_set(&ts->jmp_cache->array[i], NULL);
    }
}

void tcg_cpu_init(CPUState *cpu)
{
    TCGCPUState *ts = tcg_cpu_state(cpu);

    ts->env = tcg_cpu_env(cpu);
    ts->cpu = cpu;
    ts->exception_index = EXCP_NONE;
    ts->fault_pc = 0;
    ts->jmp_cache = calloc(1, sizeof(*ts->jmp_cache));
    if (!ts->jmp_cache) {
        abort();
    }
    for (int m = 0; m < TCG_NB_MMU_MODES; m++) {
        for (unsigned i = 0; i < TCG_TLB_ENTRIES; i++) {
            CPUTLBEntry *e = &ts->tlb.d[m].table[i];

            e->addr_read = e->addr_write = e->addr_code = TLB_INVALID;
            ts->tlb.d[m].full[i].paddr = UINT64_MAX;
        }
    }
    pthread_mutex_lock(&cpus_lock);
    if (nb_cpu_states == cpu_states_cap) {
        cpu_states_cap = cpu_states_cap ? 2 * cpu_states_cap : 8;
        cpu_states = realloc(cpu_states, cpu_states_cap * sizeof(*cpu_states));
        if (!cpu_states) {
            abort();
        }
    }
    cpu_states[nb_cpu_states++] = ts;
    pthread_mutex_unlock(&cpus_lock);
}

void tcg_cpu_exit(CPUState *cpu)
{
    TCGCPUState *ts = tcg_cpu_state(cpu);

    pthread_mutex_lock(&cpus_lock);
    for (unsigned i = 0; i < nb_cpu_states; i++) {
        if (cpu_states[i] == ts) {
            cpu_states[i] = cpu_states[--nb_cpu_states];
            break;
        }
    }
    pthread_mutex_unlock(&cpus_lock);
    free(ts->jmp_cache);
    ts->jmp_cache = NULL;
}

void tcg_for_each_cpu_state(void (*fn)(TCGCPUState *ts, void *opaque),
                            void *opaque)
{
    pthread_mutex_lock(&cpus_lock);
    for (unsigned i = 0; i < nb_cpu_states; i++) {
        fn(cpu_states[i], opaque);
    }
    pthread_mutex_unlock(&cpus_lock);
}

static void jmp_cache_remove(TCGCPUState *ts, void *opaque)
{
    TranslationBlock *tb = opaque;
    unsigned h = tb_jmp_cache_hash(tb->pc);

    atomic_cmpxchg(&ts->jmp_cache->array[h], tb, NULL);
}

/* ---- hash table */

static struct cds_lfht *tb_htable;

typedef struct TBKey {
    uint64_t phys_pc, pc, cs_base;
    uint32_t flags;
} TBKey;

static uint32_t tb_hash(const TBKey *k)
{
    uint64_t h = k->phys_pc * 0x9e3779b97f4a7c15ull;

    h ^= (k->pc + (h << 6) + (h >> 2)) * 0xc2b2ae3d27d4eb4full;
    h ^= (k->cs_base ^ ((uint64_t)k->flags << 32)) * 0x165667b19e3779f9ull;
    h ^= h >> 29;
    return (uint32_t)(h ^ (h >> 32));
}

static struct cds_lfht_node *tb_node(TranslationBlock *tb)
{
    return (struct cds_lfht_node *)tb->hash_node;
}

static TranslationBlock *node_tb(struct cds_lfht_node *node)
{
    return container_of((uintptr_t *)node, TranslationBlock, hash_node[0]);
}

_Static_assert(sizeof(struct cds_lfht_node) <=
               sizeof(((TranslationBlock *)0)->hash_node),
               "TranslationBlock.hash_node too small");

static int tb_match(struct cds_lfht_node *node, const void *key)
{
    TranslationBlock *tb = node_tb(node);
    const TBKey *k = key;

    TSAN_OBTAIN(tb);
    return tb->phys_pc == k->phys_pc && tb->pc == k->pc &&
           tb->cs_base == k->cs_base && tb->flags == k->flags;
}

/* Does tb's second page, if any, still map where it did? */
static bool tb_page2_matches(CPUState *cpu, const TranslationBlock *tb)
{
    uint64_t virt2 = (tb->pc & TCG_PAGE_MASK) + TCG_PAGE_SIZE;

    return tb->page_addr[1] == UINT64_MAX ||
           tcg_probe_code_page(cpu, virt2) == tb->page_addr[1];
}

/* Caller is an online RCU reader.  Blocks with the same key may differ
 * in their second page: check each. */
static TranslationBlock *tb_htable_lookup(CPUState *cpu, const TBKey *k)
{
    struct cds_lfht_iter iter;
    struct cds_lfht_node *node;

    cds_lfht_lookup(tb_htable, tb_hash(k), tb_match, k, &iter);
    while ((node = cds_lfht_iter_get_node(&iter)) != NULL) {
        TranslationBlock *tb = node_tb(node);

        TSAN_OBTAIN(tb);
        if (!tb_is_invalid(tb) && tb_page2_matches(cpu, tb)) {
            return tb;
        }
        cds_lfht_next_duplicate(tb_htable, tb_match, k, &iter);
    }
    return NULL;
}

unsigned long tb_count(void)
{
    long before, after;
    unsigned long count;

    cds_lfht_count_nodes(tb_htable, &before, &count, &after);
    return count;
}

/* ---- pages (pages_lock) */

#define PAGE_HASH_BITS 14

typedef struct PageDesc {
    uint64_t page;
    uintptr_t first;            /* tagged list: tb | slot */
    unsigned long write_seq;    /* code writes and invalidations done */
    struct PageDesc *next;
} PageDesc;

static PageDesc *page_hash[1u << PAGE_HASH_BITS];

static unsigned page_hash_idx(uint64_t page)
{
    return (unsigned)(((page >> TCG_PAGE_BITS) * 0x9e3779b97f4a7c15ull) >>
                      (64 - PAGE_HASH_BITS));
}

static PageDesc *page_find(uint64_t page, bool alloc)
{
    PageDesc **head = &page_hash[page_hash_idx(page)];
    PageDesc *pd;

    for (pd = *head; pd; pd = pd->next) {
        if (pd->page == page) {
            return pd;
        }
    }
    if (!alloc) {
        return NULL;
    }
    pd = calloc(1, sizeof(*pd));
    if (!pd) {
        abort();
    }
    pd->page = page;
    pd->next = *head;
    *head = pd;
    return pd;
}

/* Code bitmap: two levels over page numbers below 2^36 (48-bit physical
 * addresses); L2 bitmaps are allocated on first use and kept.  Pages
 * beyond report "has code" so that writes there stay on the slow path. */
#define CODE_L2_BITS 18
#define CODE_L1_SIZE (1u << (36 - CODE_L2_BITS))
#define CODE_L2_WORDS ((1u << CODE_L2_BITS) / 64)

static unsigned long *code_bitmap[CODE_L1_SIZE];

bool tb_page_has_code(uint64_t paddr)
{
    uint64_t pfn = paddr >> TCG_PAGE_BITS;
    unsigned long *l2;

    if (pfn >> 36) {
        return true;
    }
    l2 = atomic_load_acquire(&code_bitmap[pfn >> CODE_L2_BITS]);
    if (!l2) {
        return false;
    }
    pfn &= (1u << CODE_L2_BITS) - 1;
    return (__atomic_load_n(&l2[pfn / 64], __ATOMIC_SEQ_CST) >>
            (pfn % 64)) & 1;
}

/* Returns true if the bit was clear. */
static bool code_bitmap_set(uint64_t page)
{
    uint64_t pfn = page >> TCG_PAGE_BITS;
    unsigned long *l2, bit;

    if (pfn >> 36) {
        return false;
    }
    l2 = code_bitmap[pfn >> CODE_L2_BITS];
    if (!l2) {
        l2 = calloc(CODE_L2_WORDS, sizeof(*l2));
        if (!l2) {
            abort();
        }
        atomic_store_release(&code_bitmap[pfn >> CODE_L2_BITS], l2);
    }
    pfn &= (1u << CODE_L2_BITS) - 1;
    bit = 1ul << (pfn % 64);
    return !(__atomic_fetch_or(&l2[pfn / 64], bit, __ATOMIC_SEQ_CST) & bit);
}

static void code_bitmap_clear(uint64_t page)
{
    uint64_t pfn = page >> TCG_PAGE_BITS;
    unsigned long *l2;

    if (pfn >> 36 || !(l2 = code_bitmap[pfn >> CODE_L2_BITS])) {
        return;
    }
    pfn &= (1u << CODE_L2_BITS) - 1;
    __atomic_fetch_and(&l2[pfn / 64], ~(1ul << (pfn % 64)), __ATOMIC_SEQ_CST);
}

static void default_code_page_hook(uint64_t page)
{
    tlb_protect_code_page(page);
}

static void (*code_page_hook)(uint64_t page) = default_code_page_hook;

void tb_set_code_page_hook(void (*hook)(uint64_t page))
{
    code_page_hook = hook ? hook : default_code_page_hook;
}

static void page_add_tb(TranslationBlock *tb, int n)
{
    PageDesc *pd = page_find(tb->page_addr[n], true);

    tb->page_next[n] = pd->first;
    pd->first = (uintptr_t)tb | n;
    if (code_bitmap_set(tb->page_addr[n])) {
        code_page_hook(tb->page_addr[n]);
    }
}

static void page_remove_tb(TranslationBlock *tb, int n)
{
    PageDesc *pd = page_find(tb->page_addr[n], false);
    uintptr_t *link;

    if (!pd) {
        return;
    }
    for (link = &pd->first; *link; ) {
        TranslationBlock *t = (TranslationBlock *)(*link & ~(uintptr_t)1);
        int m = *link & 1;

        if (t == tb && m == n) {
            *link = tb->page_next[n];
            break;
        }
        link = &t->page_next[m];
    }
    if (!pd->first) {
        code_bitmap_clear(pd->page);
    }
}

/* ---- chaining (jmp_lock) */

void tb_add_jump(TranslationBlock *tb, int n, TranslationBlock *dest)
{
    /* cflags is atomic: another thread may be setting CF_INVALID. */
    if (!tb->jmp_target_addr[n] || (atomic_read(&tb->cflags) & CF_NOCHAIN)) {
        return;
    }
    pthread_mutex_lock(&jmp_lock);
    if (!tb_is_invalid(tb) && !tb_is_invalid(dest) && !tb->jmp_dest[n]) {
        tb->jmp_dest[n] = (uintptr_t)dest;
        tb->jmp_list_next[n] = dest->jmp_list_head;
        dest->jmp_list_head = (uintptr_t)tb | n;
        tcg_backend->set_jmp_target(tb, n, (uintptr_t)dest->tc_ptr);
        atomic_fetch_add_relaxed(&tcg_stats.chains, 1);
    }
    pthread_mutex_unlock(&jmp_lock);
}

/* Removes (src, n) from dest's incoming list. */
static void jmp_list_remove(TranslationBlock *dest, TranslationBlock *src,
                            int n)
{
    uintptr_t *link = &dest->jmp_list_head;

    while (*link) {
        TranslationBlock *t = (TranslationBlock *)(*link & ~(uintptr_t)1);
        int m = *link & 1;

        if (t == src && m == n) {
            *link = src->jmp_list_next[n];
            return;
        }
        link = &t->jmp_list_next[m];
    }
}

/* Marks tb invalid and cuts every jump into and out of it. */
static void tb_jmp_unlink(TranslationBlock *tb)
{
    uintptr_t in;

    pthread_mutex_lock(&jmp_lock);
    __atomic_fetch_or(&tb->cflags, CF_INVALID, __ATOMIC_SEQ_CST);
    for (int n = 0; n < 2; n++) {
        TranslationBlock *dest = (TranslationBlock *)tb->jmp_dest[n];

        if (dest) {
            jmp_list_remove(dest, tb, n);
            tb->jmp_dest[n] = 0;
            tcg_backend->set_jmp_target(tb, n, tb->jmp_reset[n]);
        }
    }
    for (in = tb->jmp_list_head; in; ) {
        TranslationBlock *src = (TranslationBlock *)(in & ~(uintptr_t)1);
        int n = in & 1;

        tcg_backend->set_jmp_target(src, n, src->jmp_reset[n]);
        src->jmp_dest[n] = 0;
        in = src->jmp_list_next[n];
    }
    tb->jmp_list_head = 0;
    pthread_mutex_unlock(&jmp_lock);
}

/* ---- invalidation (pages_lock held) */

static void tb_phys_invalidate_locked(TranslationBlock *tb)
{
    if (tb_is_invalid(tb)) {
        return;
    }
    tb_jmp_unlink(tb);
    cds_lfht_del(tb_htable, tb_node(tb));
    page_remove_tb(tb, 0);
    if (tb->page_addr[1] != UINT64_MAX) {
        page_remove_tb(tb, 1);
    }
    tcg_for_each_cpu_state(jmp_cache_remove, tb);
    atomic_fetch_add_relaxed(&tcg_stats.invalidations, 1);
}

/* Guest physical range [start, end) of tb's code on its page slot n. */
static void tb_phys_range(const TranslationBlock *tb, int n,
                          uint64_t *start, uint64_t *end)
{
    uint64_t first_page_end = (tb->phys_pc & TCG_PAGE_MASK) + TCG_PAGE_SIZE;
    uint64_t len0 = MIN(tb->size, first_page_end - tb->phys_pc);

    if (n == 0) {
        *start = tb->phys_pc;
        *end = tb->phys_pc + MAX(len0, 1);
    } else {
        *start = tb->page_addr[1];
        *end = tb->page_addr[1] + (tb->size - len0);
    }
}

static void invalidate_page_range(uint64_t page, uint64_t start,
                                  uint64_t end)
{
    PageDesc *pd = page_find(page, false);
    uintptr_t it;

    if (!pd) {
        return;
    }
    for (it = pd->first; it; ) {
        TranslationBlock *tb = (TranslationBlock *)(it & ~(uintptr_t)1);
        int n = it & 1;
        uint64_t s, e;

        /* Read the next link before tb leaves the list. */
        it = tb->page_next[n];
        tb_phys_range(tb, n, &s, &e);
        if (s < end && start < e) {
            tb_phys_invalidate_locked(tb);
        }
    }
}

void tb_code_write_begin(uint64_t start, uint64_t end)
{
    uint64_t page;

    pthread_mutex_lock(&pages_lock);
    for (page = start & TCG_PAGE_MASK; page < end; page += TCG_PAGE_SIZE) {
        if (tb_page_has_code(page)) {
            invalidate_page_range(page, start, end);
        }
        if (page + TCG_PAGE_SIZE < page) {
            break;      /* wrapped at the top of the address space */
        }
    }
}

void tb_code_write_end(uint64_t start, uint64_t end)
{
    uint64_t page;
    PageDesc *pd;

    /* Blocks being translated from these pages will not be published. */
    for (page = start & TCG_PAGE_MASK; page < end; page += TCG_PAGE_SIZE) {
        pd = page_find(page, false);
        if (pd) {
            pd->write_seq++;
        }
        if (page + TCG_PAGE_SIZE < page) {
            break;
        }
    }
    pthread_mutex_unlock(&pages_lock);
}

void tb_invalidate_phys_range(uint64_t start, uint64_t end)
{
    if (start >= end) {
        return;
    }
    tb_code_write_begin(start, end);
    tb_code_write_end(start, end);
}

unsigned long tb_mark_code_page(uint64_t page)
{
    unsigned long seq;

    page &= TCG_PAGE_MASK;
    pthread_mutex_lock(&pages_lock);
    seq = page_find(page, true)->write_seq;
    if (code_bitmap_set(page)) {
        code_page_hook(page);
    }
    pthread_mutex_unlock(&pages_lock);
    /* The code is read after this, never before (unlock only orders what
     * precedes it). */
    smp_mb();
    return seq;
}

/* pages_lock held.  Has page n of tb been written since it was marked? */
static bool page_written(const TranslationBlock *tb, int n)
{
    PageDesc *pd = page_find(tb->page_addr[n], false);

    return !pd || pd->write_seq != tb->page_seq[n];
}

/* ---- flush */

void tb_flush_exclusive(void)
{
    struct cds_lfht_iter iter;
    struct cds_lfht_node *node;

    pthread_mutex_lock(&translate_lock);
    pthread_mutex_lock(&pages_lock);
    cds_lfht_first(tb_htable, &iter);
    while ((node = cds_lfht_iter_get_node(&iter)) != NULL) {
        cds_lfht_next(tb_htable, &iter);
        cds_lfht_del(tb_htable, node);
    }
    for (unsigned i = 0; i < ARRAY_SIZE(page_hash); i++) {
        while (page_hash[i]) {
            PageDesc *pd = page_hash[i];

            page_hash[i] = pd->next;
            code_bitmap_clear(pd->page);
            free(pd);
        }
    }
    pthread_mutex_lock(&cpus_lock);
    for (unsigned i = 0; i < nb_cpu_states; i++) {
        tb_jmp_cache_clear(cpu_states[i]);
    }
    pthread_mutex_unlock(&cpus_lock);
    atomic_set(&code_buf.used, 0);
    atomic_store_release(&flush_count, flush_count + 1);
    atomic_fetch_add_relaxed(&tcg_stats.flushes, 1);
    pthread_mutex_unlock(&pages_lock);
    pthread_mutex_unlock(&translate_lock);
}

static void tb_flush_work(CPUState *cpu, void *data)
{
    /* Several vCPUs may have asked for the same generation. */
    if (tb_flush_count() == (unsigned)(uintptr_t)data) {
        tb_flush_exclusive();
    }
}

void tb_flush(CPUState *cpu)
{
    unsigned gen = tb_flush_count();

    if (cpu && cpu == current_cpu) {
        async_safe_run_on_cpu(cpu, tb_flush_work, (void *)(uintptr_t)gen);
        cpu_exit(cpu);
        return;
    }
    start_exclusive();
    tb_flush_work(NULL, (void *)(uintptr_t)gen);
    end_exclusive();
}

/* ---- lookup */

TranslationBlock *tb_lookup(CPUState *cpu, uint64_t pc, uint64_t cs_base,
                            uint32_t flags)
{
    TCGCPUState *ts = tcg_cpu_state(cpu);
    TranslationBlock **slot = &ts->jmp_cache->array[tb_jmp_cache_hash(pc)];
    TranslationBlock *tb = atomic_load_acquire(slot);
    TBKey k;

    if (tb && tb->pc == pc && tb->cs_base == cs_base && tb->flags == flags &&
        !tb_is_invalid(tb)) {
        return tb;
    }
    k.phys_pc = get_page_addr_code(cpu, pc);
    if (k.phys_pc == UINT64_MAX) {
        return NULL;
    }
    k.pc = pc;
    k.cs_base = cs_base;
    k.flags = flags;
    atomic_fetch_add_relaxed(&tcg_stats.lookups_hash, 1);
    tb = tb_htable_lookup(cpu, &k);
    if (tb) {
        atomic_store_release(slot, tb);
    }
    return tb;
}

bool tb_restore_state(CPUState *cpu, TranslationBlock *tb,
                      uintptr_t fault_pc)
{
    uintptr_t start = (uintptr_t)tb->tc_ptr;
    const TBInsnData *found = NULL;

    if (fault_pc < start || fault_pc >= start + tb->tc_size) {
        return false;
    }
    for (uint32_t i = 0; i < tb->insn_count; i++) {
        if (tb->insn_data[i].code_offset > fault_pc - start) {
            break;
        }
        found = &tb->insn_data[i];
    }
    if (!found) {
        return false;
    }
    tcg_cpu_ops->restore_state_to_opc(cpu, tb, found->data);
    return true;
}

/* ---- translation */

/* Publishes tb: page lists, code bitmap (and code-page hook), hash.
 * False, publishing nothing, if its pages were written since the
 * translator marked them: tb may hold old bytes. */
static bool tb_link(TranslationBlock *tb)
{
    pthread_mutex_lock(&pages_lock);
    if (page_written(tb, 0) ||
        (tb->page_addr[1] != UINT64_MAX && page_written(tb, 1))) {
        pthread_mutex_unlock(&pages_lock);
        return false;
    }
    page_add_tb(tb, 0);
    if (tb->page_addr[1] != UINT64_MAX) {
        page_add_tb(tb, 1);
    }
    TSAN_PUBLISH(tb);
    cds_lfht_add(tb_htable, tb->hash, tb_node(tb));
    pthread_mutex_unlock(&pages_lock);
    return true;
}

static void tb_log_ops(const TranslationBlock *tb, const char *when)
{
    char title[80];

    if (log_enabled(LOG_OP)) {
        snprintf(title, sizeof(title), "%s pc=0x%" PRIx64, when, tb->pc);
        tcg_dump_ops(tcg_ctx, title);
    }
}

/* translate_lock held.  Returns the new TB, or NULL: code buffer full
 * (*full set) or first instruction not fetchable (exception pending). */
static TranslationBlock *tb_translate_locked(CPUState *cpu, const TBKey *k,
                                             uint32_t cflags, bool *full)
{
    int max_insns = cflags & CF_COUNT_MASK ? cflags & CF_COUNT_MASK
                                           : TCG_MAX_INSNS;
    size_t mark = code_buf.used;
    TranslationBlock *tb;
    ssize_t size;

    for (;;) {
        tb = tcg_code_alloc(sizeof(*tb), 64);
        if (!tb) {
            *full = true;
            return NULL;
        }
        memset(tb, 0, sizeof(*tb));
        tb->pc = k->pc;
        tb->cs_base = k->cs_base;
        tb->flags = k->flags;
        tb->cflags = cflags & ~CF_INVALID;
        tb->phys_pc = k->phys_pc;
        tb->hash = tb_hash(k);
        tb->page_addr[0] = k->phys_pc & TCG_PAGE_MASK;
        tb->page_addr[1] = UINT64_MAX;
        tb->page_seq[0] = tb_mark_code_page(tb->page_addr[0]);

        tcg_func_start();
        tcg_cpu_ops->translate_code(cpu, tb, max_insns);
        if (tb->icount == 0) {
            atomic_set(&code_buf.used, mark);
            return NULL;
        }
        if (tcg_ctx->overflow) {
            /* Too many ops or temps: retry with fewer instructions. */
            atomic_set(&code_buf.used, mark);
            max_insns = tb->icount > 1 ? (int)tb->icount / 2 : 1;
            continue;
        }
        tb_log_ops(tb, "in");
        tcg_optimize(tcg_ctx);
        tb_log_ops(tb, "opt");
        size = tcg_backend->gen_code(tcg_ctx, tb, code_buf.base +
                                     code_buf.used,
                                     code_buf.size - code_buf.used);
        if (size < 0) {
            atomic_set(&code_buf.used, mark);
            *full = true;
            return NULL;
        }
        atomic_set(&code_buf.used, code_buf.used + (size_t)size);
        return tb;
    }
}

TranslationBlock *tb_gen_code(CPUState *cpu, uint64_t pc, uint64_t cs_base,
                              uint32_t flags, uint32_t cflags)
{
    TranslationBlock *tb;
    bool full = false;
    int tries;
    TBKey k;

    k.phys_pc = get_page_addr_code(cpu, pc);
    if (k.phys_pc == UINT64_MAX) {
        return NULL;
    }
    k.pc = pc;
    k.cs_base = cs_base;
    k.flags = flags;

    pthread_mutex_lock(&translate_lock);
    tb = tb_htable_lookup(cpu, &k);
    if (tb) {
        pthread_mutex_unlock(&translate_lock);
        return tb;
    }
    for (tries = 0; ; tries++) {
        size_t mark = code_buf.used;

        tb = tb_translate_locked(cpu, &k, cflags, &full);
        if (!tb || tb_link(tb)) {
            break;
        }
        /* Its code was written meanwhile. */
        atomic_fetch_add_relaxed(&tcg_stats.discards, 1);
        if (tries == 2) {
            /* Run once by the caller, never found or chained. */
            __atomic_fetch_or(&tb->cflags, CF_INVALID, __ATOMIC_SEQ_CST);
            break;
        }
        atomic_set(&code_buf.used, mark);
    }
    if (tb) {
        atomic_fetch_add_relaxed(&tcg_stats.translations, 1);
    }
    pthread_mutex_unlock(&translate_lock);
    if (full) {
        tb_flush(cpu);
    }
    return tb;
}

/* ---- set-up */

void tcg_init(const TCGCPUOps *ops, size_t code_cache_size,
              const TCGBackend *backend)
{
    tcg_cpu_ops = ops;
    tcg_backend = backend ? backend : &tcg_threaded_backend;
    tcg_code_cache_init(code_cache_size ? code_cache_size : 64u << 20);
    /* Fixed size, no auto-resize: resizing runs in liburcu's own worker
     * threads, which we would rather not have.  2^16 buckets keep chains
     * short up to a few hundred thousand blocks. */
    tb_htable = cds_lfht_new_flavor(1u << 16, 1u << 16, 1u << 16, 0,
                                    &urcu_qsbr_flavor, NULL);
    if (!tb_htable) {
        abort();
    }
    tcg_context_init();
}
