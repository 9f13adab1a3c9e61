/* Types and properties: registry, inheritance, typed parsing with its
 * errors, -device option strings, help output. */
#include <stdlib.h>
#include <string.h>

#include "system/bql.h"
#include "test.h"
#include "testdev.h"
#include "util/atomic.h"

/* A subclass with its own class fields, to check class_size/class_init. */
typedef struct FancyClass {
    DeviceClass parent;
    unsigned vendor;
    DeviceRealize *parent_realize;
} FancyClass;

static bool fancy_realize(Device *dev, Error **errp)
{
    FancyClass *fc = (FancyClass *)dev->klass;

    ev_log("fancy-realize");
    return fc->parent_realize(dev, errp);
}

static void fancy_class_init(DeviceClass *dc, const void *data)
{
    FancyClass *fc = (FancyClass *)dc;

    fc->vendor = *(const unsigned *)data;
    fc->parent_realize = dc->realize;      /* inherited from test-dev */
    dc->realize = fancy_realize;
}

static const unsigned fancy_vendor = 0x1af4;
static const DeviceTypeInfo fancy_info = {
    .name = "test-fancy",
    .parent = "test-dev",
    .class_size = sizeof(FancyClass),
    .class_init = fancy_class_init,
    .class_data = &fancy_vendor,
};
DEVICE_TYPE_REGISTER(fancy_info)

static TestDev *new_testdev(void)
{
    Device *dev = device_new("test-dev", NULL);

    CHECK(dev);
    return (TestDev *)dev;
}

/* Checks that setting fails with a message containing want. */
static void set_fails(Device *dev, const char *name, const char *value,
                      const char *want)
{
    Error *err = NULL;

    CHECK(!device_set_prop_str(dev, name, value, &err));
    CHECK(err);
    if (!strstr(error_get_pretty(err), want)) {
        fprintf(stderr, "%s=%s: got \"%s\", want \"%s\"\n", name, value,
                error_get_pretty(err), want);
        CHECK(0);
    }
    error_free(err);
}

static void set_ok(Device *dev, const char *name, const char *value)
{
    Error *err = NULL;

    if (!device_set_prop_str(dev, name, value, &err)) {
        fprintf(stderr, "%s=%s: %s\n", name, value, error_get_pretty(err));
        CHECK(0);
    }
}

static void check_prop(Device *dev, const char *name, const char *want)
{
    char *s = device_get_prop_str(dev, name, NULL);

    CHECK(s);
    if (strcmp(s, want)) {
        fprintf(stderr, "%s: got \"%s\", want \"%s\"\n", name, s, want);
        CHECK(0);
    }
    free(s);
}

static void test_registry(void)
{
    DeviceClass *dc = device_find_type("test-fancy");
    FancyClass *fc = (FancyClass *)dc;
    Error *err = NULL;

    CHECK(dc && !strcmp(dc->name, "test-fancy"));
    CHECK(dc->parent == device_find_type("test-dev"));
    CHECK(device_class_is_a(dc, "test-base"));
    CHECK(device_class_is_a(dc, "device"));
    CHECK(!device_class_is_a(dc, "sys-dev"));
    CHECK_EQ(fc->vendor, 0x1af4);
    CHECK(dc->hotpluggable);                    /* inherited */
    CHECK(!strcmp(dc->bus_type, "test-bus"));   /* inherited twice */
    CHECK(dc->unrealize == dc->parent->unrealize);
    CHECK(dc->realize == fancy_realize);
    CHECK_EQ(dc->instance_size, sizeof(TestDev));
    /* props: test-base's first, then test-dev's */
    CHECK(!strcmp(dc->props[0]->name, "label"));
    CHECK_EQ(dc->num_props, 15);

    CHECK(!device_find_type("no-such-device"));
    CHECK(!device_new("no-such-device", &err));
    CHECK(!strcmp(error_get_pretty(err),
                  "'no-such-device' is not a valid device model name"));
    error_free(err);
    err = NULL;
    CHECK(!device_new("test-base", &err));
    CHECK(!strcmp(error_get_pretty(err),
                  "Device type 'test-base' is abstract"));
    error_free(err);
}

static void test_defaults_and_kinds(void)
{
    unsigned long live = object_count_live();
    TestDev *t = new_testdev();
    Device *dev = &t->parent;

    bql_lock();
    CHECK_EQ(object_refcount(&dev->obj), 1);
    CHECK(t->magic == TESTDEV_MAGIC_LIVE);
    CHECK(!strcmp(t->label, "none"));
    CHECK(t->flag && t->u8 == 8 && t->u16 == 16 && t->u32 == 32);
    CHECK(t->u64 == 64 && t->i32 == -32 && t->i64 == -64);
    CHECK(t->size == 4096 && !t->str && t->mode == MODE_LOW && !t->link);
    CHECK(dev->bus_addr == BUS_ADDR_AUTO);
    check_prop(dev, "addr", "auto");
    check_prop(dev, "str", "<null>");
    check_prop(dev, "mode", "low");

    set_ok(dev, "flag", "off");
    set_ok(dev, "u8", "255");
    set_ok(dev, "u16", "0xffff");
    set_ok(dev, "u32", "4294967295");
    set_ok(dev, "u64", "18446744073709551615");
    set_ok(dev, "i32", "-2147483648");
    set_ok(dev, "i64", "9223372036854775807");
    set_ok(dev, "size", "1.5G");
    set_ok(dev, "str", "hello, world");
    set_ok(dev, "str", "again");               /* the old copy is freed */
    set_ok(dev, "mode", "high");
    set_ok(dev, "addr", "3");
    CHECK(!t->flag && t->u8 == 255 && t->u16 == 0xffff);
    CHECK(t->u32 == UINT32_MAX && t->u64 == UINT64_MAX);
    CHECK(t->i32 == INT32_MIN && t->i64 == INT64_MAX);
    CHECK(t->size == 3ULL << 29 && !strcmp(t->str, "again"));
    CHECK(t->mode == MODE_HIGH && dev->bus_addr == 3);
    check_prop(dev, "flag", "off");
    check_prop(dev, "size", "1610612736");
    check_prop(dev, "str", "\"again\"");
    check_prop(dev, "i32", "-2147483648");
    check_prop(dev, "addr", "3");
    bql_unlock();

    device_unref(dev);
    settle();
    CHECK_EQ(object_count_live(), live);
}

static void test_prop_errors(void)
{
    Device *dev = &new_testdev()->parent;
    Error *err = NULL;

    bql_lock();
    set_fails(dev, "nope", "1", "Property 'test-dev.nope' not found");
    set_fails(dev, "u8", "256",
              "Property 'test-dev.u8' value '256' is out of range (0 to 255)");
    set_fails(dev, "u8", "-1", "Property 'test-dev.u8' doesn't take value: "
              "'-1' is not an unsigned integer");
    set_fails(dev, "u16", "65536", "out of range (0 to 65535)");
    set_fails(dev, "u32", "4294967296", "out of range (0 to 4294967295)");
    set_fails(dev, "u64", "18446744073709551616", "too large");
    set_fails(dev, "u32", "12abc", "'12abc' is not an unsigned integer");
    set_fails(dev, "u32", "", "'' is not an unsigned integer");
    set_fails(dev, "i32", "2147483648",
              "out of range (-2147483648 to 2147483647)");
    set_fails(dev, "i32", "x", "'x' is not an integer");
    set_fails(dev, "flag", "maybe", "'maybe' is not a boolean");
    set_fails(dev, "size", "12Q", "Property 'test-dev.size' doesn't take "
              "value: invalid size '12Q': unknown suffix 'Q'");
    set_fails(dev, "size", "99999E", "more than 64 bits");
    set_fails(dev, "mode", "medium", "Property 'test-dev.mode' doesn't take "
              "value 'medium' (one of: off, low, high)");
    set_fails(dev, "link", "ghost", "no device with that id");
    set_fails(dev, "addr", "-2", "out of range");
    /* failed sets leave the old values */
    check_prop(dev, "u8", "8");
    check_prop(dev, "mode", "low");
    CHECK(!device_get_prop_str(dev, "nope", &err));
    CHECK(strstr(error_get_pretty(err), "not found"));
    error_free(err);
    bql_unlock();
    device_unref(dev);
    settle();
}

/* Links: only to realized devices of the right type; the link holds a
 * reference that the linking device drops when it is finalized. */
static void test_link_and_after_realize(void)
{
    unsigned long live = object_count_live();
    Bus *bus, *sys;
    Device *a, *b, *s;
    unsigned refs;

    bql_lock();
    bus = bus_new(NULL, &test_bus_info, "props.bus");
    sys = bus_new(NULL, &sys_bus_info, "props.sys");
    a = &new_testdev()->parent;
    b = &new_testdev()->parent;
    s = device_new("sys-dev", NULL);
    CHECK(device_set_id(a, "a", NULL) && device_set_id(b, "b", NULL));
    CHECK(device_set_id(s, "s", NULL));
    set_fails(b, "link", "a", "no device with that id");  /* not realized */
    CHECK(device_realize(a, bus, NULL));
    CHECK(device_realize(s, sys, NULL));
    set_fails(b, "link", "s", "device of type 'sys-dev' is not a "
              "'test-base'");
    refs = object_refcount(&a->obj);
    set_ok(b, "link", "a");
    CHECK(((TestDev *)b)->link == a);
    CHECK_EQ(object_refcount(&a->obj), refs + 1);
    set_ok(b, "link", "a");                    /* replacing drops the old */
    CHECK_EQ(object_refcount(&a->obj), refs + 1);
    check_prop(b, "link", "\"a\"");

    /* after realize nothing can be set, the id neither */
    CHECK(device_realize(b, bus, NULL));
    set_fails(b, "u8", "1", "Property 'test-dev.u8' can't be set: device "
              "'b' is already realized");
    CHECK(!device_set_id(b, "c", NULL));
    set_fails(a, "link", "b", "already realized");

    /* b is unplugged; a keeps b's reference until b is finalized */
    device_unref(a);
    device_unref(b);
    device_unref(s);
    CHECK(device_unplug_request(b, NULL));
    settle();
    CHECK(!device_find_by_id("b"));
    CHECK_EQ(object_refcount(&a->obj), refs - 1);
    CHECK(device_unplug_request(a, NULL));
    settle();
    CHECK(!device_find_by_id("a"));
    bus_free(bus);
    bql_unlock();
    CHECK_EQ(object_count_live(), live + 1);   /* s stays on sys */
}

static Device *opts_ok(const char *opts)
{
    Error *err = NULL;
    Device *dev = device_new_from_opts(opts, &err);

    if (!dev) {
        fprintf(stderr, "%s: %s\n", opts, error_get_pretty(err));
        CHECK(0);
    }
    return dev;
}

static void opts_fail(const char *opts, const char *want)
{
    unsigned long live;
    Error *err = NULL;

    settle();
    live = object_count_live();
    CHECK(!device_new_from_opts(opts, &err));
    CHECK(err);
    if (!strstr(error_get_pretty(err), want)) {
        fprintf(stderr, "%s: got \"%s\", want \"%s\"\n", opts,
                error_get_pretty(err), want);
        CHECK(0);
    }
    error_free(err);
    settle();
    CHECK_EQ(object_count_live(), live);       /* nothing leaked */
}

static void test_opts(void)
{
    Device *dev;
    TestDev *t;

    bql_lock();
    dev = opts_ok("test-dev,id=x0,bus=b.0,u8=7,str=a,,b,size=2M,label=L");
    t = (TestDev *)dev;
    CHECK(!strcmp(dev->id, "x0") && !strcmp(dev->bus_name, "b.0"));
    CHECK(t->u8 == 7 && !strcmp(t->str, "a,b") && t->size == 2 << 20);
    CHECK(!strcmp(t->label, "L"));
    CHECK(device_state(dev) == DEVICE_CREATED);
    device_unref(dev);

    dev = opts_ok("driver=test-fancy");
    CHECK(device_is_a(dev, "test-dev") && !dev->id);
    device_unref(dev);

    opts_fail("", "Parameter 'driver' is missing");
    opts_fail("id=x", "Parameter 'driver' is missing");
    opts_fail("nosuch,id=x", "'nosuch' is not a valid device model name");
    opts_fail("test-base", "Device type 'test-base' is abstract");
    opts_fail("test-hidden", "Device 'test-hidden' can't be created with "
              "-device");
    opts_fail("test-dev,u8=1,u8=2", "Parameter 'u8' is given more than once");
    opts_fail("test-dev,id=1x", "Invalid device id '1x'");
    opts_fail("test-dev,colour=red", "Property 'test-dev.colour' not found");
    opts_fail("test-dev,id=ok,u8=300", "value '300' is out of range");
    opts_fail("test-dev,u8", "Expected '=' after parameter 'u8'");
    opts_fail("test-dev,help", "only valid alone");
    bql_unlock();
    settle();
}

/* Static: GCC cannot tell that the stream stops using them at fclose. */
static char *capture_buf;
static size_t capture_len;

static char *capture(void (*fn)(FILE *f, void *opaque), void *opaque)
{
    FILE *f = open_memstream(&capture_buf, &capture_len);
    char *buf;

    fn(f, opaque);
    fclose(f);
    buf = capture_buf;
    capture_buf = NULL;
    return buf;
}

static void print_types(FILE *f, void *opaque)
{
    device_print_types(f);
}

static void print_props(FILE *f, void *opaque)
{
    CHECK(device_print_type_props(f, opaque, NULL));
}

static void print_help(FILE *f, void *opaque)
{
    CHECK(device_opts_help(opaque, f, NULL));
}

static void test_help(void)
{
    char *s = capture(print_types, NULL);

    CHECK(strstr(s, "name \"test-dev\", bus test-bus, hotpluggable, desc "
                 "\"hot-pluggable test device\"\n"));
    CHECK(strstr(s, "name \"sys-dev\", bus sys\n"));
    CHECK(!strstr(s, "test-hidden"));          /* no_user */
    CHECK(!strstr(s, "\"test-base\""));        /* abstract */
    /* sorted by name */
    CHECK(strstr(s, "\"test-bridge\"") < strstr(s, "\"test-dev\""));
    free(s);

    s = capture(print_props, "test-dev");
    CHECK(strstr(s, "test-dev options:\n  label=<str> (default: \"none\")\n"));
    CHECK(strstr(s, "  u8=<uint8> (default: 8)\n"));
    CHECK(strstr(s, "  i32=<int32> (default: -32)\n"));
    CHECK(strstr(s, "  mode=<enum> (default: low)\n"));
    CHECK(strstr(s, "  link=<link>\n"));
    CHECK(strstr(s, "  addr=<bus-addr> (default: auto)\n"));
    free(s);

    s = capture(print_help, "test-fancy,help");
    CHECK(strstr(s, "test-fancy options:\n"));
    free(s);
    s = capture(print_help, "help");
    CHECK(strstr(s, "name \"test-dev\""));
    free(s);
    CHECK(!device_opts_help("test-dev,u8=1", stdout, NULL));
}

int main(void)
{
    RUN(test_registry);
    RUN(test_defaults_and_kinds);
    RUN(test_prop_errors);
    RUN(test_link_and_after_realize);
    RUN(test_opts);
    RUN(test_help);
    return 0;
}
