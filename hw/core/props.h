/* Device properties: a static table per type, typed, with defaults, set
 * from strings before realize.
 *
 *   typedef struct MyDev { Device parent; uint32_t depth; char *label; } MyDev;
 *   static const Property mydev_props[] = {
 *       DEFINE_PROP_UINT32("depth", MyDev, depth, 16),
 *       DEFINE_PROP_STRING("label", MyDev, label, NULL),
 *       PROP_END
 *   };
 *
 * The DEFINE_PROP_* macros check at compile time that the field has the
 * C type the property kind stores.  All setters and getters run under the
 * BQL.  Errors name the type and property: "Property 'mydev.depth' ...".
 */
#ifndef HW_CORE_PROPS_H
#define HW_CORE_PROPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/core/device.h"
#include "util/error.h"

typedef struct PropertyInfo PropertyInfo;

/* How one kind of property is parsed, printed, defaulted and released.
 * field points into the device at prop->offset.  Devices may define
 * their own kinds (PCI addresses, MAC addresses). */
struct PropertyInfo {
    const char *type_name;       /* shown by -device NAME,help */
    bool (*parse)(Device *dev, const Property *prop, void *field,
                  const char *str, Error **errp);
    char *(*print)(Device *dev, const Property *prop, const void *field);
    void (*set_default)(Device *dev, const Property *prop, void *field);
    /* At finalize (strings, references); NULL: nothing to release. */
    void (*release)(Device *dev, const Property *prop, void *field);
};

struct Property {
    const char *name;
    const PropertyInfo *info;
    size_t offset;
    union {
        uint64_t u;
        int64_t i;
        const char *s;
    } def;
    const char *const *enum_names; /* PROP_ENUM: NULL-terminated */
    const char *link_type;         /* link: required target type, or NULL */
    const char *desc;
};

extern const PropertyInfo prop_info_bool, prop_info_uint8, prop_info_uint16,
    prop_info_uint32, prop_info_uint64, prop_info_int32, prop_info_int64,
    prop_info_size, prop_info_string, prop_info_enum, prop_info_link,
    prop_info_bus_addr;

/* Offset of field in st, failing to compile unless it has type ctype. */
#define PROP_OFFSET(ctype, st, field)                                      \
    (offsetof(st, field) + 0 * sizeof(struct {                             \
        _Static_assert(__builtin_types_compatible_p(                       \
            ctype, __typeof__(((st *)0)->field)),                          \
            "property field " #field " is not " #ctype);                   \
        int dummy_;                                                        \
    }))

#define DEFINE_PROP_BOOL(n, st, f, d)                                      \
    { .name = (n), .info = &prop_info_bool,                                \
      .offset = PROP_OFFSET(bool, st, f), .def.u = (d) }
#define DEFINE_PROP_UINT8(n, st, f, d)                                     \
    { .name = (n), .info = &prop_info_uint8,                               \
      .offset = PROP_OFFSET(uint8_t, st, f), .def.u = (d) }
#define DEFINE_PROP_UINT16(n, st, f, d)                                    \
    { .name = (n), .info = &prop_info_uint16,                              \
      .offset = PROP_OFFSET(uint16_t, st, f), .def.u = (d) }
#define DEFINE_PROP_UINT32(n, st, f, d)                                    \
    { .name = (n), .info = &prop_info_uint32,                              \
      .offset = PROP_OFFSET(uint32_t, st, f), .def.u = (d) }
#define DEFINE_PROP_UINT64(n, st, f, d)                                    \
    { .name = (n), .info = &prop_info_uint64,                              \
      .offset = PROP_OFFSET(uint64_t, st, f), .def.u = (d) }
#define DEFINE_PROP_INT32(n, st, f, d)                                     \
    { .name = (n), .info = &prop_info_int32,                               \
      .offset = PROP_OFFSET(int32_t, st, f), .def.i = (d) }
#define DEFINE_PROP_INT64(n, st, f, d)                                     \
    { .name = (n), .info = &prop_info_int64,                               \
      .offset = PROP_OFFSET(int64_t, st, f), .def.i = (d) }
/* A byte count: "4096", "512M", "1.5G" (util/keyval.h parse_size). */
#define DEFINE_PROP_SIZE(n, st, f, d)                                      \
    { .name = (n), .info = &prop_info_size,                                \
      .offset = PROP_OFFSET(uint64_t, st, f), .def.u = (d) }
/* A malloc'd copy, freed at finalize; NULL when unset. */
#define DEFINE_PROP_STRING(n, st, f, d)                                    \
    { .name = (n), .info = &prop_info_string,                              \
      .offset = PROP_OFFSET(char *, st, f), .def.s = (d) }
/* An int holding the index of one of names[]. */
#define DEFINE_PROP_ENUM(n, st, f, d, names)                               \
    { .name = (n), .info = &prop_info_enum,                                \
      .offset = PROP_OFFSET(int, st, f), .def.i = (d),                     \
      .enum_names = (names) }
/* Another realized device, named by its id, optionally of a given type.
 * The linking device holds a reference on the target until it is
 * finalized or the link is set again. */
#define DEFINE_PROP_LINK(n, st, f, type)                                   \
    { .name = (n), .info = &prop_info_link,                                \
      .offset = PROP_OFFSET(Device *, st, f), .link_type = (type) }
/* The device's address on its bus (Device.bus_addr): an integer or
 * "auto".  Any device type may expose it under the name it likes. */
#define DEFINE_PROP_BUS_ADDR(n)                                            \
    { .name = (n), .info = &prop_info_bus_addr,                            \
      .offset = offsetof(Device, bus_addr), .def.i = BUS_ADDR_AUTO }
#define PROP_END { .name = NULL }

/* The property of dev's class called name, or NULL. */
const Property *device_find_prop(const Device *dev, const char *name);
/* Fails on an unknown name, a bad or out-of-range value, or a device
 * that is already realized.  BQL. */
bool device_set_prop_str(Device *dev, const char *name, const char *value,
                         Error **errp);
/* The value as a malloc'd string (the form the parser accepts), or NULL
 * with *errp set for an unknown name.  BQL. */
char *device_get_prop_str(Device *dev, const char *name, Error **errp);

#endif
