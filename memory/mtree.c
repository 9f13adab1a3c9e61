/* `info mtree`: the region tree of each address space and, on request,
 * the flat views rendered from them. */
#include <inttypes.h>
#include <stdlib.h>

#include "memory/memory-internal.h"
#include "system/bql.h"

static const char *region_type(const MemoryRegion *mr)
{
    while (mr->kind == MR_KIND_ALIAS) {
        mr = mr->alias;
    }
    switch (mr->kind) {
    case MR_KIND_RAM:
        return mr->rom ? "rom" : "ram";
    case MR_KIND_IO:
        return "i/o";
    case MR_KIND_IOMMU:
        return "iommu";
    default:
        return "container";
    }
}

/* Last byte of [start, start + size), for printing. */
static uint64_t last_byte(uint64_t start, uint64_t size)
{
    return size ? start + size - 1 : start;
}

/* Alias targets seen while printing, to print their trees afterwards. */
typedef struct AliasTargets {
    MemoryRegion **mr;
    unsigned nr, alloc;
} AliasTargets;

static void alias_target_note(AliasTargets *t, MemoryRegion *mr)
{
    for (unsigned i = 0; i < t->nr; i++) {
        if (t->mr[i] == mr) {
            return;
        }
    }
    if (t->nr == t->alloc) {
        t->alloc = t->alloc ? t->alloc * 2 : 8;
        t->mr = realloc(t->mr, t->alloc * sizeof(*t->mr));
        if (!t->mr) {
            abort();
        }
    }
    t->mr[t->nr++] = mr;
}

/* Subregions sorted by address, then by decreasing priority. */
static int subregion_cmp(const void *a, const void *b)
{
    const MemoryRegion *x = *(MemoryRegion *const *)a;
    const MemoryRegion *y = *(MemoryRegion *const *)b;

    if (x->addr != y->addr) {
        return x->addr < y->addr ? -1 : 1;
    }
    return x->priority > y->priority ? -1 : x->priority < y->priority;
}

static void print_region(FILE *f, MemoryRegion *mr, uint64_t base,
                         unsigned level, AliasTargets *targets)
{
    uint64_t start = base + mr->addr;
    MemoryRegion **subs;
    unsigned n = 0;

    if (level > RENDER_MAX_DEPTH) {
        return;
    }
    fprintf(f, "%*s%016" PRIx64 "-%016" PRIx64 " (prio %d, %s%s): ",
            level * 2, "", start, last_byte(start, mr->size), mr->priority,
            region_type(mr), mr->readonly ? ", readonly" : "");
    if (mr->kind == MR_KIND_ALIAS) {
        fprintf(f, "alias %s @%s %016" PRIx64 "-%016" PRIx64, mr->name,
                mr->alias->name, mr->alias_offset,
                last_byte(mr->alias_offset, mr->size));
        alias_target_note(targets, mr->alias);
    } else {
        fprintf(f, "%s", mr->name);
    }
    fprintf(f, "%s\n", mr->enabled ? "" : " [disabled]");

    if (!mr->nr_subregions) {
        return;
    }
    subs = malloc(mr->nr_subregions * sizeof(*subs));
    if (!subs) {
        abort();
    }
    for (MemoryRegion *sub = mr->subregions; sub; sub = sub->sibling_next) {
        subs[n++] = sub;
    }
    qsort(subs, n, sizeof(*subs), subregion_cmp);
    for (unsigned i = 0; i < n; i++) {
        print_region(f, subs[i], start, level + 1, targets);
    }
    free(subs);
}

static void print_flatview(FILE *f, AddressSpace *as, unsigned index)
{
    FlatView *fv = as->current_view;

    fprintf(f, "FlatView #%u\n AS \"%s\", root: %s\n", index, as->name,
            as->root->name);
    if (!fv || !fv->nr) {
        fprintf(f, "  No rendered FlatView\n\n");
        return;
    }
    for (unsigned i = 0; i < fv->nr; i++) {
        const FlatRange *fr = &fv->ranges[i];

        fprintf(f, "  %016" PRIx64 "-%016" PRIx64 " (prio %d, %s%s): %s",
                fr->start, last_byte(fr->start, fr->size), fr->mr->priority,
                region_type(fr->mr), fr->readonly ? ", readonly" : "",
                fr->mr->name);
        if (fr->offset_in_region) {
            fprintf(f, " @%016" PRIx64, fr->offset_in_region);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\n");
}

void mtree_info(FILE *f, bool flatview)
{
    AliasTargets targets = { 0 };
    unsigned index = 0;

    assert(bql_locked());
    for (AddressSpace *as = memory_first_address_space(); as; as = as->next) {
        fprintf(f, "address-space: %s\n", as->name);
        print_region(f, as->root, 0, 1, &targets);
        fprintf(f, "\n");
    }
    /* The list may grow while printing: a target's tree has aliases too. */
    for (unsigned i = 0; i < targets.nr; i++) {
        fprintf(f, "memory-region: %s\n", targets.mr[i]->name);
        print_region(f, targets.mr[i], 0, 1, &targets);
        fprintf(f, "\n");
    }
    free(targets.mr);
    if (flatview) {
        for (AddressSpace *as = memory_first_address_space(); as;
             as = as->next) {
            print_flatview(f, as, index++);
        }
    }
}
