/* Property kinds, defaults, string setters/getters, help.  BQL for all
 * access to a device's properties (they are configuration, written once
 * before realize). */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hw/core/device-internal.h"
#include "hw/core/props.h"
#include "system/bql.h"
#include "util/keyval.h"

#define FIELD(type, field) (*(type *)(field))
#define CFIELD(type, field) (*(const type *)(field))

/* "Property 'TYPE.NAME' " is the start of every message about a value. */
static void prop_error(Error **errp, const Device *dev, const Property *prop,
                       const char *detail)
{
    error_setg(errp, "Property '%s.%s' %s", dev->klass->name, prop->name,
               detail);
}

/* Wraps a parse_* error into one naming the property. */
static void prop_error_from(Error **errp, const Device *dev,
                            const Property *prop, Error *err)
{
    char *msg = xasprintf("doesn't take value: %s", error_get_pretty(err));

    prop_error(errp, dev, prop, msg);
    free(msg);
    error_free(err);
}

/* ---- unsigned integers of every width */

static bool parse_unsigned(Device *dev, const Property *prop,
                           const char *str, uint64_t max, uint64_t *out,
                           Error **errp)
{
    Error *err = NULL;

    if (!parse_uint64(str, out, &err)) {
        prop_error_from(errp, dev, prop, err);
        return false;
    }
    if (*out > max) {
        char *msg = xasprintf("value '%s' is out of range (0 to %" PRIu64
                              ")", str, max);

        prop_error(errp, dev, prop, msg);
        free(msg);
        return false;
    }
    return true;
}

#define UINT_KIND(bits)                                                     \
static bool parse_u##bits(Device *dev, const Property *prop, void *field,  \
                          const char *str, Error **errp)                   \
{                                                                           \
    uint64_t v;                                                             \
                                                                            \
    if (!parse_unsigned(dev, prop, str, UINT##bits##_MAX, &v, errp)) {     \
        return false;                                                       \
    }                                                                       \
    FIELD(uint##bits##_t, field) = v;                                       \
    return true;                                                            \
}                                                                           \
static char *print_u##bits(Device *dev, const Property *prop,              \
                           const void *field)                               \
{                                                                           \
    return xasprintf("%" PRIu64, (uint64_t)CFIELD(uint##bits##_t, field));  \
}                                                                           \
static void default_u##bits(Device *dev, const Property *prop, void *field) \
{                                                                           \
    assert(prop->def.u <= UINT##bits##_MAX);                                \
    FIELD(uint##bits##_t, field) = prop->def.u;                             \
}                                                                           \
const PropertyInfo prop_info_uint##bits = {                                 \
    .type_name = "uint" #bits,                                              \
    .parse = parse_u##bits,                                                 \
    .print = print_u##bits,                                                 \
    .set_default = default_u##bits,                                         \
};

UINT_KIND(8)
UINT_KIND(16)
UINT_KIND(32)
UINT_KIND(64)

/* ---- signed integers */

static bool parse_signed(Device *dev, const Property *prop, const char *str,
                         int64_t min, int64_t max, int64_t *out, Error **errp)
{
    Error *err = NULL;

    if (!parse_int64(str, out, &err)) {
        prop_error_from(errp, dev, prop, err);
        return false;
    }
    if (*out < min || *out > max) {
        char *msg = xasprintf("value '%s' is out of range (%" PRId64 " to %"
                              PRId64 ")", str, min, max);

        prop_error(errp, dev, prop, msg);
        free(msg);
        return false;
    }
    return true;
}

#define INT_KIND(bits)                                                      \
static bool parse_i##bits(Device *dev, const Property *prop, void *field,  \
                          const char *str, Error **errp)                   \
{                                                                           \
    int64_t v;                                                              \
                                                                            \
    if (!parse_signed(dev, prop, str, INT##bits##_MIN, INT##bits##_MAX,     \
                      &v, errp)) {                                          \
        return false;                                                       \
    }                                                                       \
    FIELD(int##bits##_t, field) = v;                                        \
    return true;                                                            \
}                                                                           \
static char *print_i##bits(Device *dev, const Property *prop,              \
                           const void *field)                               \
{                                                                           \
    return xasprintf("%" PRId64, (int64_t)CFIELD(int##bits##_t, field));    \
}                                                                           \
static void default_i##bits(Device *dev, const Property *prop, void *field) \
{                                                                           \
    assert(prop->def.i >= INT##bits##_MIN && prop->def.i <= INT##bits##_MAX); \
    FIELD(int##bits##_t, field) = prop->def.i;                              \
}                                                                           \
const PropertyInfo prop_info_int##bits = {                                  \
    .type_name = "int" #bits,                                               \
    .parse = parse_i##bits,                                                 \
    .print = print_i##bits,                                                 \
    .set_default = default_i##bits,                                         \
};

INT_KIND(32)
INT_KIND(64)

/* ---- bool */

static bool parse_b(Device *dev, const Property *prop, void *field,
                    const char *str, Error **errp)
{
    Error *err = NULL;

    if (!parse_bool(str, &FIELD(bool, field), &err)) {
        prop_error_from(errp, dev, prop, err);
        return false;
    }
    return true;
}

static char *print_b(Device *dev, const Property *prop, const void *field)
{
    return xstrdup(CFIELD(bool, field) ? "on" : "off");
}

static void default_b(Device *dev, const Property *prop, void *field)
{
    FIELD(bool, field) = prop->def.u != 0;
}

const PropertyInfo prop_info_bool = {
    .type_name = "bool",
    .parse = parse_b,
    .print = print_b,
    .set_default = default_b,
};

/* ---- size */

static bool parse_sz(Device *dev, const Property *prop, void *field,
                     const char *str, Error **errp)
{
    Error *err = NULL;

    if (!parse_size(str, &FIELD(uint64_t, field), &err)) {
        prop_error_from(errp, dev, prop, err);
        return false;
    }
    return true;
}

const PropertyInfo prop_info_size = {
    .type_name = "size",
    .parse = parse_sz,
    .print = print_u64,
    .set_default = default_u64,
};

/* ---- string: the device owns a malloc'd copy */

static bool parse_str(Device *dev, const Property *prop, void *field,
                      const char *str, Error **errp)
{
    free(FIELD(char *, field));
    FIELD(char *, field) = xstrdup(str);
    return true;
}

static char *print_str(Device *dev, const Property *prop, const void *field)
{
    const char *s = CFIELD(char *, field);

    return s ? xasprintf("\"%s\"", s) : xstrdup("<null>");
}

static void default_str(Device *dev, const Property *prop, void *field)
{
    FIELD(char *, field) = xstrdup(prop->def.s);
}

static void release_str(Device *dev, const Property *prop, void *field)
{
    free(FIELD(char *, field));
    FIELD(char *, field) = NULL;
}

const PropertyInfo prop_info_string = {
    .type_name = "str",
    .parse = parse_str,
    .print = print_str,
    .set_default = default_str,
    .release = release_str,
};

/* ---- enum: an int indexing prop->enum_names */

static bool parse_enum(Device *dev, const Property *prop, void *field,
                       const char *str, Error **errp)
{
    const char *const *names = prop->enum_names;
    char *msg, *list = xstrdup("");

    for (int i = 0; names[i]; i++) {
        if (!strcmp(names[i], str)) {
            FIELD(int, field) = i;
            free(list);
            return true;
        }
    }
    for (int i = 0; names[i]; i++) {
        char *l = xasprintf("%s%s%s", list, i ? ", " : "", names[i]);

        free(list);
        list = l;
    }
    msg = xasprintf("doesn't take value '%s' (one of: %s)", str, list);
    prop_error(errp, dev, prop, msg);
    free(msg);
    free(list);
    return false;
}

static char *print_enum(Device *dev, const Property *prop, const void *field)
{
    return xstrdup(prop->enum_names[CFIELD(int, field)]);
}

static void default_enum(Device *dev, const Property *prop, void *field)
{
    FIELD(int, field) = prop->def.i;
}

const PropertyInfo prop_info_enum = {
    .type_name = "enum",
    .parse = parse_enum,
    .print = print_enum,
    .set_default = default_enum,
};

/* ---- link: a realized device named by id.  The linking device owns a
 * reference on the target until the link is replaced or it is
 * finalized. */

static bool parse_link(Device *dev, const Property *prop, void *field,
                       const char *str, Error **errp)
{
    Device *target = device_find_by_id(str);
    char *msg = NULL;

    if (!target) {
        msg = xasprintf("doesn't take value '%s': no device with that id",
                        str);
    } else if (device_state(target) != DEVICE_REALIZED) {
        msg = xasprintf("doesn't take value '%s': that device is %s", str,
                        device_state_name(device_state(target)));
    } else if (prop->link_type && !device_is_a(target, prop->link_type)) {
        msg = xasprintf("doesn't take value '%s': device of type '%s' is "
                        "not a '%s'", str, target->klass->name,
                        prop->link_type);
    } else if (target == dev) {
        msg = xasprintf("doesn't take value '%s': a device can't link to "
                        "itself", str);
    }
    if (msg) {
        prop_error(errp, dev, prop, msg);
        free(msg);
        return false;
    }
    device_unref(FIELD(Device *, field));   /* the replaced link's */
    FIELD(Device *, field) = device_ref(target);  /* owned by dev */
    return true;
}

static char *print_link(Device *dev, const Property *prop, const void *field)
{
    const Device *t = CFIELD(Device *, field);

    if (!t) {
        return xstrdup("<null>");
    }
    return t->id ? xasprintf("\"%s\"", t->id) : device_path(t);
}

static void default_link(Device *dev, const Property *prop, void *field)
{
    FIELD(Device *, field) = NULL;
}

static void release_link(Device *dev, const Property *prop, void *field)
{
    device_unref(FIELD(Device *, field));   /* dev's reference */
    FIELD(Device *, field) = NULL;
}

const PropertyInfo prop_info_link = {
    .type_name = "link",
    .parse = parse_link,
    .print = print_link,
    .set_default = default_link,
    .release = release_link,
};

/* ---- bus address: Device.bus_addr, an integer or "auto" */

static bool parse_addr(Device *dev, const Property *prop, void *field,
                       const char *str, Error **errp)
{
    int64_t v;

    if (!strcmp(str, "auto")) {
        FIELD(int64_t, field) = BUS_ADDR_AUTO;
        return true;
    }
    if (!parse_signed(dev, prop, str, 0, INT64_MAX, &v, errp)) {
        return false;
    }
    FIELD(int64_t, field) = v;
    return true;
}

static char *print_addr(Device *dev, const Property *prop, const void *field)
{
    int64_t v = CFIELD(int64_t, field);

    return v == BUS_ADDR_AUTO ? xstrdup("auto") : xasprintf("%" PRId64, v);
}

const PropertyInfo prop_info_bus_addr = {
    .type_name = "bus-addr",
    .parse = parse_addr,
    .print = print_addr,
    .set_default = default_i64,
};

/* ------------------------------------------------------------------ */

static void *prop_field(Device *dev, const Property *prop)
{
    return (char *)dev + prop->offset;
}

void device_props_init(Device *dev)
{
    DeviceClass *dc = dev->klass;

    for (unsigned i = 0; i < dc->num_props; i++) {
        const Property *p = dc->props[i];

        assert(p->offset < dc->instance_size);
        p->info->set_default(dev, p, prop_field(dev, p));
    }
}

void device_props_release(Device *dev)
{
    DeviceClass *dc = dev->klass;

    for (unsigned i = 0; i < dc->num_props; i++) {
        const Property *p = dc->props[i];

        if (p->info->release) {
            p->info->release(dev, p, prop_field(dev, p));
        }
    }
}

const Property *device_find_prop(const Device *dev, const char *name)
{
    DeviceClass *dc = dev->klass;

    for (unsigned i = 0; i < dc->num_props; i++) {
        if (!strcmp(dc->props[i]->name, name)) {
            return dc->props[i];
        }
    }
    return NULL;
}

bool device_set_prop_str(Device *dev, const char *name, const char *value,
                         Error **errp)
{
    const Property *prop = device_find_prop(dev, name);

    assert(bql_locked());
    if (!prop) {
        error_setg(errp, "Property '%s.%s' not found", dev->klass->name,
                   name);
        return false;
    }
    if (device_state(dev) != DEVICE_CREATED) {
        char *msg = xasprintf("can't be set: device '%s' is already "
                              "realized", dev->id ? dev->id :
                              dev->klass->name);

        prop_error(errp, dev, prop, msg);
        free(msg);
        return false;
    }
    return prop->info->parse(dev, prop, prop_field(dev, prop), value, errp);
}

char *device_get_prop_str(Device *dev, const char *name, Error **errp)
{
    const Property *prop = device_find_prop(dev, name);

    assert(bql_locked());
    if (!prop) {
        error_setg(errp, "Property '%s.%s' not found", dev->klass->name,
                   name);
        return NULL;
    }
    return prop->info->print(dev, prop, prop_field(dev, prop));
}

void device_print_props(Device *dev, FILE *f, int indent)
{
    DeviceClass *dc = dev->klass;

    for (unsigned i = 0; i < dc->num_props; i++) {
        const Property *p = dc->props[i];
        char *v = p->info->print(dev, p, prop_field(dev, p));

        fprintf(f, "%*s%s = %s\n", indent, "", p->name, v);
        free(v);
    }
}

/* The default as text: a throwaway zeroed instance would need a real
 * device, so print straight from the Property. */
static char *default_text(const Property *p)
{
    if (p->info == &prop_info_string) {
        return p->def.s ? xasprintf("\"%s\"", p->def.s) : NULL;
    }
    if (p->info == &prop_info_link) {
        return NULL;
    }
    if (p->info == &prop_info_bool) {
        return xstrdup(p->def.u ? "on" : "off");
    }
    if (p->info == &prop_info_enum) {
        return xstrdup(p->enum_names[p->def.i]);
    }
    if (p->info == &prop_info_bus_addr) {
        return xstrdup("auto");
    }
    if (p->info == &prop_info_int32 || p->info == &prop_info_int64) {
        return xasprintf("%" PRId64, p->def.i);
    }
    if (p->info->set_default == default_u64 || p->info == &prop_info_uint8 ||
        p->info == &prop_info_uint16 || p->info == &prop_info_uint32) {
        return xasprintf("%" PRIu64, p->def.u);
    }
    return NULL;                /* a device-defined kind */
}

bool device_print_type_props(FILE *f, const char *type_name, Error **errp)
{
    DeviceClass *dc = device_find_type(type_name);

    if (!dc) {
        error_setg(errp, "'%s' is not a valid device model name",
                   type_name);
        return false;
    }
    fprintf(f, "%s options:\n", dc->name);
    for (unsigned i = 0; i < dc->num_props; i++) {
        const Property *p = dc->props[i];
        char *def = default_text(p);

        fprintf(f, "  %s=<%s>", p->name, p->info->type_name);
        if (p->desc) {
            fprintf(f, " - %s", p->desc);
        }
        if (def) {
            fprintf(f, " (default: %s)", def);
        }
        fputc('\n', f);
        free(def);
    }
    if (!dc->num_props) {
        fprintf(f, "  (no properties)\n");
    }
    return true;
}
