/* query-pci through the walker hook the PCI core fills (system/monitor/
 * qmp.h): a fake host bridge reports two functions on bus 0 and one on
 * bus 1, and the command must group them in QEMU's format. */
#include <string.h>

#include "system/bql.h"
#include "system/monitor/qmp-internal.h"
#include "system/monitor/qmp.h"
#include "test.h"

static const QmpPciRegion rng_bars[] = {
    { .bar = 1, .address = 0x40000000, .size = 0x1000 },
    { .bar = 4, .mem64 = true, .prefetch = true, .address = 0x8000000000ULL,
      .size = 0x4000 },
    { .bar = 2, .io = true, .address = 0x1000, .size = 0x20 },
};

static void fake_walk(QmpPciVisitFn *visit, void *ctx)
{
    QmpPciDevice host = {
        .class_code = 0x0600, .class_desc = "Host bridge",
        .vendor_id = 0x1b36, .device_id = 0x0008, .irq = -1,
    };
    QmpPciDevice rng = {
        .bus = 1, .slot = 0, .function = 0, .class_code = 0x00ff,
        .vendor_id = 0x1af4, .device_id = 0x1044,
        .subsystem_vendor_id = 0x1af4, .subsystem_id = 0x1100,
        .irq = 33, .irq_pin = 1, .qdev_id = "rng0",
        .regions = rng_bars, .nr_regions = 3,
    };
    QmpPciDevice port = {
        .slot = 1, .class_code = 0x0604, .vendor_id = 0x1b36,
        .device_id = 0x000c, .irq = -1, .qdev_id = "rp0",
    };

    visit(&host, ctx);
    visit(&rng, ctx);
    visit(&port, ctx);
}

static json_t *query_pci(void)
{
    const QmpCommand *cmd = qmp_find_command("query-pci");
    QmpErrorClass cls = QMP_ERROR_GENERIC;
    json_t *args = json_object(), *ret;
    Error *err = NULL;

    CHECK(cmd && cmd->needs_bql);
    bql_lock();
    ret = cmd->fn(args, &cls, &err);
    bql_unlock();
    json_decref(args);
    CHECK(ret && !err);
    return ret;
}

static void test_empty(void)
{
    json_t *ret = query_pci();

    CHECK(json_is_array(ret) && json_array_size(ret) == 0);
    json_decref(ret);
}

static int int_at(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    CHECK(json_is_integer(v));
    return (int)json_integer_value(v);
}

static void test_walker(void)
{
    json_t *ret, *bus0, *bus1, *dev, *regions, *r;

    bql_lock();
    qmp_register_pci_walker(fake_walk);
    bql_unlock();
    ret = query_pci();
    CHECK(json_array_size(ret) == 2);
    bus0 = json_array_get(ret, 0);
    bus1 = json_array_get(ret, 1);
    CHECK_EQ(int_at(bus0, "bus"), 0);
    CHECK_EQ(int_at(bus1, "bus"), 1);
    CHECK_EQ(json_array_size(json_object_get(bus0, "devices")), 2);
    CHECK_EQ(json_array_size(json_object_get(bus1, "devices")), 1);

    dev = json_array_get(json_object_get(bus0, "devices"), 0);
    CHECK_EQ(int_at(json_object_get(dev, "class_info"), "class"), 0x0600);
    CHECK(!strcmp(json_string_value(json_object_get(
        json_object_get(dev, "class_info"), "desc")), "Host bridge"));
    CHECK(!json_object_get(dev, "irq"));
    CHECK(!strcmp(json_string_value(json_object_get(dev, "qdev_id")), ""));
    dev = json_array_get(json_object_get(bus0, "devices"), 1);
    CHECK_EQ(int_at(dev, "slot"), 1);
    CHECK(!strcmp(json_string_value(json_object_get(dev, "qdev_id")),
                  "rp0"));

    dev = json_array_get(json_object_get(bus1, "devices"), 0);
    CHECK_EQ(int_at(dev, "bus"), 1);
    CHECK_EQ(int_at(dev, "irq"), 33);
    CHECK_EQ(int_at(dev, "irq_pin"), 1);
    CHECK_EQ(int_at(json_object_get(dev, "id"), "vendor"), 0x1af4);
    CHECK_EQ(int_at(json_object_get(dev, "id"), "device"), 0x1044);
    CHECK_EQ(int_at(json_object_get(dev, "id"), "subsystem"), 0x1100);
    CHECK_EQ(int_at(json_object_get(dev, "id"), "subsystem-vendor"), 0x1af4);
    regions = json_object_get(dev, "regions");
    CHECK_EQ(json_array_size(regions), 3);
    r = json_array_get(regions, 1);
    CHECK_EQ(int_at(r, "bar"), 4);
    CHECK(!strcmp(json_string_value(json_object_get(r, "type")), "memory"));
    CHECK_EQ(json_integer_value(json_object_get(r, "address")),
             0x8000000000ULL);
    CHECK(json_is_true(json_object_get(r, "mem_type_64")));
    CHECK(json_is_true(json_object_get(r, "prefetch")));
    r = json_array_get(regions, 2);
    CHECK(!strcmp(json_string_value(json_object_get(r, "type")), "io"));
    CHECK(!json_object_get(r, "prefetch"));
    json_decref(ret);
}

int main(void)
{
    RUN(test_empty);
    RUN(test_walker);
    return 0;
}
