/* Memory regions: set-up, the subregion tree, properties, eventfds and
 * finalization.  Every mutation of a region that may be visible is an
 * implicit transaction under the BQL.
 *
 * References (docs/memory.md): a link from one region to a region of
 * another owner (container -> subregion, alias -> target) holds a
 * reference on the other owner; a link within one owner holds none.
 */
#include <stdlib.h>
#include <string.h>

#include "memory/memory-internal.h"
#include "system/bql.h"
#include "util/log.h"

static void region_init_common(MemoryRegion *mr, Object *owner,
                               const char *name, uint64_t size,
                               MemoryRegionKind kind)
{
    memset(mr, 0, sizeof(*mr));
    mr->owner = owner;
    mr->name = strdup(name ? name : "anonymous");
    if (!mr->name) {
        abort();
    }
    mr->kind = kind;
    mr->size = size;
    mr->enabled = true;
    pthread_mutex_init(&mr->iommu_lock, NULL);
    mr->magic = MEMORY_REGION_MAGIC;
}

/* For a failed init: the region was never visible. */
static void region_init_undo(MemoryRegion *mr)
{
    pthread_mutex_destroy(&mr->iommu_lock);
    free(mr->name);
    mr->name = NULL;
    mr->magic = 0;
}

void memory_region_init(MemoryRegion *mr, Object *owner, const char *name,
                        uint64_t size)
{
    region_init_common(mr, owner, name, size, MR_KIND_CONTAINER);
}

/* Sizes are 0 (default) or 1, 2, 4, 8, and min <= max. */
static void ops_check(const MemoryRegionOps *ops)
{
    unsigned vmin = ops->valid.min_access_size ? ops->valid.min_access_size : 1;
    unsigned vmax = ops->valid.max_access_size ? ops->valid.max_access_size : 8;
    unsigned imin = ops->impl.min_access_size ? ops->impl.min_access_size : 1;
    unsigned imax = ops->impl.max_access_size ? ops->impl.max_access_size : 4;

    assert(access_size_ok(vmin) && access_size_ok(vmax) && vmin <= vmax);
    assert(access_size_ok(imin) && access_size_ok(imax) && imin <= imax);
    assert(ops->endianness <= DEVICE_BIG_ENDIAN);
    (void)vmin, (void)vmax, (void)imin, (void)imax;
}

void memory_region_init_io(MemoryRegion *mr, Object *owner,
                           const MemoryRegionOps *ops, void *opaque,
                           const char *name, uint64_t size)
{
    static const MemoryRegionOps no_ops;

    if (ops) {
        ops_check(ops);
    }
    region_init_common(mr, owner, name, size, MR_KIND_IO);
    mr->ops = ops ? ops : &no_ops;
    mr->opaque = opaque;
}

/* A link to a region of another owner keeps that owner alive. */
static bool link_needs_ref(const MemoryRegion *from, const MemoryRegion *to)
{
    return from->owner != to->owner;
}

void memory_region_init_alias(MemoryRegion *mr, Object *owner,
                              const char *name, MemoryRegion *target,
                              hwaddr offset, uint64_t size)
{
    memory_region_check(target);
    region_init_common(mr, owner, name, size, MR_KIND_ALIAS);
    mr->alias = target;
    mr->alias_offset = offset;
    if (link_needs_ref(mr, target)) {
        /* Owned by the alias; dropped in memory_region_finalize(). */
        object_ref(target->owner);
    }
}

bool memory_region_init_ram(MemoryRegion *mr, Object *owner,
                            const char *name, uint64_t size, Error **errp)
{
    region_init_common(mr, owner, name, size, MR_KIND_RAM);
    mr->ram_block = ram_block_new_anon(mr, size, errp);
    if (!mr->ram_block) {
        region_init_undo(mr);
        return false;
    }
    return true;
}

bool memory_region_init_ram_from_file(MemoryRegion *mr, Object *owner,
                                      const char *name, uint64_t size,
                                      const char *path, bool shared,
                                      Error **errp)
{
    region_init_common(mr, owner, name, size, MR_KIND_RAM);
    mr->ram_block = ram_block_new_file(mr, size, path, shared, errp);
    if (!mr->ram_block) {
        region_init_undo(mr);
        return false;
    }
    return true;
}

void memory_region_init_ram_ptr(MemoryRegion *mr, Object *owner,
                                const char *name, uint64_t size, void *host)
{
    region_init_common(mr, owner, name, size, MR_KIND_RAM);
    mr->ram_block = ram_block_new_ptr(mr, size, host);
}

bool memory_region_init_rom(MemoryRegion *mr, Object *owner,
                            const char *name, uint64_t size, Error **errp)
{
    if (!memory_region_init_ram(mr, owner, name, size, errp)) {
        return false;
    }
    mr->rom = true;
    mr->readonly = true;
    return true;
}

void memory_region_init_iommu(MemoryRegion *mr, Object *owner,
                              const IOMMUMemoryRegionOps *ops, void *opaque,
                              const char *name, uint64_t size)
{
    assert(ops && ops->translate);
    region_init_common(mr, owner, name, size, MR_KIND_IOMMU);
    mr->iommu_ops = ops;
    mr->opaque = opaque;
}

void memory_region_finalize(MemoryRegion *mr)
{
    memory_region_check(mr);
    /* Only from the owner's finalize: before that, a view freed after a
     * grace period may still point at mr. */
    assert(!mr->owner || object_refcount(mr->owner) == 0);
    assert(!mr->container);         /* del_subregion() it first */
    assert(!mr->subregions && mr->nr_subregions == 0);
    assert(!mr->as_root_count);     /* address_space_destroy() first */
    assert(!mr->ioeventfds);        /* del_eventfd() every eventfd first */
    assert(!mr->iommu_notifiers);   /* DMA users must unregister first */
    if (mr->kind == MR_KIND_ALIAS && link_needs_ref(mr, mr->alias)) {
        object_unref(mr->alias->owner);
    }
    if (mr->ram_block) {
        ram_block_free(mr->ram_block);
        mr->ram_block = NULL;
    }
    pthread_mutex_destroy(&mr->iommu_lock);
    free(mr->name);
    mr->name = NULL;
    mr->magic = MEMORY_REGION_DEAD;
}

void memory_region_ref(MemoryRegion *mr)
{
    object_ref(mr->owner);
}

void memory_region_unref(MemoryRegion *mr)
{
    object_unref(mr->owner);
}

/* ---- the subregion tree */

/* Before the first sibling of lower or equal priority: the newest region
 * wins among equals. */
static void subregion_insert(MemoryRegion *container, MemoryRegion *sub)
{
    MemoryRegion *prev = NULL, *next = container->subregions;

    while (next && next->priority > sub->priority) {
        prev = next;
        next = next->sibling_next;
    }
    sub->sibling_prev = prev;
    sub->sibling_next = next;
    if (prev) {
        prev->sibling_next = sub;
    } else {
        container->subregions = sub;
    }
    if (next) {
        next->sibling_prev = sub;
    }
    container->nr_subregions++;
}

static void subregion_remove(MemoryRegion *container, MemoryRegion *sub)
{
    if (sub->sibling_prev) {
        sub->sibling_prev->sibling_next = sub->sibling_next;
    } else {
        container->subregions = sub->sibling_next;
    }
    if (sub->sibling_next) {
        sub->sibling_next->sibling_prev = sub->sibling_prev;
    }
    sub->sibling_next = sub->sibling_prev = NULL;
    container->nr_subregions--;
}

static void subregion_add(MemoryRegion *container, hwaddr offset,
                          MemoryRegion *sub, int priority, bool may_overlap)
{
    assert(bql_locked());
    memory_region_check(container);
    memory_region_check(sub);
    assert(container->kind != MR_KIND_ALIAS);
    assert(!sub->container);        /* a region has one place */
    for (MemoryRegion *up = container; up; up = up->container) {
        assert(up != sub);          /* no cycles */
    }

    memory_region_transaction_begin();
    sub->container = container;
    sub->addr = offset;
    sub->priority = priority;
    sub->may_overlap = may_overlap;
    if (link_needs_ref(container, sub)) {
        /* Owned by the container link; dropped by del_subregion. */
        object_ref(sub->owner);
    }
    subregion_insert(container, sub);
    memory_map_changed();
    memory_region_transaction_commit();
}

void memory_region_add_subregion(MemoryRegion *container, hwaddr offset,
                                 MemoryRegion *sub)
{
    subregion_add(container, offset, sub, 0, false);
}

void memory_region_add_subregion_overlap(MemoryRegion *container,
                                         hwaddr offset, MemoryRegion *sub,
                                         int priority)
{
    subregion_add(container, offset, sub, priority, true);
}

void memory_region_del_subregion(MemoryRegion *container, MemoryRegion *sub)
{
    memory_region_check(container);
    memory_region_check(sub);
    assert(sub->container == container);

    if (!bql_locked()) {
        /* Only a link inside an owner that is being finalized: nothing
         * outside the owner refers to it any more, so no view can show
         * either region and no transaction is needed. */
        assert(container->owner && container->owner == sub->owner);
        assert(object_refcount(container->owner) == 0);
        subregion_remove(container, sub);
        sub->container = NULL;
        return;
    }
    memory_region_transaction_begin();
    subregion_remove(container, sub);
    sub->container = NULL;
    if (link_needs_ref(container, sub)) {
        /* The old view keeps sub's owner alive until its grace period. */
        object_unref(sub->owner);
    }
    memory_map_changed();
    memory_region_transaction_commit();
}

/* ---- properties */

/* Runs change(mr, arg) as one implicit transaction. */
#define MEMORY_REGION_MUTATE(mr, stmt) do {      \
        assert(bql_locked());                    \
        memory_region_check(mr);                 \
        memory_region_transaction_begin();       \
        stmt;                                    \
        memory_map_changed();                    \
        memory_region_transaction_commit();      \
    } while (0)

void memory_region_set_enabled(MemoryRegion *mr, bool enabled)
{
    if (mr->enabled != enabled) {
        MEMORY_REGION_MUTATE(mr, mr->enabled = enabled);
    }
}

void memory_region_set_readonly(MemoryRegion *mr, bool readonly)
{
    if (mr->readonly != readonly) {
        /* Atomic: memory_region_dispatch_write() reads it without BQL. */
        MEMORY_REGION_MUTATE(mr, atomic_set(&mr->readonly, readonly));
    }
}

void memory_region_set_address(MemoryRegion *mr, hwaddr addr)
{
    MemoryRegion *container = mr->container;

    if (!container) {
        /* Not mapped: the address is only remembered. */
        assert(bql_locked());
        mr->addr = addr;
        return;
    }
    if (mr->addr == addr) {
        return;
    }
    MEMORY_REGION_MUTATE(mr, {
        subregion_remove(container, mr);
        mr->addr = addr;
        subregion_insert(container, mr);
    });
}

void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset)
{
    assert(mr->kind == MR_KIND_ALIAS);
    if (mr->alias_offset != offset) {
        MEMORY_REGION_MUTATE(mr, mr->alias_offset = offset);
    }
}

void memory_region_set_size(MemoryRegion *mr, uint64_t size)
{
    /* RAM cannot grow past its block; shrinking it is pointless. */
    assert(mr->kind != MR_KIND_RAM);
    if (mr->size != size) {
        /* Atomic: memory_region_dispatch_*() checks bounds without BQL. */
        MEMORY_REGION_MUTATE(mr, atomic_set(&mr->size, size));
    }
}

void memory_region_set_lockless(MemoryRegion *mr, bool lockless)
{
    memory_region_check(mr);
    atomic_set(&mr->lockless, lockless);
}

void *memory_region_get_ram_ptr(MemoryRegion *mr)
{
    hwaddr offset = 0;

    memory_region_check(mr);
    while (mr->kind == MR_KIND_ALIAS) {
        offset += mr->alias_offset;
        mr = mr->alias;
    }
    if (mr->kind != MR_KIND_RAM) {
        return NULL;
    }
    return mr->ram_block->host + offset;
}

RAMBlock *memory_region_get_ram_block(MemoryRegion *mr)
{
    memory_region_check(mr);
    while (mr->kind == MR_KIND_ALIAS) {
        mr = mr->alias;
    }
    return mr->kind == MR_KIND_RAM ? mr->ram_block : NULL;
}

/* ---- dirty logging */

void memory_region_set_log(MemoryRegion *mr, bool log, DirtyClient client)
{
    unsigned mask;

    assert(client < DIRTY_CLIENT_NUM);
    assert(mr->kind == MR_KIND_RAM);
    mask = mr->dirty_log_mask;
    mask = log ? mask | (1u << client) : mask & ~(1u << client);
    if (mask != mr->dirty_log_mask) {
        /* Atomic: writers of RAM read it without locks. */
        MEMORY_REGION_MUTATE(mr, atomic_set(&mr->dirty_log_mask, mask));
    }
}

/* ---- ioeventfds */

static int ioeventfd_cmp(const MemoryRegionIoeventfd *a,
                         const MemoryRegionIoeventfd *b)
{
#define CMP_FIELD(f) if (a->f != b->f) return a->f < b->f ? -1 : 1
#define CMP_PTR(f) \
    if (a->f != b->f) return (uintptr_t)a->f < (uintptr_t)b->f ? -1 : 1
    CMP_FIELD(offset);
    CMP_FIELD(size);
    CMP_FIELD(match_data);
    CMP_FIELD(data);
    CMP_PTR(notifier);
#undef CMP_FIELD
#undef CMP_PTR
    return 0;
}

static MemoryRegionIoeventfd ioeventfd_make(MemoryRegion *mr, hwaddr offset,
                                            unsigned size, bool match_data,
                                            uint64_t data, EventNotifier *e)
{
    assert(mr->kind == MR_KIND_IO);
    assert(size == 0 || access_size_ok(size));
    assert(!match_data || size != 0);
    assert(e);
    return (MemoryRegionIoeventfd) {
        .offset = offset,
        .size = size,
        .match_data = match_data,
        /* Stored as the bytes on the bus, the form dispatch compares. */
        .data = match_data ? value_to_le(data, size, mr->ops->endianness) : 0,
        .notifier = e,
    };
}

static void ioeventfds_free_rcu(RcuHead *head)
{
    free(container_of(head, MemoryRegionIoeventfds, rcu));
}

/* Publishes a copy of mr's set with `add` inserted or `del_index` left
 * out; readers of the old set keep it until a grace period. */
static void ioeventfds_replace(MemoryRegion *mr,
                               const MemoryRegionIoeventfd *add,
                               unsigned del_index)
{
    MemoryRegionIoeventfds *old = mr->ioeventfds, *now = NULL;
    unsigned nr_old = old ? old->nr : 0;
    unsigned nr_new = add ? nr_old + 1 : nr_old - 1;

    if (nr_new) {
        unsigned j = 0;

        now = malloc(sizeof(*now) + nr_new * sizeof(now->fds[0]));
        if (!now) {
            abort();
        }
        now->nr = nr_new;
        for (unsigned i = 0; i < nr_old; i++) {
            if (add && j == i && ioeventfd_cmp(add, &old->fds[i]) < 0) {
                now->fds[j++] = *add;
            }
            if (!add && i == del_index) {
                continue;
            }
            now->fds[j++] = old->fds[i];
        }
        if (add && j < nr_new) {
            now->fds[j++] = *add;
        }
        assert(j == nr_new);
    }
    weft_rcu_assign_pointer(mr->ioeventfds, now);
    if (old) {
        weft_call_rcu(&old->rcu, ioeventfds_free_rcu);
    }
}

void memory_region_add_eventfd(MemoryRegion *mr, hwaddr offset, unsigned size,
                               bool match_data, uint64_t data,
                               EventNotifier *notifier)
{
    MemoryRegionIoeventfd fd;

    memory_region_check(mr);
    fd = ioeventfd_make(mr, offset, size, match_data, data, notifier);
    MEMORY_REGION_MUTATE(mr, ioeventfds_replace(mr, &fd, 0));
}

void memory_region_del_eventfd(MemoryRegion *mr, hwaddr offset, unsigned size,
                               bool match_data, uint64_t data,
                               EventNotifier *notifier)
{
    MemoryRegionIoeventfd fd;
    MemoryRegionIoeventfds *set;
    unsigned i;

    memory_region_check(mr);
    fd = ioeventfd_make(mr, offset, size, match_data, data, notifier);
    set = mr->ioeventfds;
    for (i = 0; set && i < set->nr; i++) {
        if (!ioeventfd_cmp(&fd, &set->fds[i])) {
            break;
        }
    }
    assert(set && i < set->nr);     /* deleting what was never added */
    MEMORY_REGION_MUTATE(mr, ioeventfds_replace(mr, NULL, i));
}
