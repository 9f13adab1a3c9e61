/* ACLINT (CLINT layout): MSWI + MTIMER.
 *
 * Time: mtime = (now_ns - epoch_ns) / 100, i.e. 10 MHz.  A guest write to
 * mtime moves epoch_ns.  For each hart, a timer of the main loop fires at
 * the host time mtime reaches mtimecmp; its callback raises MTIP (and
 * re-arms if mtime moved backwards meanwhile).  Writing mtimecmp lowers
 * or raises MTIP at once and re-arms the timer.
 *
 * Locking: the region is lockless (vCPUs access it without the BQL).
 * `lock` protects msip[], mtimecmp[] and epoch_ns, and is held while
 * interrupt lines change, so that two writers cannot leave a line in a
 * state that disagrees with the registers.  It is a leaf apart from the
 * line callback (riscv_cpu_set_irq: an atomic update plus a kick, whose
 * lock is a leaf) and the timer API (whose locks are leaves).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>

#include "hw/intc/aclint.h"
#include "system/event-loop.h"
#include "util/log.h"

#define NS_PER_TICK (1000000000ull / ACLINT_TIMEBASE_FREQ)

typedef struct AclintHart {
    AclintState *s;
    unsigned index;
    Timer *timer;               /* main loop; callback aclint_timer_cb */
    uint64_t mtimecmp;          /* lock */
    bool msip;                  /* lock */
} AclintHart;

struct AclintState {
    MemoryRegion mr;            /* static region, owner NULL */
    pthread_mutex_t lock;       /* see the file comment */
    int64_t epoch_ns;           /* lock for writes; atomic reads */
    unsigned nr_harts;
    AclintSetIrq *set_irq;
    void *irq_opaque;
    AclintHart *harts;
};

uint64_t aclint_read_mtime(void *opaque)
{
    AclintState *s = opaque;
    int64_t now = clock_monotonic_ns() - atomic_read(&s->epoch_ns);

    return now < 0 ? 0 : (uint64_t)now / NS_PER_TICK;
}

/* Lock held.  Brings MTIP in line with mtimecmp and arms the timer for
 * the moment it will change. */
static void aclint_update_mtip(AclintHart *h)
{
    AclintState *s = h->s;
    uint64_t now = aclint_read_mtime(s);
    int64_t epoch = atomic_read(&s->epoch_ns);

    if (now >= h->mtimecmp) {
        timer_del(h->timer);
        s->set_irq(s->irq_opaque, h->index, ACLINT_IRQ_MTIP, true);
        return;
    }
    s->set_irq(s->irq_opaque, h->index, ACLINT_IRQ_MTIP, false);
    /* A deadline beyond the host clock's range (mtimecmp = -1 means
     * "never" to most software) arms nothing. */
    if (h->mtimecmp > (uint64_t)(INT64_MAX - epoch) / NS_PER_TICK) {
        timer_del(h->timer);
        return;
    }
    timer_mod_ns(h->timer, epoch + (int64_t)(h->mtimecmp * NS_PER_TICK));
}

static void aclint_timer_cb(void *opaque)
{
    AclintHart *h = opaque;

    pthread_mutex_lock(&h->s->lock);
    aclint_update_mtip(h);
    pthread_mutex_unlock(&h->s->lock);
}

static uint64_t aclint_read_locked(AclintState *s, hwaddr off, unsigned size)
{
    unsigned hart;

    if (off < ACLINT_MSIP_BASE + 4 * s->nr_harts && size == 4 &&
        !(off & 3)) {
        return s->harts[off / 4].msip;
    }
    if (off >= ACLINT_MTIMECMP_BASE &&
        off < ACLINT_MTIMECMP_BASE + 8 * s->nr_harts) {
        hart = (off - ACLINT_MTIMECMP_BASE) / 8;
        return s->harts[hart].mtimecmp >> (8 * (off & 7));
    }
    if (off >= ACLINT_MTIME && off < ACLINT_MTIME + 8) {
        return aclint_read_mtime(s) >> (8 * (off & 7));
    }
    log_mask_printf(LOG_GUEST_ERROR, "aclint: read of %u bytes at 0x%"
                    PRIx64 "\n", size, off);
    return 0;
}

static uint64_t aclint_read(void *opaque, hwaddr off, unsigned size)
{
    AclintState *s = opaque;
    uint64_t v;

    pthread_mutex_lock(&s->lock);
    v = aclint_read_locked(s, off, size);
    pthread_mutex_unlock(&s->lock);
    return size == 4 ? (uint32_t)v : v;
}

/* The 64-bit register old with `size` bytes at byte `shift` replaced. */
static uint64_t merge64(uint64_t old, unsigned shift, unsigned size,
                        uint64_t val)
{
    uint64_t mask = size == 8 ? ~0ull : ((1ull << (8 * size)) - 1);

    return (old & ~(mask << (8 * shift))) | ((val & mask) << (8 * shift));
}

static void aclint_write_mtime(AclintState *s, hwaddr off, unsigned size,
                               uint64_t val)
{
    uint64_t mtime = merge64(aclint_read_mtime(s), off & 7, size, val);

    atomic_set(&s->epoch_ns,
               clock_monotonic_ns() - (int64_t)(mtime * NS_PER_TICK));
    for (unsigned i = 0; i < s->nr_harts; i++) {
        aclint_update_mtip(&s->harts[i]);
    }
}

static void aclint_write_locked(AclintState *s, hwaddr off, unsigned size,
                                uint64_t val)
{
    AclintHart *h;

    if (off < ACLINT_MSIP_BASE + 4 * s->nr_harts && size == 4 &&
        !(off & 3)) {
        h = &s->harts[off / 4];
        h->msip = val & 1;
        s->set_irq(s->irq_opaque, h->index, ACLINT_IRQ_MSIP, h->msip);
    } else if (off >= ACLINT_MTIMECMP_BASE &&
               off < ACLINT_MTIMECMP_BASE + 8 * s->nr_harts) {
        h = &s->harts[(off - ACLINT_MTIMECMP_BASE) / 8];
        h->mtimecmp = merge64(h->mtimecmp, off & 7, size, val);
        aclint_update_mtip(h);
    } else if (off >= ACLINT_MTIME && off < ACLINT_MTIME + 8) {
        aclint_write_mtime(s, off, size, val);
    } else {
        log_mask_printf(LOG_GUEST_ERROR, "aclint: write of %u bytes at 0x%"
                        PRIx64 "\n", size, off);
    }
}

static void aclint_write(void *opaque, hwaddr off, uint64_t val,
                         unsigned size)
{
    AclintState *s = opaque;

    pthread_mutex_lock(&s->lock);
    aclint_write_locked(s, off, size, val);
    pthread_mutex_unlock(&s->lock);
}

static const MemoryRegionOps aclint_ops = {
    .read = aclint_read,
    .write = aclint_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 8 },
};

void aclint_reset(AclintState *s)
{
    pthread_mutex_lock(&s->lock);
    for (unsigned i = 0; i < s->nr_harts; i++) {
        AclintHart *h = &s->harts[i];

        h->msip = false;
        s->set_irq(s->irq_opaque, h->index, ACLINT_IRQ_MSIP, false);
        h->mtimecmp = UINT64_MAX;
        aclint_update_mtip(h);
    }
    pthread_mutex_unlock(&s->lock);
}

AclintState *aclint_create(MemoryRegion *sysmem, hwaddr base,
                           unsigned nr_harts, AclintSetIrq *set_irq,
                           void *irq_opaque, Error **errp)
{
    AclintState *s;

    if (!nr_harts || nr_harts > ACLINT_MAX_HARTS) {
        error_setg(errp, "ACLINT: %u harts (1..%u)", nr_harts,
                   ACLINT_MAX_HARTS);
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (!s || !(s->harts = calloc(nr_harts, sizeof(*s->harts)))) {
        abort();
    }
    pthread_mutex_init(&s->lock, NULL);
    s->epoch_ns = clock_monotonic_ns();
    s->nr_harts = nr_harts;
    s->set_irq = set_irq;
    s->irq_opaque = irq_opaque;
    for (unsigned i = 0; i < nr_harts; i++) {
        s->harts[i] = (AclintHart) {
            .s = s, .index = i, .mtimecmp = UINT64_MAX,
            .timer = timer_new(main_loop(), aclint_timer_cb, &s->harts[i]),
        };
    }
    memory_region_init_io(&s->mr, NULL, &aclint_ops, s, "aclint",
                          ACLINT_SIZE);
    memory_region_set_lockless(&s->mr, true);
    memory_region_add_subregion(sysmem, base, &s->mr);
    return s;
}
