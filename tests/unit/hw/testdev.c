/* Test devices, buses and the event log (see testdev.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/bql.h"
#include "system/event-loop.h"
#include "test.h"
#include "testdev.h"
#include "util/atomic.h"
#include "util/rcu.h"

bool guest_auto_ack;
bool guest_refuse_request;
bool test_bus_refuse;
pthread_t testdev_finalize_thread;
void (*testdev_async_drain_hook)(Device *dev);
void (*testdev_isolate_hook)(Device *dev);
unsigned long testdev_finalized;

/* ---- event log; ev.lock protects buf and len */

static struct {
    pthread_mutex_t lock;
    char buf[1 << 16];
    size_t len;
} ev = { .lock = PTHREAD_MUTEX_INITIALIZER };

void ev_reset(void)
{
    pthread_mutex_lock(&ev.lock);
    ev.len = 0;
    ev.buf[0] = '\0';
    pthread_mutex_unlock(&ev.lock);
}

void ev_log(const char *fmt, ...)
{
    va_list ap;
    int n;

    pthread_mutex_lock(&ev.lock);
    if (ev.len) {
        ev.buf[ev.len++] = ' ';
    }
    va_start(ap, fmt);
    n = vsnprintf(ev.buf + ev.len, sizeof(ev.buf) - ev.len, fmt, ap);
    va_end(ap);
    CHECK(n > 0 && (size_t)n < sizeof(ev.buf) - ev.len);
    ev.len += n;
    pthread_mutex_unlock(&ev.lock);
}

char *ev_dump(void)
{
    char *s;

    pthread_mutex_lock(&ev.lock);
    s = strdup(ev.buf);
    pthread_mutex_unlock(&ev.lock);
    return s;
}

bool ev_equals(const char *expect)
{
    char *s = ev_dump();
    bool ok = !strcmp(s, expect);

    if (!ok) {
        fprintf(stderr, "event log: \"%s\"\nexpected:  \"%s\"\n", s, expect);
    }
    free(s);
    return ok;
}

long ev_index(const char *item)
{
    char *s = ev_dump();
    size_t n = strlen(item);
    long idx = -1;

    for (char *p = s; (p = strstr(p, item)); p++) {
        if ((p == s || p[-1] == ' ') && (p[n] == ' ' || !p[n])) {
            idx = p - s;
            break;
        }
    }
    free(s);
    return idx;
}

bool ev_contains(const char *item)
{
    return ev_index(item) >= 0;
}

const char *dev_label(const Device *dev)
{
    return dev->id ? dev->id : "anon";
}

/* ---- DEVICE_DELETED watcher */

static unsigned long deleted_count;   /* atomic */

static void on_deleted(DeviceNotifier *n, const DeviceDeletedEvent *e)
{
    CHECK(bql_locked());
    ev_log("deleted:%s:%s", e->id ? e->id : "anon", e->path);
    atomic_fetch_inc(&deleted_count);
}

static DeviceNotifier deleted_notifier = { .notify = on_deleted };

void testdev_watch_deleted(void)
{
    static bool done;

    if (!done) {
        device_add_deleted_notifier(&deleted_notifier);
        done = true;
    }
}

unsigned long testdev_deleted_count(void)
{
    return atomic_read(&deleted_count);
}

void settle(void)
{
    bool held = bql_locked();

    if (held) {
        bql_unlock();
    }
    /* Finalizers release references that queue further finalizers. */
    for (int round = 0; round < 4; round++) {
        EventLoop *ml = main_loop();

        weft_rcu_barrier();
        while (ml && event_loop_poll(ml, false)) {
        }
    }
    if (held) {
        bql_lock();
    }
}

/* ---- buses */

static bool test_bus_pre_plug(Bus *bus, Device *dev, Error **errp)
{
    if (test_bus_refuse) {
        error_setg(errp, "bus %s refuses %s", bus->name, dev_label(dev));
        return false;
    }
    return true;
}

static void test_bus_plug(Bus *bus, Device *dev)
{
    CHECK(device_state(dev) == DEVICE_REALIZED);
    ev_log("plug:%s", dev_label(dev));
}

static void test_bus_isolate(Bus *bus, Device *dev)
{
    ev_log("bus-isolate:%s", dev_label(dev));
}

static void test_bus_notify(Bus *bus, Device *dev)
{
    CHECK(bql_locked());
    CHECK(device_state(dev) == DEVICE_DRAINED);
    ev_log("notify:%s", dev_label(dev));
}

static bool guest_bus_request(Bus *bus, Device *dev, Error **errp)
{
    CHECK(device_unplug_pending(dev));
    if (guest_refuse_request) {
        error_setg(errp, "slot of %s is busy", dev_label(dev));
        return false;
    }
    ev_log("request:%s", dev_label(dev));
    if (guest_auto_ack) {
        device_unplug_ack(dev);
    }
    return true;
}

const BusInfo test_bus_info = {
    .type = "test-bus",
    .max_slots = 8,
    .hotpluggable = true,
    .pre_plug = test_bus_pre_plug,
    .plug = test_bus_plug,
    .isolate = test_bus_isolate,
    .unplug_notify = test_bus_notify,
};

const BusInfo guest_bus_info = {
    .type = "test-bus",
    .hotpluggable = true,
    .plug = test_bus_plug,
    .unplug_request = guest_bus_request,
    .isolate = test_bus_isolate,
    .unplug_notify = test_bus_notify,
};

const BusInfo fixed_bus_info = {
    .type = "test-bus",
};

const BusInfo sys_bus_info = {
    .type = "sys",
};

/* ---- devices */

static const char *const mode_names[] = { "off", "low", "high", NULL };

static const Property test_base_props[] = {
    DEFINE_PROP_STRING("label", TestDev, label, "none"),
    PROP_END
};

static const Property test_dev_props[] = {
    DEFINE_PROP_BUS_ADDR("addr"),
    DEFINE_PROP_BOOL("fail-realize", TestDev, fail_realize, false),
    DEFINE_PROP_BOOL("async-drain", TestDev, async_drain, false),
    DEFINE_PROP_BOOL("flag", TestDev, flag, true),
    DEFINE_PROP_UINT8("u8", TestDev, u8, 8),
    DEFINE_PROP_UINT16("u16", TestDev, u16, 16),
    DEFINE_PROP_UINT32("u32", TestDev, u32, 32),
    DEFINE_PROP_UINT64("u64", TestDev, u64, 64),
    DEFINE_PROP_INT32("i32", TestDev, i32, -32),
    DEFINE_PROP_INT64("i64", TestDev, i64, -64),
    DEFINE_PROP_SIZE("size", TestDev, size, 4096),
    DEFINE_PROP_STRING("str", TestDev, str, NULL),
    DEFINE_PROP_ENUM("mode", TestDev, mode, MODE_LOW, mode_names),
    DEFINE_PROP_LINK("link", TestDev, link, "test-base"),
    PROP_END
};

static void test_base_init(Device *dev)
{
    TestDev *t = (TestDev *)dev;

    t->magic = TESTDEV_MAGIC_LIVE;
}

static void test_base_finalize(Device *dev)
{
    TestDev *t = (TestDev *)dev;

    CHECK(bql_locked());
    CHECK(t->magic == TESTDEV_MAGIC_LIVE);
    CHECK(object_refcount(&dev->obj) == 0);
    t->magic = TESTDEV_MAGIC_DEAD;
    testdev_finalize_thread = pthread_self();
    ev_log("finalize:%s", dev_label(dev));
    atomic_fetch_inc(&testdev_finalized);
}

static bool test_dev_realize(Device *dev, Error **errp)
{
    TestDev *t = (TestDev *)dev;

    CHECK(bql_locked());
    CHECK(dev->parent_bus);
    if (t->fail_realize) {
        error_setg(errp, "test-dev %s refused to realize", dev_label(dev));
        return false;
    }
    ev_log("realize:%s", dev_label(dev));
    return true;
}

static void test_dev_unrealize(Device *dev)
{
    TestDev *t = (TestDev *)dev;

    CHECK(bql_locked());
    t->drained_in = pthread_self();
    ev_log("unrealize:%s", dev_label(dev));
}

static void test_dev_isolate(Device *dev)
{
    CHECK(bql_locked());
    CHECK(!device_is_isolated(dev));
    ev_log("isolate:%s", dev_label(dev));
    if (testdev_isolate_hook) {
        testdev_isolate_hook(dev);
    }
}

static bool test_dev_drain(Device *dev)
{
    TestDev *t = (TestDev *)dev;

    CHECK(bql_locked());
    CHECK(device_state(dev) == DEVICE_DRAINING);
    CHECK(device_is_isolated(dev) && !device_is_realized(dev));
    ev_log("drain:%s", dev_label(dev));
    if (t->async_drain) {
        CHECK(testdev_async_drain_hook);
        testdev_async_drain_hook(dev);
        return false;
    }
    return true;
}

static const DeviceTypeInfo test_base_info = {
    .name = "test-base",
    .parent = "device",
    .abstract = true,
    .instance_size = sizeof(TestDev),
    .bus_type = "test-bus",
    .props = test_base_props,
    .instance_init = test_base_init,
    .instance_finalize = test_base_finalize,
};
DEVICE_TYPE_REGISTER(test_base_info)

static const DeviceTypeInfo test_dev_info = {
    .name = "test-dev",
    .parent = "test-base",
    .desc = "hot-pluggable test device",
    .hotpluggable = true,
    .props = test_dev_props,
    .realize = test_dev_realize,
    .unrealize = test_dev_unrealize,
    .isolate = test_dev_isolate,
    .drain = test_dev_drain,
};
DEVICE_TYPE_REGISTER(test_dev_info)

static const DeviceTypeInfo test_fixed_info = {
    .name = "test-fixed",
    .parent = "test-base",
    .desc = "built-in test device",
};
DEVICE_TYPE_REGISTER(test_fixed_info)

static const DeviceTypeInfo test_hidden_info = {
    .name = "test-hidden",
    .parent = "test-base",
    .no_user = true,
};
DEVICE_TYPE_REGISTER(test_hidden_info)

/* A hot-pluggable device that owns a child bus. */
static void test_bridge_init(Device *dev)
{
    bus_new(dev, &test_bus_info, NULL);
}

static const DeviceTypeInfo test_bridge_info = {
    .name = "test-bridge",
    .parent = "test-dev",
    .desc = "test device with a bus",
    .instance_init = test_bridge_init,
};
DEVICE_TYPE_REGISTER(test_bridge_info)

static const DeviceTypeInfo sys_dev_info = {
    .name = "sys-dev",
    .parent = "device",
    .instance_size = sizeof(TestDev),
    .bus_type = "sys",
    .instance_init = test_base_init,
    .instance_finalize = test_base_finalize,
};
DEVICE_TYPE_REGISTER(sys_dev_info)
