/* The KVM memory listener (cpu/kvm/kvm-memory.c) without /dev/kvm: its
 * KVMMemoryOps are fakes that keep a model of the kernel's slot table
 * and refuse what KVM refuses (api.rst, KVM_SET_USER_MEMORY_REGION:
 * overlapping slots, deleting an absent slot, moving or resizing a live
 * slot, unaligned addresses), and record every KVM_IOEVENTFD.  The memory
 * core drives the listener as a board's map changes do: RAM added,
 * split by an MMIO region laid over it and joined again, ROM with and
 * without read-only slots, dirty logging on and off, ioeventfds on MMIO
 * and on port I/O, and the kernel saying no.
 */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>

#include "cpu/kvm/kvm-memory.h"
#include "memory/memory.h"
#include "system/bql.h"
#include "system/event-loop.h"
#include "system/runstate.h"
#include "test.h"

#define NR_SLOTS 8
#define RAM_BASE 0x100000ull
#define RAM_SIZE 0x100000ull
#define ROM_BASE 0xfff00000ull
#define ROM_SIZE 0x10000ull
#define DEV_BASE 0x40000000ull

/* ---- the fake kernel */

typedef struct FakeSlot {
    bool used;
    struct kvm_userspace_memory_region r;
} FakeSlot;

typedef struct FakeKvm {
    FakeSlot slots[NR_SLOTS];
    unsigned set_region_calls;
    int fail_set_region;        /* next set_region returns this */
    struct kvm_ioeventfd ioeventfds[16];
    unsigned nr_ioeventfds;
    int fail_ioeventfd;
} FakeKvm;

static int fake_set_region(void *opaque,
                           const struct kvm_userspace_memory_region *r)
{
    FakeKvm *k = opaque;
    unsigned id = r->slot & 0xffff;
    FakeSlot *s;

    k->set_region_calls++;
    if (k->fail_set_region) {
        int err = k->fail_set_region;

        k->fail_set_region = 0;
        return err;
    }
    if (id >= NR_SLOTS || (r->slot >> 16) != 0) {
        return -EINVAL;
    }
    s = &k->slots[id];
    if (!r->memory_size) {                      /* delete */
        if (!s->used) {
            return -EINVAL;
        }
        s->used = false;
        return 0;
    }
    if ((r->guest_phys_addr | r->memory_size | r->userspace_addr) & 0xfff) {
        return -EINVAL;
    }
    if (s->used) {
        /* A live slot may change its flags only. */
        if (s->r.guest_phys_addr != r->guest_phys_addr ||
            s->r.memory_size != r->memory_size ||
            s->r.userspace_addr != r->userspace_addr) {
            return -EINVAL;
        }
        s->r.flags = r->flags;
        return 0;
    }
    for (unsigned i = 0; i < NR_SLOTS; i++) {
        const struct kvm_userspace_memory_region *o = &k->slots[i].r;

        if (k->slots[i].used &&
            r->guest_phys_addr < o->guest_phys_addr + o->memory_size &&
            o->guest_phys_addr < r->guest_phys_addr + r->memory_size) {
            return -EEXIST;
        }
    }
    s->used = true;
    s->r = *r;
    return 0;
}

static int fake_ioeventfd(void *opaque, const struct kvm_ioeventfd *e)
{
    FakeKvm *k = opaque;

    if (k->fail_ioeventfd) {
        int err = k->fail_ioeventfd;

        k->fail_ioeventfd = 0;
        return err;
    }
    CHECK(k->nr_ioeventfds < 16);
    k->ioeventfds[k->nr_ioeventfds++] = *e;
    return 0;
}

static const KVMMemoryOps fake_ops = {
    .set_region = fake_set_region,
    .ioeventfd = fake_ioeventfd,
};

/* The live slot at gpa, or NULL. */
static const struct kvm_userspace_memory_region *slot_at(FakeKvm *k,
                                                         uint64_t gpa)
{
    for (unsigned i = 0; i < NR_SLOTS; i++) {
        if (k->slots[i].used && k->slots[i].r.guest_phys_addr == gpa) {
            return &k->slots[i].r;
        }
    }
    return NULL;
}

static unsigned slots_live(FakeKvm *k)
{
    unsigned n = 0;

    for (unsigned i = 0; i < NR_SLOTS; i++) {
        n += k->slots[i].used;
    }
    return n;
}

/* ---- the machine */

static MemoryRegion sysmem, ram, rom, dev, hole, io_root, io_dev;
static AddressSpace as, io_as;
static uint8_t *ram_host;
static uint64_t dev_writes;

static uint64_t dev_read(void *opaque, hwaddr off, unsigned size)
{
    return 0;
}

static void dev_write(void *opaque, hwaddr off, uint64_t v, unsigned size)
{
    dev_writes++;
}

static const MemoryRegionOps dev_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
};

static void check_ram_slot(FakeKvm *k, uint64_t gpa, uint64_t size,
                           uint32_t flags)
{
    const struct kvm_userspace_memory_region *r = slot_at(k, gpa);

    CHECK(r);
    CHECK_EQ(r->memory_size, size);
    CHECK_EQ(r->userspace_addr,
             (uint64_t)(uintptr_t)(ram_host + (gpa - RAM_BASE)));
    CHECK_EQ(r->flags, flags);
}

static FakeKvm kvm;
static KVMMemoryListener kml;

static void test_ram_slot(void)
{
    bql_lock();
    memory_region_add_subregion(&sysmem, RAM_BASE, &ram);
    kvm_memory_listener_register(&kml, &fake_ops, &kvm, NR_SLOTS, true,
                                 false, &as, "kvm-test");
    bql_unlock();
    CHECK(!kml.failed);
    CHECK_EQ(slots_live(&kvm), 1);
    CHECK_EQ(kvm_memory_slots_used(&kml), 1);
    check_ram_slot(&kvm, RAM_BASE, RAM_SIZE, 0);
    /* MMIO is no slot: it exits to the memory core. */
    bql_lock();
    memory_region_add_subregion(&sysmem, DEV_BASE, &dev);
    bql_unlock();
    CHECK_EQ(slots_live(&kvm), 1);
}

/* An MMIO region laid over the RAM splits its slot; removing it joins
 * them again.  Every step must be one KVM accepts (no overlap, no
 * resize of a live slot). */
static void test_split_and_join(void)
{
    bql_lock();
    memory_region_add_subregion_overlap(&sysmem, RAM_BASE + 0x80000, &hole,
                                        1);
    bql_unlock();
    CHECK(!kml.failed);
    CHECK_EQ(slots_live(&kvm), 2);
    check_ram_slot(&kvm, RAM_BASE, 0x80000, 0);
    check_ram_slot(&kvm, RAM_BASE + 0x81000, RAM_SIZE - 0x81000, 0);

    /* A hole smaller than a page: the page holding it is no slot. */
    bql_lock();
    memory_region_del_subregion(&sysmem, &hole);
    memory_region_set_size(&hole, 0x10);
    memory_region_add_subregion_overlap(&sysmem, RAM_BASE + 0x80800, &hole,
                                        1);
    bql_unlock();
    CHECK(!kml.failed);
    CHECK_EQ(slots_live(&kvm), 2);
    check_ram_slot(&kvm, RAM_BASE, 0x80000, 0);
    check_ram_slot(&kvm, RAM_BASE + 0x81000, RAM_SIZE - 0x81000, 0);

    bql_lock();
    memory_region_del_subregion(&sysmem, &hole);
    bql_unlock();
    CHECK(!kml.failed);
    CHECK_EQ(slots_live(&kvm), 1);
    CHECK_EQ(kvm_memory_slots_used(&kml), 1);
    check_ram_slot(&kvm, RAM_BASE, RAM_SIZE, 0);
}

/* ROM: a read-only slot with KVM_CAP_READONLY_MEM, none without. */
static void test_rom(void)
{
    static FakeKvm kvm_no_ro;
    static KVMMemoryListener kml_no_ro;
    const struct kvm_userspace_memory_region *r;

    bql_lock();
    memory_region_add_subregion(&sysmem, ROM_BASE, &rom);
    bql_unlock();
    r = slot_at(&kvm, ROM_BASE);
    CHECK(r);
    CHECK_EQ(r->memory_size, ROM_SIZE);
    CHECK_EQ(r->flags, KVM_MEM_READONLY);
    CHECK_EQ(r->userspace_addr,
             (uint64_t)(uintptr_t)memory_region_get_ram_ptr(&rom));

    bql_lock();
    kvm_memory_listener_register(&kml_no_ro, &fake_ops, &kvm_no_ro,
                                 NR_SLOTS, false, false, &as, "kvm-no-ro");
    bql_unlock();
    CHECK_EQ(slots_live(&kvm_no_ro), 1);        /* the RAM only */
    CHECK(slot_at(&kvm_no_ro, RAM_BASE));
    CHECK(!slot_at(&kvm_no_ro, ROM_BASE));
    bql_lock();
    kvm_memory_listener_unregister(&kml_no_ro);
    bql_unlock();
    CHECK_EQ(slots_live(&kvm_no_ro), 0);        /* unregister: all gone */

    bql_lock();
    memory_region_del_subregion(&sysmem, &rom);
    bql_unlock();
    CHECK(!slot_at(&kvm, ROM_BASE));
    CHECK_EQ(slots_live(&kvm), 1);
}

/* log_start / log_stop: the same slot, with and without
 * KVM_MEM_LOG_DIRTY_PAGES; code logging (the TCG's) changes nothing. */
static void test_dirty_logging(void)
{
    unsigned calls;

    bql_lock();
    memory_region_set_log(&ram, true, DIRTY_CLIENT_MIGRATION);
    bql_unlock();
    CHECK(!kml.failed);
    CHECK_EQ(slots_live(&kvm), 1);
    check_ram_slot(&kvm, RAM_BASE, RAM_SIZE, KVM_MEM_LOG_DIRTY_PAGES);

    calls = kvm.set_region_calls;
    bql_lock();
    memory_region_set_log(&ram, true, DIRTY_CLIENT_CODE);
    memory_region_set_log(&ram, false, DIRTY_CLIENT_CODE);
    bql_unlock();
    CHECK_EQ(kvm.set_region_calls, calls);

    bql_lock();
    memory_region_set_log(&ram, false, DIRTY_CLIENT_MIGRATION);
    bql_unlock();
    check_ram_slot(&kvm, RAM_BASE, RAM_SIZE, 0);

    bql_lock();
    memory_region_set_log(&ram, true, DIRTY_CLIENT_CODE);
    bql_unlock();
    check_ram_slot(&kvm, RAM_BASE, RAM_SIZE, 0);
    bql_lock();
    memory_region_set_log(&ram, false, DIRTY_CLIENT_CODE);
    bql_unlock();
}

static const struct kvm_ioeventfd *last_ioeventfd(FakeKvm *k)
{
    CHECK(k->nr_ioeventfds);
    return &k->ioeventfds[k->nr_ioeventfds - 1];
}

static void test_ioeventfd_mmio(void)
{
    EventNotifier en;
    Error *err = NULL;
    const struct kvm_ioeventfd *e;

    CHECK(event_notifier_init(&en, false, &err));
    bql_lock();
    memory_region_add_eventfd(&dev, 0x8, 4, true, 0x1234, &en);
    bql_unlock();
    CHECK_EQ(kvm.nr_ioeventfds, 1);
    e = last_ioeventfd(&kvm);
    CHECK_EQ(e->addr, DEV_BASE + 0x8);
    CHECK_EQ(e->len, 4);
    CHECK_EQ(e->fd, en.fd);
    CHECK_EQ(e->datamatch, 0x1234);
    CHECK_EQ(e->flags, KVM_IOEVENTFD_FLAG_DATAMATCH);

    bql_lock();
    memory_region_del_eventfd(&dev, 0x8, 4, true, 0x1234, &en);
    bql_unlock();
    CHECK_EQ(kvm.nr_ioeventfds, 2);
    e = last_ioeventfd(&kvm);
    CHECK_EQ(e->addr, DEV_BASE + 0x8);
    CHECK_EQ(e->datamatch, 0x1234);
    CHECK_EQ(e->flags, KVM_IOEVENTFD_FLAG_DATAMATCH |
             KVM_IOEVENTFD_FLAG_DEASSIGN);

    /* No data match, any length (0 is "any" for MMIO). */
    bql_lock();
    memory_region_add_eventfd(&dev, 0x10, 0, false, 0, &en);
    bql_unlock();
    e = last_ioeventfd(&kvm);
    CHECK_EQ(e->addr, DEV_BASE + 0x10);
    CHECK_EQ(e->len, 0);
    CHECK_EQ(e->flags, 0);
    CHECK_EQ(e->datamatch, 0);
    /* The device moves: the kernel's eventfd moves with it. */
    bql_lock();
    memory_region_set_address(&dev, DEV_BASE + 0x1000);
    bql_unlock();
    CHECK_EQ(kvm.nr_ioeventfds, 5);
    CHECK_EQ(kvm.ioeventfds[3].addr, DEV_BASE + 0x10);
    CHECK_EQ(kvm.ioeventfds[3].flags, KVM_IOEVENTFD_FLAG_DEASSIGN);
    CHECK_EQ(kvm.ioeventfds[4].addr, DEV_BASE + 0x1010);
    CHECK_EQ(kvm.ioeventfds[4].flags, 0);

    /* The kernel refuses one: counted, and the memory core still
     * signals the notifier on that write. */
    bql_lock();
    memory_region_del_eventfd(&dev, 0x10, 0, false, 0, &en);
    kvm.fail_ioeventfd = -ENOSPC;
    memory_region_add_eventfd(&dev, 0x20, 2, false, 0, &en);
    bql_unlock();
    CHECK_EQ(kml.ioeventfds_refused, 1);
    CHECK_EQ(address_space_store(&as, DEV_BASE + 0x1020, 2,
                                 DEVICE_LITTLE_ENDIAN,
                                 MEMTXATTRS_UNSPECIFIED, 7), MEMTX_OK);
    CHECK_EQ(dev_writes, 0);
    bql_lock();
    memory_region_del_eventfd(&dev, 0x20, 2, false, 0, &en);
    memory_region_set_address(&dev, DEV_BASE);
    bql_unlock();
    event_notifier_cleanup(&en);
}

static void test_ioeventfd_pio(void)
{
    static FakeKvm kvm_io;
    static KVMMemoryListener kml_io;
    EventNotifier en;
    Error *err = NULL;
    const struct kvm_ioeventfd *e;

    CHECK(event_notifier_init(&en, false, &err));
    bql_lock();
    memory_region_add_subregion(&io_root, 0xcfc, &io_dev);
    kvm_memory_listener_register(&kml_io, &fake_ops, &kvm_io, 0, false,
                                 true, &io_as, "kvm-io-test");
    memory_region_add_eventfd(&io_dev, 2, 2, true, 0x5, &en);
    bql_unlock();
    CHECK_EQ(slots_live(&kvm_io), 0);           /* ports are never slots */
    CHECK_EQ(kvm_io.nr_ioeventfds, 1);
    e = last_ioeventfd(&kvm_io);
    CHECK_EQ(e->addr, 0xcfe);
    CHECK_EQ(e->len, 2);
    CHECK_EQ(e->datamatch, 5);
    CHECK_EQ(e->flags, KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH);
    bql_lock();
    memory_region_del_eventfd(&io_dev, 2, 2, true, 0x5, &en);
    bql_unlock();
    e = last_ioeventfd(&kvm_io);
    CHECK_EQ(e->flags, KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH |
             KVM_IOEVENTFD_FLAG_DEASSIGN);

    /* "Any length" does not exist for port I/O: refused, never asked. */
    bql_lock();
    memory_region_add_eventfd(&io_dev, 0, 0, false, 0, &en);
    bql_unlock();
    CHECK_EQ(kvm_io.nr_ioeventfds, 2);
    CHECK_EQ(kml_io.ioeventfds_refused, 1);
    bql_lock();
    memory_region_del_eventfd(&io_dev, 0, 0, false, 0, &en);
    kvm_memory_listener_unregister(&kml_io);
    bql_unlock();
    event_notifier_cleanup(&en);
}

/* The kernel refuses a slot: reported once, the machine asked to stop. */
static void test_slot_refused(void)
{
    static FakeKvm kvm_bad;
    static KVMMemoryListener kml_bad;

    CHECK(!shutdown_requested());
    kvm_bad.fail_set_region = -ENOMEM;
    bql_lock();
    kvm_memory_listener_register(&kml_bad, &fake_ops, &kvm_bad, NR_SLOTS,
                                 true, false, &as, "kvm-bad");
    bql_unlock();
    CHECK(kml_bad.failed);
    CHECK(shutdown_requested());
    CHECK_EQ(kvm_memory_slots_used(&kml_bad), 0);
    bql_lock();
    kvm_memory_listener_unregister(&kml_bad);
    bql_unlock();
    CHECK_EQ(slots_live(&kvm_bad), 0);
}

int main(void)
{
    Error *err = NULL;

    weft_rcu_register_thread();
    CHECK(main_loop_init(&err));
    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    memory_region_init(&io_root, NULL, "io", 0x10000);
    CHECK(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, &err));
    CHECK(memory_region_init_rom(&rom, NULL, "rom", ROM_SIZE, &err));
    ram_host = memory_region_get_ram_ptr(&ram);
    memory_region_init_io(&dev, NULL, &dev_ops, NULL, "dev", 0x1000);
    memory_region_init_io(&hole, NULL, &dev_ops, NULL, "hole", 0x1000);
    memory_region_init_io(&io_dev, NULL, &dev_ops, NULL, "io-dev", 4);
    bql_lock();
    address_space_init(&as, &sysmem, "memory");
    address_space_init(&io_as, &io_root, "I/O");
    bql_unlock();

    RUN(test_ram_slot);
    RUN(test_split_and_join);
    RUN(test_rom);
    RUN(test_dirty_logging);
    RUN(test_ioeventfd_mmio);
    RUN(test_ioeventfd_pio);
    RUN(test_slot_refused);
    return 0;
}
