/* The unplug lifecycle (DESIGN.md §5, docs/devices.md).
 *
 * Every step but device_drain_done() runs under the BQL, which also
 * protects each device's state: transitions are made with
 * device_set_state(), which asserts the state we come from.  State reads
 * from other threads are atomic snapshots.  No step stops the vCPUs: an
 * access in flight keeps its reference on the device and finishes, and
 * isolate makes sure no new one starts.
 */
#include <assert.h>
#include <stdlib.h>

#include "hw/core/device-internal.h"
#include "system/bql.h"
#include "util/atomic.h"

/* Installed once at start-up, before any unplug (see device.h). */
static void (*txn_begin)(void);
static void (*txn_commit)(void);

/* DEVICE_DELETED notifiers (BQL). */
static DeviceNotifier *deleted_notifiers;

void device_set_transaction_hooks(void (*begin)(void), void (*commit)(void))
{
    assert(!begin == !commit);
    txn_begin = begin;
    txn_commit = commit;
}

static const char *dev_name(const Device *dev)
{
    return dev->id ? dev->id : dev->klass->name;
}

/* ---- step 1: request */

static bool unplug_allowed(Device *dev, Error **errp)
{
    DeviceLifeState st = device_state(dev);
    Bus *bus = dev->parent_bus;

    if (st == DEVICE_CREATED) {
        error_setg(errp, "Device '%s' is not plugged", dev_name(dev));
        return false;
    }
    if (st != DEVICE_REALIZED) {
        error_setg(errp, "Device '%s' is already being unplugged (%s)",
                   dev_name(dev), device_state_name(st));
        return false;
    }
    if (!dev->klass->hotpluggable) {
        error_setg(errp, "Device '%s' does not support hot-unplug",
                   dev_name(dev));
        return false;
    }
    if (!bus->info->hotpluggable) {
        error_setg(errp, "Bus '%s' does not support hot-unplug",
                   bus->name);
        return false;
    }
    /* Devices on its own buses go with it (see unit_isolate()). */
    return true;
}

bool device_unplug_request(Device *dev, Error **errp)
{
    Bus *bus;

    assert(bql_locked());
    if (!unplug_allowed(dev, errp)) {
        return false;
    }
    bus = dev->parent_bus;
    device_set_state(dev, DEVICE_REALIZED, DEVICE_UNPLUG_PENDING);
    if (!bus->info->unplug_request) {
        device_unplug_ack(dev);         /* no guest protocol */
        return true;
    }
    /* The hook may ack (or fail) before it returns; otherwise the device
     * stays pending until the guest answers. */
    if (!bus->info->unplug_request(bus, dev, errp)) {
        device_set_state(dev, DEVICE_UNPLUG_PENDING, DEVICE_REALIZED);
        return false;
    }
    return true;
}

bool device_unplug_pending(const Device *dev)
{
    return device_state(dev) == DEVICE_UNPLUG_PENDING;
}

void device_unplug_cancel(Device *dev)
{
    device_set_state(dev, DEVICE_UNPLUG_PENDING, DEVICE_REALIZED);
}

/* ---- step 2: isolate, in one memory transaction
 *
 * A device goes together with the devices on its own buses (a virtio-pci
 * function and the virtio device inside it; a bridge and what is behind
 * it): one unit.  Isolate takes the whole unit off the guest's address
 * spaces in one transaction, parents first; drain, unrealize and destroy
 * then run children first, each device through the same steps and the
 * same reference rules as a device unplugged alone. */

/* The devices of the unit that isolate takes over: dev, then (pre-order)
 * every device below it that is not already being unplugged on its own. */
typedef struct UnitList {
    Device **dev;
    size_t n, cap;
} UnitList;

static void unit_collect(Device *dev, UnitList *u)
{
    Bus *bus;
    Device *child;

    if (u->n == u->cap) {
        u->cap = u->cap ? 2 * u->cap : 8;
        u->dev = realloc(u->dev, u->cap * sizeof(*u->dev));
        if (!u->dev) {
            abort();
        }
    }
    u->dev[u->n++] = dev;
    TAILQ_FOREACH(bus, &dev->child_buses, sibling) {
        TAILQ_FOREACH(child, &bus->children, sibling) {
            /* Past UNPLUG_PENDING a child is already on its way out;
             * dev's drain waits for it to leave (unit_child_left()). */
            if (device_is_realized(child)) {
                unit_collect(child, u);
            }
        }
    }
}

static void device_isolate(Device *dev)
{
    Bus *bus = dev->parent_bus;

    if (bus->info->isolate) {
        bus->info->isolate(bus, dev);
    }
    if (dev->klass->isolate) {
        dev->klass->isolate(dev);
    }
}

/* The states change after the commit: device_is_isolated() is true only
 * once the new memory map is published. */
static void unit_isolate(Device *top, DeviceLifeState top_state)
{
    UnitList u = { 0 };

    unit_collect(top, &u);
    if (txn_begin) {
        txn_begin();
    }
    for (size_t i = 0; i < u.n; i++) {
        device_isolate(u.dev[i]);
    }
    if (txn_commit) {
        txn_commit();           /* the new memory map is published here */
    }
    for (size_t i = 0; i < u.n; i++) {
        DeviceLifeState from = i ? device_state(u.dev[i]) : top_state;

        assert(from == DEVICE_REALIZED || from == DEVICE_UNPLUG_PENDING);
        device_set_state(u.dev[i], from, DEVICE_ISOLATED);
    }
    free(u.dev);
}

/* ---- steps 3 to 5 */

static void device_drained(Device *dev);
static void unit_drain(Device *dev);

void device_unplug_ack(Device *dev)
{
    DeviceLifeState st = device_state(dev);

    assert(bql_locked());
    /* REALIZED: the guest ejected the device without being asked. */
    if (st != DEVICE_UNPLUG_PENDING && st != DEVICE_REALIZED) {
        device_bad_step(dev, "unplug ack");
    }
    assert(dev->klass->hotpluggable && dev->parent_bus->info->hotpluggable);
    unit_isolate(dev, st);
    unit_drain(dev);
}

/* Step 3 of one device, once nothing is left on its buses. */
static void device_start_drain(Device *dev)
{
    assert(!device_has_children(dev));
    device_set_state(dev, DEVICE_ISOLATED, DEVICE_DRAINING);
    if (!dev->klass->drain || dev->klass->drain(dev)) {
        atomic_set(&dev->drain_done_called, 1);
        device_drained(dev);
    }
    /* else device_drain_done() continues, maybe from another thread */
}

/* Isolated, drain not started: not yet waiting for its own children
 * either (a device that waits for them is ISOLATED too). */
static bool drain_not_started(const Device *dev)
{
    return device_state(dev) == DEVICE_ISOLATED && !dev->children_left;
}

/* One device left a bus of owner, which waits for its buses to empty. */
static void unit_child_left(Device *owner)
{
    assert(owner->children_left > 0);
    if (--owner->children_left == 0) {
        device_start_drain(owner);
    }
}

/* Children first: dev drains once every device on its buses has gone
 * through steps 3 to 5 (those isolated with dev are started here, any
 * other is already unplugging on its own); each leaving device calls
 * unit_child_left() from device_destroy(). */
static void unit_drain(Device *dev)
{
    size_t n = 0, i = 0;
    Device **kids, *child;
    Bus *bus;

    TAILQ_FOREACH(bus, &dev->child_buses, sibling) {
        n += bus->num_children;
    }
    if (!n) {
        device_start_drain(dev);
        return;
    }
    /* A snapshot: a child that finishes at once leaves its bus. */
    kids = xmalloc0(n * sizeof(*kids));
    TAILQ_FOREACH(bus, &dev->child_buses, sibling) {
        TAILQ_FOREACH(child, &bus->children, sibling) {
            kids[i++] = child;
        }
    }
    assert(i == n);
    /* One count per child, plus ours until every child has started, so
     * that dev cannot move on (and leave its own bus) under this loop. */
    dev->children_left = n + 1;
    for (i = 0; i < n; i++) {
        /* Isolated with dev: its drain is ours to start.  Any other
         * kid is unplugging on its own.  A kid may be destroyed by this
         * loop only after we started it (until then its bus holds it). */
        if (drain_not_started(kids[i])) {
            unit_drain(kids[i]);
        }
    }
    free(kids);
    unit_child_left(dev);
}

/* Step 5: the bus lets go.  The address is free again; the id stays
 * taken until finalize, so DEVICE_DELETED is the signal to reuse it. */
static void device_destroy(Device *dev)
{
    Bus *bus = dev->parent_bus;
    Device *owner = bus->parent;

    bus_remove_child(bus, dev);
    dev->parent_bus = NULL;
    device_set_state(dev, DEVICE_DRAINED, DEVICE_UNPLUGGED);
    /* Owned by dev until its finalize: the owner of a bus is finalized
     * (and its DEVICE_DELETED sent) only after every device that sat on
     * the bus.  The owner's bus reference keeps it alive here. */
    assert(!dev->owner_ref);
    dev->owner_ref = owner ? device_ref(owner) : NULL;
    device_unref(dev);          /* the bus's reference, from realize */
    if (owner && owner->children_left) {
        unit_child_left(owner); /* may run the owner's steps 3 to 5 */
    }
}

static void device_drained(Device *dev)
{
    Bus *bus = dev->parent_bus;

    assert(bql_locked());
    device_set_state(dev, DEVICE_DRAINING, DEVICE_DRAINED);
    if (dev->klass->unrealize) {
        dev->klass->unrealize(dev);
    }
    if (bus->info->unplug_notify) {
        bus->info->unplug_notify(bus, dev);     /* step 4 */
    }
    device_destroy(dev);
}

/* The continuation of an asynchronous drain, on the main thread when a
 * main loop runs. */
static void drain_done_continue(void *opaque)
{
    Device *dev = opaque;
    bool took_bql = !bql_locked();

    if (took_bql) {
        bql_lock();
    }
    device_drained(dev);
    device_unref(dev);          /* the hop's reference */
    if (took_bql) {
        bql_unlock();
    }
}

void device_drain_done(Device *dev)
{
    if (atomic_xchg(&dev->drain_done_called, 1)) {
        device_bad_step(dev, "second drain completion");
    }
    if (device_state(dev) != DEVICE_DRAINING) {
        device_bad_step(dev, "drain completion");
    }
    device_ref(dev);            /* owned by the hop to the main thread */
    if (!object_defer_to_main(drain_done_continue, dev)) {
        drain_done_continue(dev);
    }
}

/* ---- DEVICE_DELETED */

void device_add_deleted_notifier(DeviceNotifier *n)
{
    assert(bql_locked());
    n->next = deleted_notifiers;
    deleted_notifiers = n;
}

void device_remove_deleted_notifier(DeviceNotifier *n)
{
    assert(bql_locked());
    for (DeviceNotifier **p = &deleted_notifiers; *p; p = &(*p)->next) {
        if (*p == n) {
            *p = n->next;
            return;
        }
    }
    assert(!"notifier not registered");
}

void device_emit_deleted(const DeviceDeletedEvent *ev)
{
    DeviceNotifier *n, *next;

    assert(bql_locked());
    for (n = deleted_notifiers; n; n = next) {
        next = n->next;         /* a notifier may remove itself */
        n->notify(n, ev);
    }
}
