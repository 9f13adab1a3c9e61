/* SiFive PLIC with QEMU virt's layout (see plic.h for the register map).
 *
 * Gateways are level-triggered.  Each source has a line level, a pending
 * bit and a claimed bit (claimed: handed to a context, not completed
 * yet).  The invariant kept under the lock is
 *
 *     pending == level && !claimed
 *
 * so a source is pending while its line is high and it is not in
 * service; a claim clears pending and sets claimed; a complete clears
 * claimed, and the source is pending again at once if its line is still
 * high.  A line that drops before the claim withdraws the request.
 *
 * A context's output (MEIP or SEIP of its hart) is high while some source
 * is pending, enabled for it and of priority above its threshold.  After
 * every change the outputs of the contexts it can affect are recomputed
 * and the callback is called for those whose level changed.
 *
 * Locking: the region is lockless (harts access it without the BQL) and
 * source lines may change in any thread.  `lock` protects every register
 * and bitmap of PlicState and the cached output levels; it is held while
 * the output callback runs, so that the levels a hart sees always follow
 * the register state in order.  The callback must be a leaf (the CPU's
 * riscv_cpu_set_irq: an atomic update and a kick).  Device models that
 * raise a source line may hold their own lock while doing so: lock order
 * is device lock -> PLIC lock -> CPU pin.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>

#include "hw/intc/plic.h"
#include "util/log.h"

#define BITS_PER_WORD 32

struct PlicState {
    MemoryRegion mr;            /* static region, owner NULL */
    pthread_mutex_t lock;       /* see the file comment */
    unsigned nr_harts;
    unsigned nr_contexts;       /* 2 * nr_harts */
    unsigned nr_sources;        /* IDs 1..nr_sources; 0 is "none" */
    unsigned nr_words;          /* bitmap words covering IDs 0..nr_sources */
    PlicSetIrq *set_irq;
    void *irq_opaque;
    IrqLine *lines;             /* [nr_sources + 1], input lines; [0] unused */
    /* All below: lock. */
    uint32_t *priority;         /* [nr_sources + 1] */
    uint32_t *level;            /* [nr_words] line levels */
    uint32_t *pending;          /* [nr_words] */
    uint32_t *claimed;          /* [nr_words] */
    uint32_t *enable;           /* [nr_contexts * nr_words] */
    uint32_t *threshold;        /* [nr_contexts] */
    bool *output;               /* [nr_contexts] level last driven */
};

static bool bit_test(const uint32_t *map, unsigned n)
{
    return map[n / BITS_PER_WORD] >> (n % BITS_PER_WORD) & 1;
}

static void bit_assign(uint32_t *map, unsigned n, bool val)
{
    uint32_t mask = 1u << (n % BITS_PER_WORD);

    if (val) {
        map[n / BITS_PER_WORD] |= mask;
    } else {
        map[n / BITS_PER_WORD] &= ~mask;
    }
}

static uint32_t *context_enable(PlicState *s, unsigned ctx)
{
    return &s->enable[ctx * s->nr_words];
}

/* Lock held.  Re-derives src's pending bit from its line and claim. */
static void plic_update_pending(PlicState *s, unsigned src)
{
    bit_assign(s->pending, src,
               bit_test(s->level, src) && !bit_test(s->claimed, src));
}

/* Lock held.  The source a claim by ctx would return now: the highest
 * priority pending enabled source above the threshold, lowest ID among
 * equals; 0 if none. */
static unsigned plic_best_source(PlicState *s, unsigned ctx)
{
    const uint32_t *en = context_enable(s, ctx);
    uint32_t best_prio = s->threshold[ctx];
    unsigned best = 0;

    for (unsigned w = 0; w < s->nr_words; w++) {
        uint32_t ready = s->pending[w] & en[w];

        while (ready) {
            unsigned src = w * BITS_PER_WORD + __builtin_ctz(ready);

            ready &= ready - 1;
            if (s->priority[src] > best_prio) {
                best_prio = s->priority[src];
                best = src;
            }
        }
    }
    return best;
}

/* Lock held.  Drives ctx's output if its level changed. */
static void plic_update_context(PlicState *s, unsigned ctx)
{
    bool level = plic_best_source(s, ctx) != 0;

    if (level != s->output[ctx]) {
        s->output[ctx] = level;
        s->set_irq(s->irq_opaque, ctx / 2,
                   ctx & 1 ? PLIC_IRQ_SEIP : PLIC_IRQ_MEIP, level);
    }
}

/* Lock held.  After a change of src's state or priority: only contexts
 * that enable it can see a difference. */
static void plic_update_source_contexts(PlicState *s, unsigned src)
{
    for (unsigned ctx = 0; ctx < s->nr_contexts; ctx++) {
        if (bit_test(context_enable(s, ctx), src)) {
            plic_update_context(s, ctx);
        }
    }
}

/* Input line handler: any thread. */
static void plic_set_source(void *opaque, int n, int level)
{
    PlicState *s = opaque;
    unsigned src = n;

    pthread_mutex_lock(&s->lock);
    if (bit_test(s->level, src) != (level != 0)) {
        bit_assign(s->level, src, level != 0);
        plic_update_pending(s, src);
        plic_update_source_contexts(s, src);
    }
    pthread_mutex_unlock(&s->lock);
}

IrqLine *plic_source(PlicState *s, unsigned n)
{
    if (!s || n == 0 || n > s->nr_sources) {
        return NULL;
    }
    return &s->lines[n];
}

/* ---- claim / complete */

static uint32_t plic_claim(PlicState *s, unsigned ctx)
{
    unsigned src = plic_best_source(s, ctx);

    if (src) {
        bit_assign(s->claimed, src, true);
        plic_update_pending(s, src);
        plic_update_source_contexts(s, src);
    }
    return src;
}

static void plic_complete(PlicState *s, unsigned ctx, uint32_t src)
{
    if (src == 0 || src > s->nr_sources ||
        !bit_test(context_enable(s, ctx), src)) {
        /* The spec: silently ignored.  Still worth a note when debugging
         * a guest driver. */
        log_mask_printf(LOG_GUEST_ERROR, "plic: context %u completes "
                        "source %" PRIu32 " that it does not enable\n",
                        ctx, src);
        return;
    }
    bit_assign(s->claimed, src, false);
    plic_update_pending(s, src);
    plic_update_source_contexts(s, src);
}

/* ---- register access, lock held */

/* Word index of an enable register, or -1 for a hole. */
static int plic_enable_word(PlicState *s, hwaddr off, unsigned *ctx)
{
    hwaddr rel = off - PLIC_ENABLE_BASE;
    unsigned word = (rel % PLIC_ENABLE_STRIDE) / 4;

    *ctx = rel / PLIC_ENABLE_STRIDE;
    if (*ctx >= s->nr_contexts || word >= s->nr_words) {
        return -1;
    }
    return word;
}

/* The bits of the last bitmap word that name real sources. */
static uint32_t plic_word_mask(PlicState *s, unsigned word)
{
    unsigned first = word * BITS_PER_WORD;
    unsigned count = s->nr_sources + 1 - first;
    uint32_t mask = count >= BITS_PER_WORD ? ~0u : (1u << count) - 1;

    return word == 0 ? mask & ~1u : mask;   /* ID 0 is not a source */
}

static bool plic_read_locked(PlicState *s, hwaddr off, uint32_t *val)
{
    unsigned ctx;
    int word;

    if (off < PLIC_PENDING_BASE) {
        if (off / 4 > s->nr_sources || off == 0) {
            return false;
        }
        *val = s->priority[off / 4];
    } else if (off < PLIC_ENABLE_BASE) {
        if ((off - PLIC_PENDING_BASE) / 4 >= s->nr_words) {
            return false;
        }
        *val = s->pending[(off - PLIC_PENDING_BASE) / 4];
    } else if (off < PLIC_CONTEXT_BASE) {
        word = plic_enable_word(s, off, &ctx);
        if (word < 0) {
            return false;
        }
        *val = context_enable(s, ctx)[word];
    } else {
        ctx = (off - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE;
        off = (off - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;
        if (ctx >= s->nr_contexts) {
            return false;
        }
        if (off == PLIC_THRESHOLD) {
            *val = s->threshold[ctx];
        } else if (off == PLIC_CLAIM) {
            *val = plic_claim(s, ctx);
        } else {
            return false;
        }
    }
    return true;
}

static void plic_write_enable(PlicState *s, unsigned ctx, unsigned word,
                              uint32_t val)
{
    uint32_t *en = &context_enable(s, ctx)[word];
    uint32_t mask = plic_word_mask(s, word);

    if (val & ~mask) {
        log_mask_printf(LOG_GUEST_ERROR, "plic: context %u enables "
                        "sources that do not exist (word %u: 0x%" PRIx32
                        ")\n", ctx, word, val & ~mask);
    }
    *en = val & mask;
    plic_update_context(s, ctx);
}

static bool plic_write_locked(PlicState *s, hwaddr off, uint32_t val)
{
    unsigned ctx;
    int word;

    if (off < PLIC_PENDING_BASE) {
        if (off / 4 > s->nr_sources || off == 0) {
            return false;
        }
        s->priority[off / 4] = val & PLIC_MAX_PRIORITY;
        plic_update_source_contexts(s, off / 4);
    } else if (off < PLIC_ENABLE_BASE) {
        return false;                   /* pending bits are read-only */
    } else if (off < PLIC_CONTEXT_BASE) {
        word = plic_enable_word(s, off, &ctx);
        if (word < 0) {
            return false;
        }
        plic_write_enable(s, ctx, word, val);
    } else {
        ctx = (off - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE;
        off = (off - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;
        if (ctx >= s->nr_contexts) {
            return false;
        }
        if (off == PLIC_THRESHOLD) {
            s->threshold[ctx] = val & PLIC_MAX_PRIORITY;
            plic_update_context(s, ctx);
        } else if (off == PLIC_CLAIM) {
            plic_complete(s, ctx, val);
        } else {
            return false;
        }
    }
    return true;
}

/* ---- MMIO callbacks: any access reaches them (see plic_ops) */

static uint64_t plic_read(void *opaque, hwaddr off, unsigned size)
{
    PlicState *s = opaque;
    uint32_t val = 0;
    bool ok = false;

    if (size == 4 && !(off & 3)) {
        pthread_mutex_lock(&s->lock);
        ok = plic_read_locked(s, off, &val);
        pthread_mutex_unlock(&s->lock);
    }
    if (!ok) {
        log_mask_printf(LOG_GUEST_ERROR, "plic: bad read of %u bytes at "
                        "0x%" PRIx64 "\n", size, off);
        return 0;
    }
    return val;
}

static void plic_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    PlicState *s = opaque;
    bool ok = false;

    if (size == 4 && !(off & 3)) {
        pthread_mutex_lock(&s->lock);
        ok = plic_write_locked(s, off, val);
        pthread_mutex_unlock(&s->lock);
    }
    if (!ok) {
        log_mask_printf(LOG_GUEST_ERROR, "plic: bad write of %u bytes at "
                        "0x%" PRIx64 " (0x%" PRIx64 ")\n", size, off, val);
    }
}

/* The bus lets every size and alignment through so that a bad access is
 * a logged no-op reading 0 (as the PLIC spec leaves it unspecified), not
 * an access fault the guest did not expect. */
static const MemoryRegionOps plic_ops = {
    .read = plic_read,
    .write = plic_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8,
               .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8,
              .unaligned = true },
};

/* ---- life cycle */

void plic_reset(PlicState *s)
{
    pthread_mutex_lock(&s->lock);
    for (unsigned src = 0; src <= s->nr_sources; src++) {
        s->priority[src] = 0;
    }
    for (unsigned w = 0; w < s->nr_words; w++) {
        s->claimed[w] = 0;
        s->pending[w] = s->level[w];
    }
    for (unsigned ctx = 0; ctx < s->nr_contexts; ctx++) {
        for (unsigned w = 0; w < s->nr_words; w++) {
            context_enable(s, ctx)[w] = 0;
        }
        s->threshold[ctx] = 0;
        plic_update_context(s, ctx);
    }
    pthread_mutex_unlock(&s->lock);
}

static void *plic_alloc(size_t n, size_t size)
{
    void *p = calloc(n, size);

    if (!p) {
        abort();
    }
    return p;
}

PlicState *plic_create(MemoryRegion *sysmem, hwaddr base, unsigned nr_harts,
                       unsigned nr_sources, PlicSetIrq *set_irq,
                       void *opaque, Error **errp)
{
    PlicState *s;

    if (!nr_harts || nr_harts > PLIC_MAX_HARTS) {
        error_setg(errp, "PLIC: %u harts (1..%u)", nr_harts, PLIC_MAX_HARTS);
        return NULL;
    }
    if (!nr_sources || nr_sources > PLIC_MAX_SOURCES) {
        error_setg(errp, "PLIC: %u sources (1..%u)", nr_sources,
                   PLIC_MAX_SOURCES);
        return NULL;
    }
    if (!set_irq) {
        error_setg(errp, "PLIC: no output callback");
        return NULL;
    }
    s = plic_alloc(1, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    s->nr_harts = nr_harts;
    s->nr_contexts = 2 * nr_harts;
    s->nr_sources = nr_sources;
    s->nr_words = (nr_sources + BITS_PER_WORD) / BITS_PER_WORD;
    s->set_irq = set_irq;
    s->irq_opaque = opaque;
    s->lines = plic_alloc(nr_sources + 1, sizeof(*s->lines));
    s->priority = plic_alloc(nr_sources + 1, sizeof(*s->priority));
    s->level = plic_alloc(s->nr_words, sizeof(uint32_t));
    s->pending = plic_alloc(s->nr_words, sizeof(uint32_t));
    s->claimed = plic_alloc(s->nr_words, sizeof(uint32_t));
    s->enable = plic_alloc((size_t)s->nr_contexts * s->nr_words,
                           sizeof(uint32_t));
    s->threshold = plic_alloc(s->nr_contexts, sizeof(uint32_t));
    s->output = plic_alloc(s->nr_contexts, sizeof(bool));
    for (unsigned n = 1; n <= nr_sources; n++) {
        irq_init_in(&s->lines[n], plic_set_source, s, n, NULL);
    }
    memory_region_init_io(&s->mr, NULL, &plic_ops, s, "plic",
                          PLIC_SIZE(nr_harts));
    memory_region_set_lockless(&s->mr, true);
    memory_region_add_subregion(sysmem, base, &s->mr);
    return s;
}
