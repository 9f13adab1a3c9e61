/* Private to hw/core: the glue between device.c, bus.c, props.c, irq.c
 * and unplug.c.  Nothing outside hw/core includes it. */
#ifndef HW_CORE_DEVICE_INTERNAL_H
#define HW_CORE_DEVICE_INTERNAL_H

#include "hw/core/device.h"

void *xmalloc0(size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) WEFT_PRINTF(1, 2);

/* State transitions, asserted: the device must be in from.  BQL. */
void device_set_state(Device *dev, DeviceLifeState from, DeviceLifeState to);
/* Reports a lifecycle step taken in the wrong state and aborts. */
void WEFT_NORETURN device_bad_step(const Device *dev, const char *step);

/* props.c */
void device_props_init(Device *dev);
void device_props_release(Device *dev);
void device_print_props(Device *dev, FILE *f, int indent);

/* irq.c: disconnects the outputs and frees both arrays. */
void device_irqs_release(Device *dev);

/* bus.c */
bool bus_assign_addr(Bus *bus, Device *dev, Error **errp);
void bus_insert_child(Bus *bus, Device *dev);
void bus_remove_child(Bus *bus, Device *dev);
bool device_has_children(const Device *dev);
/* Gives auto-named child buses their "<id>.<n>" names (at realize). */
void device_name_child_buses(Device *dev);
/* At finalize: the buses must be empty. */
void device_free_child_buses(Device *dev);

/* unplug.c: DEVICE_DELETED, BQL held. */
void device_emit_deleted(const DeviceDeletedEvent *ev);

#endif
