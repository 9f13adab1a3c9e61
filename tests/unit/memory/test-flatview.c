/* Flat-view rendering: fixed cases (priorities, aliases into containers,
 * disabled regions, nesting, merging), a property test against a
 * brute-force byte-map renderer, and the mtree dump.
 *
 * Everything runs under the BQL in the main thread, which is not an RCU
 * reader: the BQL alone keeps the published views stable. */
#include <stdio.h>

#include "memtest.h"

typedef struct ExpRange {
    hwaddr start;
    uint64_t size;
    MemoryRegion *mr;
    hwaddr offset;
    bool readonly;
} ExpRange;

static MemoryRegion root;
static AddressSpace as;

static void dump_view(void)
{
    mtree_info(stderr, true);
}

static void expect_view(const ExpRange *exp, unsigned n, int line)
{
    FlatView *fv = address_space_get_flatview(&as);
    MemoryRegionSection s;

    if (flatview_nr_ranges(fv) != n) {
        fprintf(stderr, "line %d: %u ranges, expected %u\n", line,
                flatview_nr_ranges(fv), n);
        dump_view();
        exit(1);
    }
    for (unsigned i = 0; i < n; i++) {
        flatview_get_range(fv, i, &s);
        if (s.offset_within_address_space != exp[i].start ||
            s.size != exp[i].size || s.mr != exp[i].mr ||
            s.offset_within_region != exp[i].offset ||
            s.readonly != exp[i].readonly) {
            fprintf(stderr, "line %d: range %u is %" PRIx64 "+%" PRIx64
                    " %s @%" PRIx64 "%s\n", line, i,
                    s.offset_within_address_space, s.size, s.mr->name,
                    s.offset_within_region, s.readonly ? " ro" : "");
            dump_view();
            exit(1);
        }
    }
}

#define EXPECT(...) do {                                                  \
        const ExpRange exp_[] = { __VA_ARGS__ };                          \
        expect_view(exp_, ARRAY_SIZE(exp_), __LINE__);                    \
    } while (0)
#define EXPECT_EMPTY() expect_view(NULL, 0, __LINE__)

static const MemoryRegionOps dummy_ops = {
    .endianness = DEVICE_LITTLE_ENDIAN,
};
static uint8_t backing[0x10000];

static void init_ram(MemoryRegion *mr, const char *name, uint64_t size)
{
    memory_region_init_ram_ptr(mr, NULL, name, size, backing);
}

static void init_io(MemoryRegion *mr, const char *name, uint64_t size)
{
    memory_region_init_io(mr, NULL, &dummy_ops, NULL, name, size);
}

static void test_priority_overlap(void)
{
    MemoryRegion a, b, c;

    init_ram(&a, "a", 0x1000);
    init_io(&b, "b", 0x1000);
    init_io(&c, "c", 0x1000);
    memory_region_add_subregion(&root, 0, &a);
    memory_region_add_subregion_overlap(&root, 0x800, &b, 1);
    EXPECT({ 0, 0x800, &a, 0 }, { 0x800, 0x1000, &b, 0 });

    /* Lower priority: only what a leaves free. */
    memory_region_del_subregion(&root, &b);
    memory_region_add_subregion_overlap(&root, 0x800, &b, -1);
    EXPECT({ 0, 0x1000, &a, 0 }, { 0x1000, 0x800, &b, 0x800 });

    /* Equal priorities: the region added last wins... */
    memory_region_add_subregion_overlap(&root, 0x400, &c, 0);
    EXPECT({ 0, 0x400, &a, 0 }, { 0x400, 0x1000, &c, 0 },
           { 0x1400, 0x400, &b, 0xc00 });
    /* ...and so does the one moved last. */
    memory_region_set_address(&a, 0x100);
    EXPECT({ 0x100, 0x1000, &a, 0 }, { 0x1100, 0x300, &c, 0xd00 },
           { 0x1400, 0x400, &b, 0xc00 });

    memory_region_del_subregion(&root, &a);
    memory_region_del_subregion(&root, &b);
    memory_region_del_subregion(&root, &c);
    EXPECT_EMPTY();
    memory_region_finalize(&a);
    memory_region_finalize(&b);
    memory_region_finalize(&c);
}

static void test_alias_into_container(void)
{
    MemoryRegion box, ram, io, alias, alias2;

    memory_region_init(&box, NULL, "box", 0x2000);
    init_ram(&ram, "box-ram", 0x1000);
    init_io(&io, "box-io", 0x1000);
    memory_region_add_subregion(&box, 0, &ram);
    memory_region_add_subregion(&box, 0x1000, &io);
    /* The container is not mapped itself: only seen through aliases. */
    memory_region_init_alias(&alias, NULL, "win", &box, 0x800, 0x1000);
    memory_region_add_subregion(&root, 0x10000, &alias);
    EXPECT({ 0x10000, 0x800, &ram, 0x800 }, { 0x10800, 0x800, &io, 0 });

    /* An alias larger than what its target has: the rest is a hole.  Its
     * target's own address does not matter. */
    memory_region_init_alias(&alias2, NULL, "win2", &io, 0x800, 0x1000);
    memory_region_add_subregion(&root, 0x20000, &alias2);
    EXPECT({ 0x10000, 0x800, &ram, 0x800 }, { 0x10800, 0x800, &io, 0 },
           { 0x20000, 0x800, &io, 0x800 });

    /* Moving the window over the target. */
    memory_region_set_alias_offset(&alias, 0);
    EXPECT({ 0x10000, 0x1000, &ram, 0 }, { 0x20000, 0x800, &io, 0x800 });
    /* A disabled alias target hides what the alias shows. */
    memory_region_set_enabled(&io, false);
    memory_region_set_alias_offset(&alias, 0x800);
    EXPECT({ 0x10000, 0x800, &ram, 0x800 });
    memory_region_set_enabled(&io, true);

    memory_region_del_subregion(&root, &alias);
    memory_region_del_subregion(&root, &alias2);
    memory_region_del_subregion(&box, &ram);
    memory_region_del_subregion(&box, &io);
    memory_region_finalize(&alias);
    memory_region_finalize(&alias2);
    memory_region_finalize(&ram);
    memory_region_finalize(&io);
    memory_region_finalize(&box);
}

static void test_disabled_and_nested(void)
{
    MemoryRegion outer, inner, low, ram, hi;

    /* outer @0x1000 (0x3000) > inner @0x1000 (0x1000, prio 1) > hi @0x800
     * (0x1000: clipped by inner), over low RAM in the root. */
    memory_region_init(&outer, NULL, "outer", 0x3000);
    memory_region_init(&inner, NULL, "inner", 0x1000);
    init_ram(&low, "low", 0x8000);
    init_ram(&ram, "outer-ram", 0x1000);
    init_io(&hi, "hi", 0x1000);
    memory_region_add_subregion_overlap(&root, 0, &low, -1);
    memory_region_add_subregion(&root, 0x1000, &outer);
    memory_region_add_subregion_overlap(&outer, 0x1000, &inner, 1);
    memory_region_add_subregion(&outer, 0x1800, &ram);
    memory_region_add_subregion(&inner, 0x800, &hi);
    EXPECT({ 0, 0x2800, &low, 0 },
           { 0x2800, 0x800, &hi, 0 },
           { 0x3000, 0x800, &ram, 0x800 },
           { 0x3800, 0x4800, &low, 0x3800 });

    /* A hole in a higher-priority container lets lower ones through. */
    memory_region_set_enabled(&hi, false);
    EXPECT({ 0, 0x2800, &low, 0 },
           { 0x2800, 0x1000, &ram, 0 },
           { 0x3800, 0x4800, &low, 0x3800 });
    memory_region_set_enabled(&hi, true);

    /* Disabling a container hides all it holds. */
    memory_region_set_enabled(&outer, false);
    EXPECT({ 0, 0x8000, &low, 0 });
    memory_region_set_enabled(&outer, true);

    /* Read-only flows down to the ranges. */
    memory_region_set_readonly(&inner, true);
    EXPECT({ 0, 0x2800, &low, 0 },
           { 0x2800, 0x800, &hi, 0, true },
           { 0x3000, 0x800, &ram, 0x800 },
           { 0x3800, 0x4800, &low, 0x3800 });
    memory_region_set_readonly(&inner, false);

    /* Batched: one transaction, one new view. */
    {
        MemoryStats before, after;

        memory_get_stats(&before);
        memory_region_transaction_begin();
        memory_region_set_enabled(&low, false);
        memory_region_transaction_begin();
        memory_region_set_address(&outer, 0);
        memory_region_transaction_commit();
        CHECK_EQ(memory_region_transaction_depth(), 1);
        memory_region_transaction_commit();
        memory_get_stats(&after);
        CHECK_EQ(after.commits, before.commits + 1);
        CHECK_EQ(after.views_created, before.views_created + 1);
        EXPECT({ 0x1800, 0x800, &hi, 0 }, { 0x2000, 0x800, &ram, 0x800 });
    }

    memory_region_del_subregion(&inner, &hi);
    memory_region_del_subregion(&outer, &ram);
    memory_region_del_subregion(&outer, &inner);
    memory_region_del_subregion(&root, &outer);
    memory_region_del_subregion(&root, &low);
    memory_region_finalize(&hi);
    memory_region_finalize(&ram);
    memory_region_finalize(&inner);
    memory_region_finalize(&outer);
    memory_region_finalize(&low);
}

static void test_terminal_with_subregions(void)
{
    MemoryRegion ram, io;

    init_ram(&ram, "ram", 0x3000);
    init_io(&io, "io", 0x1000);
    memory_region_add_subregion(&ram, 0x1000, &io);
    memory_region_add_subregion(&root, 0x4000, &ram);
    EXPECT({ 0x4000, 0x1000, &ram, 0 }, { 0x5000, 0x1000, &io, 0 },
           { 0x6000, 0x1000, &ram, 0x2000 });
    /* Once io leaves, the two RAM pieces merge back. */
    memory_region_del_subregion(&ram, &io);
    EXPECT({ 0x4000, 0x3000, &ram, 0 });
    memory_region_del_subregion(&root, &ram);
    memory_region_finalize(&ram);
    memory_region_finalize(&io);
}

static void test_merging(void)
{
    MemoryRegion ram, a1, a2, a3;

    init_ram(&ram, "ram", 0x4000);
    memory_region_init_alias(&a1, NULL, "a1", &ram, 0, 0x1000);
    memory_region_init_alias(&a2, NULL, "a2", &ram, 0x1000, 0x1000);
    memory_region_init_alias(&a3, NULL, "a3", &ram, 0x3000, 0x1000);
    memory_region_transaction_begin();
    memory_region_add_subregion(&root, 0x10000, &a1);
    memory_region_add_subregion(&root, 0x11000, &a2);
    memory_region_add_subregion(&root, 0x12000, &a3);
    memory_region_transaction_commit();
    /* a1 and a2 show contiguous RAM: one range; a3 jumps: another. */
    EXPECT({ 0x10000, 0x2000, &ram, 0 }, { 0x12000, 0x1000, &ram, 0x3000 });
    /* Different read-only flags do not merge. */
    memory_region_set_readonly(&a2, true);
    EXPECT({ 0x10000, 0x1000, &ram, 0 }, { 0x11000, 0x1000, &ram, 0x1000, 1 },
           { 0x12000, 0x1000, &ram, 0x3000 });
    memory_region_transaction_begin();
    memory_region_del_subregion(&root, &a1);
    memory_region_del_subregion(&root, &a2);
    memory_region_del_subregion(&root, &a3);
    memory_region_transaction_commit();
    memory_region_finalize(&a1);
    memory_region_finalize(&a2);
    memory_region_finalize(&a3);
    memory_region_finalize(&ram);
}

/* A region past the end of the root, and one straddling it. */
static void test_clipping(void)
{
    MemoryRegion small, a, b;
    AddressSpace small_as;

    memory_region_init(&small, NULL, "small", 0x1800);
    init_io(&a, "a", 0x1000);
    init_io(&b, "b", 0x1000);
    memory_region_add_subregion(&small, 0x1000, &a);
    memory_region_add_subregion(&small, 0x2000, &b);
    address_space_init(&small_as, &small, "small");
    {
        FlatView *fv = address_space_get_flatview(&small_as);
        MemoryRegionSection s;

        CHECK_EQ(flatview_nr_ranges(fv), 1);
        flatview_get_range(fv, 0, &s);
        CHECK(s.mr == &a && s.offset_within_address_space == 0x1000 &&
              s.size == 0x800);
    }
    /* A huge offset does not wrap around. */
    memory_region_set_address(&b, UINT64_MAX - 0x10);
    CHECK_EQ(flatview_nr_ranges(address_space_get_flatview(&small_as)), 1);
    address_space_destroy(&small_as);
    memory_region_del_subregion(&small, &a);
    memory_region_del_subregion(&small, &b);
    memory_region_finalize(&a);
    memory_region_finalize(&b);
    memory_region_finalize(&small);
}

/* ---- property test */

#define PT_SPACE 256
#define PT_MAX 24
#define PT_TREES 3000
#define PT_ROUNDS 6
#define PT_SEED 0x5eed1234u

enum { N_CONTAINER, N_RAM, N_IO, N_ALIAS };

/* The test's own model of a region tree. */
typedef struct PNode {
    int kind;
    uint64_t size, addr;
    int prio;
    bool enabled, readonly;
    int parent;                 /* -1: not in a container */
    unsigned seq;               /* when placed: later wins among equals */
    int target;
    uint64_t alias_offset;
    MemoryRegion mr;
} PNode;

static PNode pn[PT_MAX];
static int pn_count;
static unsigned pn_seq;
static uint64_t rng_state;
static AddressSpace pt_as;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static unsigned rnd_below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

/* Can rendering `from` reach `to` (through subregions and aliases)? */
static bool reaches(int from, int to)
{
    if (from == to) {
        return true;
    }
    if (pn[from].kind == N_ALIAS && reaches(pn[from].target, to)) {
        return true;
    }
    for (int i = 1; i < pn_count; i++) {
        if (pn[i].parent == from && reaches(i, to)) {
            return true;
        }
    }
    return false;
}

typedef struct Hit {
    int node;                   /* -1: nothing */
    uint64_t offset;
    bool readonly;
} Hit;

static int child_order(const void *a, const void *b)
{
    const PNode *x = &pn[*(const int *)a], *y = &pn[*(const int *)b];

    if (x->prio != y->prio) {
        return x->prio > y->prio ? -1 : 1;
    }
    return x->seq > y->seq ? -1 : 1;
}

/* What byte `off` of node n shows: the brute-force definition. */
static bool resolve(int n, uint64_t off, bool ro, Hit *out)
{
    const PNode *p = &pn[n];
    int kids[PT_MAX], nk = 0;

    if (!p->enabled || off >= p->size) {
        return false;
    }
    ro |= p->readonly;
    if (p->kind == N_ALIAS) {
        return resolve(p->target, off + p->alias_offset, ro, out);
    }
    for (int i = 1; i < pn_count; i++) {
        if (pn[i].parent == n) {
            kids[nk++] = i;
        }
    }
    qsort(kids, nk, sizeof(int), child_order);
    for (int k = 0; k < nk; k++) {
        const PNode *c = &pn[kids[k]];

        if (off >= c->addr && resolve(kids[k], off - c->addr, ro, out)) {
            return true;
        }
    }
    if (p->kind == N_RAM || p->kind == N_IO) {
        *out = (Hit) { n, off, ro };
        return true;
    }
    return false;
}

static void pt_fail(const char *what, unsigned tree, int round, unsigned a)
{
    fprintf(stderr, "property test: %s at byte 0x%x, seed 0x%x tree %u "
            "round %d\n", what, a, PT_SEED, tree, round);
    mtree_info(stderr, true);
    exit(1);
}

static void pt_verify(unsigned tree, int round)
{
    FlatView *fv = address_space_get_flatview(&pt_as);
    Hit got[PT_SPACE];
    MemoryRegionSection prev = { 0 };

    for (unsigned a = 0; a < PT_SPACE; a++) {
        got[a].node = -1;
    }
    for (unsigned i = 0; i < flatview_nr_ranges(fv); i++) {
        MemoryRegionSection s;

        flatview_get_range(fv, i, &s);
        if (s.size == 0 || s.offset_within_address_space + s.size > PT_SPACE) {
            pt_fail("range out of the space", tree, round,
                    (unsigned)s.offset_within_address_space);
        }
        if (i && prev.offset_within_address_space + prev.size >
                 s.offset_within_address_space) {
            pt_fail("ranges unsorted or overlapping", tree, round,
                    (unsigned)s.offset_within_address_space);
        }
        if (i && prev.offset_within_address_space + prev.size ==
                 s.offset_within_address_space && prev.mr == s.mr &&
            prev.offset_within_region + prev.size == s.offset_within_region &&
            prev.readonly == s.readonly) {
            pt_fail("mergeable ranges left apart", tree, round,
                    (unsigned)s.offset_within_address_space);
        }
        for (uint64_t k = 0; k < s.size; k++) {
            got[s.offset_within_address_space + k] = (Hit) {
                (int)(container_of(s.mr, PNode, mr) - pn),
                s.offset_within_region + k, s.readonly };
        }
        prev = s;
    }
    for (unsigned a = 0; a < PT_SPACE; a++) {
        Hit want = { -1, 0, false };

        resolve(0, a, false, &want);
        if (want.node != got[a].node ||
            (want.node >= 0 && (want.offset != got[a].offset ||
                                want.readonly != got[a].readonly))) {
            fprintf(stderr, "byte 0x%x: expected node %d +0x%" PRIx64
                    "%s, got node %d +0x%" PRIx64 "%s\n", a, want.node,
                    want.offset, want.readonly ? " ro" : "", got[a].node,
                    got[a].offset, got[a].readonly ? " ro" : "");
            pt_fail("mismatch", tree, round, a);
        }
    }
}

static uint64_t rnd_size(void)
{
    switch (rnd_below(4)) {
    case 0:
        return 1 + rnd_below(8);
    case 1:
        return 1 + rnd_below(300);
    default:
        return 1 + rnd_below(96);
    }
}

static void pt_attach(int n, int parent)
{
    PNode *p = &pn[n];

    p->parent = parent;
    p->seq = ++pn_seq;
    if (p->prio == 0 && rnd_below(2)) {
        memory_region_add_subregion(&pn[parent].mr, p->addr, &p->mr);
    } else {
        memory_region_add_subregion_overlap(&pn[parent].mr, p->addr, &p->mr,
                                            p->prio);
    }
}

/* A random node that can hold n without a cycle, or -1. */
static int pick_parent(int n)
{
    for (int tries = 0; tries < 8; tries++) {
        int cand = rnd_below(4) == 0 ? 0 : (int)rnd_below(pn_count);

        if (cand != n && pn[cand].kind != N_ALIAS && !reaches(n, cand)) {
            return cand;
        }
    }
    return -1;
}

static void pt_new_node(int n)
{
    PNode *p = &pn[n];
    char name[16];

    memset(p, 0, sizeof(*p));
    snprintf(name, sizeof(name), "n%d", n);
    p->kind = rnd_below(4);
    p->size = rnd_size();
    p->addr = rnd_below(PT_SPACE + 32);
    p->prio = (int)rnd_below(5) - 2;
    p->enabled = true;
    p->parent = -1;
    if (p->kind == N_ALIAS && n > 1) {
        p->target = 1 + rnd_below(n - 1);
        p->alias_offset = rnd_below(pn[p->target].size + 16);
    } else if (p->kind == N_ALIAS) {
        p->kind = N_IO;
    }
    switch (p->kind) {
    case N_CONTAINER:
        memory_region_init(&p->mr, NULL, name, p->size);
        break;
    case N_RAM:
        init_ram(&p->mr, name, p->size);
        break;
    case N_IO:
        init_io(&p->mr, name, p->size);
        break;
    default:
        memory_region_init_alias(&p->mr, NULL, name, &pn[p->target].mr,
                                 p->alias_offset, p->size);
        break;
    }
    pn_count = n + 1;
}

static void pt_mutate(void)
{
    int n = 1 + rnd_below(pn_count - 1);
    PNode *p = &pn[n];

    switch (rnd_below(6)) {
    case 0:
        p->enabled = !p->enabled;
        memory_region_set_enabled(&p->mr, p->enabled);
        break;
    case 1:
        p->readonly = !p->readonly;
        memory_region_set_readonly(&p->mr, p->readonly);
        break;
    case 2: {
        uint64_t addr = rnd_below(PT_SPACE + 32);

        if (p->parent >= 0 && addr != p->addr) {
            p->seq = ++pn_seq;      /* moving makes it the newest */
        }
        p->addr = addr;
        memory_region_set_address(&p->mr, addr);
        break;
    }
    case 3:
        if (p->parent >= 0) {
            memory_region_del_subregion(&pn[p->parent].mr, &p->mr);
            p->parent = -1;
        }
        break;
    case 4:
        if (p->parent < 0) {
            int parent = pick_parent(n);

            if (parent >= 0) {
                pt_attach(n, parent);
            }
        }
        break;
    default:
        if (p->kind == N_ALIAS) {
            p->alias_offset = rnd_below(pn[p->target].size + 16);
            memory_region_set_alias_offset(&p->mr, p->alias_offset);
        }
        break;
    }
}

static void pt_one_tree(unsigned tree)
{
    int nodes = 2 + rnd_below(PT_MAX - 2);

    memset(&pn[0], 0, sizeof(pn[0]));
    pn[0].size = PT_SPACE - rnd_below(3) * 40;
    pn[0].enabled = true;
    pn[0].parent = -1;
    if (rnd_below(8) == 0) {
        pn[0].kind = N_RAM;
        init_ram(&pn[0].mr, "root", pn[0].size);
    } else {
        pn[0].kind = N_CONTAINER;
        memory_region_init(&pn[0].mr, NULL, "root", pn[0].size);
    }
    pn_count = 1;
    address_space_init(&pt_as, &pn[0].mr, "property");

    memory_region_transaction_begin();
    for (int n = 1; n < nodes; n++) {
        pt_new_node(n);
        if (rnd_below(5)) {
            int parent = pick_parent(n);

            if (parent >= 0) {
                pt_attach(n, parent);
            }
        }
        if (rnd_below(7) == 0) {
            pn[n].enabled = false;
            memory_region_set_enabled(&pn[n].mr, false);
        }
        if (rnd_below(10) == 0) {
            pn[n].readonly = true;
            memory_region_set_readonly(&pn[n].mr, true);
        }
    }
    memory_region_transaction_commit();
    pt_verify(tree, 0);

    for (int round = 1; round <= PT_ROUNDS; round++) {
        unsigned ops = 1 + rnd_below(4);

        memory_region_transaction_begin();
        for (unsigned i = 0; i < ops; i++) {
            pt_mutate();
        }
        memory_region_transaction_commit();
        pt_verify(tree, round);
    }

    address_space_destroy(&pt_as);
    for (int n = 1; n < pn_count; n++) {
        if (pn[n].parent >= 0) {
            memory_region_del_subregion(&pn[pn[n].parent].mr, &pn[n].mr);
            pn[n].parent = -1;
        }
    }
    for (int n = pn_count - 1; n >= 0; n--) {
        memory_region_finalize(&pn[n].mr);
    }
}

static void test_property_random_trees(void)
{
    for (unsigned tree = 0; tree < PT_TREES; tree++) {
        rng_state = ((uint64_t)PT_SEED << 20) + tree * 0x9e3779b97f4a7c15ull
                    + 1;
        pt_one_tree(tree);
    }
    printf("# %u random trees, seed 0x%x\n", PT_TREES, PT_SEED);
}

/* ---- mtree */

static void test_mtree(void)
{
    MemoryRegion ram, io, alias, box;
    char *out = NULL;
    size_t len = 0;
    FILE *f;

    init_ram(&ram, "dram", 0x1000);
    init_io(&io, "uart", 0x100);
    memory_region_init(&box, NULL, "box", 0x2000);
    memory_region_init_alias(&alias, NULL, "dram-alias", &ram, 0x800, 0x800);
    memory_region_add_subregion(&root, 0x80000000, &ram);
    memory_region_add_subregion_overlap(&root, 0x10000000, &io, 2);
    memory_region_add_subregion(&root, 0x20000, &box);
    memory_region_add_subregion(&box, 0x1000, &alias);
    memory_region_set_enabled(&box, false);

    f = open_memstream(&out, &len);
    CHECK(f);
    mtree_info(f, true);
    fclose(f);
    CHECK(strstr(out, "address-space: test\n"));
    CHECK(strstr(out, "  0000000000000000-fffffffffffffffe (prio 0, "
                      "container): root\n"));
    CHECK(strstr(out, "    0000000080000000-0000000080000fff (prio 0, ram): "
                      "dram\n"));
    CHECK(strstr(out, "    0000000010000000-00000000100000ff (prio 2, i/o): "
                      "uart\n"));
    CHECK(strstr(out, "    0000000000020000-0000000000021fff (prio 0, "
                      "container): box [disabled]\n"));
    CHECK(strstr(out, "      0000000000021000-00000000000217ff (prio 0, ram): "
                      "alias dram-alias @dram "
                      "0000000000000800-0000000000000fff\n"));
    CHECK(strstr(out, "memory-region: dram\n"));
    CHECK(strstr(out, "FlatView #0\n AS \"test\", root: root\n"));
    CHECK(strstr(out, "  0000000010000000-00000000100000ff (prio 2, i/o): "
                      "uart\n"));
    /* Tree lines come in address order. */
    CHECK(strstr(out, "): box") < strstr(out, "): uart"));
    free(out);

    memory_region_del_subregion(&box, &alias);
    memory_region_del_subregion(&root, &box);
    memory_region_del_subregion(&root, &io);
    memory_region_del_subregion(&root, &ram);
    memory_region_finalize(&alias);
    memory_region_finalize(&box);
    memory_region_finalize(&io);
    memory_region_finalize(&ram);
}

int main(void)
{
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    bql_lock();
    address_space_init(&as, &root, "test");
    RUN(test_priority_overlap);
    RUN(test_alias_into_container);
    RUN(test_disabled_and_nested);
    RUN(test_terminal_with_subregions);
    RUN(test_merging);
    RUN(test_clipping);
    RUN(test_mtree);
    RUN(test_property_random_trees);
    address_space_destroy(&as);
    bql_unlock();
    memtest_drain();
    memory_region_finalize(&root);
    return 0;
}
