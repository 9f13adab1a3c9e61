/* Listeners across random transactions: each listener's picture of the
 * map (built only from the callbacks) must equal the published view after
 * every commit; deletes come before adds, each in address order; add/del
 * pairs are symmetric and complete before an owner is finalized; replay
 * on register and unregister; priority order between listeners;
 * log_start/log_stop and eventfd_add/eventfd_del. */
#include <stdio.h>

#include "memtest.h"

#define A MEMTXATTRS_UNSPECIFIED
#define ROUNDS 1500
#define MAX_DEVS 12
#define MAX_LIVE 256
#define SEED 0x11573e4u

/* ---- a test device: an I/O region, a RAM region, an alias of the RAM
 * (a same-owner link, holding no reference) */

typedef struct LDev {
    Object obj;
    MemoryRegion io, ram, alias;
    EventNotifier notifier;
    unsigned fd_slots;          /* bit i: eventfd slot i registered */
    bool unplugged, finalized;
} LDev;

typedef struct FdSlot {
    hwaddr offset;
    unsigned size;
    bool match_data;
    uint64_t data;
} FdSlot;

static const FdSlot fd_slots[] = {
    { 0, 4, true, 1 },
    { 4, 0, false, 0 },
    { 8, 2, false, 0 },
};

static const MemoryRegionOps ldev_ops = {
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static LDev *devs[MAX_DEVS];
static LDev *graveyard[1024];
static unsigned nr_dead;
static MemoryRegion sys, bus;
static AddressSpace as;
static uint64_t rng = SEED;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static unsigned rnd_below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

/* ---- the recording listener */

typedef struct LiveSection {
    MemoryRegionSection s;
    unsigned log_mask;
} LiveSection;

typedef struct LiveFd {
    hwaddr addr;
    unsigned size;
    bool match_data;
    uint64_t data;
    EventNotifier *e;
} LiveFd;

typedef struct RecListener {
    MemoryListener l;
    int id;
    bool in_commit;
    int phase;                  /* 1 eventfd_del, 2 del, 3 add, 4 eventfd_add */
    hwaddr last_addr;
    bool have_last;
    LiveSection live[MAX_LIVE];
    unsigned nr_live;
    LiveFd fds[MAX_LIVE];
    unsigned nr_fds;
    unsigned long adds, dels;
} RecListener;

/* Global order of calls, for the priority check. */
typedef struct Call {
    int listener;
    char kind;                  /* 'a' add, 'd' del */
    hwaddr start;
} Call;

static Call calls[8192];
static unsigned nr_calls;

static void note_call(RecListener *r, char kind, hwaddr start)
{
    if (nr_calls < ARRAY_SIZE(calls)) {
        calls[nr_calls++] = (Call) { r->id, kind, start };
    }
}

/* Phases never go back; inside the del and add phases, addresses grow. */
static void check_phase(RecListener *r, int phase, hwaddr addr)
{
    CHECK(r->in_commit);
    CHECK(phase >= r->phase);
    if (phase != r->phase) {
        r->phase = phase;
        r->have_last = false;
    }
    if (phase == 2 || phase == 3) {
        CHECK(!r->have_last || addr > r->last_addr);
        r->have_last = true;
        r->last_addr = addr;
    }
}

static int find_live(RecListener *r, const MemoryRegionSection *s)
{
    for (unsigned i = 0; i < r->nr_live; i++) {
        const MemoryRegionSection *x = &r->live[i].s;

        if (x->mr == s->mr && x->size == s->size &&
            x->offset_within_address_space == s->offset_within_address_space
            && x->offset_within_region == s->offset_within_region &&
            x->readonly == s->readonly) {
            return (int)i;
        }
    }
    return -1;
}

static void rec_begin(MemoryListener *l)
{
    RecListener *r = container_of(l, RecListener, l);

    CHECK(!r->in_commit);
    CHECK(bql_locked());
    r->in_commit = true;
    r->phase = 0;
}

static void rec_region_add(MemoryListener *l, MemoryRegionSection *s)
{
    RecListener *r = container_of(l, RecListener, l);

    CHECK(s->as == &as && s->size > 0);
    check_phase(r, 3, s->offset_within_address_space);
    /* The picture stays a map: nothing live overlaps the new section. */
    for (unsigned i = 0; i < r->nr_live; i++) {
        const MemoryRegionSection *x = &r->live[i].s;

        CHECK(x->offset_within_address_space + x->size <=
                  s->offset_within_address_space ||
              s->offset_within_address_space + s->size <=
                  x->offset_within_address_space);
    }
    CHECK(r->nr_live < MAX_LIVE);
    r->live[r->nr_live++] = (LiveSection) { *s, 0 };
    r->adds++;
    note_call(r, 'a', s->offset_within_address_space);
}

static void rec_region_del(MemoryListener *l, MemoryRegionSection *s)
{
    RecListener *r = container_of(l, RecListener, l);
    int i = find_live(r, s);

    check_phase(r, 2, s->offset_within_address_space);
    CHECK(i >= 0);
    CHECK_EQ(r->live[i].log_mask, 0);   /* log_stop came first */
    r->live[i] = r->live[--r->nr_live];
    r->dels++;
    note_call(r, 'd', s->offset_within_address_space);
}

static void rec_log(MemoryListener *l, MemoryRegionSection *s,
                    unsigned old_mask, unsigned new_mask, bool start)
{
    RecListener *r = container_of(l, RecListener, l);
    int i = find_live(r, s);

    CHECK(r->in_commit);
    CHECK(i >= 0);
    CHECK_EQ(r->live[i].log_mask, old_mask);
    CHECK(start ? (new_mask & ~old_mask) != 0 : (old_mask & ~new_mask) != 0);
    r->live[i].log_mask = new_mask;
}

static void rec_log_start(MemoryListener *l, MemoryRegionSection *s,
                          unsigned old_mask, unsigned new_mask)
{
    rec_log(l, s, old_mask, new_mask, true);
}

static void rec_log_stop(MemoryListener *l, MemoryRegionSection *s,
                         unsigned old_mask, unsigned new_mask)
{
    rec_log(l, s, old_mask, new_mask, false);
}

static int find_fd(RecListener *r, const LiveFd *f)
{
    for (unsigned i = 0; i < r->nr_fds; i++) {
        const LiveFd *x = &r->fds[i];

        if (x->addr == f->addr && x->size == f->size &&
            x->match_data == f->match_data && x->data == f->data &&
            x->e == f->e) {
            return (int)i;
        }
    }
    return -1;
}

static LiveFd make_fd(MemoryRegionSection *s, bool match, uint64_t data,
                      EventNotifier *e)
{
    LiveFd f;

    f.addr = s->offset_within_address_space;
    f.size = (unsigned)s->size;
    f.match_data = match;
    f.data = data;
    f.e = e;
    return f;
}

static void rec_eventfd_add(MemoryListener *l, MemoryRegionSection *s,
                            bool match, uint64_t data, EventNotifier *e)
{
    RecListener *r = container_of(l, RecListener, l);
    LiveFd f = make_fd(s, match, data, e);

    check_phase(r, 4, 0);
    /* It sits on a live section of the same region. */
    CHECK(find_fd(r, &f) < 0);
    CHECK(r->nr_fds < MAX_LIVE);
    r->fds[r->nr_fds++] = f;
}

static void rec_eventfd_del(MemoryListener *l, MemoryRegionSection *s,
                            bool match, uint64_t data, EventNotifier *e)
{
    RecListener *r = container_of(l, RecListener, l);
    LiveFd f = make_fd(s, match, data, e);
    int i = find_fd(r, &f);

    check_phase(r, 1, 0);
    CHECK(i >= 0);
    r->fds[i] = r->fds[--r->nr_fds];
}

static void rec_commit(MemoryListener *l)
{
    RecListener *r = container_of(l, RecListener, l);

    CHECK(r->in_commit);
    r->in_commit = false;
}

static void rec_init(RecListener *r, int id, int priority)
{
    memset(r, 0, sizeof(*r));
    r->id = id;
    r->l = (MemoryListener) {
        .begin = rec_begin,
        .commit = rec_commit,
        .region_add = rec_region_add,
        .region_del = rec_region_del,
        .log_start = rec_log_start,
        .log_stop = rec_log_stop,
        .eventfd_add = rec_eventfd_add,
        .eventfd_del = rec_eventfd_del,
        .name = "rec",
        .priority = priority,
    };
}

static RecListener lis[3];

/* ---- comparing a listener's picture with the view */

static LDev *dev_of_io(MemoryRegion *mr)
{
    for (unsigned i = 0; i < MAX_DEVS; i++) {
        if (devs[i] && mr == &devs[i]->io) {
            return devs[i];
        }
    }
    return NULL;
}

static void check_listener(RecListener *r)
{
    FlatView *fv = address_space_get_flatview(&as);
    unsigned nr_expected_fds = 0;

    CHECK(!r->in_commit);
    CHECK_EQ(r->nr_live, flatview_nr_ranges(fv));
    for (unsigned i = 0; i < flatview_nr_ranges(fv); i++) {
        MemoryRegionSection s;
        int k;
        LDev *d;

        flatview_get_range(fv, i, &s);
        k = find_live(r, &s);
        CHECK(k >= 0);
        CHECK_EQ(r->live[k].log_mask, memory_region_get_dirty_log_mask(s.mr));
        d = dev_of_io(s.mr);
        for (unsigned j = 0; d && j < ARRAY_SIZE(fd_slots); j++) {
            const FdSlot *slot = &fd_slots[j];
            MemoryRegionSection fs = {
                .offset_within_address_space = s.offset_within_address_space +
                    slot->offset - s.offset_within_region,
                .size = slot->size,
            };
            LiveFd f;

            if (!(d->fd_slots & (1u << j)) ||
                slot->offset < s.offset_within_region ||
                slot->offset >= s.offset_within_region + s.size) {
                continue;
            }
            f = make_fd(&fs, slot->match_data, slot->data, &d->notifier);
            CHECK(find_fd(r, &f) >= 0);
            nr_expected_fds++;
        }
    }
    CHECK_EQ(r->nr_fds, nr_expected_fds);
}

/* The lower-priority listener gets adds first and deletes last. */
static void check_priority_order(void)
{
    for (unsigned i = 0; i < nr_calls; i++) {
        if (calls[i].listener != 0) {
            continue;
        }
        for (unsigned j = 0; j < nr_calls; j++) {
            if (calls[j].listener == 1 && calls[j].kind == calls[i].kind &&
                calls[j].start == calls[i].start) {
                CHECK(calls[i].kind == 'a' ? i < j : i > j);
                break;
            }
        }
    }
    nr_calls = 0;
}

/* ---- devices */

static void ldev_finalize(Object *obj)
{
    LDev *d = container_of(obj, LDev, obj);

    /* Runs in the RCU thread: the listeners' state is under the BQL. */
    bql_lock();
    for (unsigned k = 0; k < ARRAY_SIZE(lis); k++) {
        for (unsigned i = 0; i < lis[k].nr_live; i++) {
            Object *owner = lis[k].live[i].s.mr->owner;

            CHECK(owner != &d->obj);    /* region_del came before */
        }
    }
    bql_unlock();
    CHECK(d->unplugged);
    memory_region_finalize(&d->alias);
    memory_region_finalize(&d->io);
    memory_region_finalize(&d->ram);
    event_notifier_cleanup(&d->notifier);
    atomic_store_release(&d->finalized, true);
}

static LDev *ldev_new(unsigned i)
{
    LDev *d = calloc(1, sizeof(*d));
    char name[32];

    CHECK(d);
    object_init(&d->obj, "ldev", ldev_finalize);
    snprintf(name, sizeof(name), "dev%u-io", i);
    memory_region_init_io(&d->io, &d->obj, &ldev_ops, d, name, 0x100);
    snprintf(name, sizeof(name), "dev%u-ram", i);
    CHECK(memory_region_init_ram(&d->ram, &d->obj, name, 0x2000, NULL));
    snprintf(name, sizeof(name), "dev%u-alias", i);
    memory_region_init_alias(&d->alias, &d->obj, name, &d->ram, 0x1000,
                             0x1000);
    CHECK(event_notifier_init(&d->notifier, false, NULL));
    return d;
}

static MemoryRegion *dev_region(LDev *d, unsigned which)
{
    return which == 0 ? &d->io : which == 1 ? &d->ram : &d->alias;
}

static void ldev_unplug(unsigned i)
{
    LDev *d = devs[i];

    memory_region_transaction_begin();
    for (unsigned w = 0; w < 3; w++) {
        MemoryRegion *mr = dev_region(d, w);

        if (mr->container) {
            memory_region_del_subregion(mr->container, mr);
        }
    }
    for (unsigned j = 0; j < ARRAY_SIZE(fd_slots); j++) {
        if (d->fd_slots & (1u << j)) {
            memory_region_del_eventfd(&d->io, fd_slots[j].offset,
                                      fd_slots[j].size,
                                      fd_slots[j].match_data,
                                      fd_slots[j].data, &d->notifier);
        }
    }
    d->fd_slots = 0;
    memory_region_transaction_commit();
    d->unplugged = true;
    devs[i] = NULL;
    CHECK(nr_dead < ARRAY_SIZE(graveyard));
    graveyard[nr_dead++] = d;
    object_unref(&d->obj);      /* the creator's reference */
}

static void random_op(void)
{
    unsigned i = rnd_below(MAX_DEVS), w = rnd_below(3);
    LDev *d = devs[i];
    MemoryRegion *mr;

    if (!d) {
        devs[i] = ldev_new(i);
        return;
    }
    mr = dev_region(d, w);
    switch (rnd_below(7)) {
    case 0:
    case 1:
        if (mr->container) {
            memory_region_del_subregion(mr->container, mr);
        } else {
            memory_region_add_subregion_overlap(rnd_below(2) ? &sys : &bus,
                                                rnd_below(64) * 0x400, mr,
                                                (int)rnd_below(3) - 1);
        }
        break;
    case 2:
        memory_region_set_enabled(mr, !mr->enabled);
        break;
    case 3:
        memory_region_set_address(mr, rnd_below(64) * 0x400 + rnd_below(2));
        break;
    case 4: {
        unsigned j = rnd_below(ARRAY_SIZE(fd_slots));
        const FdSlot *s = &fd_slots[j];

        if (d->fd_slots & (1u << j)) {
            memory_region_del_eventfd(&d->io, s->offset, s->size,
                                      s->match_data, s->data, &d->notifier);
        } else {
            memory_region_add_eventfd(&d->io, s->offset, s->size,
                                      s->match_data, s->data, &d->notifier);
        }
        d->fd_slots ^= 1u << j;
        break;
    }
    case 5: {
        DirtyClient c = rnd_below(2) ? DIRTY_CLIENT_DISPLAY
                                     : DIRTY_CLIENT_MIGRATION;

        memory_region_set_log(&d->ram, !(d->ram.dirty_log_mask & (1u << c)),
                              c);
        break;
    }
    default:
        memory_region_set_readonly(mr, !mr->readonly);
        break;
    }
}

static void check_all(void)
{
    for (unsigned k = 0; k < ARRAY_SIZE(lis); k++) {
        if (lis[k].l.as) {
            check_listener(&lis[k]);
        }
    }
    check_priority_order();
}

static void test_random_transactions(void)
{
    unsigned long commits_before;
    MemoryStats st;

    bql_lock();
    memory_get_stats(&st);
    commits_before = st.commits;
    for (unsigned round = 0; round < ROUNDS; round++) {
        unsigned ops = 1 + rnd_below(6);

        memory_region_transaction_begin();
        for (unsigned k = 0; k < ops; k++) {
            if (rnd_below(4) == 0) {
                memory_region_transaction_begin();
                random_op();
                memory_region_transaction_commit();
            } else {
                random_op();
            }
        }
        if (rnd_below(6) == 0) {
            unsigned i = rnd_below(MAX_DEVS);

            if (devs[i]) {
                ldev_unplug(i);
            }
        }
        memory_region_transaction_commit();
        check_all();

        /* A third listener comes and goes: replay and take-back. */
        if (round % 37 == 5) {
            memory_listener_register(&lis[2].l, &as);
            check_listener(&lis[2]);
        } else if (round % 37 == 20) {
            memory_listener_unregister(&lis[2].l);
            CHECK_EQ(lis[2].nr_live, 0);
            CHECK_EQ(lis[2].nr_fds, 0);
            CHECK(lis[2].adds == lis[2].dels && lis[2].adds > 0);
        }
        /* Let the RCU thread finalize unplugged devices now and then. */
        if (round % 50 == 49) {
            bql_unlock();
            weft_rcu_barrier();
            bql_lock();
        }
    }
    memory_get_stats(&st);
    CHECK(st.commits > commits_before + ROUNDS / 2);
    for (unsigned i = 0; i < MAX_DEVS; i++) {
        if (devs[i]) {
            ldev_unplug(i);
        }
    }
    check_all();
    CHECK_EQ(lis[0].nr_live, 0);
    CHECK_EQ(lis[0].nr_fds, 0);
    CHECK_EQ(lis[0].adds, lis[0].dels);
    CHECK_EQ(lis[1].adds, lis[1].dels);
    bql_unlock();

    memtest_drain();
    for (unsigned i = 0; i < nr_dead; i++) {
        CHECK(atomic_load_acquire(&graveyard[i]->finalized));
        free(graveyard[i]);
    }
    printf("# %u devices unplugged, %lu region_add, seed 0x%x\n", nr_dead,
           lis[0].adds, SEED);
}

/* Replay covers what exists before registering, logging included. */
static void test_register_replay(void)
{
    RecListener late;
    MemoryRegion ram, io;
    EventNotifier e;

    CHECK(event_notifier_init(&e, false, NULL));
    CHECK(memory_region_init_ram(&ram, NULL, "ram", 0x1000, NULL));
    memory_region_init_io(&io, NULL, &ldev_ops, NULL, "io", 0x100);
    bql_lock();
    memory_region_set_log(&ram, true, DIRTY_CLIENT_DISPLAY);
    memory_region_add_subregion(&sys, 0x100000, &ram);
    memory_region_add_subregion(&sys, 0x200000, &io);
    memory_region_add_eventfd(&io, 0x10, 4, false, 0, &e);

    rec_init(&late, 9, 0);
    memory_listener_register(&late.l, &as);
    CHECK_EQ(late.nr_live, 2);
    CHECK_EQ(late.nr_fds, 1);
    CHECK_EQ(late.fds[0].addr, 0x200010);
    CHECK_EQ(late.live[find_live(&late, &(MemoryRegionSection) {
        .mr = &ram, .offset_within_address_space = 0x100000,
        .size = 0x1000 })].log_mask, 1u << DIRTY_CLIENT_DISPLAY);

    /* Logging toggled on a mapped range: log_stop / log_start only. */
    memory_region_set_log(&ram, false, DIRTY_CLIENT_DISPLAY);
    CHECK_EQ(late.live[0].log_mask | late.live[1].log_mask, 0);
    CHECK_EQ(late.adds, 2);
    CHECK_EQ(late.nr_live, 2);

    memory_listener_unregister(&late.l);
    CHECK_EQ(late.nr_live, 0);
    CHECK_EQ(late.nr_fds, 0);
    memory_region_del_eventfd(&io, 0x10, 4, false, 0, &e);
    memory_region_del_subregion(&sys, &ram);
    memory_region_del_subregion(&sys, &io);
    bql_unlock();
    memtest_drain();
    memory_region_finalize(&ram);
    memory_region_finalize(&io);
    event_notifier_cleanup(&e);
}

int main(void)
{
    memory_region_init(&sys, NULL, "sys", UINT64_MAX);
    memory_region_init(&bus, NULL, "bus", 0x10000);
    rec_init(&lis[0], 0, 1);
    rec_init(&lis[1], 1, 10);
    rec_init(&lis[2], 2, 5);
    bql_lock();
    memory_region_add_subregion_overlap(&sys, 0x8000, &bus, 1);
    address_space_init(&as, &sys, "memory");
    memory_listener_register(&lis[1].l, &as);
    memory_listener_register(&lis[0].l, &as);
    bql_unlock();

    RUN(test_register_replay);
    RUN(test_random_transactions);

    bql_lock();
    memory_listener_unregister(&lis[0].l);
    memory_listener_unregister(&lis[1].l);
    memory_listener_unregister(&lis[2].l);
    memory_region_del_subregion(&sys, &bus);
    address_space_destroy(&as);
    bql_unlock();
    memtest_drain();
    memory_region_finalize(&bus);
    memory_region_finalize(&sys);
    return 0;
}
