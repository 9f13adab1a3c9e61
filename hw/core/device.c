/* Device types, instances, ids, realize and finalize. */
#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hw/core/device-internal.h"
#include "hw/core/props.h"
#include "system/bql.h"
#include "util/atomic.h"
#include "util/keyval.h"

void *xmalloc0(size_t size)
{
    void *p = calloc(1, size);

    if (!p) {
        abort();
    }
    return p;
}

char *xstrdup(const char *s)
{
    char *p = s ? strdup(s) : NULL;

    if (s && !p) {
        abort();
    }
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) {
        abort();
    }
    va_end(ap);
    return s;
}

/* ------------------------------------------------------------------ */
/* Type registry */

typedef struct TypeEntry {
    const DeviceTypeInfo *info;
    DeviceClass *klass;          /* built at first lookup, never freed */
    bool building;               /* catches a parent cycle */
    struct TypeEntry *next;
} TypeEntry;

static const DeviceTypeInfo device_base_info = {
    .name = "device",
    .desc = "base of all devices",
    .instance_size = sizeof(Device),
    .class_size = sizeof(DeviceClass),
    .abstract = true,
};

/* types.lock protects the list and class construction.  A built class is
 * immutable, so callers use it without the lock. */
static struct {
    pthread_mutex_t lock;
    TypeEntry *head;
} types = { .lock = PTHREAD_MUTEX_INITIALIZER };

static TypeEntry *type_lookup_locked(const char *name)
{
    TypeEntry *t;

    if (!types.head) {
        /* The base type is always there; the list starts with it. */
        t = xmalloc0(sizeof(*t));
        t->info = &device_base_info;
        types.head = t;
    }
    for (t = types.head; t; t = t->next) {
        if (!strcmp(t->info->name, name)) {
            return t;
        }
    }
    return NULL;
}

void device_type_register(const DeviceTypeInfo *info)
{
    TypeEntry *t;

    assert(info->name && (info->parent || !strcmp(info->name, "device")));
    pthread_mutex_lock(&types.lock);
    if (type_lookup_locked(info->name)) {
        error_report("device type '%s' registered twice", info->name);
        abort();
    }
    t = xmalloc0(sizeof(*t));
    t->info = info;
    t->next = types.head->next;   /* after the base type */
    types.head->next = t;
    pthread_mutex_unlock(&types.lock);
}

static void class_collect_props(DeviceClass *dc, const DeviceClass *parent)
{
    const Property *own = dc->info->props;
    unsigned n = parent ? parent->num_props : 0, k = 0;

    while (own && own[k].name) {
        k++;
    }
    dc->props = xmalloc0((n + k + 1) * sizeof(*dc->props));
    for (unsigned i = 0; i < n; i++) {
        dc->props[i] = parent->props[i];
    }
    for (unsigned i = 0; i < k; i++) {
        for (unsigned j = 0; j < n + i; j++) {
            if (!strcmp(dc->props[j]->name, own[i].name)) {
                error_report("device type '%s': property '%s' defined "
                             "twice", dc->name, own[i].name);
                abort();
            }
        }
        assert(own[i].info);
        dc->props[n + i] = &own[i];
    }
    dc->num_props = n + k;
}

static DeviceClass *class_build_locked(TypeEntry *t);

static DeviceClass *class_parent_locked(TypeEntry *t)
{
    TypeEntry *p;

    if (!t->info->parent) {
        return NULL;
    }
    p = type_lookup_locked(t->info->parent);
    if (!p || p->building) {
        error_report("device type '%s': parent '%s' %s", t->info->name,
                     t->info->parent, p ? "forms a cycle" : "is unknown");
        abort();
    }
    return class_build_locked(p);
}

/* Copies the parent class (subclass fields included), then applies the
 * type's own description and methods, then its class_init. */
static DeviceClass *class_build_locked(TypeEntry *t)
{
    const DeviceTypeInfo *info = t->info;
    DeviceClass *parent, *dc;
    size_t csize;

    if (t->klass) {
        return t->klass;
    }
    t->building = true;
    parent = class_parent_locked(t);
    csize = info->class_size ? info->class_size : parent->class_size;
    assert(!parent || csize >= parent->class_size);
    dc = xmalloc0(csize);
    if (parent) {
        memcpy(dc, parent, parent->class_size);
    }
    dc->name = info->name;
    dc->desc = info->desc;
    dc->parent = parent;
    dc->info = info;
    dc->class_size = csize;
    dc->instance_size = info->instance_size ? info->instance_size
                                            : parent->instance_size;
    assert(dc->instance_size >= sizeof(Device));
    assert(!parent || dc->instance_size >= parent->instance_size);
    dc->abstract = info->abstract;
    dc->hotpluggable |= info->hotpluggable;
    dc->no_user |= info->no_user;
    if (info->bus_type) {
        dc->bus_type = info->bus_type;
    }
    if (info->realize) {
        dc->realize = info->realize;
    }
    if (info->unrealize) {
        dc->unrealize = info->unrealize;
    }
    if (info->isolate) {
        dc->isolate = info->isolate;
    }
    if (info->drain) {
        dc->drain = info->drain;
    }
    class_collect_props(dc, parent);
    if (info->class_init) {
        info->class_init(dc, info->class_data);
    }
    t->building = false;
    t->klass = dc;
    return dc;
}

DeviceClass *device_find_type(const char *name)
{
    DeviceClass *dc = NULL;
    TypeEntry *t;

    pthread_mutex_lock(&types.lock);
    t = type_lookup_locked(name);
    if (t) {
        dc = class_build_locked(t);
    }
    pthread_mutex_unlock(&types.lock);
    return dc;
}

bool device_class_is_a(const DeviceClass *dc, const char *type_name)
{
    for (; dc; dc = dc->parent) {
        if (!strcmp(dc->name, type_name)) {
            return true;
        }
    }
    return false;
}

static int class_cmp(const void *a, const void *b)
{
    const DeviceClass *x = *(DeviceClass *const *)a;
    const DeviceClass *y = *(DeviceClass *const *)b;

    return strcmp(x->name, y->name);
}

void device_type_foreach(void (*fn)(DeviceClass *dc, void *opaque),
                         void *opaque)
{
    DeviceClass **all = NULL;
    size_t n = 0, cap = 0;

    pthread_mutex_lock(&types.lock);
    type_lookup_locked("device");
    for (TypeEntry *t = types.head; t; t = t->next) {
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            all = realloc(all, cap * sizeof(*all));
            if (!all) {
                abort();
            }
        }
        all[n++] = class_build_locked(t);
    }
    pthread_mutex_unlock(&types.lock);
    qsort(all, n, sizeof(*all), class_cmp);
    for (size_t i = 0; i < n; i++) {
        fn(all[i], opaque);
    }
    free(all);
}

static void print_type(DeviceClass *dc, void *opaque)
{
    FILE *f = opaque;

    if (dc->abstract || dc->no_user) {
        return;
    }
    fprintf(f, "name \"%s\"", dc->name);
    if (dc->bus_type) {
        fprintf(f, ", bus %s", dc->bus_type);
    }
    if (dc->hotpluggable) {
        fprintf(f, ", hotpluggable");
    }
    if (dc->desc) {
        fprintf(f, ", desc \"%s\"", dc->desc);
    }
    fputc('\n', f);
}

void device_print_types(FILE *f)
{
    device_type_foreach(print_type, f);
}

/* ------------------------------------------------------------------ */
/* Instances */

static unsigned long device_serial;   /* atomic; next anonymous number */
static bool hotplug_phase;            /* BQL */

static void device_finalize(Object *obj);

static void instance_init_chain(DeviceClass *dc, Device *dev)
{
    if (dc->parent) {
        instance_init_chain(dc->parent, dev);
    }
    if (dc->info->instance_init) {
        dc->info->instance_init(dev);
    }
}

static DeviceClass *instantiable_class(const char *type_name, Error **errp)
{
    DeviceClass *dc = device_find_type(type_name);

    if (!dc) {
        error_setg(errp, "'%s' is not a valid device model name",
                   type_name);
        return NULL;
    }
    if (dc->abstract) {
        error_setg(errp, "Device type '%s' is abstract", type_name);
        return NULL;
    }
    return dc;
}

Device *device_new(const char *type_name, Error **errp)
{
    DeviceClass *dc = instantiable_class(type_name, errp);
    Device *dev;

    if (!dc) {
        return NULL;
    }
    dev = xmalloc0(dc->instance_size);
    object_init(&dev->obj, dc->name, device_finalize);
    dev->klass = dc;
    dev->serial = atomic_fetch_inc(&device_serial);
    dev->state = DEVICE_CREATED;
    dev->bus_addr = BUS_ADDR_AUTO;
    TAILQ_INIT(&dev->child_buses);
    device_props_init(dev);
    instance_init_chain(dc, dev);
    return dev;
}

bool device_is_a(const Device *dev, const char *type_name)
{
    return device_class_is_a(dev->klass, type_name);
}

const char *device_type_name(const Device *dev)
{
    return dev->klass->name;
}

DeviceLifeState device_state(const Device *dev)
{
    return atomic_load_acquire(&dev->state);
}

const char *device_state_name(DeviceLifeState state)
{
    static const char *const names[] = {
        [DEVICE_CREATED] = "created",
        [DEVICE_REALIZED] = "realized",
        [DEVICE_UNPLUG_PENDING] = "unplug-pending",
        [DEVICE_ISOLATED] = "isolated",
        [DEVICE_DRAINING] = "draining",
        [DEVICE_DRAINED] = "drained",
        [DEVICE_UNPLUGGED] = "unplugged",
    };

    return state < ARRAY_SIZE(names) ? names[state] : "?";
}

void device_bad_step(const Device *dev, const char *step)
{
    error_report("device '%s': %s in state %s",
                 dev->id ? dev->id : dev->klass->name, step,
                 device_state_name(device_state(dev)));
    abort();
}

void device_set_state(Device *dev, DeviceLifeState from, DeviceLifeState to)
{
    assert(bql_locked());
    if (device_state(dev) != from) {
        char *step = xasprintf("lifecycle step %s -> %s",
                               device_state_name(from),
                               device_state_name(to));

        device_bad_step(dev, step);
    }
    atomic_store_release(&dev->state, to);
}

void device_set_hotplug_phase(bool on)
{
    assert(bql_locked());
    hotplug_phase = on;
}

/* ------------------------------------------------------------------ */
/* Ids.  The list holds every device with a registered id, from realize
 * to finalize; it holds no reference (finalize takes them off). */

static TAILQ_HEAD(, Device) id_list = TAILQ_HEAD_INITIALIZER(id_list);

static bool id_valid(const char *id)
{
    if (!isalpha((unsigned char)*id)) {
        return false;
    }
    for (; *id; id++) {
        if (!isalnum((unsigned char)*id) && !strchr("-._", *id)) {
            return false;
        }
    }
    return true;
}

Device *device_find_by_id(const char *id)
{
    Device *dev;

    assert(bql_locked());
    TAILQ_FOREACH(dev, &id_list, id_link) {
        if (!strcmp(dev->id, id)) {
            return dev;
        }
    }
    return NULL;
}

bool device_set_id(Device *dev, const char *id, Error **errp)
{
    assert(bql_locked());
    if (device_state(dev) != DEVICE_CREATED) {
        error_setg(errp, "Can't set the id of device '%s': it is "
                   "already realized", dev->id ? dev->id : dev->klass->name);
        return false;
    }
    if (!id_valid(id)) {
        error_setg(errp, "Invalid device id '%s': it must start with a "
                   "letter and contain only letters, digits, '-', '.' "
                   "and '_'", id);
        return false;
    }
    if (device_find_by_id(id)) {
        error_setg(errp, "Duplicate device id '%s'", id);
        return false;
    }
    free(dev->id);
    dev->id = xstrdup(id);
    return true;
}

static void id_register(Device *dev)
{
    TAILQ_INSERT_TAIL(&id_list, dev, id_link);
    dev->id_registered = true;
}

static void id_unregister(Device *dev)
{
    TAILQ_REMOVE(&id_list, dev, id_link);
    dev->id_registered = false;
}

char *device_path(const Device *dev)
{
    if (dev->id) {
        return xasprintf("/machine/peripheral/%s", dev->id);
    }
    return xasprintf("/machine/peripheral-anon/device[%lu]", dev->serial);
}

/* ------------------------------------------------------------------ */
/* Realize */

static bool realize_check(Device *dev, Bus *bus, Error **errp)
{
    DeviceClass *dc = dev->klass;
    const char *name = dev->id ? dev->id : dc->name;

    if (device_state(dev) != DEVICE_CREATED) {
        error_setg(errp, "Device '%s' can't be realized: it is %s", name,
                   device_state_name(device_state(dev)));
        return false;
    }
    if (dc->bus_type && strcmp(dc->bus_type, bus->info->type)) {
        error_setg(errp, "Device '%s' needs a '%s' bus, not bus '%s' of "
                   "type '%s'", name, dc->bus_type, bus->name,
                   bus->info->type);
        return false;
    }
    if (bus->parent && !bus->parent->realizing &&
        device_state(bus->parent) != DEVICE_REALIZED) {
        error_setg(errp, "Bus '%s' is not available: its device is %s",
                   bus->name, device_state_name(device_state(bus->parent)));
        return false;
    }
    if (hotplug_phase && !dc->hotpluggable) {
        error_setg(errp, "Device '%s' does not support hot-plugging",
                   name);
        return false;
    }
    if (hotplug_phase && !bus->info->hotpluggable) {
        error_setg(errp, "Bus '%s' does not support hot-plugging",
                   bus->name);
        return false;
    }
    if (dev->id && device_find_by_id(dev->id)) {
        error_setg(errp, "Duplicate device id '%s'", dev->id);
        return false;
    }
    return true;
}

/* Undoes what device_realize did before calling dc->realize. */
static void realize_unwind(Device *dev, Bus *bus, int64_t saved_addr)
{
    if (dev->id_registered) {
        id_unregister(dev);
    }
    bus_remove_child(bus, dev);
    dev->parent_bus = NULL;
    dev->bus_addr = saved_addr;
}

static bool call_realize(Device *dev, Error **errp)
{
    DeviceClass *dc = dev->klass;
    Error *local = NULL;
    bool ok;

    if (!dc->realize) {
        return true;
    }
    dev->realizing = true;
    ok = dc->realize(dev, &local);
    dev->realizing = false;
    if (!ok && !local) {
        error_setg(&local, "Device '%s' failed to realize", dc->name);
    }
    assert(ok || !device_has_children(dev));
    error_propagate(errp, local);
    return ok;
}

bool device_realize(Device *dev, Bus *bus, Error **errp)
{
    int64_t saved_addr = dev->bus_addr;

    assert(bql_locked());
    assert(bus);
    if (!realize_check(dev, bus, errp) || !bus_assign_addr(bus, dev, errp)) {
        return false;
    }
    if (bus->info->pre_plug && !bus->info->pre_plug(bus, dev, errp)) {
        dev->bus_addr = saved_addr;
        return false;
    }
    dev->parent_bus = bus;
    bus_insert_child(bus, dev);
    if (dev->id) {
        id_register(dev);
    }
    device_name_child_buses(dev);
    if (!call_realize(dev, errp)) {
        realize_unwind(dev, bus, saved_addr);
        return false;
    }
    device_ref(dev);            /* owned by the bus until unplug step 5 */
    dev->was_realized = true;
    device_set_state(dev, DEVICE_CREATED, DEVICE_REALIZED);
    if (bus->info->plug) {
        bus->info->plug(bus, dev);
    }
    return true;
}

bool device_realize_and_unref(Device *dev, Bus *bus, Error **errp)
{
    bool ok = device_realize(dev, bus, errp);

    device_unref(dev);          /* the caller's reference */
    return ok;
}

/* ------------------------------------------------------------------ */
/* -device / device_add */

static bool opts_check(const KeyVal *kv, DeviceClass **pdc, Error **errp)
{
    const char *driver = keyval_get(kv, "driver");

    if (!driver) {
        error_setg(errp, "Parameter 'driver' is missing");
        return false;
    }
    for (size_t i = 0; i < kv->count; i++) {
        if (keyval_count(kv, kv->pairs[i].key) > 1) {
            error_setg(errp, "Parameter '%s' is given more than once",
                       kv->pairs[i].key);
            return false;
        }
    }
    if (keyval_get(kv, "help")) {
        error_setg(errp, "Parameter 'help' is only valid alone: use "
                   "'-device %s,help'", driver);
        return false;
    }
    *pdc = instantiable_class(driver, errp);
    if (*pdc && (*pdc)->no_user) {
        error_setg(errp, "Device '%s' can't be created with -device or "
                   "device_add", driver);
        return false;
    }
    return *pdc != NULL;
}

static bool opts_apply(Device *dev, const KeyVal *kv, Error **errp)
{
    for (size_t i = 0; i < kv->count; i++) {
        const char *key = kv->pairs[i].key, *value = kv->pairs[i].value;

        if (!strcmp(key, "driver")) {
            continue;
        } else if (!strcmp(key, "id")) {
            if (!device_set_id(dev, value, errp)) {
                return false;
            }
        } else if (!strcmp(key, "bus")) {
            free(dev->bus_name);
            dev->bus_name = xstrdup(value);
        } else if (!device_set_prop_str(dev, key, value, errp)) {
            return false;
        }
    }
    return true;
}

Device *device_new_from_opts(const char *opts, Error **errp)
{
    DeviceClass *dc = NULL;
    Device *dev = NULL;
    KeyVal *kv;

    assert(bql_locked());
    kv = keyval_parse(opts, "driver", errp);
    if (kv && opts_check(kv, &dc, errp)) {
        dev = device_new(dc->name, errp);
        if (dev && !opts_apply(dev, kv, errp)) {
            device_unref(dev);  /* ours; never realized, so no event */
            dev = NULL;
        }
    }
    keyval_free(kv);
    return dev;
}

bool device_opts_help(const char *opts, FILE *f, Error **errp)
{
    KeyVal *kv = keyval_parse(opts, "driver", NULL);
    const char *driver;
    bool help = false;

    if (!kv) {
        return false;
    }
    driver = keyval_get(kv, "driver");
    if (driver && !strcmp(driver, "help") && kv->count == 1) {
        device_print_types(f);
        help = true;
    } else if (driver && keyval_get(kv, "help")) {
        device_print_type_props(f, driver, errp);
        help = true;
    }
    keyval_free(kv);
    return help;
}

static Bus *opts_bus(Device *dev, Error **errp)
{
    const char *bus_type = dev->klass->bus_type;
    Bus *bus;

    if (dev->bus_name) {
        bus = bus_find(dev->bus_name);
        if (!bus) {
            error_setg(errp, "Bus '%s' not found", dev->bus_name);
        }
        return bus;
    }
    if (!bus_type) {
        error_setg(errp, "Device '%s' needs bus=", dev->klass->name);
        return NULL;
    }
    bus = bus_find_free(bus_type);
    if (!bus) {
        error_setg(errp, "No free '%s' bus for device '%s'", bus_type,
                   dev->klass->name);
    }
    return bus;
}

Device *device_add(const char *opts, Error **errp)
{
    Device *dev = device_new_from_opts(opts, errp);
    Bus *bus;

    if (!dev) {
        return NULL;
    }
    bus = opts_bus(dev, errp);
    if (!bus) {
        device_unref(dev);      /* ours; never realized */
        return NULL;
    }
    if (!device_realize_and_unref(dev, bus, errp)) {
        return NULL;
    }
    return dev;                 /* borrowed: the bus holds it */
}

/* ------------------------------------------------------------------ */
/* Finalize: runs in the object finalize context, after the last
 * reference and a grace period.  Takes the BQL (the context may be the
 * RCU reclaim thread or a main-loop callback without it). */

static void instance_finalize_chain(Device *dev)
{
    for (DeviceClass *dc = dev->klass; dc; dc = dc->parent) {
        if (dc->info->instance_finalize) {
            dc->info->instance_finalize(dev);
        }
    }
}

static void device_finalize(Object *obj)
{
    Device *dev = OBJECT_DEVICE(obj);
    bool took_bql = !bql_locked();
    DeviceDeletedEvent ev = { 0 };
    Device *owner = dev->owner_ref;
    char *id, *path = NULL;
    bool notify;

    if (took_bql) {
        bql_lock();
    }
    assert(device_state(dev) == DEVICE_CREATED ||
           device_state(dev) == DEVICE_UNPLUGGED);
    assert(!dev->parent_bus);
    instance_finalize_chain(dev);
    device_irqs_release(dev);
    device_props_release(dev);
    device_free_child_buses(dev);
    notify = dev->was_realized;
    if (notify) {
        path = device_path(dev);
    }
    if (dev->id_registered) {
        id_unregister(dev);     /* the id is free again from here */
    }
    id = dev->id;
    free(dev->bus_name);
    free(dev);
    if (notify) {
        ev.id = id;
        ev.path = path;
        device_emit_deleted(&ev);
    }
    free(id);
    free(path);
    /* From unplug step 5: the owner's finalize and event come after. */
    device_unref(owner);
    if (took_bql) {
        bql_unlock();
    }
}
