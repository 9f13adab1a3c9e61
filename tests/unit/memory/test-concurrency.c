/* Readers dispatching while a writer changes the map: vCPU-like threads
 * (registered RCU readers that report a quiescent state only when one is
 * wanted) access MMIO, RAM and ioeventfds while the main thread plugs and
 * unplugs devices under the BQL.  No access may reach a finalized owner,
 * and RAM unmapped by a finalize must never be touched.  Also: a reader
 * asleep on the BQL keeps its device alive through its reference. */
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "memtest.h"

#define A MEMTXATTRS_UNSPECIFIED
#define SLOTS 8
#define SLOT_SIZE 0x1000
#define WRITER_OPS 1500
#define NR_READERS 2

#define DEV_LIVE 0x1ee71ee7u
#define DEV_DEAD 0xdeaddeadu

typedef struct Dev {
    Object obj;
    unsigned magic;             /* atomic: DEV_DEAD once finalized */
    unsigned id;
    bool lockless;
    bool has_eventfd;
    MemoryRegion mmio, ram;
    EventNotifier notifier;
    unsigned long locked_calls;     /* BQL */
    unsigned long lockless_calls;   /* atomic */
} Dev;

static MemoryRegion sysmem;
static AddressSpace as;
static Dev *slots[SLOTS];           /* BQL */
static Dev *graveyard[WRITER_OPS + SLOTS];
static unsigned nr_dead;            /* BQL */
static bool stop;                   /* atomic */
static unsigned long handler_calls; /* atomic */

static void dev_check_alive(Dev *d)
{
    CHECK(atomic_load_acquire(&d->magic) == DEV_LIVE);
}

static uint64_t dev_read(void *opaque, hwaddr offset, unsigned size)
{
    Dev *d = opaque;

    dev_check_alive(d);
    atomic_fetch_inc(&handler_calls);
    if (d->lockless) {
        CHECK(!bql_locked());
        atomic_fetch_inc(&d->lockless_calls);
    } else {
        CHECK(bql_locked());
        d->locked_calls++;
    }
    return d->id;
}

static void dev_write(void *opaque, hwaddr offset, uint64_t value,
                      unsigned size)
{
    dev_read(opaque, offset, size);
}

static const MemoryRegionOps dev_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static void dev_finalize(Object *obj)
{
    Dev *d = container_of(obj, Dev, obj);

    memory_region_finalize(&d->mmio);
    memory_region_finalize(&d->ram);    /* unmaps the RAM */
    event_notifier_cleanup(&d->notifier);
    atomic_store_release(&d->magic, DEV_DEAD);
    /* The struct stays in the graveyard so that a late access would see
     * DEV_DEAD rather than reused memory. */
}

static Dev *dev_new(unsigned id)
{
    Dev *d = calloc(1, sizeof(*d));

    CHECK(d);
    object_init(&d->obj, "dev", dev_finalize);
    d->id = id;
    d->lockless = id % 2;
    d->has_eventfd = id % 3 == 0;
    memory_region_init_io(&d->mmio, &d->obj, &dev_ops, d, "dev-mmio", 0x800);
    memory_region_set_lockless(&d->mmio, d->lockless);
    CHECK(memory_region_init_ram(&d->ram, &d->obj, "dev-ram", 0x800, NULL));
    memset(memory_region_get_ram_ptr(&d->ram), (int)(id & 0xff), 0x800);
    CHECK(event_notifier_init(&d->notifier, false, NULL));
    atomic_store_release(&d->magic, DEV_LIVE);
    return d;
}

/* Under the BQL. */
static void plug(unsigned slot, unsigned id)
{
    Dev *d = dev_new(id);

    memory_region_transaction_begin();
    memory_region_add_subregion(&sysmem, slot * SLOT_SIZE, &d->mmio);
    memory_region_add_subregion(&sysmem, slot * SLOT_SIZE + 0x800, &d->ram);
    if (d->has_eventfd) {
        memory_region_add_eventfd(&d->mmio, 0, 4, false, 0, &d->notifier);
    }
    memory_region_transaction_commit();
    slots[slot] = d;
}

/* Under the BQL: isolate in one transaction, then drop the creator's
 * reference; finalize runs once in-flight accesses and views let go. */
static void unplug(unsigned slot)
{
    Dev *d = slots[slot];

    memory_region_transaction_begin();
    memory_region_del_subregion(&sysmem, &d->mmio);
    memory_region_del_subregion(&sysmem, &d->ram);
    if (d->has_eventfd) {
        memory_region_del_eventfd(&d->mmio, 0, 4, false, 0, &d->notifier);
    }
    memory_region_transaction_commit();
    slots[slot] = NULL;
    graveyard[nr_dead++] = d;
    object_unref(&d->obj);
}

typedef struct ReaderStats {
    unsigned seed;
    bool use_buffers;
    unsigned long accesses, quiescent;
    bool running;               /* set after the first access */
} ReaderStats;

static void *reader_main(void *arg)
{
    ReaderStats *st = arg;
    unsigned seed = st->seed;

    weft_rcu_register_thread();
    while (!atomic_load_acquire(&stop)) {
        hwaddr slot = rand_r(&seed) % SLOTS, off = rand_r(&seed) % 0x1000;
        hwaddr addr = slot * SLOT_SIZE + (off & ~7ull);
        MemTxResult r;

        if (st->use_buffers) {
            uint8_t buf[16];

            /* Crosses from MMIO into RAM half the time. */
            r = address_space_read(&as, addr & ~0xfull, A, buf, 16);
            (void)r;
        } else if (rand_r(&seed) % 2) {
            uint32_t v = address_space_ldl(&as, addr, A, &r);

            /* RAM reads one device's fill, never a mix. */
            if (r == MEMTX_OK && (addr & 0x800)) {
                CHECK((v & 0xff) * 0x01010101u == v);
            }
        } else {
            /* Offset 0 of some devices is an ioeventfd. */
            address_space_stl(&as, addr & ~0xfffull, 1, A, &r);
        }
        if (st->accesses++ == 0) {
            atomic_store_release(&st->running, true);
        }
        if (weft_rcu_quiescent_state_wanted()) {
            weft_rcu_quiescent_state();
            st->quiescent++;
        }
    }
    weft_rcu_unregister_thread();
    return NULL;
}

static void test_readers_vs_writer(void)
{
    pthread_t t[NR_READERS];
    ReaderStats st[NR_READERS];
    unsigned next_id = 1, seed = 12345;
    unsigned long gp_before = weft_rcu_grace_periods();

    for (unsigned i = 0; i < NR_READERS; i++) {
        st[i] = (ReaderStats) { .seed = 777 + i, .use_buffers = i == 1 };
        CHECK(!pthread_create(&t[i], NULL, reader_main, &st[i]));
    }
    for (unsigned op = 0; op < WRITER_OPS; op++) {
        unsigned slot = rand_r(&seed) % SLOTS;

        bql_lock();
        if (!slots[slot]) {
            plug(slot, next_id++);
        } else if (rand_r(&seed) % 3 == 0) {
            memory_region_set_enabled(&slots[slot]->mmio,
                                      !slots[slot]->mmio.enabled);
        } else {
            unplug(slot);
        }
        bql_unlock();
        if (op % 8 == 0) {
            usleep(50);
        }
    }
    /* On a loaded host a reader may not have been scheduled yet. */
    for (unsigned i = 0; i < NR_READERS; i++) {
        while (!atomic_load_acquire(&st[i].running)) {
            usleep(100);
        }
    }
    atomic_store_release(&stop, true);
    for (unsigned i = 0; i < NR_READERS; i++) {
        pthread_join(t[i], NULL);
        CHECK(st[i].accesses > 0);
    }
    bql_lock();
    for (unsigned slot = 0; slot < SLOTS; slot++) {
        if (slots[slot]) {
            unplug(slot);
        }
    }
    bql_unlock();
    memtest_drain();
    for (unsigned i = 0; i < nr_dead; i++) {
        CHECK(atomic_load_acquire(&graveyard[i]->magic) == DEV_DEAD);
        free(graveyard[i]);
    }
    CHECK(atomic_read(&handler_calls) > 0);
    CHECK(weft_rcu_grace_periods() > gp_before);
    printf("# %u devices, %lu + %lu accesses, %lu handler calls, "
           "%lu quiescent states\n", nr_dead, st[0].accesses, st[1].accesses,
           atomic_read(&handler_calls), st[0].quiescent + st[1].quiescent);
}

/* ---- a reference held across sleeping on the BQL */

typedef struct SleeperJob {
    AddressSpace *as;
    uint32_t value;
    MemTxResult result;
} SleeperJob;

static void *sleeper_main(void *arg)
{
    SleeperJob *job = arg;

    weft_rcu_register_thread();
    job->value = address_space_ldl_le(job->as, 0x40000,
                                      MEMTXATTRS_UNSPECIFIED, &job->result);
    weft_rcu_unregister_thread();
    return NULL;
}

static bool wait_refcount(Object *obj, unsigned want)
{
    for (int i = 0; i < 100000; i++) {
        if (object_refcount(obj) == want) {
            return true;
        }
        usleep(100);
    }
    return false;
}

static void test_inflight_reference(void)
{
    RegDev *d = regdev_new("sleepy", 0x100, NULL);
    SleeperJob job = { &as, 0, 0 };
    pthread_t t;

    bql_lock();
    memory_region_add_subregion(&sysmem, 0x40000, &d->mr);
    CHECK_EQ(object_refcount(&d->obj), 3);  /* creator, link, view */
    /* The reader finds the device, takes its reference, sleeps on us. */
    CHECK(!pthread_create(&t, NULL, sleeper_main, &job));
    CHECK(wait_refcount(&d->obj, 4));
    /* Unplug and drop the creator's reference while it sleeps. */
    memory_region_del_subregion(&sysmem, &d->mr);
    object_unref(&d->obj);
    /* The old view goes after its grace period (the sleeper is offline);
     * only the in-flight reference is left, and it keeps d alive. */
    CHECK(wait_refcount(&d->obj, 1));
    usleep(20000);
    CHECK(!d->finalized);
    bql_unlock();
    pthread_join(t, NULL);
    CHECK_EQ(job.result, MEMTX_OK);
    CHECK_EQ(job.value, 0x83828180);
    CHECK_EQ(d->nlog, 1);
    memtest_drain();
    CHECK(d->finalized);
    free(d);
}

int main(void)
{
    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    bql_lock();
    address_space_init(&as, &sysmem, "memory");
    bql_unlock();

    RUN(test_inflight_reference);
    RUN(test_readers_vs_writer);

    bql_lock();
    address_space_destroy(&as);
    bql_unlock();
    memtest_drain();
    memory_region_finalize(&sysmem);
    return 0;
}
