/* The memory core: regions, flat views, address spaces, transactions and
 * listeners, ioeventfd, IOMMU regions, RAM blocks with dirty bitmaps, and
 * the dispatch of guest and DMA accesses.
 *
 * Threads and locks (DESIGN §3, details in docs/memory.md):
 *  - Everything that changes the memory map (region set-up, subregions,
 *    enable, address, eventfds, logging, address spaces, listeners) runs
 *    under the BQL, inside an explicit or implicit transaction.
 *  - Each address space publishes an immutable FlatView with RCU.  The
 *    access functions (address_space_read/write/ld/st) may be called from
 *    any thread that holds the BQL or is an online registered RCU reader,
 *    outside any read section: they take their own.
 *  - A region's handler runs under the BQL unless the region is lockless.
 *
 * Lifetimes: a region belongs to an owner Object (or to nobody: then it
 * lives as long as the machine).  Whoever may use a region beyond an RCU
 * read section or a BQL section holds a reference on its owner
 * (memory_region_ref).  memory_region_finalize() is called from the
 * owner's finalize.
 */
#ifndef MEMORY_MEMORY_H
#define MEMORY_MEMORY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hw/core/object.h"
#include "system/event-loop.h"
#include "util/atomic.h"
#include "util/error.h"
#include "util/rcu.h"

typedef uint64_t hwaddr;

typedef struct MemoryRegion MemoryRegion;
typedef struct MemoryRegionOps MemoryRegionOps;
typedef struct MemoryRegionIoeventfd MemoryRegionIoeventfd;
typedef struct MemoryRegionIoeventfds MemoryRegionIoeventfds;
typedef struct IOMMUMemoryRegionOps IOMMUMemoryRegionOps;
typedef struct IOMMUNotifier IOMMUNotifier;
typedef struct MemoryListener MemoryListener;
typedef struct AddressSpace AddressSpace;
typedef struct FlatView FlatView;
typedef struct RAMBlock RAMBlock;

/* Guest pages, for dirty tracking: every weft target uses 4 KiB. */
#define TARGET_PAGE_BITS 12
#define TARGET_PAGE_SIZE (1ull << TARGET_PAGE_BITS)
#define TARGET_PAGE_MASK (~(TARGET_PAGE_SIZE - 1))

/* ---- transaction results and attributes */

/* Bit flags, so that the pieces of a split access can be OR-ed. */
typedef enum MemTxResult {
    MEMTX_OK = 0,
    MEMTX_ACCESS_ERROR = 1u << 0,   /* decoded, but refused: bad size or
                                       alignment, read-only, IOMMU denied,
                                       or the device said so */
    MEMTX_DECODE_ERROR = 1u << 1,   /* nothing mapped at the address */
} MemTxResult;

typedef struct MemTxAttrs {
    unsigned secure : 1;
    unsigned user : 1;           /* unprivileged access */
    unsigned debug : 1;          /* debugger access (gdbstub) */
    unsigned requester_id : 16;  /* PCI requester, for IOMMUs */
} MemTxAttrs;

#define MEMTXATTRS_UNSPECIFIED ((MemTxAttrs) { 0 })

/* Byte order of a device's registers, or of an access.  NATIVE is the
 * guest's order; every weft target (RISC-V, x86-64) is little-endian. */
typedef enum DeviceEndian {
    DEVICE_NATIVE_ENDIAN,
    DEVICE_LITTLE_ENDIAN,
    DEVICE_BIG_ENDIAN,
} DeviceEndian;

/* ---- MMIO callbacks */

struct MemoryRegionOps {
    /* offset is relative to the region; size is 1, 2, 4 or 8 and within
     * impl.  Values are numbers in the device's byte order. */
    uint64_t (*read)(void *opaque, hwaddr offset, unsigned size);
    void (*write)(void *opaque, hwaddr offset, uint64_t value, unsigned size);
    /* Alternatives that can fail the access; used when non-NULL. */
    MemTxResult (*read_with_attrs)(void *opaque, hwaddr offset,
                                   uint64_t *value, unsigned size,
                                   MemTxAttrs attrs);
    MemTxResult (*write_with_attrs)(void *opaque, hwaddr offset,
                                    uint64_t value, unsigned size,
                                    MemTxAttrs attrs);
    DeviceEndian endianness;
    /* What the bus accepts: other accesses fail with MEMTX_ACCESS_ERROR.
     * 0 sizes mean 1 and 8.  unaligned: accept offset % size != 0. */
    struct {
        unsigned min_access_size;
        unsigned max_access_size;
        bool unaligned;
        /* Optional extra filter. */
        bool (*accepts)(void *opaque, hwaddr offset, unsigned size,
                        bool is_write, MemTxAttrs attrs);
    } valid;
    /* What the callbacks implement: dispatch splits wider accesses and
     * widens narrower ones (a widened write carries zero in the bytes
     * outside the access).  0 sizes mean 1 and 4.  unaligned: the
     * callbacks take offset % size != 0; else pieces are aligned. */
    struct {
        unsigned min_access_size;
        unsigned max_access_size;
        bool unaligned;
    } impl;
};

/* ---- ioeventfd, as the region stores it (see memory_region_add_eventfd) */
struct MemoryRegionIoeventfd {
    hwaddr offset;          /* in the region */
    unsigned size;          /* 0: any access size at offset */
    bool match_data;
    uint64_t data;          /* bytes of the access, read as little-endian */
    EventNotifier *notifier;
};

/* RCU-published, immutable array; replaced on every change. */
struct MemoryRegionIoeventfds {
    RcuHead rcu;
    unsigned nr;
    MemoryRegionIoeventfd fds[];
};

/* ---- IOMMU */

typedef enum IOMMUAccessFlags {
    IOMMU_NONE = 0,
    IOMMU_RO = 1,
    IOMMU_WO = 2,
    IOMMU_RW = 3,
} IOMMUAccessFlags;

/* One translation: [iova, iova + addr_mask] maps to
 * [translated_addr, translated_addr + addr_mask] in target_as.
 * addr_mask is 2^n - 1 (a page mask). */
typedef struct IOMMUTLBEntry {
    AddressSpace *target_as;
    hwaddr iova;
    hwaddr translated_addr;
    hwaddr addr_mask;
    IOMMUAccessFlags perm;
} IOMMUTLBEntry;

struct IOMMUMemoryRegionOps {
    /* addr is an offset in the IOMMU region.  Called inside an RCU read
     * section, with or without the BQL, from any thread: it must not take
     * the BQL or block.  perm IOMMU_NONE means "no mapping". */
    IOMMUTLBEntry (*translate)(MemoryRegion *iommu, void *opaque, hwaddr addr,
                               IOMMUAccessFlags access);
};

typedef enum IOMMUNotifierFlag {
    IOMMU_NOTIFIER_NONE = 0,
    IOMMU_NOTIFIER_UNMAP = 1,
    IOMMU_NOTIFIER_MAP = 2,
    IOMMU_NOTIFIER_ALL = 3,
} IOMMUNotifierFlag;

typedef struct IOMMUTLBEvent {
    IOMMUNotifierFlag type;     /* MAP or UNMAP */
    IOMMUTLBEntry entry;
} IOMMUTLBEvent;

typedef void IOMMUNotify(IOMMUNotifier *n, const IOMMUTLBEvent *event);

struct IOMMUNotifier {
    IOMMUNotify *notify;
    IOMMUNotifierFlag flags;
    hwaddr start, end;          /* iova range, inclusive */
    /* private */
    MemoryRegion *iommu;
    IOMMUNotifier *next;
};

/* ---- RAM blocks and dirty bitmaps */

typedef enum DirtyClient {
    DIRTY_CLIENT_CODE,          /* TCG: writes to pages with translations */
    DIRTY_CLIENT_DISPLAY,       /* framebuffer updates */
    DIRTY_CLIENT_MIGRATION,
    DIRTY_CLIENT_NUM,
} DirtyClient;

#define DIRTY_CLIENTS_ALL ((1u << DIRTY_CLIENT_NUM) - 1)
#define DIRTY_BITS_PER_WORD (sizeof(unsigned long) * 8)

/* The host memory of a RAM or ROM region.  host, size, fd and the bitmap
 * pointers never change while the region lives; the bitmap words are
 * updated atomically from any thread. */
struct RAMBlock {
    MemoryRegion *mr;
    uint8_t *host;
    uint64_t size;              /* bytes usable by the guest */
    uint64_t mapped_size;       /* bytes mmapped (page multiple) */
    int fd;                     /* file backing, or -1 */
    bool shared;                /* MAP_SHARED */
    bool caller_memory;         /* memory_region_init_ram_ptr: not ours */
    uint64_t pages;             /* target pages covered */
    unsigned long *dirty[DIRTY_CLIENT_NUM];
};

/* Marks [offset, offset + len) of rb dirty for each client in
 * client_mask.  Called from any thread, lock-free: the CPU store path
 * calls it for pages its TLB flags as logged. */
static inline void ram_block_set_dirty(RAMBlock *rb, uint64_t offset,
                                       uint64_t len, unsigned client_mask)
{
    uint64_t page, last;

    if (!client_mask || !len || offset >= rb->size) {
        return;
    }
    if (len > rb->size - offset) {
        len = rb->size - offset;
    }
    page = offset >> TARGET_PAGE_BITS;
    last = (offset + len - 1) >> TARGET_PAGE_BITS;
    for (; page <= last; page++) {
        unsigned long bit = 1ul << (page % DIRTY_BITS_PER_WORD);

        for (unsigned c = 0; c < DIRTY_CLIENT_NUM; c++) {
            unsigned long *word;

            if (!(client_mask & (1u << c))) {
                continue;
            }
            word = &rb->dirty[c][page / DIRTY_BITS_PER_WORD];
            /* A plain load first keeps hot pages from bouncing the line. */
            if (!(atomic_read(word) & bit)) {
                atomic_fetch_or(word, bit);
            }
        }
    }
}

/* ---- regions */

typedef enum MemoryRegionKind {
    MR_KIND_CONTAINER,
    MR_KIND_RAM,                /* RAM and ROM */
    MR_KIND_IO,
    MR_KIND_ALIAS,
    MR_KIND_IOMMU,
} MemoryRegionKind;

/* Devices embed MemoryRegion in their state; fields are public for that
 * and for the inline helpers, not for direct writes: use the functions. */
struct MemoryRegion {
    /* Set at init, immutable while the region lives. */
    Object *owner;              /* NULL: static region */
    char *name;
    MemoryRegionKind kind;
    bool rom;                   /* RAM region created read-only */
    const MemoryRegionOps *ops;
    void *opaque;
    const IOMMUMemoryRegionOps *iommu_ops;
    RAMBlock *ram_block;
    unsigned magic;             /* catches use before init / after finalize */

    /* Read by dispatch without locks: atomics. */
    bool lockless;              /* handler runs without the BQL */
    unsigned dirty_log_mask;    /* clients with logging on (RAM only) */
    MemoryRegionIoeventfds *ioeventfds;     /* RCU; NULL when none */

    /* Memory-map state: the BQL protects all of it. */
    uint64_t size;
    hwaddr addr;                /* offset in container */
    int priority;
    bool enabled;
    bool readonly;
    bool may_overlap;
    MemoryRegion *container;
    MemoryRegion *alias;        /* target of an alias */
    hwaddr alias_offset;
    MemoryRegion *subregions;   /* highest priority first */
    MemoryRegion *sibling_next, *sibling_prev;
    unsigned nr_subregions;
    unsigned as_root_count;     /* address spaces rooted here */

    /* iommu_lock protects iommu_notifiers and is held while they run, so
     * that after unregister returns a notifier is never called again. */
    pthread_mutex_t iommu_lock;
    IOMMUNotifier *iommu_notifiers;
};

/* Containers, I/O, aliases, RAM.  name is copied.  size UINT64_MAX means
 * "the whole address space" (the last byte, 2^64-1, is not addressable).
 * All need the BQL only if the region is already reachable, i.e. never in
 * practice: init may run anywhere. */
void memory_region_init(MemoryRegion *mr, Object *owner, const char *name,
                        uint64_t size);
void memory_region_init_io(MemoryRegion *mr, Object *owner,
                           const MemoryRegionOps *ops, void *opaque,
                           const char *name, uint64_t size);
void memory_region_init_alias(MemoryRegion *mr, Object *owner,
                              const char *name, MemoryRegion *target,
                              hwaddr offset, uint64_t size);
/* Anonymous, zero-filled host memory. */
bool memory_region_init_ram(MemoryRegion *mr, Object *owner,
                            const char *name, uint64_t size, Error **errp);
/* RAM backed by a file, created or extended to size.  shared: writes
 * reach the file (MAP_SHARED), else they stay private to weft. */
bool memory_region_init_ram_from_file(MemoryRegion *mr, Object *owner,
                                      const char *name, uint64_t size,
                                      const char *path, bool shared,
                                      Error **errp);
/* RAM on memory the caller owns and keeps mapped while the region lives. */
void memory_region_init_ram_ptr(MemoryRegion *mr, Object *owner,
                                const char *name, uint64_t size, void *host);
/* Read-only RAM: the board fills it through memory_region_get_ram_ptr();
 * guest and DMA writes are dropped with MEMTX_ACCESS_ERROR. */
bool memory_region_init_rom(MemoryRegion *mr, Object *owner,
                            const char *name, uint64_t size, Error **errp);
void memory_region_init_iommu(MemoryRegion *mr, Object *owner,
                              const IOMMUMemoryRegionOps *ops, void *opaque,
                              const char *name, uint64_t size);

/* From the owner's finalize (or for a static region, once it can no
 * longer be reached).  Asserts that mr is in no container and no address
 * space root, and has no subregions, eventfds or IOMMU notifiers left.
 * Frees the name and the RAM; the MemoryRegion memory stays the caller's. */
void memory_region_finalize(MemoryRegion *mr);

/* Reference on the owner: keeps mr alive outside read sections. */
void memory_region_ref(MemoryRegion *mr);
void memory_region_unref(MemoryRegion *mr);

/* Subregions: a mutation of the map, so BQL + implicit transaction.
 * priority decides overlaps between siblings (higher wins; among equal
 * priorities the region added last wins).  Regions added without
 * _overlap are declared not to overlap their siblings. */
void memory_region_add_subregion(MemoryRegion *container, hwaddr offset,
                                 MemoryRegion *sub);
void memory_region_add_subregion_overlap(MemoryRegion *container,
                                         hwaddr offset, MemoryRegion *sub,
                                         int priority);
/* Also allowed without the BQL from the finalize of the owner of both
 * regions (see docs/memory.md: such a link is invisible by then). */
void memory_region_del_subregion(MemoryRegion *container, MemoryRegion *sub);

void memory_region_set_enabled(MemoryRegion *mr, bool enabled);
void memory_region_set_readonly(MemoryRegion *mr, bool readonly);
/* Moves mr in its container (it becomes the newest of its priority). */
void memory_region_set_address(MemoryRegion *mr, hwaddr addr);
void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset);
void memory_region_set_size(MemoryRegion *mr, uint64_t size);
/* Lockless: the handlers run without the BQL, from any thread, and the
 * device protects its state itself.  Takes effect for accesses that start
 * after the call. */
void memory_region_set_lockless(MemoryRegion *mr, bool lockless);

static inline uint64_t memory_region_size(const MemoryRegion *mr)
{
    return mr->size;
}
static inline const char *memory_region_name(const MemoryRegion *mr)
{
    return mr->name;
}
static inline Object *memory_region_owner(const MemoryRegion *mr)
{
    return mr->owner;
}
static inline bool memory_region_is_ram(const MemoryRegion *mr)
{
    return mr->kind == MR_KIND_RAM;
}
static inline bool memory_region_is_rom(const MemoryRegion *mr)
{
    return mr->kind == MR_KIND_RAM && mr->rom;
}
static inline bool memory_region_is_iommu(const MemoryRegion *mr)
{
    return mr->kind == MR_KIND_IOMMU;
}
static inline bool memory_region_is_lockless(const MemoryRegion *mr)
{
    return atomic_read(&mr->lockless);
}

/* RAM: host memory of a RAM/ROM region, or of the RAM an alias chain
 * ends in (at the alias offset); NULL otherwise.  Valid while mr lives. */
void *memory_region_get_ram_ptr(MemoryRegion *mr);
RAMBlock *memory_region_get_ram_block(MemoryRegion *mr);

/* ---- ioeventfd (BQL; implicit transaction) */

/* Writes of `size` bytes (0: any size) at `offset` in the I/O region mr
 * whose value equals `data` (if match_data) signal `notifier` instead of
 * calling the region's write; no BQL and no device lock are taken.  data
 * is a value as the write callback would see it (device byte order).
 * The notifier may still be signalled by an access that began before
 * del_eventfd returned: close it only after a grace period (e.g. in the
 * owner's finalize). */
void memory_region_add_eventfd(MemoryRegion *mr, hwaddr offset, unsigned size,
                               bool match_data, uint64_t data,
                               EventNotifier *notifier);
void memory_region_del_eventfd(MemoryRegion *mr, hwaddr offset, unsigned size,
                               bool match_data, uint64_t data,
                               EventNotifier *notifier);

/* ---- dirty logging (RAM regions) */

/* BQL; listeners get log_start / log_stop at commit. */
void memory_region_set_log(MemoryRegion *mr, bool log, DirtyClient client);
static inline unsigned memory_region_get_dirty_log_mask(MemoryRegion *mr)
{
    return atomic_read(&mr->dirty_log_mask);
}
/* Any thread.  Ranges are clipped to the region. */
void memory_region_set_dirty(MemoryRegion *mr, hwaddr offset, uint64_t size);
bool memory_region_get_dirty(MemoryRegion *mr, hwaddr offset, uint64_t size,
                             DirtyClient client);
/* Returns whether any page of the range was dirty, and cleans them. */
bool memory_region_test_and_clear_dirty(MemoryRegion *mr, hwaddr offset,
                                        uint64_t size, DirtyClient client);
void memory_region_reset_dirty(MemoryRegion *mr, hwaddr offset, uint64_t size,
                               DirtyClient client);

/* ---- IOMMU notifiers (any thread; see iommu_lock) */

void iommu_notifier_init(IOMMUNotifier *n, IOMMUNotify *fn,
                         IOMMUNotifierFlag flags, hwaddr start, hwaddr end);
void memory_region_register_iommu_notifier(MemoryRegion *iommu,
                                           IOMMUNotifier *n);
void memory_region_unregister_iommu_notifier(MemoryRegion *iommu,
                                             IOMMUNotifier *n);
/* The IOMMU model reports a new mapping (event->type MAP) or a removed one
 * (UNMAP) to the notifiers whose flags and range match.  Must not be
 * called from a notifier. */
void memory_region_notify_iommu(MemoryRegion *iommu,
                                const IOMMUTLBEvent *event);

/* ---- transactions (BQL) */

/* Nestable.  Mutations inside are batched: views are rendered and
 * listeners told once, at the outermost commit. */
void memory_region_transaction_begin(void);
void memory_region_transaction_commit(void);
unsigned memory_region_transaction_depth(void);

/* ---- sections and listeners */

/* A piece of a flat view.  mr is the terminal region (aliases resolved).
 * For listeners, mr stays valid at least until the matching region_del
 * returns; keep it longer only with memory_region_ref(). */
typedef struct MemoryRegionSection {
    MemoryRegion *mr;
    AddressSpace *as;
    hwaddr offset_within_region;
    hwaddr offset_within_address_space;
    uint64_t size;
    bool readonly;
} MemoryRegionSection;

/* All callbacks are optional and run under the BQL; they must not change
 * the map.  At every commit that changed something, listeners get begin,
 * then per address space eventfd_del, log_stop + region_del (address
 * order), region_add + log_start and logging changes of kept ranges
 * (address order), eventfd_add, then commit: all deletes before all
 * adds.  region_del and eventfd_del go in decreasing priority order, the
 * rest increasing.  log_start/log_stop masks describe the step each call
 * makes (old -> new), so they chain.  docs/memory.md has the details. */
struct MemoryListener {
    void (*begin)(MemoryListener *l);
    void (*commit)(MemoryListener *l);
    void (*region_add)(MemoryListener *l, MemoryRegionSection *s);
    void (*region_del)(MemoryListener *l, MemoryRegionSection *s);
    void (*log_start)(MemoryListener *l, MemoryRegionSection *s,
                      unsigned old_mask, unsigned new_mask);
    void (*log_stop)(MemoryListener *l, MemoryRegionSection *s,
                     unsigned old_mask, unsigned new_mask);
    /* s covers the eventfd's bytes; data as in MemoryRegionIoeventfd. */
    void (*eventfd_add)(MemoryListener *l, MemoryRegionSection *s,
                        bool match_data, uint64_t data, EventNotifier *e);
    void (*eventfd_del)(MemoryListener *l, MemoryRegionSection *s,
                        bool match_data, uint64_t data, EventNotifier *e);
    const char *name;
    int priority;
    /* private */
    AddressSpace *as;
    MemoryListener *next, *prev;
};

/* BQL.  register replays the current view (begin, region_add + log_start,
 * eventfd_add, commit); unregister takes it all back (begin, eventfd_del,
 * log_stop + region_del, commit). */
void memory_listener_register(MemoryListener *l, AddressSpace *as);
void memory_listener_unregister(MemoryListener *l);

/* ---- address spaces */

struct AddressSpace {
    char *name;
    MemoryRegion *root;         /* BQL */
    FlatView *current_view;     /* RCU: readers load it, writers hold BQL */
    unsigned nr_listeners;      /* BQL */
    /* BQL: the eventfds listeners were last told about. */
    struct AddressSpaceIoeventfd *ioeventfds;
    unsigned nr_ioeventfds;
    AddressSpace *next;         /* registry, BQL */
};

/* BQL.  Takes a reference on root's owner until destroy. */
void address_space_init(AddressSpace *as, MemoryRegion *root,
                        const char *name);
/* BQL; no listener may remain registered.  Readers may still look the
 * address space up until a grace period has passed: free the
 * AddressSpace memory only after one (e.g. in the owner's finalize). */
void address_space_destroy(AddressSpace *as);

/* ---- accesses (see the header comment for the thread rules) */

/* buf is the bytes of guest memory, in address order.  Accesses crossing
 * ranges are split per range; an I/O range gets the largest accesses its
 * ops accept.  Unassigned bytes read as 0. */
MemTxResult address_space_read(AddressSpace *as, hwaddr addr,
                               MemTxAttrs attrs, void *buf, uint64_t len);
MemTxResult address_space_write(AddressSpace *as, hwaddr addr,
                                MemTxAttrs attrs, const void *buf,
                                uint64_t len);
MemTxResult address_space_rw(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                             void *buf, uint64_t len, bool is_write);

/* One access of size 1, 2, 4 or 8 bytes; value is a number in `endian`
 * order.  An I/O region sees exactly this access (if it accepts it). */
MemTxResult address_space_load(AddressSpace *as, hwaddr addr,
                               unsigned size, DeviceEndian endian,
                               MemTxAttrs attrs, uint64_t *value);
MemTxResult address_space_store(AddressSpace *as, hwaddr addr,
                                unsigned size, DeviceEndian endian,
                                MemTxAttrs attrs, uint64_t value);

#define MEMORY_DEFINE_LD_ST(ld, st, type, size, endian)                    \
static inline type address_space_ld##ld(AddressSpace *as, hwaddr addr,   \
                                          MemTxAttrs attrs,                 \
                                          MemTxResult *result)              \
{                                                                           \
    uint64_t value;                                                         \
    MemTxResult r = address_space_load(as, addr, size, endian, attrs,       \
                                       &value);                             \
    if (result) {                                                           \
        *result = r;                                                        \
    }                                                                       \
    return (type)value;                                                     \
}                                                                           \
static inline void address_space_st##st(AddressSpace *as, hwaddr addr,   \
                                          type value, MemTxAttrs attrs,     \
                                          MemTxResult *result)              \
{                                                                           \
    MemTxResult r = address_space_store(as, addr, size, endian, attrs,      \
                                        value);                             \
    if (result) {                                                           \
        *result = r;                                                        \
    }                                                                       \
}
/* address_space_ldub / stb, lduw_le / stw_le, ldl_be / stl_be, ldq / stq,
 * ...: the unsuffixed ones are in the guest's (NATIVE) order. */
MEMORY_DEFINE_LD_ST(ub, b, uint8_t, 1, DEVICE_NATIVE_ENDIAN)
MEMORY_DEFINE_LD_ST(uw, w, uint16_t, 2, DEVICE_NATIVE_ENDIAN)
MEMORY_DEFINE_LD_ST(uw_le, w_le, uint16_t, 2, DEVICE_LITTLE_ENDIAN)
MEMORY_DEFINE_LD_ST(uw_be, w_be, uint16_t, 2, DEVICE_BIG_ENDIAN)
MEMORY_DEFINE_LD_ST(l, l, uint32_t, 4, DEVICE_NATIVE_ENDIAN)
MEMORY_DEFINE_LD_ST(l_le, l_le, uint32_t, 4, DEVICE_LITTLE_ENDIAN)
MEMORY_DEFINE_LD_ST(l_be, l_be, uint32_t, 4, DEVICE_BIG_ENDIAN)
MEMORY_DEFINE_LD_ST(q, q, uint64_t, 8, DEVICE_NATIVE_ENDIAN)
MEMORY_DEFINE_LD_ST(q_le, q_le, uint64_t, 8, DEVICE_LITTLE_ENDIAN)
MEMORY_DEFINE_LD_ST(q_be, q_be, uint64_t, 8, DEVICE_BIG_ENDIAN)
#undef MEMORY_DEFINE_LD_ST

/* ---- the CPU slow path */

/* Inside the caller's RCU read section (or under the BQL): finds where
 * addr lands, through IOMMUs (access says read or write).  On MEMTX_OK
 * *section is the terminal region, the offset in it and the number of
 * bytes (from addr) that stay in it; on DECODE_ERROR section->mr is NULL
 * and section->size the length of the hole; ACCESS_ERROR: IOMMU denied.
 * The result is valid until the read section ends; to use the region
 * after that, memory_region_ref() it first. */
MemTxResult address_space_translate(AddressSpace *as, hwaddr addr,
                                    bool is_write, MemTxAttrs attrs,
                                    MemoryRegionSection *section);

/* One access to a terminal region, value as in address_space_load.  The
 * caller keeps mr alive: a reference on its owner, or an RCU read section
 * when no BQL is needed (lockless region, or the BQL already held).  Takes
 * the BQL around the handler when needed; then the caller must not be in
 * a read section (it would sleep on the BQL inside one). */
MemTxResult memory_region_dispatch_read(MemoryRegion *mr, hwaddr offset,
                                        uint64_t *value, unsigned size,
                                        DeviceEndian endian,
                                        MemTxAttrs attrs);
MemTxResult memory_region_dispatch_write(MemoryRegion *mr, hwaddr offset,
                                         uint64_t value, unsigned size,
                                         DeviceEndian endian,
                                         MemTxAttrs attrs);

/* ---- flat views, for the TLB, KVM and tests */

/* Inside an RCU read section or under the BQL.  NULL for a destroyed
 * address space. */
FlatView *address_space_get_flatview(AddressSpace *as);
unsigned flatview_nr_ranges(const FlatView *fv);
/* The i-th range in address order; section->as is NULL. */
void flatview_get_range(const FlatView *fv, unsigned i,
                        MemoryRegionSection *section);

/* ---- debugging and statistics */

/* BQL.  The region tree of each address space, in `info mtree` style, and
 * with flatview its rendered ranges. */
void mtree_info(FILE *f, bool flatview);

typedef struct MemoryStats {
    unsigned long views_created;
    unsigned long views_freed;      /* after their grace period */
    unsigned long commits;          /* outermost commits that rendered */
} MemoryStats;
void memory_get_stats(MemoryStats *stats);

#endif
