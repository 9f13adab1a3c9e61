/* Private to memory/: flat views, the memory-map state shared by the
 * files of the room, and small helpers. */
#ifndef MEMORY_MEMORY_INTERNAL_H
#define MEMORY_MEMORY_INTERNAL_H

#include <assert.h>

#include "memory/memory.h"
#include "util/compiler.h"

#define MEMORY_REGION_MAGIC 0x6d726567u     /* set by init */
#define MEMORY_REGION_DEAD  0x64656164u     /* set by finalize */

/* Aliases can form cycles through containers; rendering stops there. */
#define RENDER_MAX_DEPTH 64
/* IOMMUs translating into address spaces with IOMMUs: at most this deep. */
#define IOMMU_MAX_DEPTH 8

static inline void memory_region_check(const MemoryRegion *mr)
{
    assert(mr && mr->magic == MEMORY_REGION_MAGIC);
}

/* One piece of a flat view.  Immutable once the view is published. */
typedef struct FlatRange {
    MemoryRegion *mr;           /* terminal region: RAM, I/O or IOMMU */
    Object *owner;              /* mr->owner; this view holds a reference
                                   on it, dropped when the view is freed
                                   (copied so that freeing never reads mr) */
    hwaddr start;               /* in the address space */
    uint64_t size;              /* start + size never overflows */
    hwaddr offset_in_region;
    bool readonly;
    unsigned dirty_log_mask;    /* mr's at rendering time */
} FlatRange;

/* Sorted, non-overlapping, maximally merged ranges. */
struct FlatView {
    RcuHead rcu;
    unsigned nr, nr_alloc;
    FlatRange *ranges;
};

/* An eventfd as listeners see it: resolved to an address. */
typedef struct AddressSpaceIoeventfd {
    hwaddr addr;
    unsigned size;
    bool match_data;
    uint64_t data;
    EventNotifier *notifier;
    MemoryRegion *mr;           /* alive while the view listing it lives */
    hwaddr offset_in_region;
} AddressSpaceIoeventfd;

/* flatview.c */
FlatView *flatview_render(MemoryRegion *root);
/* Frees fv and drops its owner references after a grace period. */
void flatview_release(FlatView *fv);
/* The range holding addr, or NULL and in *hole the number of unmapped
 * bytes from addr (UINT64_MAX - addr + 1 saturated to UINT64_MAX). */
const FlatRange *flatview_find(const FlatView *fv, hwaddr addr,
                               uint64_t *hole);
void flatview_range_to_section(const FlatRange *fr, AddressSpace *as,
                               MemoryRegionSection *s);

/* address-space.c: the caller is inside a transaction, under the BQL. */
void memory_map_changed(void);
void memory_stats_view_created(void);
void memory_stats_view_freed(void);
/* BQL: iteration over the registry, for mtree. */
AddressSpace *memory_first_address_space(void);

/* ram.c */
RAMBlock *ram_block_new_anon(MemoryRegion *mr, uint64_t size, Error **errp);
RAMBlock *ram_block_new_file(MemoryRegion *mr, uint64_t size,
                             const char *path, bool shared, Error **errp);
RAMBlock *ram_block_new_ptr(MemoryRegion *mr, uint64_t size, void *host);
void ram_block_free(RAMBlock *rb);

/* Value conversions: "le" values hold byte i of an access in bits
 * 8i..8i+7, whatever the host. */
static inline uint64_t bswap_size(uint64_t v, unsigned size)
{
    switch (size) {
    case 2:
        return __builtin_bswap16((uint16_t)v);
    case 4:
        return __builtin_bswap32((uint32_t)v);
    case 8:
        return __builtin_bswap64(v);
    default:
        return v & 0xff;
    }
}

static inline uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ull << (size * 8)) - 1;
}

static inline bool endian_is_big(DeviceEndian e)
{
    /* NATIVE is the guest's order: little-endian for every weft target. */
    return e == DEVICE_BIG_ENDIAN;
}

static inline uint64_t value_to_le(uint64_t v, unsigned size, DeviceEndian e)
{
    v &= size_mask(size);
    return endian_is_big(e) ? bswap_size(v, size) : v;
}

static inline uint64_t value_from_le(uint64_t le, unsigned size,
                                     DeviceEndian e)
{
    return value_to_le(le, size, e);
}

static inline uint64_t load_le_bytes(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)p[i] << (i * 8);
    }
    return v;
}

static inline void store_le_bytes(uint8_t *p, unsigned size, uint64_t v)
{
    for (unsigned i = 0; i < size; i++) {
        p[i] = (uint8_t)(v >> (i * 8));
    }
}

static inline bool access_size_ok(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

#endif
