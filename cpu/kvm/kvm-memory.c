/* The KVM memory listener: see kvm-memory.h. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/kvm/kvm-memory.h"
#include "system/runstate.h"
#include "util/compiler.h"
#include "util/error.h"

/* KVM maps whole host pages at guest-page-aligned addresses. */
#define KVM_PAGE_SIZE 4096ull

static KVMMemoryListener *kml_of(MemoryListener *l)
{
    return container_of(l, KVMMemoryListener, listener);
}

static uint32_t slot_flags(KVMMemoryListener *kml, MemoryRegionSection *s,
                           unsigned log_mask)
{
    uint32_t flags = 0;

    /* CODE logging is the TCG's business (invalidating translations);
     * KVM runs the guest's code as it is. */
    if (log_mask & ~(1u << DIRTY_CLIENT_CODE)) {
        flags |= KVM_MEM_LOG_DIRTY_PAGES;
    }
    if (memory_region_is_rom(s->mr) || s->readonly) {
        flags |= KVM_MEM_READONLY;
    }
    return flags;
}

/* The page-aligned part of s: [*gpa, *gpa + *size) at host address
 * *host.  False if nothing is left (the section stays MMIO to KVM: its
 * accesses exit and go through the memory core). */
static bool section_pages(MemoryRegionSection *s, uint64_t *gpa,
                          uint64_t *size, uint64_t *host)
{
    uint64_t start = s->offset_within_address_space;
    uint64_t end = start + s->size;
    uint64_t astart = (start + KVM_PAGE_SIZE - 1) & ~(KVM_PAGE_SIZE - 1);
    uint64_t aend = end & ~(KVM_PAGE_SIZE - 1);
    uint8_t *ram = memory_region_get_ram_ptr(s->mr);

    if (aend <= astart) {
        return false;
    }
    *gpa = astart;
    *size = aend - astart;
    *host = (uint64_t)(uintptr_t)(ram + s->offset_within_region +
                                  (astart - start));
    /* RAM blocks are page-aligned mmaps; a section that starts at a
     * page boundary of the space starts at one of the block too, unless
     * an alias offset is odd, which no board does. */
    return (*host & (KVM_PAGE_SIZE - 1)) == 0;
}

static void slot_failed(KVMMemoryListener *kml, unsigned id,
                        const KVMSlot *slot, int err)
{
    if (!kml->failed) {
        error_report("kvm: KVM_SET_USER_MEMORY_REGION slot %u at 0x%"
                     PRIx64 " (+0x%" PRIx64 "): %s", id, slot->gpa,
                     slot->size, strerror(-err));
        kml->failed = true;
        qemu_system_shutdown_request(1);
    }
}

static int slot_commit(KVMMemoryListener *kml, unsigned id, bool del)
{
    const KVMSlot *slot = &kml->slots[id];
    struct kvm_userspace_memory_region r = {
        .slot = kml->as_id << 16 | id,
        .flags = slot->flags,
        .guest_phys_addr = slot->gpa,
        .memory_size = del ? 0 : slot->size,
        .userspace_addr = slot->host,
    };
    int err = kml->ops->set_region(kml->opaque, &r);

    if (err) {
        slot_failed(kml, id, slot, err);
    }
    return err;
}

static int slot_find(KVMMemoryListener *kml, uint64_t gpa, uint64_t size)
{
    for (unsigned i = 0; i < kml->nr_slots; i++) {
        KVMSlot *slot = &kml->slots[i];

        if (slot->used && slot->gpa == gpa && slot->size == size) {
            return i;
        }
    }
    return -1;
}

static bool section_is_slot(KVMMemoryListener *kml, MemoryRegionSection *s)
{
    if (kml->pio || !memory_region_is_ram(s->mr)) {
        return false;
    }
    /* Without read-only slots a ROM stays out of KVM: reads exit and the
     * memory core serves them (code cannot run from it then). */
    return kml->readonly_mem ||
           !(memory_region_is_rom(s->mr) || s->readonly);
}

static void kvm_region_add(MemoryListener *l, MemoryRegionSection *s)
{
    KVMMemoryListener *kml = kml_of(l);
    uint64_t gpa, size, host;

    if (!section_is_slot(kml, s) || !section_pages(s, &gpa, &size, &host)) {
        return;
    }
    for (unsigned i = 0; i < kml->nr_slots; i++) {
        KVMSlot *slot = &kml->slots[i];

        if (!slot->used) {
            *slot = (KVMSlot) {
                .used = true, .gpa = gpa, .size = size, .host = host,
                .flags = slot_flags(kml, s,
                                    memory_region_get_dirty_log_mask(s->mr)),
            };
            if (slot_commit(kml, i, false)) {
                slot->used = false;
            }
            return;
        }
    }
    if (!kml->failed) {
        error_report("kvm: no free memory slot for 0x%" PRIx64 " (+0x%"
                     PRIx64 "): the kernel offers %u", gpa, size,
                     kml->nr_slots);
        kml->failed = true;
        qemu_system_shutdown_request(1);
    }
}

static void kvm_region_del(MemoryListener *l, MemoryRegionSection *s)
{
    KVMMemoryListener *kml = kml_of(l);
    uint64_t gpa, size, host;
    int id;

    if (!section_is_slot(kml, s) || !section_pages(s, &gpa, &size, &host)) {
        return;
    }
    id = slot_find(kml, gpa, size);
    if (id < 0) {
        return;     /* its add failed and was reported */
    }
    slot_commit(kml, id, true);
    kml->slots[id].used = false;
}

/* log_start / log_stop: the slot keeps its place, its flags change. */
static void kvm_log_change(MemoryListener *l, MemoryRegionSection *s,
                           unsigned old_mask, unsigned new_mask)
{
    KVMMemoryListener *kml = kml_of(l);
    uint64_t gpa, size, host;
    uint32_t flags;
    int id;

    if (!section_is_slot(kml, s) || !section_pages(s, &gpa, &size, &host)) {
        return;
    }
    id = slot_find(kml, gpa, size);
    if (id < 0) {
        return;
    }
    flags = slot_flags(kml, s, new_mask);
    if (flags != kml->slots[id].flags) {
        kml->slots[id].flags = flags;
        slot_commit(kml, id, false);
    }
}

static void kvm_eventfd(MemoryListener *l, MemoryRegionSection *s,
                        bool match_data, uint64_t data, EventNotifier *e,
                        bool assign)
{
    KVMMemoryListener *kml = kml_of(l);
    struct kvm_ioeventfd fd = {
        .datamatch = match_data ? data : 0,
        .addr = s->offset_within_address_space,
        .len = s->size,
        .fd = e->fd,
        .flags = (match_data ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0) |
                 (kml->pio ? KVM_IOEVENTFD_FLAG_PIO : 0) |
                 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
    };
    int err;

    /* KVM takes lengths 1, 2, 4, 8, and 0 ("any") for MMIO only. */
    if (s->size > 8 || (s->size & (s->size - 1)) ||
        (kml->pio && s->size == 0)) {
        kml->ioeventfds_refused += assign;
        return;
    }
    err = kml->ops->ioeventfd(kml->opaque, &fd);
    if (err && assign) {
        kml->ioeventfds_refused++;
        warn_report("kvm: KVM_IOEVENTFD at 0x%" PRIx64 ": %s; the "
                    "notification takes the slow path", (uint64_t)fd.addr,
                    strerror(-err));
    }
}

static void kvm_eventfd_add(MemoryListener *l, MemoryRegionSection *s,
                            bool match_data, uint64_t data, EventNotifier *e)
{
    kvm_eventfd(l, s, match_data, data, e, true);
}

static void kvm_eventfd_del(MemoryListener *l, MemoryRegionSection *s,
                            bool match_data, uint64_t data, EventNotifier *e)
{
    kvm_eventfd(l, s, match_data, data, e, false);
}

void kvm_memory_listener_register(KVMMemoryListener *kml,
                                  const KVMMemoryOps *ops, void *opaque,
                                  unsigned nr_slots, bool readonly_mem,
                                  bool pio, AddressSpace *as,
                                  const char *name)
{
    memset(kml, 0, sizeof(*kml));
    kml->ops = ops;
    kml->opaque = opaque;
    kml->readonly_mem = readonly_mem;
    kml->pio = pio;
    kml->nr_slots = nr_slots;
    kml->slots = calloc(nr_slots, sizeof(*kml->slots));
    if (!kml->slots) {
        abort();
    }
    kml->listener = (MemoryListener) {
        .region_add = kvm_region_add,
        .region_del = kvm_region_del,
        .log_start = kvm_log_change,
        .log_stop = kvm_log_change,
        .eventfd_add = kvm_eventfd_add,
        .eventfd_del = kvm_eventfd_del,
        .name = name,
        /* Before the other listeners: KVM must see new RAM first. */
        .priority = 10,
    };
    memory_listener_register(&kml->listener, as);
}

void kvm_memory_listener_unregister(KVMMemoryListener *kml)
{
    memory_listener_unregister(&kml->listener);
    free(kml->slots);
    kml->slots = NULL;
}

unsigned kvm_memory_slots_used(const KVMMemoryListener *kml)
{
    unsigned n = 0;

    for (unsigned i = 0; i < kml->nr_slots; i++) {
        n += kml->slots[i].used;
    }
    return n;
}
