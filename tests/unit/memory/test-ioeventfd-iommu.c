/* ioeventfd: matching writes signal the notifier instead of reaching the
 * device, with no BQL; IOMMU regions: translated and denied accesses,
 * page-crossing accesses, map/unmap notifiers. */
#include <pthread.h>
#include <time.h>

#include "memtest.h"

#define A MEMTXATTRS_UNSPECIFIED

static MemoryRegion sysmem;
static AddressSpace as;

static void map(MemoryRegion *mr, MemoryRegion *into, hwaddr addr)
{
    bql_lock();
    memory_region_add_subregion(into, addr, mr);
    bql_unlock();
}

static void unmap(MemoryRegion *mr)
{
    bql_lock();
    memory_region_del_subregion(mr->container, mr);
    bql_unlock();
}

static void regdev_destroy(RegDev *d)
{
    if (d->mr.container) {
        unmap(&d->mr);
    }
    object_unref(&d->obj);
    weft_rcu_quiescent_state();
    memtest_drain();
    CHECK(d->finalized);
    free(d);
}

/* Runs one store as a second thread would; returns whether it hit. */
static bool store_signals(EventNotifier *e, RegDev *d, hwaddr addr,
                          unsigned size, DeviceEndian endian, uint64_t value)
{
    unsigned before = d->nlog;
    unsigned long bql_before = bql_acquisitions();
    MemTxResult r = address_space_store(&as, addr, size, endian, A, value);
    bool hit = event_notifier_test_and_clear(e);

    CHECK_EQ(r, MEMTX_OK);
    if (hit) {
        /* The device's write was not called and the BQL not taken. */
        CHECK_EQ(d->nlog, before);
        CHECK_EQ(bql_acquisitions(), bql_before);
    } else {
        CHECK_EQ(d->nlog, before + 1);
        CHECK(d->log[d->nlog - 1].is_write && d->log[d->nlog - 1].bql_held);
    }
    return hit;
}

static void test_ioeventfd_match(void)
{
    static const MemoryRegionOps ops = {
        .endianness = DEVICE_LITTLE_ENDIAN,
    };
    RegDev *d = regdev_new("notify", 0x40, &ops);
    EventNotifier data_fd, any_fd;
    uint8_t bytes[4] = { 0x34, 0x12, 0, 0 };

    CHECK(event_notifier_init(&data_fd, false, NULL));
    CHECK(event_notifier_init(&any_fd, false, NULL));
    map(&d->mr, &sysmem, 0x1000);
    bql_lock();
    memory_region_add_eventfd(&d->mr, 0x10, 4, true, 0x1234, &data_fd);
    memory_region_add_eventfd(&d->mr, 0x20, 0, false, 0, &any_fd);
    bql_unlock();

    /* With a data match: value and size must both match. */
    CHECK(store_signals(&data_fd, d, 0x1010, 4, DEVICE_LITTLE_ENDIAN, 0x1234));
    CHECK(!store_signals(&data_fd, d, 0x1010, 4, DEVICE_LITTLE_ENDIAN, 0x1235));
    CHECK(!store_signals(&data_fd, d, 0x1010, 2, DEVICE_LITTLE_ENDIAN, 0x1234));
    CHECK(!store_signals(&data_fd, d, 0x1014, 4, DEVICE_LITTLE_ENDIAN, 0x1234));
    /* Same bytes on the bus, whatever order the CPU used. */
    CHECK(store_signals(&data_fd, d, 0x1010, 4, DEVICE_BIG_ENDIAN,
                        0x34120000));
    /* The byte-buffer (DMA) path too. */
    CHECK_EQ(address_space_write(&as, 0x1010, A, bytes, 4), MEMTX_OK);
    CHECK(event_notifier_test_and_clear(&data_fd));
    /* Without a data match: any size, any value, exact offset. */
    CHECK(store_signals(&any_fd, d, 0x1020, 1, DEVICE_LITTLE_ENDIAN, 7));
    CHECK(store_signals(&any_fd, d, 0x1020, 8, DEVICE_LITTLE_ENDIAN, 7));
    CHECK(!store_signals(&any_fd, d, 0x1024, 4, DEVICE_LITTLE_ENDIAN, 7));
    /* Reads are never eventfds. */
    address_space_ldl(&as, 0x1010, A, NULL);
    CHECK(!event_notifier_test_and_clear(&data_fd));

    bql_lock();
    memory_region_del_eventfd(&d->mr, 0x10, 4, true, 0x1234, &data_fd);
    bql_unlock();
    CHECK(!store_signals(&data_fd, d, 0x1010, 4, DEVICE_LITTLE_ENDIAN, 0x1234));
    CHECK(store_signals(&any_fd, d, 0x1020, 2, DEVICE_LITTLE_ENDIAN, 1));
    bql_lock();
    memory_region_del_eventfd(&d->mr, 0x20, 0, false, 0, &any_fd);
    bql_unlock();
    CHECK(!store_signals(&any_fd, d, 0x1020, 2, DEVICE_LITTLE_ENDIAN, 1));
    regdev_destroy(d);
    event_notifier_cleanup(&data_fd);
    event_notifier_cleanup(&any_fd);
}

/* data is given as the device sees values: a big-endian device's
 * notify register matches the big-endian store of that value. */
static void test_ioeventfd_big_endian(void)
{
    static const MemoryRegionOps ops = {
        .endianness = DEVICE_BIG_ENDIAN,
    };
    RegDev *d = regdev_new("be-notify", 0x40, &ops);
    EventNotifier e;

    CHECK(event_notifier_init(&e, false, NULL));
    map(&d->mr, &sysmem, 0x2000);
    bql_lock();
    memory_region_add_eventfd(&d->mr, 0, 2, true, 0x1234, &e);
    bql_unlock();
    CHECK(store_signals(&e, d, 0x2000, 2, DEVICE_BIG_ENDIAN, 0x1234));
    CHECK(!store_signals(&e, d, 0x2000, 2, DEVICE_LITTLE_ENDIAN, 0x1234));
    CHECK_EQ(d->log[d->nlog - 1].value, 0x3412);
    bql_lock();
    memory_region_del_eventfd(&d->mr, 0, 2, true, 0x1234, &e);
    bql_unlock();
    regdev_destroy(d);
    event_notifier_cleanup(&e);
}

/* While another thread holds the BQL, a matching store still completes. */
typedef struct StoreJob {
    EventNotifier *e;
    bool done;
} StoreJob;

static void *store_thread(void *arg)
{
    StoreJob *job = arg;

    weft_rcu_register_thread();
    address_space_stl(&as, 0x3008, 0xfeed, A, NULL);
    atomic_store_release(&job->done, true);
    weft_rcu_unregister_thread();
    return NULL;
}

static void test_ioeventfd_no_bql(void)
{
    RegDev *d = regdev_new("busy", 0x40, NULL);
    EventNotifier e;
    StoreJob job = { &e, false };
    struct timespec deadline;
    pthread_t t;

    CHECK(event_notifier_init(&e, false, NULL));
    map(&d->mr, &sysmem, 0x3000);
    bql_lock();
    memory_region_add_eventfd(&d->mr, 8, 4, true, 0xfeed, &e);
    /* Held across the other thread's store: a BQL on the path would hang. */
    CHECK(!pthread_create(&t, NULL, store_thread, &job));
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    CHECK(pthread_timedjoin_np(t, NULL, &deadline) == 0);
    CHECK(atomic_load_acquire(&job.done));
    CHECK(event_notifier_test_and_clear(&e));
    CHECK_EQ(d->nlog, 0);
    memory_region_del_eventfd(&d->mr, 8, 4, true, 0xfeed, &e);
    bql_unlock();
    regdev_destroy(d);
    event_notifier_cleanup(&e);
}

/* ---- IOMMU: a one-level page table over 16 pages of iova */

#define IOMMU_PAGES 16

typedef struct PageEntry {
    hwaddr phys;
    IOMMUAccessFlags perm;
} PageEntry;

typedef struct TestIOMMU {
    MemoryRegion mr;
    AddressSpace *target;
    PageEntry table[IOMMU_PAGES];
    unsigned translations;
} TestIOMMU;

static IOMMUTLBEntry test_translate(MemoryRegion *iommu, void *opaque,
                                    hwaddr addr, IOMMUAccessFlags access)
{
    TestIOMMU *t = opaque;
    unsigned page = (unsigned)(addr >> 12);
    IOMMUTLBEntry e = {
        .target_as = t->target,
        .iova = addr & ~0xfffull,
        .addr_mask = 0xfff,
        .perm = IOMMU_NONE,
    };

    atomic_fetch_inc(&t->translations);
    if (page < IOMMU_PAGES) {
        e.translated_addr = t->table[page].phys;
        e.perm = t->table[page].perm;
    }
    return e;
}

static const IOMMUMemoryRegionOps test_iommu_ops = {
    .translate = test_translate,
};

/* The guest changes its IOMMU page table: the model tells notifiers. */
static void iommu_set(TestIOMMU *t, unsigned page, hwaddr phys,
                      IOMMUAccessFlags perm)
{
    IOMMUTLBEvent ev = {
        .type = perm == IOMMU_NONE ? IOMMU_NOTIFIER_UNMAP : IOMMU_NOTIFIER_MAP,
        .entry = {
            .target_as = t->target,
            .iova = (hwaddr)page << 12,
            .translated_addr = phys,
            .addr_mask = 0xfff,
            .perm = perm,
        },
    };

    if (ev.type == IOMMU_NOTIFIER_MAP && t->table[page].perm != IOMMU_NONE) {
        iommu_set(t, page, 0, IOMMU_NONE);   /* unmap the old one first */
    }
    t->table[page] = (PageEntry) { phys, perm };
    memory_region_notify_iommu(&t->mr, &ev);
}

/* A DMA user caching one translation, dropped on UNMAP. */
typedef struct DmaCache {
    IOMMUNotifier n;
    hwaddr iova;
    bool valid;
    unsigned maps, unmaps;
} DmaCache;

static void dma_cache_notify(IOMMUNotifier *n, const IOMMUTLBEvent *ev)
{
    DmaCache *c = container_of(n, DmaCache, n);

    if (ev->type == IOMMU_NOTIFIER_UNMAP) {
        c->unmaps++;
        if (c->valid && (c->iova & ~ev->entry.addr_mask) == ev->entry.iova) {
            c->valid = false;
        }
    } else {
        CHECK(ev->entry.perm != IOMMU_NONE);
        c->maps++;
    }
}

static void test_iommu(void)
{
    static TestIOMMU t;
    MemoryRegion pci_root, ram;
    AddressSpace pci_as;
    DmaCache cache = { 0 }, watcher = { 0 };
    uint8_t buf[8], *host;
    MemoryRegionSection s;
    MemTxResult r;

    CHECK(memory_region_init_ram(&ram, NULL, "ram", 0x10000, NULL));
    host = memory_region_get_ram_ptr(&ram);
    map(&ram, &sysmem, 0);
    t.target = &as;
    memory_region_init_iommu(&t.mr, NULL, &test_iommu_ops, &t, "iommu",
                             UINT64_MAX);
    memory_region_init(&pci_root, NULL, "pci-root", UINT64_MAX);
    bql_lock();
    memory_region_add_subregion(&pci_root, 0, &t.mr);
    address_space_init(&pci_as, &pci_root, "pci-dma");
    bql_unlock();
    t.table[0] = (PageEntry) { 0x3000, IOMMU_RW };
    t.table[1] = (PageEntry) { 0x5000, IOMMU_RO };

    /* Translated. */
    address_space_stl_le(&pci_as, 0x10, 0xa1b2c3d4, A, &r);
    CHECK_EQ(r, MEMTX_OK);
    CHECK_EQ(host[0x3010], 0xd4);
    CHECK_EQ(address_space_ldl_le(&pci_as, 0x10, A, &r), 0xa1b2c3d4);
    CHECK(t.translations >= 2);
    /* Read-only page: reads work, writes are denied and dropped. */
    host[0x5008] = 0x99;
    CHECK_EQ(address_space_ldub(&pci_as, 0x1008, A, &r), 0x99);
    CHECK_EQ(r, MEMTX_OK);
    address_space_stb(&pci_as, 0x1008, 0x11, A, &r);
    CHECK_EQ(r, MEMTX_ACCESS_ERROR);
    CHECK_EQ(host[0x5008], 0x99);
    /* Unmapped page. */
    CHECK_EQ(address_space_ldl(&pci_as, 0x2000, A, &r), 0);
    CHECK_EQ(r, MEMTX_ACCESS_ERROR);
    /* Crossing pages: each page translated on its own. */
    memset(host + 0x3ff8, 0x01, 8);
    memset(host + 0x5000, 0x02, 8);
    CHECK_EQ(address_space_read(&pci_as, 0xffc, A, buf, 8), MEMTX_OK);
    CHECK(buf[3] == 0x01 && buf[4] == 0x02);
    memset(buf, 0x77, sizeof(buf));
    CHECK_EQ(address_space_write(&pci_as, 0xffc, A, buf, 8),
             MEMTX_ACCESS_ERROR);
    CHECK(host[0x3fff] == 0x77 && host[0x5000] == 0x02);
    /* The lookup API follows the IOMMU into the target. */
    weft_rcu_read_lock();
    CHECK_EQ(address_space_translate(&pci_as, 0x1008, false, A, &s), MEMTX_OK);
    CHECK(s.mr == &ram && s.offset_within_region == 0x5008 &&
          s.size == 0xff8 && s.as == &as);
    CHECK_EQ(address_space_translate(&pci_as, 0x1008, true, A, &s),
             MEMTX_ACCESS_ERROR);
    weft_rcu_read_unlock();

    /* Notifiers: cache watches page 0 for both, watcher page 1 unmaps. */
    iommu_notifier_init(&cache.n, dma_cache_notify, IOMMU_NOTIFIER_ALL, 0,
                        0xfff);
    iommu_notifier_init(&watcher.n, dma_cache_notify, IOMMU_NOTIFIER_UNMAP,
                        0x1000, 0x1fff);
    memory_region_register_iommu_notifier(&t.mr, &cache.n);
    memory_region_register_iommu_notifier(&t.mr, &watcher.n);
    cache.iova = 0x10;
    cache.valid = true;

    iommu_set(&t, 1, 0, IOMMU_NONE);
    CHECK(watcher.unmaps == 1 && cache.unmaps == 0 && cache.valid);
    iommu_set(&t, 1, 0x6000, IOMMU_RW);
    CHECK(watcher.maps == 0 && cache.maps == 0);
    CHECK_EQ(watcher.unmaps, 1);
    /* The window the cache uses disappears: it learns, and DMA fails. */
    iommu_set(&t, 0, 0, IOMMU_NONE);
    CHECK(!cache.valid && cache.unmaps == 1);
    address_space_stl(&pci_as, 0x10, 1, A, &r);
    CHECK_EQ(r, MEMTX_ACCESS_ERROR);
    iommu_set(&t, 0, 0x7000, IOMMU_RW);
    CHECK_EQ(cache.maps, 1);
    address_space_stl_le(&pci_as, 0x10, 0x55, A, &r);
    CHECK_EQ(r, MEMTX_OK);
    CHECK_EQ(host[0x7010], 0x55);

    memory_region_unregister_iommu_notifier(&t.mr, &cache.n);
    iommu_set(&t, 0, 0, IOMMU_NONE);
    CHECK_EQ(cache.unmaps, 1);
    memory_region_unregister_iommu_notifier(&t.mr, &watcher.n);

    /* An IOMMU that translates into its own space: bounded, no crash. */
    t.target = &pci_as;
    t.table[3] = (PageEntry) { 0x3000, IOMMU_RW };
    CHECK_EQ(address_space_ldl(&pci_as, 0x3000, A, &r), 0);
    CHECK_EQ(r, MEMTX_DECODE_ERROR);

    bql_lock();
    address_space_destroy(&pci_as);
    memory_region_del_subregion(&pci_root, &t.mr);
    memory_region_del_subregion(&sysmem, &ram);
    bql_unlock();
    weft_rcu_quiescent_state();
    memtest_drain();
    memory_region_finalize(&t.mr);
    memory_region_finalize(&pci_root);
    memory_region_finalize(&ram);
}

int main(void)
{
    weft_rcu_register_thread();
    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    bql_lock();
    address_space_init(&as, &sysmem, "memory");
    bql_unlock();

    RUN(test_ioeventfd_match);
    RUN(test_ioeventfd_big_endian);
    RUN(test_ioeventfd_no_bql);
    RUN(test_iommu);

    bql_lock();
    address_space_destroy(&as);
    bql_unlock();
    weft_rcu_unregister_thread();
    memtest_drain();
    memory_region_finalize(&sysmem);
    return 0;
}
