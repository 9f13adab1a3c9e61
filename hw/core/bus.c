/* The bus tree: root buses, buses owned by devices, addresses, walks and
 * the info qtree dump.  All of it is under the BQL, except that a device
 * may make its own (not yet reachable) buses in instance_init. */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hw/core/device-internal.h"
#include "system/bql.h"

/* Root buses (the machine's system bus, test buses): BQL. */
static TAILQ_HEAD(, Bus) root_buses = TAILQ_HEAD_INITIALIZER(root_buses);

static char *bus_default_name(Device *parent, unsigned index)
{
    const char *base = parent->id ? parent->id : parent->klass->name;

    return xasprintf("%s.%u", base, index);
}

void device_name_child_buses(Device *dev)
{
    unsigned n = 0;
    Bus *b;

    TAILQ_FOREACH(b, &dev->child_buses, sibling) {
        if (b->auto_name) {
            free(b->name);
            b->name = bus_default_name(dev, n);
        }
        n++;
    }
}

Bus *bus_new(Device *parent, const BusInfo *info, const char *name)
{
    Bus *bus = xmalloc0(sizeof(*bus));

    assert(info && info->type);
    assert(parent || name);
    bus->info = info;
    bus->parent = parent;
    TAILQ_INIT(&bus->children);
    if (parent) {
        unsigned n = 0;
        Bus *b;

        TAILQ_FOREACH(b, &parent->child_buses, sibling) {
            n++;
        }
        bus->auto_name = !name;
        bus->name = name ? xstrdup(name) : bus_default_name(parent, n);
        /* The parent owns the bus; freed when the parent is finalized. */
        TAILQ_INSERT_TAIL(&parent->child_buses, bus, sibling);
    } else {
        assert(bql_locked());
        bus->name = xstrdup(name);
        TAILQ_INSERT_TAIL(&root_buses, bus, sibling);
    }
    return bus;
}

static void bus_destroy(Bus *bus)
{
    assert(TAILQ_EMPTY(&bus->children));
    free(bus->name);
    free(bus);
}

void bus_free(Bus *bus)
{
    assert(bql_locked());
    assert(!bus->parent);
    TAILQ_REMOVE(&root_buses, bus, sibling);
    bus_destroy(bus);
}

void device_free_child_buses(Device *dev)
{
    Bus *bus;

    while ((bus = TAILQ_FIRST(&dev->child_buses))) {
        TAILQ_REMOVE(&dev->child_buses, bus, sibling);
        bus_destroy(bus);
    }
}

bool device_has_children(const Device *dev)
{
    Bus *bus;

    TAILQ_FOREACH(bus, &dev->child_buses, sibling) {
        if (!TAILQ_EMPTY(&bus->children)) {
            return true;
        }
    }
    return false;
}

void bus_insert_child(Bus *bus, Device *dev)
{
    assert(bql_locked());
    TAILQ_INSERT_TAIL(&bus->children, dev, sibling);
    bus->num_children++;
}

void bus_remove_child(Bus *bus, Device *dev)
{
    assert(bql_locked());
    assert(dev->parent_bus == bus && bus->num_children > 0);
    TAILQ_REMOVE(&bus->children, dev, sibling);
    bus->num_children--;
}

Device *bus_find_device(Bus *bus, int64_t addr)
{
    Device *dev;

    assert(bql_locked());
    TAILQ_FOREACH(dev, &bus->children, sibling) {
        if (dev->bus_addr == addr) {
            return dev;
        }
    }
    return NULL;
}

static int64_t bus_first_free_slot(Bus *bus)
{
    for (int64_t a = 0; a < bus->info->max_slots; a++) {
        if (!bus_find_device(bus, a)) {
            return a;
        }
    }
    return BUS_ADDR_AUTO;
}

/* On a slotted bus: picks the lowest free slot for an unset address, or
 * checks the one given.  A device keeps its slot until unplug step 5. */
bool bus_assign_addr(Bus *bus, Device *dev, Error **errp)
{
    int64_t addr = dev->bus_addr;
    Device *other;

    if (!bus->info->max_slots) {
        return true;
    }
    if (addr == BUS_ADDR_AUTO) {
        addr = bus_first_free_slot(bus);
        if (addr == BUS_ADDR_AUTO) {
            error_setg(errp, "Bus '%s' is full (%u slots)", bus->name,
                       bus->info->max_slots);
            return false;
        }
        dev->bus_addr = addr;
        return true;
    }
    if (addr < 0 || addr >= bus->info->max_slots) {
        error_setg(errp, "Address %" PRId64 " is out of range for bus "
                   "'%s' (0 to %u)", addr, bus->name,
                   bus->info->max_slots - 1);
        return false;
    }
    other = bus_find_device(bus, addr);
    if (other) {
        error_setg(errp, "Address %" PRId64 " on bus '%s' is in use by "
                   "device '%s'", addr, bus->name,
                   other->id ? other->id : other->klass->name);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* Walks */

static bool walk_bus(Bus *bus, bool (*fn)(Bus *, void *), void *opaque);

static bool walk_device(Device *dev, bool (*fn)(Bus *, void *), void *opaque)
{
    Bus *child;

    TAILQ_FOREACH(child, &dev->child_buses, sibling) {
        if (!walk_bus(child, fn, opaque)) {
            return false;
        }
    }
    return true;
}

/* Calls fn on bus and every bus below it; stops when fn returns false. */
static bool walk_bus(Bus *bus, bool (*fn)(Bus *, void *), void *opaque)
{
    Device *dev;

    if (!fn(bus, opaque)) {
        return false;
    }
    TAILQ_FOREACH(dev, &bus->children, sibling) {
        if (!walk_device(dev, fn, opaque)) {
            return false;
        }
    }
    return true;
}

static bool walk_all_buses(bool (*fn)(Bus *, void *), void *opaque)
{
    Bus *bus;

    assert(bql_locked());
    TAILQ_FOREACH(bus, &root_buses, sibling) {
        if (!walk_bus(bus, fn, opaque)) {
            return false;
        }
    }
    return true;
}

typedef struct BusSearch {
    const char *key;
    Bus *found;
} BusSearch;

static bool match_name(Bus *bus, void *opaque)
{
    BusSearch *s = opaque;

    if (strcmp(bus->name, s->key)) {
        return true;
    }
    s->found = bus;
    return false;
}

Bus *bus_find(const char *name)
{
    BusSearch s = { name, NULL };

    walk_all_buses(match_name, &s);
    return s.found;
}

static bool bus_has_room(Bus *bus)
{
    if (bus->parent && device_state(bus->parent) != DEVICE_REALIZED) {
        return false;
    }
    return !bus->info->max_slots || bus->num_children < bus->info->max_slots;
}

static bool match_free(Bus *bus, void *opaque)
{
    BusSearch *s = opaque;

    if (strcmp(bus->info->type, s->key) || !bus_has_room(bus)) {
        return true;
    }
    s->found = bus;
    return false;
}

Bus *bus_find_free(const char *bus_type)
{
    BusSearch s = { bus_type, NULL };

    walk_all_buses(match_free, &s);
    return s.found;
}

bool bus_walk(Bus *bus, bool (*fn)(Device *dev, void *opaque), void *opaque)
{
    Device *dev;
    Bus *child;

    assert(bql_locked());
    TAILQ_FOREACH(dev, &bus->children, sibling) {
        if (!fn(dev, opaque)) {
            return false;
        }
        TAILQ_FOREACH(child, &dev->child_buses, sibling) {
            if (!bus_walk(child, fn, opaque)) {
                return false;
            }
        }
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* info qtree */

static void qtree_print_bus(Bus *bus, FILE *f, int indent);

static void qtree_print_dev(Device *dev, FILE *f, int indent)
{
    DeviceLifeState st = device_state(dev);
    Bus *child;

    fprintf(f, "%*sdev: %s, id \"%s\"\n", indent, "", dev->klass->name,
            dev->id ? dev->id : "");
    indent += 2;
    if (st != DEVICE_REALIZED) {
        fprintf(f, "%*sstate = %s\n", indent, "", device_state_name(st));
    }
    if (dev->parent_bus->info->max_slots) {
        fprintf(f, "%*sbus-addr = %" PRId64 "\n", indent, "", dev->bus_addr);
    }
    if (dev->parent_bus->info->print_dev) {
        dev->parent_bus->info->print_dev(dev->parent_bus, dev, f, indent);
    }
    device_print_props(dev, f, indent);
    TAILQ_FOREACH(child, &dev->child_buses, sibling) {
        qtree_print_bus(child, f, indent);
    }
}

static void qtree_print_bus(Bus *bus, FILE *f, int indent)
{
    Device *dev;

    fprintf(f, "%*sbus: %s\n", indent, "", bus->name);
    fprintf(f, "%*stype %s\n", indent + 2, "", bus->info->type);
    TAILQ_FOREACH(dev, &bus->children, sibling) {
        qtree_print_dev(dev, f, indent + 2);
    }
}

void qtree_info(FILE *f)
{
    Bus *bus;

    assert(bql_locked());
    TAILQ_FOREACH(bus, &root_buses, sibling) {
        qtree_print_bus(bus, f, 0);
    }
}
