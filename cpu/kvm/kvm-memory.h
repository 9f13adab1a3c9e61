/* The KVM memory listener: turns an address space's RAM sections into
 * KVM memory slots and its ioeventfd registrations into KVM ioeventfds.
 *
 * The kernel calls go through KVMMemoryOps so that the unit tests can
 * watch them without /dev/kvm (tests/unit/kvm/); kvm-all.c passes
 * ioctls on the VM fd.
 *
 * Locking: every callback runs under the BQL (the listener contract),
 * and the slot table is touched only there.  KVM itself keeps vCPUs off
 * a slot it is changing, so nothing else is needed: RAM a region_del
 * removes stays mapped in the host until the memory core frees it after
 * a grace period, later than the slot deletion that precedes it.
 */
#ifndef CPU_KVM_KVM_MEMORY_H
#define CPU_KVM_KVM_MEMORY_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "memory/memory.h"

typedef struct KVMMemoryOps {
    /* KVM_SET_USER_MEMORY_REGION; 0 or a negative errno. */
    int (*set_region)(void *opaque,
                      const struct kvm_userspace_memory_region *r);
    /* KVM_IOEVENTFD; 0 or a negative errno. */
    int (*ioeventfd)(void *opaque, const struct kvm_ioeventfd *e);
} KVMMemoryOps;

typedef struct KVMSlot {
    bool used;
    uint64_t gpa, size;
    uint64_t host;              /* userspace_addr */
    uint32_t flags;             /* KVM_MEM_* */
} KVMSlot;

typedef struct KVMMemoryListener {
    MemoryListener listener;
    const KVMMemoryOps *ops;
    void *opaque;
    bool readonly_mem;          /* KVM_CAP_READONLY_MEM */
    bool pio;                   /* port I/O space: no slots, PIO eventfds */
    unsigned as_id;             /* high 16 bits of the slot number */
    unsigned nr_slots;
    KVMSlot *slots;             /* index = KVM slot id */
    /* The kernel refused a slot: the guest's view of memory is wrong and
     * the machine asked to stop (once). */
    bool failed;
    /* ioeventfds the kernel refused; their writes still reach the
     * eventfd through the memory core's own dispatch. */
    unsigned ioeventfds_refused;
} KVMMemoryListener;

/* BQL.  nr_slots from KVM_CAP_NR_MEMSLOTS.  Registers on as (which
 * replays its current map). */
void kvm_memory_listener_register(KVMMemoryListener *kml,
                                  const KVMMemoryOps *ops, void *opaque,
                                  unsigned nr_slots, bool readonly_mem,
                                  bool pio, AddressSpace *as,
                                  const char *name);
void kvm_memory_listener_unregister(KVMMemoryListener *kml);

/* Slots in use, for tests and -d. */
unsigned kvm_memory_slots_used(const KVMMemoryListener *kml);

#endif
