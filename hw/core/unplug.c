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
    if (device_has_children(dev)) {
        error_setg(errp, "Device '%s' has devices on its buses; unplug "
                   "them first", dev_name(dev));
        return false;
    }
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

/* ---- step 2: isolate, in one memory transaction */

static void device_isolate(Device *dev)
{
    Bus *bus = dev->parent_bus;

    if (txn_begin) {
        txn_begin();
    }
    if (bus->info->isolate) {
        bus->info->isolate(bus, dev);
    }
    if (dev->klass->isolate) {
        dev->klass->isolate(dev);
    }
    if (txn_commit) {
        txn_commit();           /* the new memory map is published here */
    }
}

/* ---- steps 3 to 5 */

static void device_drained(Device *dev);

void device_unplug_ack(Device *dev)
{
    DeviceLifeState st = device_state(dev);

    assert(bql_locked());
    /* REALIZED: the guest ejected the device without being asked. */
    if (st != DEVICE_UNPLUG_PENDING && st != DEVICE_REALIZED) {
        device_bad_step(dev, "unplug ack");
    }
    assert(dev->klass->hotpluggable && dev->parent_bus->info->hotpluggable);
    assert(!device_has_children(dev));
    device_isolate(dev);
    device_set_state(dev, st, DEVICE_ISOLATED);

    device_set_state(dev, DEVICE_ISOLATED, DEVICE_DRAINING);
    if (!dev->klass->drain || dev->klass->drain(dev)) {
        atomic_set(&dev->drain_done_called, 1);
        device_drained(dev);
    }
    /* else device_drain_done() continues, maybe from another thread */
}

/* Step 5: the bus lets go.  The address is free again; the id stays
 * taken until finalize, so DEVICE_DELETED is the signal to reuse it. */
static void device_destroy(Device *dev)
{
    Bus *bus = dev->parent_bus;

    bus_remove_child(bus, dev);
    dev->parent_bus = NULL;
    device_set_state(dev, DEVICE_DRAINED, DEVICE_UNPLUGGED);
    device_unref(dev);          /* the bus's reference, from realize */
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
