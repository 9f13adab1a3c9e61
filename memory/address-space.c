/* Address spaces, transactions and listeners.
 *
 * At the outermost commit of a transaction that changed the map, every
 * address space renders a new view from its root, its listeners are told
 * the difference with the old one, the new view is published with RCU and
 * the old one is freed after a grace period.
 */
#include <stdlib.h>
#include <string.h>

#include "memory/memory-internal.h"
#include "system/bql.h"

/* The BQL protects all of memory_map. */
static struct {
    unsigned depth;             /* transaction nesting */
    bool update_pending;        /* a mutation happened since the last update */
    bool updating;              /* listeners are being told: no mutations */
    AddressSpace *spaces;       /* registry, in init order */
    MemoryListener *listeners;  /* every listener, by increasing priority */
} memory_map;

/* Counters, atomic: views are freed in the RCU thread. */
static unsigned long stat_views_created, stat_views_freed, stat_commits;

void memory_stats_view_created(void)
{
    atomic_fetch_inc(&stat_views_created);
}

void memory_stats_view_freed(void)
{
    atomic_fetch_inc(&stat_views_freed);
}

void memory_get_stats(MemoryStats *stats)
{
    stats->views_created = atomic_read(&stat_views_created);
    stats->views_freed = atomic_read(&stat_views_freed);
    stats->commits = atomic_read(&stat_commits);
}

AddressSpace *memory_first_address_space(void)
{
    assert(bql_locked());
    return memory_map.spaces;
}

/* ---- listener calls */

#define FOR_EACH_LISTENER(l) \
    for (MemoryListener *l = memory_map.listeners; l; l = l->next)

static MemoryListener *last_listener(void)
{
    MemoryListener *l = memory_map.listeners;

    while (l && l->next) {
        l = l->next;
    }
    return l;
}

/* Calls of the add family go in increasing priority, of the del family in
 * decreasing priority, so that a high-priority listener sees its regions
 * appear last and disappear first. */
static void call_region(AddressSpace *as, const FlatRange *fr, bool add)
{
    MemoryRegionSection s;

    flatview_range_to_section(fr, as, &s);
    if (add) {
        FOR_EACH_LISTENER(l) {
            if (l->as != as) {
                continue;
            }
            if (l->region_add) {
                l->region_add(l, &s);
            }
            if (fr->dirty_log_mask && l->log_start) {
                l->log_start(l, &s, 0, fr->dirty_log_mask);
            }
        }
        return;
    }
    for (MemoryListener *l = last_listener(); l; l = l->prev) {
        if (l->as != as) {
            continue;
        }
        if (fr->dirty_log_mask && l->log_stop) {
            l->log_stop(l, &s, fr->dirty_log_mask, 0);
        }
        if (l->region_del) {
            l->region_del(l, &s);
        }
    }
}

/* Logging changed on a range that stays: log_start for the clients that
 * start, then log_stop for those that stop.  Each call's masks describe
 * the step it makes, so a listener can chain them. */
static void call_log_change(AddressSpace *as, const FlatRange *old,
                            const FlatRange *now)
{
    unsigned before = old->dirty_log_mask, after = now->dirty_log_mask;
    unsigned middle = before | after;
    MemoryRegionSection s;

    flatview_range_to_section(now, as, &s);
    FOR_EACH_LISTENER(l) {
        if (l->as != as) {
            continue;
        }
        if (middle != before && l->log_start) {
            l->log_start(l, &s, before, middle);
        }
        if (middle != after && l->log_stop) {
            l->log_stop(l, &s, middle, after);
        }
    }
}

static void call_eventfd(AddressSpace *as, const AddressSpaceIoeventfd *fd,
                         bool add)
{
    MemoryRegionSection s = {
        .mr = fd->mr,
        .as = as,
        .offset_within_region = fd->offset_in_region,
        .offset_within_address_space = fd->addr,
        .size = fd->size,
    };

    if (add) {
        FOR_EACH_LISTENER(l) {
            if (l->as == as && l->eventfd_add) {
                l->eventfd_add(l, &s, fd->match_data, fd->data, fd->notifier);
            }
        }
        return;
    }
    for (MemoryListener *l = last_listener(); l; l = l->prev) {
        if (l->as == as && l->eventfd_del) {
            l->eventfd_del(l, &s, fd->match_data, fd->data, fd->notifier);
        }
    }
}

static void call_global(bool begin)
{
    FOR_EACH_LISTENER(l) {
        if (begin && l->begin) {
            l->begin(l);
        } else if (!begin && l->commit) {
            l->commit(l);
        }
    }
}

/* ---- diffs */

static bool flat_range_same(const FlatRange *a, const FlatRange *b)
{
    return a->mr == b->mr && a->start == b->start && a->size == b->size &&
           a->offset_in_region == b->offset_in_region &&
           a->readonly == b->readonly;
}

/* One pass over both sorted views.  The delete pass reports ranges only
 * in old, the add pass ranges only in new and logging changes of ranges
 * in both. */
static void views_diff(AddressSpace *as, const FlatView *old,
                       const FlatView *now, bool adding)
{
    unsigned io = 0, in = 0;
    unsigned nr_old = old ? old->nr : 0, nr_new = now ? now->nr : 0;

    while (io < nr_old || in < nr_new) {
        const FlatRange *fo = io < nr_old ? &old->ranges[io] : NULL;
        const FlatRange *fn = in < nr_new ? &now->ranges[in] : NULL;

        if (fo && (!fn || fo->start < fn->start ||
                   (fo->start == fn->start && !flat_range_same(fo, fn)))) {
            if (!adding) {
                call_region(as, fo, false);
            }
            io++;
        } else if (fo && flat_range_same(fo, fn)) {
            if (adding && fo->dirty_log_mask != fn->dirty_log_mask) {
                call_log_change(as, fo, fn);
            }
            io++;
            in++;
        } else {
            if (adding) {
                call_region(as, fn, true);
            }
            in++;
        }
    }
}

static int ioeventfd_cmp(const AddressSpaceIoeventfd *a,
                         const AddressSpaceIoeventfd *b)
{
#define CMP_FIELD(f) if (a->f != b->f) return a->f < b->f ? -1 : 1
#define CMP_PTR(f) \
    if (a->f != b->f) return (uintptr_t)a->f < (uintptr_t)b->f ? -1 : 1
    CMP_FIELD(addr);
    CMP_FIELD(size);
    CMP_FIELD(match_data);
    CMP_FIELD(data);
    CMP_PTR(notifier);
    CMP_PTR(mr);
    CMP_FIELD(offset_in_region);
#undef CMP_FIELD
#undef CMP_PTR
    return 0;
}

static int ioeventfd_qsort_cmp(const void *a, const void *b)
{
    return ioeventfd_cmp(a, b);
}

/* The eventfds of every region in fv whose address lies in a range that
 * shows that region, sorted. */
static AddressSpaceIoeventfd *collect_ioeventfds(const FlatView *fv,
                                                 unsigned *nr_out)
{
    AddressSpaceIoeventfd *fds = NULL;
    unsigned nr = 0, alloc = 0;

    for (unsigned i = 0; fv && i < fv->nr; i++) {
        const FlatRange *fr = &fv->ranges[i];
        MemoryRegionIoeventfds *set = weft_rcu_dereference(fr->mr->ioeventfds);

        for (unsigned j = 0; set && j < set->nr; j++) {
            const MemoryRegionIoeventfd *e = &set->fds[j];

            if (e->offset < fr->offset_in_region ||
                e->offset - fr->offset_in_region >= fr->size) {
                continue;
            }
            if (nr == alloc) {
                alloc = alloc ? alloc * 2 : 8;
                fds = realloc(fds, alloc * sizeof(*fds));
                if (!fds) {
                    abort();
                }
            }
            fds[nr++] = (AddressSpaceIoeventfd) {
                .addr = fr->start + (e->offset - fr->offset_in_region),
                .size = e->size,
                .match_data = e->match_data,
                .data = e->data,
                .notifier = e->notifier,
                .mr = fr->mr,
                .offset_in_region = e->offset,
            };
        }
    }
    if (nr > 1) {
        qsort(fds, nr, sizeof(*fds), ioeventfd_qsort_cmp);
    }
    *nr_out = nr;
    return fds;
}

static void ioeventfds_diff(AddressSpace *as,
                            const AddressSpaceIoeventfd *old, unsigned nr_old,
                            const AddressSpaceIoeventfd *now, unsigned nr_new,
                            bool adding)
{
    unsigned io = 0, in = 0;

    while (io < nr_old || in < nr_new) {
        int c;

        if (io == nr_old) {
            c = 1;
        } else if (in == nr_new) {
            c = -1;
        } else {
            c = ioeventfd_cmp(&old[io], &now[in]);
        }
        if (c < 0) {
            if (!adding) {
                call_eventfd(as, &old[io], false);
            }
            io++;
        } else if (c > 0) {
            if (adding) {
                call_eventfd(as, &now[in], true);
            }
            in++;
        } else {
            io++;
            in++;
        }
    }
}

static void address_space_update(AddressSpace *as)
{
    FlatView *old = as->current_view;
    FlatView *now = flatview_render(as->root);
    unsigned nr_fds;
    AddressSpaceIoeventfd *fds = collect_ioeventfds(now, &nr_fds);

    if (as->nr_listeners) {
        ioeventfds_diff(as, as->ioeventfds, as->nr_ioeventfds, fds, nr_fds,
                        false);
        views_diff(as, old, now, false);
        views_diff(as, old, now, true);
        ioeventfds_diff(as, as->ioeventfds, as->nr_ioeventfds, fds, nr_fds,
                        true);
    }
    free(as->ioeventfds);
    as->ioeventfds = fds;
    as->nr_ioeventfds = nr_fds;
    weft_rcu_assign_pointer(as->current_view, now);
    /* Readers that loaded old keep it until their next quiescent state. */
    flatview_release(old);
}

static void memory_map_update(void)
{
    memory_map.updating = true;
    call_global(true);
    for (AddressSpace *as = memory_map.spaces; as; as = as->next) {
        address_space_update(as);
    }
    call_global(false);
    memory_map.updating = false;
    atomic_fetch_inc(&stat_commits);
}

/* ---- transactions */

void memory_region_transaction_begin(void)
{
    assert(bql_locked());
    assert(!memory_map.updating);   /* listeners must not change the map */
    memory_map.depth++;
}

void memory_region_transaction_commit(void)
{
    assert(bql_locked());
    assert(memory_map.depth > 0);
    if (--memory_map.depth == 0 && memory_map.update_pending) {
        memory_map.update_pending = false;
        memory_map_update();
    }
}

unsigned memory_region_transaction_depth(void)
{
    assert(bql_locked());
    return memory_map.depth;
}

void memory_map_changed(void)
{
    assert(bql_locked());
    assert(memory_map.depth > 0);
    memory_map.update_pending = true;
}

/* ---- listeners */

static void listener_replay(MemoryListener *l, AddressSpace *as, bool add)
{
    FlatView *fv = as->current_view;
    MemoryRegionSection s;

    if (l->begin) {
        l->begin(l);
    }
    if (!add) {
        for (unsigned i = 0; i < as->nr_ioeventfds; i++) {
            const AddressSpaceIoeventfd *fd = &as->ioeventfds[i];

            s = (MemoryRegionSection) {
                .mr = fd->mr, .as = as,
                .offset_within_region = fd->offset_in_region,
                .offset_within_address_space = fd->addr, .size = fd->size,
            };
            if (l->eventfd_del) {
                l->eventfd_del(l, &s, fd->match_data, fd->data, fd->notifier);
            }
        }
    }
    for (unsigned i = 0; fv && i < fv->nr; i++) {
        const FlatRange *fr = &fv->ranges[i];

        flatview_range_to_section(fr, as, &s);
        if (add) {
            if (l->region_add) {
                l->region_add(l, &s);
            }
            if (fr->dirty_log_mask && l->log_start) {
                l->log_start(l, &s, 0, fr->dirty_log_mask);
            }
        } else {
            if (fr->dirty_log_mask && l->log_stop) {
                l->log_stop(l, &s, fr->dirty_log_mask, 0);
            }
            if (l->region_del) {
                l->region_del(l, &s);
            }
        }
    }
    if (add) {
        for (unsigned i = 0; i < as->nr_ioeventfds; i++) {
            const AddressSpaceIoeventfd *fd = &as->ioeventfds[i];

            s = (MemoryRegionSection) {
                .mr = fd->mr, .as = as,
                .offset_within_region = fd->offset_in_region,
                .offset_within_address_space = fd->addr, .size = fd->size,
            };
            if (l->eventfd_add) {
                l->eventfd_add(l, &s, fd->match_data, fd->data, fd->notifier);
            }
        }
    }
    if (l->commit) {
        l->commit(l);
    }
}

void memory_listener_register(MemoryListener *l, AddressSpace *as)
{
    MemoryListener **link = &memory_map.listeners, *prev = NULL;

    assert(bql_locked());
    assert(!memory_map.updating);
    assert(!l->as && as && as->root);
    /* After every listener of lower or equal priority. */
    while (*link && (*link)->priority <= l->priority) {
        prev = *link;
        link = &(*link)->next;
    }
    l->next = *link;
    l->prev = prev;
    if (l->next) {
        l->next->prev = l;
    }
    *link = l;
    l->as = as;
    as->nr_listeners++;
    listener_replay(l, as, true);
}

void memory_listener_unregister(MemoryListener *l)
{
    AddressSpace *as = l->as;

    assert(bql_locked());
    assert(!memory_map.updating);
    if (!as) {
        return;
    }
    listener_replay(l, as, false);
    if (l->prev) {
        l->prev->next = l->next;
    } else {
        memory_map.listeners = l->next;
    }
    if (l->next) {
        l->next->prev = l->prev;
    }
    l->next = l->prev = NULL;
    l->as = NULL;
    as->nr_listeners--;
}

/* ---- address spaces */

void address_space_init(AddressSpace *as, MemoryRegion *root,
                        const char *name)
{
    AddressSpace **tail = &memory_map.spaces;

    assert(bql_locked());
    memory_region_check(root);
    memset(as, 0, sizeof(*as));
    as->name = strdup(name ? name : "anonymous");
    if (!as->name) {
        abort();
    }
    as->root = root;
    /* The address space's reference on its root, dropped by destroy. */
    memory_region_ref(root);
    root->as_root_count++;
    as->current_view = flatview_render(root);
    as->ioeventfds = collect_ioeventfds(as->current_view,
                                        &as->nr_ioeventfds);
    while (*tail) {
        tail = &(*tail)->next;
    }
    *tail = as;
}

void address_space_destroy(AddressSpace *as)
{
    AddressSpace **link = &memory_map.spaces;
    FlatView *old = as->current_view;

    assert(bql_locked());
    assert(!memory_map.updating);
    assert(as->nr_listeners == 0);  /* unregister them first: symmetry */
    while (*link != as) {
        assert(*link);
        link = &(*link)->next;
    }
    *link = as->next;
    as->next = NULL;
    weft_rcu_assign_pointer(as->current_view, NULL);
    flatview_release(old);
    free(as->ioeventfds);
    as->ioeventfds = NULL;
    as->nr_ioeventfds = 0;
    as->root->as_root_count--;
    memory_region_unref(as->root);
    as->root = NULL;
    free(as->name);
    as->name = NULL;
}
