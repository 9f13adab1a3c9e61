/* The device model: types, instances, buses, ids and the unplug lifecycle.
 * Properties are in hw/core/props.h, interrupt lines in hw/core/irq.h; the
 * whole contract is written up in docs/devices.md.
 *
 * Locking: everything here that changes or walks the machine (type lookup
 * aside) runs under the BQL: creating ids, setting properties, realize,
 * the bus tree, every unplug step, the DEVICE_DELETED notifiers.  The
 * exceptions say so: device_drain_done() and the state queries are
 * callable from any thread.  Device callbacks are called with the BQL
 * held, in the thread that runs the step (the main thread; see
 * device_drain_done() for the one hop).
 *
 * References: device_new() returns a reference owned by the caller.  A
 * realized device is also referenced by its bus until the unplug lifecycle
 * takes it off.  Memory regions owned by the device make the memory core
 * take references on &dev->obj while an access is in flight.  The device
 * is finalized (instance_finalize, then free) once the last reference is
 * gone and a grace period has passed, in the object finalize context.
 */
#ifndef HW_CORE_DEVICE_H
#define HW_CORE_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/queue.h>

#include "hw/core/object.h"
#include "util/compiler.h"
#include "util/error.h"

typedef struct Bus Bus;
typedef struct BusInfo BusInfo;
typedef struct Device Device;
typedef struct DeviceClass DeviceClass;
typedef struct DeviceTypeInfo DeviceTypeInfo;
typedef struct IrqLine IrqLine;
typedef struct Property Property;

/* ------------------------------------------------------------------ */
/* Lifecycle states.  Each unplug step moves the state one way; the
 * transitions are asserted (no step twice, none out of order):
 *
 *   CREATED -> REALIZED -> UNPLUG_PENDING -> ISOLATED -> DRAINING
 *           -> DRAINED -> UNPLUGGED -> (finalized)
 *
 * REALIZED may go straight to ISOLATED (guest-initiated eject, or a bus
 * without a guest protocol); UNPLUG_PENDING may go back to REALIZED when
 * the guest cancels.  A failed realize returns to CREATED. */
typedef enum DeviceLifeState {
    DEVICE_CREATED,         /* properties settable, not on a bus */
    DEVICE_REALIZED,        /* on its bus, reachable by the guest */
    DEVICE_UNPLUG_PENDING,  /* request forwarded to the guest, no ack yet */
    DEVICE_ISOLATED,        /* no new access can reach it */
    DEVICE_DRAINING,        /* drain started, waiting for it to finish */
    DEVICE_DRAINED,         /* quiet; unrealize and guest notification */
    DEVICE_UNPLUGGED,       /* off its bus, waits for the last reference */
} DeviceLifeState;

const char *device_state_name(DeviceLifeState state);

/* ------------------------------------------------------------------ */
/* Types.  A type is described by a static DeviceTypeInfo and registered
 * before main() by a constructor: DEVICE_TYPE_REGISTER(info) in the
 * device's file.  This works because the tests and the weft binary link
 * libweft whole (meson.build: link_whole); a plain static link would
 * drop every object file nothing references, constructors included.
 * device_type_register() may also be called directly (tests, plug-ins).
 * Classes are built lazily at the first lookup, parents first, so
 * registration order does not matter. */

typedef bool DeviceRealize(Device *dev, Error **errp);
typedef void DeviceFn(Device *dev);
/* Returns true if the device is drained now, false if it will call
 * device_drain_done() later (from any thread).  Never both. */
typedef bool DeviceDrain(Device *dev);
typedef void DeviceClassInit(DeviceClass *dc, const void *data);

struct DeviceTypeInfo {
    const char *name;
    const char *parent;          /* NULL only for the base "device" type */
    const char *desc;            /* one line for -device help */
    size_t instance_size;        /* 0: the parent's */
    size_t class_size;           /* 0: the parent's (for subclass fields) */
    bool abstract;               /* cannot be instantiated */
    bool hotpluggable;           /* may be plugged/unplugged at run time */
    bool no_user;                /* not creatable with -device/device_add */
    const char *bus_type;        /* BusInfo.type it plugs into; NULL: any */
    const Property *props;       /* own properties, ended by PROP_END */

    /* Called parent first, on the zeroed instance with defaults set. */
    DeviceFn *instance_init;
    /* Called leaf first, before the properties are released. */
    DeviceFn *instance_finalize;

    /* Inherited from the parent when NULL; class_init may override them
     * (keeping the parent's in its own class fields to chain). */
    DeviceRealize *realize;      /* must undo its own work on failure */
    DeviceFn *unrealize;         /* undo realize, after isolate and drain */
    DeviceFn *isolate;           /* unmap regions: unplug step 2 */
    DeviceDrain *drain;          /* quiesce I/O: unplug step 3 */

    DeviceClassInit *class_init;
    const void *class_data;
};

struct DeviceClass {
    const char *name;
    const char *desc;
    DeviceClass *parent;
    const DeviceTypeInfo *info;
    size_t instance_size;
    size_t class_size;
    bool abstract;
    bool hotpluggable;
    bool no_user;
    const char *bus_type;
    const Property **props;      /* parent's first; NULL-terminated */
    unsigned num_props;
    DeviceRealize *realize;
    DeviceFn *unrealize;
    DeviceFn *isolate;
    DeviceDrain *drain;
};

/* info must stay valid for the life of the process.  Registering a name
 * twice is a programming error and aborts.  Any thread. */
void device_type_register(const DeviceTypeInfo *info);
#define DEVICE_TYPE_REGISTER(info)                                     \
    static void __attribute__((constructor)) register_##info(void)     \
    {                                                                  \
        device_type_register(&info);                                   \
    }

/* The class of a registered type, or NULL.  Any thread. */
DeviceClass *device_find_type(const char *name);
/* True if dc is type_name or derives from it. */
bool device_class_is_a(const DeviceClass *dc, const char *type_name);
/* Calls fn for every registered type in name order. */
void device_type_foreach(void (*fn)(DeviceClass *dc, void *opaque),
                         void *opaque);
/* -device help: the user-creatable types, one per line. */
void device_print_types(FILE *f);
/* -device NAME,help: the properties of one type. */
bool device_print_type_props(FILE *f, const char *type_name, Error **errp);

/* ------------------------------------------------------------------ */
/* Instances */

#define BUS_ADDR_AUTO (-1)

struct Device {
    Object obj;                  /* first: &dev->obj is the region owner */
    DeviceClass *klass;
    char *id;                    /* user id or NULL (BQL) */
    unsigned long serial;        /* names anonymous devices in paths */
    unsigned state;              /* DeviceLifeState: BQL to write,
                                  * atomic to read */
    bool realizing;              /* inside dc->realize (BQL) */
    bool was_realized;           /* DEVICE_DELETED is sent for these only */
    bool id_registered;          /* on the id list (BQL) */
    TAILQ_ENTRY(Device) id_link; /* id list (BQL) */
    unsigned drain_done_called;  /* atomic; catches a second call */
    char *bus_name;              /* bus= from the options, for device_add */

    Bus *parent_bus;             /* BQL; set while on a bus */
    int64_t bus_addr;            /* address on it, BUS_ADDR_AUTO if unset */
    TAILQ_ENTRY(Device) sibling; /* in parent_bus->children (BQL) */
    TAILQ_HEAD(, Bus) child_buses; /* buses this device owns (BQL) */
    /* Unplugged as a unit with the devices on its buses: while isolated
     * and waiting for them to leave, how many are left (BQL). */
    unsigned children_left;
    /* Reference on the owner of the bus it sat on, taken at unplug step
     * 5 and dropped after this device's finalize. */
    Device *owner_ref;

    IrqLine *irq_in, *irq_out;   /* arrays owned by the device */
    unsigned num_irq_in, num_irq_out;
};

#define DEVICE_GET_CLASS(dev) ((dev)->klass)
#define DEVICE_OBJECT(dev) (&(dev)->obj)
/* Object (region owner) back to its device.  Only for device owners. */
#define OBJECT_DEVICE(o) container_of((o), Device, obj)

/* A new instance with refcount 1, owned by the caller; properties at
 * their defaults.  Any thread (no global state is touched). */
Device *device_new(const char *type_name, Error **errp);
static inline Device *device_ref(Device *dev)
{
    object_ref(&dev->obj);
    return dev;
}
static inline void device_unref(Device *dev)
{
    object_unref(dev ? &dev->obj : NULL);
}
bool device_is_a(const Device *dev, const char *type_name);
const char *device_type_name(const Device *dev);

/* Ids: a letter, then letters, digits, '-', '.', '_'.  Unique among
 * realized devices; a device keeps its id until it is finalized, so
 * management may reuse the id once DEVICE_DELETED arrives.  BQL. */
bool device_set_id(Device *dev, const char *id, Error **errp);
/* A realized (or unplugging) device; borrowed, valid while the caller
 * holds the BQL.  Take a reference only if device_state() is below
 * DEVICE_UNPLUGGED. */
Device *device_find_by_id(const char *id);
/* "/machine/peripheral/ID" or "/machine/peripheral-anon/device[N]";
 * malloc'd. */
char *device_path(const Device *dev);

/* Plugs dev into bus and realizes it.  On success the bus holds its own
 * reference and the caller keeps its own.  On failure everything the
 * generic code did is undone and dev is back in DEVICE_CREATED.  BQL. */
bool device_realize(Device *dev, Bus *bus, Error **errp);
/* Same, then drops the caller's reference whatever the outcome. */
bool device_realize_and_unref(Device *dev, Bus *bus, Error **errp);
/* Once the machine is built every plug is a hot-plug: the class and the
 * bus must then be hot-pluggable.  BQL. */
void device_set_hotplug_phase(bool on);

/* Any thread; a snapshot. */
DeviceLifeState device_state(const Device *dev);
static inline bool device_is_realized(const Device *dev)
{
    DeviceLifeState s = device_state(dev);

    return s >= DEVICE_REALIZED && s <= DEVICE_UNPLUG_PENDING;
}
/* True from the end of unplug step 2: I/O handlers that may still run
 * (an access in flight holds a reference) use it to ignore the access. */
static inline bool device_is_isolated(const Device *dev)
{
    return device_state(dev) >= DEVICE_ISOLATED;
}

/* -device option strings: "driver,id=x,bus=b,prop=value,...".  Creates the
 * device and sets id and properties; bus= is kept for the caller
 * (dev->bus_name).  Returns a new reference.  BQL. */
Device *device_new_from_opts(const char *opts, Error **errp);
/* If opts ask for help ("help", "DRIVER,help"), prints it to f and
 * returns true (with *errp set if DRIVER is unknown). */
bool device_opts_help(const char *opts, FILE *f, Error **errp);
/* device_add / -device: device_new_from_opts, then realize on bus= or on
 * the first bus of the type's bus_type with a free slot.  Returns the
 * device, borrowed (its bus holds it), or NULL.  BQL. */
Device *device_add(const char *opts, Error **errp);

/* ------------------------------------------------------------------ */
/* Buses.  A bus belongs to a device (freed with it, must be empty then)
 * or is a root bus (the machine's system bus), freed with bus_free().
 * Bus hooks run under the BQL. */

struct BusInfo {
    const char *type;            /* matched against DeviceClass.bus_type */
    /* > 0: addresses 0..max_slots-1, unique, auto-assigned when unset.
     * 0: addresses are not checked (a system bus where MMIO places
     * devices). */
    unsigned max_slots;
    bool hotpluggable;

    /* Before realize: validate dev and its address; no side effects (the
     * generic code undoes only its own work if realize then fails). */
    bool (*pre_plug)(Bus *bus, Device *dev, Error **errp);
    /* After a successful realize: the guest-visible part of a plug
     * (presence detect, hot-plug interrupt).  Cannot fail. */
    void (*plug)(Bus *bus, Device *dev);
    /* Unplug step 1: forward a request to the guest (attention button).
     * The device stays UNPLUG_PENDING until the bus calls
     * device_unplug_ack() (or device_unplug_cancel()), possibly before
     * the hook returns.  A hook that fails must not have acked.  NULL: no
     * guest protocol, the request is acknowledged at once. */
    bool (*unplug_request)(Bus *bus, Device *dev, Error **errp);
    /* Unplug step 2, inside the same memory transaction as the device's
     * isolate: take the device off the bus's address spaces. */
    void (*isolate)(Bus *bus, Device *dev);
    /* Unplug step 4: tell the guest the device is gone (slot empty). */
    void (*unplug_notify)(Bus *bus, Device *dev);
    /* Optional qtree line(s) about dev's place on this bus. */
    void (*print_dev)(Bus *bus, Device *dev, FILE *f, int indent);
};

struct Bus {
    const BusInfo *info;
    char *name;
    Device *parent;              /* owner; NULL for a root bus */
    TAILQ_HEAD(, Device) children; /* plug order (BQL) */
    unsigned num_children;
    bool auto_name;              /* renamed at realize once the id is set */
    TAILQ_ENTRY(Bus) sibling;    /* in the parent's or the root list */
    void *opaque;                /* for the bus implementation */
};

/* parent NULL makes a root bus.  name NULL: "<parent id or type>.<n>",
 * fixed when the parent is realized (its id is known by then).  Child
 * buses are made in instance_init or realize.  BQL for root buses
 * (they go on a global list). */
Bus *bus_new(Device *parent, const BusInfo *info, const char *name);
/* Root buses only; the bus must be empty.  BQL. */
void bus_free(Bus *bus);
/* Depth-first over the root buses.  BQL. */
Bus *bus_find(const char *name);
/* The first bus of that type with a free slot.  BQL. */
Bus *bus_find_free(const char *bus_type);
/* The device at addr on a slotted bus, or NULL.  BQL. */
Device *bus_find_device(Bus *bus, int64_t addr);

/* Visits every device below bus (parents before children); stops and
 * returns false if fn does.  fn must not plug or unplug.  BQL. */
bool bus_walk(Bus *bus, bool (*fn)(Device *dev, void *opaque), void *opaque);
/* info qtree: every root bus with its devices, properties, child buses. */
void qtree_info(FILE *f);

/* ------------------------------------------------------------------ */
/* Unplug lifecycle (DESIGN.md §5).  Machine-level steps run under the
 * BQL; nothing stops the vCPUs.
 *
 *   1. device_unplug_request(): management asks; the bus forwards it to
 *      the guest and the device stays pending, or there is no guest
 *      protocol and it is acknowledged at once.
 *   2. device_unplug_ack() (from the bus, when the guest agrees): isolate
 *      -- bus->isolate and dc->isolate in one memory transaction.
 *   3. drain -- dc->drain; may finish later with device_drain_done().
 *   4. dc->unrealize, then bus->unplug_notify tells the guest.
 *   5. destroy -- off the bus, the bus's reference dropped; finalize after
 *      the last reference and a grace period, then DEVICE_DELETED.
 *
 * The devices on a device's own buses (a virtio-pci function's virtio
 * device, what sits behind a bridge) go with it as one unit: step 2
 * isolates all of them in the same memory transaction, then each one runs
 * steps 3 to 5 children first, and a device drains only once its buses
 * are empty.  A device keeps a reference on the owner of its bus from
 * step 5 to its finalize, so the owner's finalize and DEVICE_DELETED come
 * after its children's. */

/* Fails if the device is not realized, already unplugging, not
 * hot-pluggable (class or bus), or if the bus's unplug_request hook
 * fails.  BQL. */
bool device_unplug_request(Device *dev, Error **errp);
/* Any thread; a snapshot. */
bool device_unplug_pending(const Device *dev);
/* The guest agreed (or ejected on its own: REALIZED is accepted too):
 * runs steps 2 onwards, for the device and the devices below it.  BQL. */
void device_unplug_ack(Device *dev);
/* The guest cancelled a pending request.  BQL. */
void device_unplug_cancel(Device *dev);
/* Ends an asynchronous drain.  Any thread, once, no locks held.  The rest
 * of the lifecycle runs in the main loop if one runs (object finalize
 * context); otherwise right here, taking the BQL if the caller does not
 * hold it. */
void device_drain_done(Device *dev);

/* Hooks bracketing unplug step 2, so that the bus's and the device's
 * unmapping land in one memory transaction.  The machine installs
 * memory_region_transaction_begin/commit; NULL hooks do nothing.  Set at
 * start-up. */
void device_set_transaction_hooks(void (*begin)(void), void (*commit)(void));

/* DEVICE_DELETED: after a device that was realized is finalized.  The
 * notifier runs in the finalize context with the BQL held; ev and its
 * strings are valid only during the call.  Add/remove under the BQL. */
typedef struct DeviceDeletedEvent {
    const char *id;              /* NULL for anonymous devices */
    const char *path;
} DeviceDeletedEvent;

typedef struct DeviceNotifier DeviceNotifier;
struct DeviceNotifier {
    void (*notify)(DeviceNotifier *n, const DeviceDeletedEvent *ev);
    DeviceNotifier *next;        /* owned by the list */
};

void device_add_deleted_notifier(DeviceNotifier *n);
void device_remove_deleted_notifier(DeviceNotifier *n);

#endif
