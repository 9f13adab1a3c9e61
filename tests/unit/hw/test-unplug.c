/* The unplug lifecycle: step order, finalize exactly once and before
 * DEVICE_DELETED, pending requests, asynchronous drains finished from
 * another thread, a device unplugged with the devices on its buses,
 * references held by a thread in "MMIO", and plug/unplug in a loop
 * against concurrent readers.
 *
 * Run without arguments, finalize and drain completions run where they
 * land (the RCU reclaim thread, the draining thread).  With --main-loop,
 * main_loop_init() makes the main loop the finalize context and every
 * such step must run in the main thread, and only when it polls. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "system/bql.h"
#include "system/event-loop.h"
#include "test.h"
#include "testdev.h"
#include "util/atomic.h"
#include "util/rcu.h"

static bool with_main_loop;
static pthread_t main_thread;

static void txn_begin(void)
{
    CHECK(bql_locked());
    ev_log("txn-begin");
}

static void txn_commit(void)
{
    ev_log("txn-commit");
}

static Device *add_ok(const char *opts, Bus *bus)
{
    Error *err = NULL;
    Device *dev = device_new_from_opts(opts, &err);

    if (!dev || !device_realize_and_unref(dev, bus, &err)) {
        fprintf(stderr, "%s: %s\n", opts, error_get_pretty(err));
        CHECK(0);
    }
    return dev;
}

static void request_fails(Device *dev, const char *want)
{
    Error *err = NULL;

    CHECK(!device_unplug_request(dev, &err));
    if (!strstr(error_get_pretty(err), want)) {
        fprintf(stderr, "got \"%s\", want \"%s\"\n", error_get_pretty(err),
                want);
        CHECK(0);
    }
    error_free(err);
}

/* Waits, without the BQL and offline, until *flag is set. */
static void wait_flag(unsigned *flag)
{
    bool held = bql_locked();
    bool online = weft_rcu_thread_registered() && weft_rcu_thread_online();

    if (held) {
        bql_unlock();
    }
    if (online) {
        weft_rcu_go_offline();
    }
    for (int i = 0; !atomic_load_acquire(flag); i++) {
        CHECK(i < 20000);       /* 10 s */
        usleep(500);
    }
    if (online) {
        weft_rcu_go_online();
    }
    if (held) {
        bql_lock();
    }
}

/* Polls the main loop (if any) until dev reaches state; we hold a
 * reference on dev. */
static void wait_state(Device *dev, DeviceLifeState state)
{
    bql_unlock();
    for (int i = 0; device_state(dev) != state; i++) {
        CHECK(i < 20000);
        if (with_main_loop) {
            event_loop_poll(main_loop(), false);
        }
        usleep(500);
    }
    bql_lock();
}

/* Where finalize must have run. */
static void check_finalize_thread(void)
{
    bool in_main = pthread_equal(testdev_finalize_thread, main_thread);

    CHECK(in_main == with_main_loop);
}

/* ------------------------------------------------------------------ */

static Bus *tbus, *gbus;

static void test_order(void)
{
    unsigned long fin, del;
    Device *dev, *other;

    bql_lock();
    dev = add_ok("test-dev,id=o1", tbus);
    other = device_new("test-dev", NULL);
    CHECK(!device_set_id(other, "o1", NULL));
    device_unref(other);
    settle();
    fin = atomic_read(&testdev_finalized);
    del = testdev_deleted_count();
    ev_reset();
    CHECK(device_unplug_request(dev, NULL));
    /* steps 1 to 5 ran at once: this bus has no guest protocol */
    CHECK(ev_equals("txn-begin bus-isolate:o1 isolate:o1 txn-commit "
                    "drain:o1 unrealize:o1 notify:o1"));
    CHECK(device_state(dev) == DEVICE_UNPLUGGED && !dev->parent_bus);
    CHECK(device_is_isolated(dev) && !device_is_realized(dev));
    /* the id stays taken until DEVICE_DELETED */
    CHECK(device_find_by_id("o1") == dev);
    CHECK(!bus_find_device(tbus, 0));           /* the slot is free */
    request_fails(dev, "already being unplugged (unplugged)");

    settle();
    CHECK(ev_equals("txn-begin bus-isolate:o1 isolate:o1 txn-commit "
                    "drain:o1 unrealize:o1 notify:o1 finalize:o1 "
                    "deleted:o1:/machine/peripheral/o1"));
    check_finalize_thread();
    CHECK_EQ(atomic_read(&testdev_finalized), fin + 1);
    CHECK_EQ(testdev_deleted_count(), del + 1);
    settle();                                   /* exactly once */
    CHECK_EQ(atomic_read(&testdev_finalized), fin + 1);
    CHECK_EQ(testdev_deleted_count(), del + 1);
    CHECK(!device_find_by_id("o1"));
    dev = add_ok("test-dev,id=o1", tbus);       /* the id is free */
    CHECK(device_unplug_request(dev, NULL));
    settle();
    bql_unlock();
}

/* Management asks, the guest never answers: the device stays, pending
 * and visible, through any number of grace periods. */
static void test_pending_never_acked(void)
{
    unsigned long live = object_count_live();
    unsigned long fin = atomic_read(&testdev_finalized);
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    Device *dev;

    bql_lock();
    guest_auto_ack = false;
    dev = add_ok("test-dev,id=p1", gbus);
    ev_reset();
    CHECK(device_unplug_request(dev, NULL));
    CHECK(ev_equals("request:p1"));
    CHECK(device_unplug_pending(dev));
    CHECK(device_state(dev) == DEVICE_UNPLUG_PENDING);
    CHECK(device_is_realized(dev) && !device_is_isolated(dev));
    request_fails(dev, "Device 'p1' is already being unplugged "
                  "(unplug-pending)");

    settle();
    settle();
    CHECK(ev_equals("request:p1"));             /* nothing else happened */
    CHECK(device_find_by_id("p1") == dev && dev->parent_bus == gbus);
    CHECK_EQ(object_refcount(&dev->obj), 1);    /* the bus's */
    CHECK_EQ(atomic_read(&testdev_finalized), fin);
    f = open_memstream(&buf, &len);
    qtree_info(f);
    fclose(f);
    CHECK(strstr(buf, "dev: test-dev, id \"p1\"\n    state = "
                 "unplug-pending\n"));
    free(buf);

    /* the guest cancels, then a new request is acknowledged */
    device_unplug_cancel(dev);
    CHECK(device_state(dev) == DEVICE_REALIZED && !device_unplug_pending(dev));
    CHECK(device_unplug_request(dev, NULL));
    CHECK(device_unplug_pending(dev));
    ev_reset();
    device_unplug_ack(dev);
    CHECK(ev_equals("txn-begin bus-isolate:p1 isolate:p1 txn-commit "
                    "drain:p1 unrealize:p1 notify:p1"));
    settle();
    CHECK(ev_contains("finalize:p1"));
    CHECK_EQ(object_count_live(), live);
    bql_unlock();
}

static void test_guest_protocols(void)
{
    unsigned long live = object_count_live();
    Device *dev;

    bql_lock();
    /* the guest answers at once, inside the request */
    guest_auto_ack = true;
    dev = add_ok("test-dev,id=g1", gbus);
    ev_reset();
    CHECK(device_unplug_request(dev, NULL));
    CHECK(ev_equals("request:g1 txn-begin bus-isolate:g1 isolate:g1 "
                    "txn-commit drain:g1 unrealize:g1 notify:g1"));

    /* the guest ejects on its own: no request */
    dev = add_ok("test-dev,id=g2", gbus);
    ev_reset();
    device_unplug_ack(dev);
    CHECK(ev_equals("txn-begin bus-isolate:g2 isolate:g2 txn-commit "
                    "drain:g2 unrealize:g2 notify:g2"));

    /* the bus cannot forward the request: nothing changes */
    guest_refuse_request = true;
    dev = add_ok("test-dev,id=g3", gbus);
    request_fails(dev, "slot of g3 is busy");
    CHECK(device_state(dev) == DEVICE_REALIZED);
    guest_refuse_request = false;
    CHECK(device_unplug_request(dev, NULL));
    settle();
    CHECK_EQ(object_count_live(), live);
    bql_unlock();
}

static void test_unplug_refused(void)
{
    Device *dev, *br, *child;
    Bus *fixed;

    bql_lock();
    fixed = bus_new(NULL, &fixed_bus_info, "u.fixed");
    dev = device_new("test-dev", NULL);
    request_fails(dev, "Device 'test-dev' is not plugged");
    device_unref(dev);
    dev = add_ok("test-fixed,id=fx", tbus);
    request_fails(dev, "Device 'fx' does not support hot-unplug");
    dev = add_ok("test-dev,id=onfixed", fixed);
    request_fails(dev, "Bus 'u.fixed' does not support hot-unplug");
    /* A child may still go first, alone (the unit case is below). */
    br = add_ok("test-bridge,id=ubr", tbus);
    child = add_ok("test-dev,id=uchild", bus_find("ubr.0"));
    CHECK(device_unplug_request(child, NULL));
    CHECK(device_state(br) == DEVICE_REALIZED);
    CHECK(device_unplug_request(br, NULL));
    settle();
    CHECK(!device_find_by_id("ubr") && !device_find_by_id("uchild"));
    bql_unlock();
}

/* ---- drain finished later by another thread */

static pthread_t drainer;
static unsigned drainer_done;

static void *drainer_main(void *arg)
{
    Device *dev = arg;

    usleep(20 * 1000);          /* the "in-flight I/O" */
    CHECK(device_state(dev) == DEVICE_DRAINING);
    device_drain_done(dev);
    atomic_store_release(&drainer_done, 1);
    return NULL;
}

static void start_drainer(Device *dev)
{
    CHECK(!pthread_create(&drainer, NULL, drainer_main, dev));
}

static void test_async_drain(void)
{
    unsigned long live = object_count_live();
    TestDev *t;
    Device *dev;

    bql_lock();
    testdev_async_drain_hook = start_drainer;
    drainer_done = 0;
    dev = add_ok("test-dev,id=ad,async-drain=on,addr=6", tbus);
    t = (TestDev *)dev;
    device_ref(dev);            /* ours, to look at it afterwards */
    ev_reset();
    CHECK(device_unplug_request(dev, NULL));
    CHECK(ev_equals("txn-begin bus-isolate:ad isolate:ad txn-commit "
                    "drain:ad"));
    CHECK(device_state(dev) == DEVICE_DRAINING);
    CHECK(bus_find_device(tbus, 6) == dev);     /* still holds its slot */
    request_fails(dev, "already being unplugged (draining)");

    if (with_main_loop) {
        /* the completion waits for the main loop */
        wait_flag(&drainer_done);
        bql_unlock();
        usleep(5000);
        CHECK(device_state(dev) == DEVICE_DRAINING);
        bql_lock();
    }
    wait_state(dev, DEVICE_UNPLUGGED);
    pthread_join(drainer, NULL);
    CHECK(ev_equals("txn-begin bus-isolate:ad isolate:ad txn-commit "
                    "drain:ad unrealize:ad notify:ad"));
    CHECK(pthread_equal(t->drained_in, with_main_loop ? main_thread
                                                      : drainer));
    CHECK(!bus_find_device(tbus, 6));
    device_unref(dev);
    settle();
    CHECK(ev_contains("finalize:ad"));
    CHECK_EQ(object_count_live(), live);
    testdev_async_drain_hook = NULL;
    bql_unlock();
}

/* ---- a device unplugged with the devices on its buses ----
 *
 * One unit: isolate covers all of them in one transaction, parents
 * first; then drain, unrealize and notify run children first, and a
 * device drains only once its buses are empty (w3's drain finishes later
 * in another thread, and w2 and w wait for it).  The children's finalize
 * and DEVICE_DELETED come before their owner's. */
/* True if every item is in the log, in this order. */
static bool in_order(const char *const *items)
{
    long last = -1;

    for (; *items; items++) {
        long i = ev_index(*items);

        if (i <= last) {
            char *log = ev_dump();

            fprintf(stderr, "\"%s\" out of order in \"%s\"\n", *items, log);
            free(log);
            return false;
        }
        last = i;
    }
    return true;
}

static void test_unplug_unit(void)
{
    unsigned long live = object_count_live();
    Device *w, *w1, *w2, *w3;
    Error *err = NULL;

    bql_lock();
    guest_auto_ack = false;
    testdev_async_drain_hook = start_drainer;
    drainer_done = 0;
    w = add_ok("test-bridge,id=w", gbus);
    w1 = add_ok("test-dev,id=w1", bus_find("w.0"));
    w2 = add_ok("test-bridge,id=w2", bus_find("w.0"));
    w3 = add_ok("test-dev,id=w3,async-drain=on", bus_find("w2.0"));
    device_ref(w);              /* ours, to look at it afterwards */
    ev_reset();
    settle();                   /* finalizes nothing: keeps the log short */
    CHECK(device_unplug_request(w, NULL));
    CHECK(ev_equals("request:w"));
    /* Pending: the children are untouched and nothing joins them. */
    CHECK(device_state(w1) == DEVICE_REALIZED);
    CHECK(device_state(w3) == DEVICE_REALIZED);
    CHECK(!device_add("test-dev,id=w4,bus=w.0", &err));
    CHECK(strstr(error_get_pretty(err), "not available"));
    error_free(err);

    device_unplug_ack(w);
    CHECK(ev_equals("request:w txn-begin bus-isolate:w isolate:w "
                    "bus-isolate:w1 isolate:w1 bus-isolate:w2 isolate:w2 "
                    "bus-isolate:w3 isolate:w3 txn-commit "
                    "drain:w1 unrealize:w1 notify:w1 drain:w3"));
    CHECK(device_state(w1) == DEVICE_UNPLUGGED);
    CHECK(device_state(w3) == DEVICE_DRAINING);
    /* Isolated, waiting for their buses to empty. */
    CHECK(device_state(w2) == DEVICE_ISOLATED);
    CHECK(device_state(w) == DEVICE_ISOLATED);
    CHECK(bus_find_device(gbus, w->bus_addr) == w);

    wait_state(w, DEVICE_UNPLUGGED);
    pthread_join(drainer, NULL);
    /* (w1's finalize may come anywhere in between.) */
    CHECK(in_order((const char *const[]) {
        "drain:w3", "unrealize:w3", "notify:w3", "drain:w2",
        "unrealize:w2", "notify:w2", "drain:w", "unrealize:w", "notify:w",
        NULL }));
    device_unref(w);
    settle();
    settle();
    CHECK(ev_index("deleted:w1:/machine/peripheral/w1") <
          ev_index("finalize:w"));
    CHECK(ev_index("deleted:w3:/machine/peripheral/w3") <
          ev_index("finalize:w2"));
    CHECK(ev_index("deleted:w2:/machine/peripheral/w2") <
          ev_index("finalize:w"));
    CHECK(ev_contains("deleted:w:/machine/peripheral/w"));
    CHECK_EQ(object_count_live(), live);

    /* A child already unplugging on its own: the unit waits for it. */
    drainer_done = 0;
    w = add_ok("test-bridge,id=v", gbus);
    w1 = add_ok("test-dev,id=v1,async-drain=on", bus_find("v.0"));
    device_ref(w);
    ev_reset();
    CHECK(device_unplug_request(w1, NULL));     /* no guest protocol */
    CHECK(device_unplug_request(w, NULL));
    device_unplug_ack(w);
    CHECK(ev_equals("txn-begin bus-isolate:v1 isolate:v1 txn-commit "
                    "drain:v1 request:v txn-begin bus-isolate:v isolate:v "
                    "txn-commit"));
    CHECK(device_state(w) == DEVICE_ISOLATED);
    wait_state(w, DEVICE_UNPLUGGED);
    pthread_join(drainer, NULL);
    CHECK(in_order((const char *const[]) {
        "isolate:v", "unrealize:v1", "notify:v1", "drain:v",
        "unrealize:v", "notify:v", NULL }));
    device_unref(w);
    settle();
    settle();
    CHECK(ev_index("deleted:v1:/machine/peripheral/v1") <
          ev_index("finalize:v"));
    CHECK_EQ(object_count_live(), live);
    testdev_async_drain_hook = NULL;
    bql_unlock();
}

/* ---- a thread in "MMIO" holds a reference on the device ----
 *
 * Like the memory core: the device is published under RCU with a
 * reference owned by the publication (the flat view); isolate unpublishes
 * it and drops that reference after a grace period.  A reader finds the
 * device under RCU and takes its own reference before leaving the read
 * side, as dispatch does before calling a handler. */

#define NSLOTS 4

typedef struct View {
    RcuHead rcu;
    Device *dev;                 /* the view's reference */
} View;

static Device *published[NSLOTS];      /* RCU-published */

static void view_release(RcuHead *head)
{
    View *v = container_of(head, View, rcu);

    device_unref(v->dev);       /* the view's reference */
    free(v);
}

static void publish(Device *dev, unsigned slot)
{
    CHECK(!published[slot]);
    ((TestDev *)dev)->u32 = slot;
    weft_rcu_assign_pointer(published[slot], device_ref(dev));
}

/* The isolate hook: one "transaction" removing the device's mapping. */
static void unpublish(Device *dev)
{
    unsigned slot = ((TestDev *)dev)->u32;
    View *v = malloc(sizeof(*v));

    CHECK(published[slot] == dev);
    weft_rcu_assign_pointer(published[slot], NULL);
    v->dev = dev;
    weft_call_rcu(&v->rcu, view_release);
}

/* Takes a reference on the device in slot, or returns NULL. */
static Device *lookup_and_ref(unsigned slot)
{
    Device *dev;

    weft_rcu_read_lock();
    dev = weft_rcu_dereference(published[slot]);
    if (dev) {
        device_ref(dev);        /* the access's, dropped by the caller */
    }
    weft_rcu_read_unlock();
    return dev;
}

static unsigned reader_has_ref, reader_release;

static void *mmio_reader(void *arg)
{
    Device *dev;

    weft_rcu_register_thread();
    dev = lookup_and_ref(0);
    CHECK(dev);
    weft_rcu_quiescent_state();         /* done with the RCU pointer */
    atomic_store_release(&reader_has_ref, 1);
    weft_rcu_go_offline();
    while (!atomic_load_acquire(&reader_release)) {
        usleep(500);
    }
    weft_rcu_go_online();
    CHECK(((TestDev *)dev)->magic == TESTDEV_MAGIC_LIVE);
    device_unref(dev);          /* the access is over */
    weft_rcu_unregister_thread();
    return NULL;
}

static void test_reference_delays_finalize(void)
{
    unsigned long live = object_count_live();
    unsigned long del = testdev_deleted_count();
    pthread_t reader;
    Device *dev;

    bql_lock();
    testdev_isolate_hook = unpublish;
    reader_has_ref = reader_release = 0;
    dev = add_ok("test-dev,id=m1", tbus);
    publish(dev, 0);
    CHECK(!pthread_create(&reader, NULL, mmio_reader, NULL));
    wait_flag(&reader_has_ref);

    ev_reset();
    CHECK(device_unplug_request(dev, NULL));
    CHECK(device_state(dev) == DEVICE_UNPLUGGED);
    settle();
    settle();
    /* the view's and the bus's references are gone, the reader's not */
    CHECK_EQ(object_refcount(&dev->obj), 1);
    CHECK(!ev_contains("finalize:m1"));
    CHECK_EQ(testdev_deleted_count(), del);
    CHECK(device_find_by_id("m1") == dev);

    atomic_store_release(&reader_release, 1);
    bql_unlock();
    pthread_join(reader, NULL);
    settle();
    CHECK(ev_index("finalize:m1") >= 0);
    CHECK(ev_index("finalize:m1") <
          ev_index("deleted:m1:/machine/peripheral/m1"));
    check_finalize_thread();
    CHECK_EQ(testdev_deleted_count(), del + 1);
    CHECK_EQ(object_count_live(), live);
    testdev_isolate_hook = NULL;
}

/* ---- plug and unplug in a loop while readers hammer the devices */

#define NREADERS 2
#define ROUNDS 200

static unsigned stop_readers;
static unsigned reader_met;     /* a reader found a device */

static void *hammer(void *arg)
{

    weft_rcu_register_thread();
    for (unsigned i = 0; !atomic_load_acquire(&stop_readers); i++) {
        Device *dev = lookup_and_ref(i % NSLOTS);

        if (dev) {
            TestDev *t = (TestDev *)dev;

            /* the device may be unplugging, but is never freed here */
            CHECK(t->magic == TESTDEV_MAGIC_LIVE);
            CHECK(t->u32 == i % NSLOTS);
            device_unref(dev);
            atomic_store_release(&reader_met, 1);
        }
        if (weft_rcu_quiescent_state_wanted()) {
            weft_rcu_quiescent_state();
        }
    }
    weft_rcu_unregister_thread();
    return NULL;
}

static void test_plug_unplug_loop(void)
{
    unsigned long live = object_count_live();
    unsigned long fin = atomic_read(&testdev_finalized);
    unsigned long del = testdev_deleted_count();
    Device *slot_dev[NSLOTS] = { 0 };
    pthread_t readers[NREADERS];
    char opts[64];

    testdev_isolate_hook = unpublish;
    stop_readers = 0;
    for (int i = 0; i < NREADERS; i++) {
        CHECK(!pthread_create(&readers[i], NULL, hammer, NULL));
    }
    bql_lock();
    for (unsigned r = 0; r < ROUNDS; r++) {
        unsigned slot = r % NSLOTS;

        if (slot_dev[slot]) {
            CHECK(device_unplug_request(slot_dev[slot], NULL));
        }
        /* ids come back once DEVICE_DELETED was sent */
        snprintf(opts, sizeof(opts), "test-dev,id=loop%u", r % 8);
        if (device_find_by_id(opts + 12)) {
            settle();
        }
        slot_dev[slot] = add_ok(opts, tbus);
        publish(slot_dev[slot], slot);
        if (r % 50 == 49) {
            settle();
        }
    }
    /* make sure the readers did meet the devices at least once */
    wait_flag(&reader_met);
    for (unsigned slot = 0; slot < NSLOTS; slot++) {
        CHECK(device_unplug_request(slot_dev[slot], NULL));
    }
    atomic_store_release(&stop_readers, 1);
    bql_unlock();
    for (int i = 0; i < NREADERS; i++) {
        pthread_join(readers[i], NULL);
    }
    settle();
    CHECK_EQ(atomic_read(&testdev_finalized), fin + ROUNDS);
    CHECK_EQ(testdev_deleted_count(), del + ROUNDS);
    CHECK_EQ(object_count_live(), live);
    testdev_isolate_hook = NULL;
}

int main(int argc, char **argv)
{
    main_thread = pthread_self();
    with_main_loop = argc > 1 && !strcmp(argv[1], "--main-loop");
    if (with_main_loop) {
        Error *err = NULL;

        if (!main_loop_init(&err)) {
            error_report_err(err);
            return 1;
        }
    }
    device_set_transaction_hooks(txn_begin, txn_commit);
    bql_lock();
    testdev_watch_deleted();
    tbus = bus_new(NULL, &test_bus_info, "u.0");
    gbus = bus_new(NULL, &guest_bus_info, "u.guest");
    bql_unlock();

    RUN(test_order);
    RUN(test_pending_never_acked);
    RUN(test_guest_protocols);
    RUN(test_unplug_refused);
    RUN(test_async_drain);
    RUN(test_unplug_unit);
    RUN(test_reference_delays_finalize);
    RUN(test_plug_unplug_loop);
    return 0;
}
