/* Flat views: rendering a region tree into sorted, non-overlapping
 * ranges, and looking addresses up in them.
 *
 * Rendering visits the tree in decreasing precedence: a region's
 * subregions from the highest priority down, then the region's own
 * content (if it has any) fills what its subregions left uncovered.
 * Whatever is placed first wins, so each pass only fills gaps.  An alias
 * renders its target shifted to the alias's place and clipped to it.  A
 * disabled region hides itself and everything under it.
 */
#include <stdlib.h>
#include <string.h>

#include "memory/memory-internal.h"
#include "util/error.h"

/* Signed, wide enough for "address of an alias target's offset 0", which
 * can lie below 0 or above 2^64. */
typedef __int128 wide_addr;

static void flatview_insert(FlatView *fv, unsigned pos, const FlatRange *fr)
{
    if (fv->nr == fv->nr_alloc) {
        fv->nr_alloc = fv->nr_alloc ? fv->nr_alloc * 2 : 16;
        fv->ranges = realloc(fv->ranges, fv->nr_alloc * sizeof(FlatRange));
        if (!fv->ranges) {
            abort();
        }
    }
    memmove(&fv->ranges[pos + 1], &fv->ranges[pos],
            (fv->nr - pos) * sizeof(FlatRange));
    fv->ranges[pos] = *fr;
    fv->nr++;
}

/* Index of the first range that ends after addr (ranges are sorted). */
static unsigned first_range_ending_after(const FlatView *fv, uint64_t addr)
{
    unsigned lo = 0, hi = fv->nr;

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const FlatRange *r = &fv->ranges[mid];

        if (r->start + r->size <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Gives mr the parts of [lo, hi) that nothing claimed yet.  base is the
 * address where mr's offset 0 lands. */
static void fill_gaps(FlatView *fv, MemoryRegion *mr, wide_addr base,
                      uint64_t lo, uint64_t hi, bool readonly)
{
    unsigned i = first_range_ending_after(fv, lo);
    uint64_t pos = lo;

    while (pos < hi) {
        uint64_t gap_end = hi;
        FlatRange fr;

        if (i < fv->nr) {
            const FlatRange *next = &fv->ranges[i];

            if (next->start <= pos) {
                pos = next->start + next->size;
                i++;
                continue;
            }
            gap_end = MIN(hi, next->start);
        }
        fr = (FlatRange) {
            .mr = mr,
            .owner = mr->owner,
            .start = pos,
            .size = gap_end - pos,
            .offset_in_region = (hwaddr)((wide_addr)pos - base),
            .readonly = readonly,
            .dirty_log_mask = atomic_read(&mr->dirty_log_mask),
        };
        flatview_insert(fv, i, &fr);
        i++;
        pos = gap_end;
    }
}

static void render_region(FlatView *fv, MemoryRegion *mr, wide_addr base,
                          wide_addr clip_lo, wide_addr clip_hi,
                          bool readonly, unsigned depth)
{
    static bool warned;
    wide_addr lo, hi;

    if (!mr->enabled) {
        return;
    }
    if (depth > RENDER_MAX_DEPTH) {
        if (!warned) {
            warned = true;
            warn_report("memory: region '%s' nested too deep (alias cycle?)",
                        mr->name);
        }
        return;
    }
    lo = MAX(clip_lo, base);
    hi = MIN(clip_hi, base + (wide_addr)mr->size);
    if (lo >= hi) {
        return;
    }
    readonly |= mr->readonly;

    if (mr->kind == MR_KIND_ALIAS) {
        /* The target's own address does not matter, only the offset. */
        render_region(fv, mr->alias, base - (wide_addr)mr->alias_offset,
                      lo, hi, readonly, depth + 1);
        return;
    }
    for (MemoryRegion *sub = mr->subregions; sub; sub = sub->sibling_next) {
        render_region(fv, sub, base + (wide_addr)sub->addr, lo, hi,
                      readonly, depth + 1);
    }
    if (mr->kind != MR_KIND_CONTAINER) {
        fill_gaps(fv, mr, base, (uint64_t)lo, (uint64_t)hi, readonly);
    }
}

static bool can_merge(const FlatRange *a, const FlatRange *b)
{
    return a->start + a->size == b->start &&
           a->mr == b->mr &&
           a->offset_in_region + a->size == b->offset_in_region &&
           a->readonly == b->readonly &&
           a->dirty_log_mask == b->dirty_log_mask;
}

static void flatview_merge(FlatView *fv)
{
    unsigned out = 0;

    for (unsigned i = 0; i < fv->nr; i++) {
        if (out && can_merge(&fv->ranges[out - 1], &fv->ranges[i])) {
            fv->ranges[out - 1].size += fv->ranges[i].size;
        } else {
            fv->ranges[out++] = fv->ranges[i];
        }
    }
    fv->nr = out;
}

FlatView *flatview_render(MemoryRegion *root)
{
    FlatView *fv = calloc(1, sizeof(*fv));

    if (!fv) {
        abort();
    }
    if (root) {
        /* The root's own address is ignored: it sits at 0. */
        render_region(fv, root, 0, 0, (wide_addr)root->size, false, 0);
    }
    flatview_merge(fv);
    for (unsigned i = 0; i < fv->nr; i++) {
        /* The view's reference, dropped in flatview_free_rcu(). */
        object_ref(fv->ranges[i].owner);
    }
    memory_stats_view_created();
    return fv;
}

static void flatview_free_rcu(RcuHead *head)
{
    FlatView *fv = container_of(head, FlatView, rcu);

    for (unsigned i = 0; i < fv->nr; i++) {
        object_unref(fv->ranges[i].owner);
    }
    free(fv->ranges);
    free(fv);
    memory_stats_view_freed();
}

void flatview_release(FlatView *fv)
{
    if (fv) {
        weft_call_rcu(&fv->rcu, flatview_free_rcu);
    }
}

const FlatRange *flatview_find(const FlatView *fv, hwaddr addr,
                               uint64_t *hole)
{
    unsigned lo = 0, hi = fv->nr;

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const FlatRange *r = &fv->ranges[mid];

        if (addr < r->start) {
            hi = mid;
        } else if (addr - r->start >= r->size) {
            lo = mid + 1;
        } else {
            return r;
        }
    }
    /* lo is the first range after addr. */
    if (lo < fv->nr) {
        *hole = fv->ranges[lo].start - addr;
    } else {
        *hole = addr ? UINT64_MAX - addr + 1 : UINT64_MAX;
    }
    return NULL;
}

void flatview_range_to_section(const FlatRange *fr, AddressSpace *as,
                               MemoryRegionSection *s)
{
    *s = (MemoryRegionSection) {
        .mr = fr->mr,
        .as = as,
        .offset_within_region = fr->offset_in_region,
        .offset_within_address_space = fr->start,
        .size = fr->size,
        .readonly = fr->readonly,
    };
}

FlatView *address_space_get_flatview(AddressSpace *as)
{
    return weft_rcu_dereference(as->current_view);
}

unsigned flatview_nr_ranges(const FlatView *fv)
{
    return fv ? fv->nr : 0;
}

void flatview_get_range(const FlatView *fv, unsigned i,
                        MemoryRegionSection *section)
{
    assert(fv && i < fv->nr);
    flatview_range_to_section(&fv->ranges[i], NULL, section);
}
