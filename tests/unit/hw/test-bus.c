/* Bus tree, addresses, ids, realize and its unwinding, device_add, the
 * qtree dump, and the lifecycle assertions (death tests). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "system/bql.h"
#include "test.h"
#include "testdev.h"

static bool silent_realize(Device *dev, Error **errp)
{
    return false;               /* fails without saying why */
}

static const DeviceTypeInfo silent_info = {
    .name = "test-silent",
    .parent = "test-base",
    .realize = silent_realize,
};
DEVICE_TYPE_REGISTER(silent_info)

static const DeviceTypeInfo orphan_info = {
    .name = "test-orphan",
    .parent = "device",
    .bus_type = "no-such-bus",
};
DEVICE_TYPE_REGISTER(orphan_info)

static Device *add_ok(const char *opts, Bus *bus)
{
    Error *err = NULL;
    Device *dev = device_new_from_opts(opts, &err);

    if (!dev || !device_realize_and_unref(dev, bus, &err)) {
        fprintf(stderr, "%s: %s\n", opts, error_get_pretty(err));
        CHECK(0);
    }
    return dev;                 /* borrowed: the bus holds it */
}

/* Realizing dev on bus fails with want; dev is left as it was. */
static void realize_fails(Device *dev, Bus *bus, const char *want)
{
    DeviceLifeState state = device_state(dev);
    Bus *parent_bus = dev->parent_bus;
    Error *err = NULL;

    CHECK(!device_realize(dev, bus, &err));
    CHECK(err);
    if (!strstr(error_get_pretty(err), want)) {
        fprintf(stderr, "got \"%s\", want \"%s\"\n", error_get_pretty(err),
                want);
        CHECK(0);
    }
    error_free(err);
    CHECK(device_state(dev) == state);
    CHECK(dev->parent_bus == parent_bus);
}

static void unplug_all(Bus *bus)
{
    Device *dev;

    while ((dev = TAILQ_FIRST(&bus->children))) {
        Bus *child;

        TAILQ_FOREACH(child, &dev->child_buses, sibling) {
            unplug_all(child);
        }
        CHECK(device_unplug_request(dev, NULL));
    }
}

static bool collect(Device *dev, void *opaque)
{
    ev_log("walk:%s", dev_label(dev));
    return true;
}

static void test_tree(void)
{
    unsigned long live = object_count_live();
    Bus *root, *br_bus;
    Device *br, *d1, *d2, *anon;
    char *path;

    bql_lock();
    ev_reset();
    root = bus_new(NULL, &test_bus_info, "root.0");
    br = device_new_from_opts("test-bridge,id=br0", NULL);
    br_bus = TAILQ_FIRST(&br->child_buses);
    CHECK(!strcmp(br_bus->name, "test-bridge.0"));  /* no id known yet */
    CHECK(device_realize_and_unref(br, root, NULL));
    CHECK(!strcmp(br_bus->name, "br0.0"));          /* named at realize */
    CHECK(br_bus->parent == br);

    d1 = add_ok("test-dev,id=d1", br_bus);
    d2 = add_ok("test-dev,id=d2,addr=5", root);
    anon = add_ok("test-dev", root);
    CHECK(br->bus_addr == 0 && d1->bus_addr == 0);
    CHECK(d2->bus_addr == 5 && anon->bus_addr == 1);
    CHECK(d1->parent_bus == br_bus && anon->parent_bus == root);
    CHECK_EQ(root->num_children, 3);
    CHECK(ev_equals("realize:br0 plug:br0 realize:d1 plug:d1 realize:d2 "
                    "plug:d2 realize:anon plug:anon"));

    CHECK(device_find_by_id("d1") == d1);
    CHECK(device_find_by_id("br0") == br);
    CHECK(!device_find_by_id("d3"));
    CHECK(bus_find("br0.0") == br_bus && bus_find("root.0") == root);
    CHECK(!bus_find("nope"));
    CHECK(bus_find_device(root, 5) == d2 && !bus_find_device(root, 4));
    CHECK(bus_find_free("test-bus") == root);
    CHECK(!bus_find_free("sys"));

    ev_reset();
    CHECK(bus_walk(root, collect, NULL));
    CHECK(ev_equals("walk:br0 walk:d1 walk:d2 walk:anon"));

    path = device_path(d1);
    CHECK(!strcmp(path, "/machine/peripheral/d1"));
    free(path);
    path = device_path(anon);
    CHECK(!strncmp(path, "/machine/peripheral-anon/device[", 32));
    free(path);

    unplug_all(root);
    settle();
    CHECK(!device_find_by_id("d1") && !device_find_by_id("br0"));
    CHECK(!bus_find("br0.0"));
    bus_free(root);
    bql_unlock();
    CHECK_EQ(object_count_live(), live);
}

static void test_addresses_and_checks(void)
{
    unsigned long live = object_count_live();
    Bus *root, *sys;
    Device *dev, *s;
    char name[32];

    bql_lock();
    root = bus_new(NULL, &test_bus_info, "addr.0");
    sys = bus_new(NULL, &sys_bus_info, "addr.sys");
    add_ok("test-dev,id=a5,addr=5", root);

    dev = device_new_from_opts("test-dev,id=x,addr=5", NULL);
    realize_fails(dev, root, "Address 5 on bus 'addr.0' is in use by "
                  "device 'a5'");
    CHECK(dev->bus_addr == 5);                  /* the user's value kept */
    CHECK(device_set_prop_str(dev, "addr", "8", NULL));
    realize_fails(dev, root, "Address 8 is out of range for bus 'addr.0' "
                  "(0 to 7)");
    realize_fails(dev, sys, "Device 'x' needs a 'test-bus' bus, not bus "
                  "'addr.sys' of type 'sys'");
    CHECK(!device_find_by_id("x"));

    s = device_new("sys-dev", NULL);
    realize_fails(s, root, "needs a 'sys' bus");
    CHECK(device_realize(s, sys, NULL));
    realize_fails(s, sys, "Device 'sys-dev' can't be realized: it is "
                  "realized");
    device_unref(s);            /* stays on addr.sys */

    /* fill the remaining 7 slots with auto addresses 0..4, 6, 7 */
    for (int i = 0; i < 7; i++) {
        snprintf(name, sizeof(name), "test-dev,id=f%d", i);
        CHECK(add_ok(name, root)->bus_addr == (i < 5 ? i : i + 1));
    }
    CHECK(!bus_find_free("test-bus"));
    CHECK(device_set_prop_str(dev, "addr", "auto", NULL));
    realize_fails(dev, root, "Bus 'addr.0' is full (8 slots)");
    device_unref(dev);

    /* the same id cannot be realized twice */
    dev = device_new("test-dev", NULL);
    CHECK(device_set_id(dev, "sameid", NULL));
    s = device_new("sys-dev", NULL);
    CHECK(device_set_id(s, "sameid", NULL));   /* unique at realize */
    CHECK(device_realize(s, sys, NULL));
    realize_fails(dev, root, "Duplicate device id 'sameid'");
    CHECK(!device_set_id(dev, "sameid", NULL));
    device_unref(dev);
    device_unref(s);

    unplug_all(root);
    settle();
    bus_free(root);
    bql_unlock();
    /* two sys-devs live on addr.sys (not hot-pluggable) */
    CHECK_EQ(object_count_live(), live + 2);
}

static void test_realize_unwind(void)
{
    unsigned long live = object_count_live();
    unsigned long deleted;
    Bus *root;
    Device *dev, *br;

    bql_lock();
    testdev_watch_deleted();
    deleted = testdev_deleted_count();
    ev_reset();
    root = bus_new(NULL, &test_bus_info, "unwind.0");

    dev = device_new_from_opts("test-dev,id=f0,fail-realize=on", NULL);
    realize_fails(dev, root, "test-dev f0 refused to realize");
    CHECK_EQ(root->num_children, 0);
    CHECK(!device_find_by_id("f0"));
    CHECK(dev->bus_addr == BUS_ADDR_AUTO);      /* slot handed back */
    CHECK(!bus_find_device(root, 0));
    CHECK(ev_equals(""));                       /* no plug hook */
    /* still CREATED: fix it and try again */
    CHECK(device_set_prop_str(dev, "fail-realize", "off", NULL));
    CHECK(device_realize(dev, root, NULL));
    CHECK(device_find_by_id("f0") == dev && dev->bus_addr == 0);
    CHECK(ev_equals("realize:f0 plug:f0"));
    device_unref(dev);

    /* an explicit address survives a failed attempt */
    dev = device_new_from_opts("test-dev,id=f1,addr=2,fail-realize=on",
                               NULL);
    realize_fails(dev, root, "refused");
    CHECK(dev->bus_addr == 2);
    device_unref(dev);

    /* the bus refuses in pre_plug: realize is never called */
    ev_reset();
    test_bus_refuse = true;
    dev = device_new_from_opts("test-dev,id=f2", NULL);
    realize_fails(dev, root, "bus unwind.0 refuses f2");
    test_bus_refuse = false;
    CHECK(ev_equals(""));
    device_unref(dev);

    /* a realize failing without a message gets one */
    dev = device_new("test-silent", NULL);
    realize_fails(dev, root, "Device 'test-silent' failed to realize");
    device_unref(dev);

    /* a device with a child bus: the bus goes with it */
    br = device_new_from_opts("test-bridge,id=fb,fail-realize=on", NULL);
    realize_fails(br, root, "refused");
    device_unref(br);

    settle();
    /* only f0 is alive; no DEVICE_DELETED for never-realized devices */
    CHECK_EQ(object_count_live(), live + 1);
    CHECK_EQ(testdev_deleted_count(), deleted);
    add_ok("test-dev,id=f1", root);           /* the id is free again */
    unplug_all(root);
    settle();
    CHECK_EQ(testdev_deleted_count(), deleted + 2);
    bus_free(root);
    bql_unlock();
    CHECK_EQ(object_count_live(), live);
}

static void test_hotplug_phase(void)
{
    Bus *root, *fixed;
    Device *dev;

    bql_lock();
    root = bus_new(NULL, &test_bus_info, "hp.0");
    fixed = bus_new(NULL, &fixed_bus_info, "hp.fixed");
    /* before the machine is done anything goes */
    add_ok("test-fixed,id=built-in", fixed);
    device_set_hotplug_phase(true);
    dev = device_new("test-fixed", NULL);
    realize_fails(dev, root, "Device 'test-fixed' does not support "
                  "hot-plugging");
    device_unref(dev);
    dev = device_new("test-dev", NULL);
    realize_fails(dev, fixed, "Bus 'hp.fixed' does not support "
                  "hot-plugging");
    CHECK(device_realize_and_unref(dev, root, NULL));
    device_set_hotplug_phase(false);
    unplug_all(root);
    settle();
    bus_free(root);
    bql_unlock();
}

static void add_fails(const char *opts, const char *want)
{
    unsigned long live = object_count_live();
    Error *err = NULL;

    CHECK(!device_add(opts, &err));
    if (!strstr(error_get_pretty(err), want)) {
        fprintf(stderr, "%s: got \"%s\", want \"%s\"\n", opts,
                error_get_pretty(err), want);
        CHECK(0);
    }
    error_free(err);
    settle();
    CHECK_EQ(object_count_live(), live);
}

static void test_device_add(void)
{
    unsigned long live = object_count_live();
    Bus *root;
    Device *br, *dev;

    bql_lock();
    root = bus_new(NULL, &test_bus_info, "add.0");
    br = device_add("test-bridge,id=abr", NULL);
    CHECK(br && br->parent_bus == root);
    CHECK_EQ(object_refcount(&br->obj), 1);     /* the bus's only */
    dev = device_add("test-dev,id=ad1,bus=abr.0,u8=9", NULL);
    CHECK(dev && !strcmp(dev->parent_bus->name, "abr.0"));
    CHECK_EQ(((TestDev *)dev)->u8, 9);
    dev = device_add("test-dev,id=ad2", NULL);
    CHECK(dev && dev->parent_bus == root);      /* first free test-bus */

    add_fails("test-dev,bus=nope", "Bus 'nope' not found");
    add_fails("test-orphan", "No free 'no-such-bus' bus for device "
              "'test-orphan'");
    add_fails("test-dev,id=ad1", "Duplicate device id 'ad1'");
    add_fails("test-dev,bus=abr.0,addr=0", "Address 0 on bus 'abr.0' is in "
              "use by device 'ad1'");
    add_fails("test-dev,fail-realize=on", "refused to realize");

    unplug_all(root);
    settle();
    bus_free(root);
    bql_unlock();
    CHECK_EQ(object_count_live(), live);
}

static void test_qtree(void)
{
    Bus *sys, *root;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    Device *s1;

    bql_lock();
    sys = bus_new(NULL, &sys_bus_info, "qt.sys");
    s1 = device_new("sys-dev", NULL);
    CHECK(device_set_id(s1, "s1", NULL));
    CHECK(device_realize_and_unref(s1, sys, NULL));
    CHECK(device_realize_and_unref(device_new("sys-dev", NULL), sys, NULL));
    root = bus_new(NULL, &test_bus_info, "qt.0");
    add_ok("test-bridge,id=qbr,addr=3", root);
    add_ok("test-dev,id=qd,u8=200,str=hi,mode=high", bus_find("qbr.0"));

    f = open_memstream(&buf, &len);
    qtree_info(f);
    fclose(f);
    CHECK(strstr(buf, "bus: qt.sys\n"
                      "  type sys\n"
                      "  dev: sys-dev, id \"s1\"\n"
                      "  dev: sys-dev, id \"\"\n"
                      "bus: qt.0\n"
                      "  type test-bus\n"
                      "  dev: test-bridge, id \"qbr\"\n"
                      "    bus-addr = 3\n"
                      "    label = \"none\"\n"
                      "    addr = 3\n"));
    CHECK(strstr(buf, "    bus: qbr.0\n"
                      "      type test-bus\n"
                      "      dev: test-dev, id \"qd\"\n"
                      "        bus-addr = 0\n"));
    CHECK(strstr(buf, "        u8 = 200\n"));
    CHECK(strstr(buf, "        str = \"hi\"\n"));
    CHECK(strstr(buf, "        mode = high\n"));
    free(buf);
    unplug_all(root);
    settle();
    bus_free(root);
    bql_unlock();
}

/* ---- the state machine asserts: each of these must abort */

#define expect_abort(fn, opaque) expect_abort_(#fn, fn, opaque)

static void expect_abort_(const char *name, void (*fn)(void *), void *opaque)
{
    int status;
    pid_t pid;

    fflush(NULL);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr)) {
            _exit(2);
        }
        fn(opaque);
        _exit(0);               /* returned: the assertion is missing */
    }
    CHECK(waitpid(pid, &status, 0) == pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) {
        fprintf(stderr, "%s: child status 0x%x\n", name, status);
        CHECK(0);
    }
}

static void cancel_realized(void *opaque)
{
    device_unplug_cancel(opaque);
}

static void drain_done_early(void *opaque)
{
    device_drain_done(opaque);
}

static void ack_twice(void *opaque)
{
    device_unplug_ack(opaque);
}

static void test_lifecycle_asserts(void)
{
    Bus *root;
    Device *dev;

    bql_lock();
    root = bus_new(NULL, &guest_bus_info, "die.0");
    dev = add_ok("test-dev,id=die", root);
    device_ref(dev);            /* ours: keeps it alive after unplug */
    expect_abort(cancel_realized, dev);         /* no request pending */
    expect_abort(drain_done_early, dev);        /* not draining */
    guest_auto_ack = false;
    CHECK(device_unplug_request(dev, NULL));
    expect_abort(drain_done_early, dev);        /* pending, not draining */
    device_unplug_ack(dev);
    CHECK(device_state(dev) == DEVICE_UNPLUGGED);
    expect_abort(ack_twice, dev);               /* no step twice */
    expect_abort(drain_done_early, dev);        /* drain already done */
    device_unref(dev);
    settle();
    bus_free(root);
    bql_unlock();
}

int main(void)
{
    RUN(test_tree);
    RUN(test_addresses_and_checks);
    RUN(test_realize_unwind);
    RUN(test_device_add);
    RUN(test_qtree);
    RUN(test_lifecycle_asserts);
    RUN(test_hotplug_phase);    /* last: leaves a non-hot-pluggable bus */
    return 0;
}
