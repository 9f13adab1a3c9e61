/* Interrupt lines.
 *
 * An input line belongs to the sink (an interrupt controller, a CPU pin)
 * and carries its handler.  An output line belongs to the source device
 * and forwards every level change to the input it is connected to, or
 * drops it while unconnected.  Devices usually get both kinds as arrays
 * with device_init_irqs_in()/device_init_irqs_out().
 *
 * Threads: irq_set_level() and friends may be called from any thread
 * (a vCPU in an MMIO handler, an iothread completing I/O).  The sink's
 * handler runs synchronously in that thread, with whatever locks the
 * caller holds, and must guard its own state (its own lock or atomics;
 * it may not take the BQL, which the caller may or may not hold).  The
 * core adds no lock and no filtering: every call reaches the handler,
 * in the order each thread made them.
 *
 * Connections are machine-level (BQL).  A connected output holds a
 * reference on the input's owner (the sink device), so the sink outlives
 * every source wired to it; a line wired to another line of the same
 * owner holds none.  The source drops it at irq_disconnect() or when it
 * is finalized.  A thread may raise a line while it is being disconnected
 * only if it is an online RCU reader or holds a reference on the source:
 * the sink is finalized after a grace period, never under it.
 */
#ifndef HW_CORE_IRQ_H
#define HW_CORE_IRQ_H

#include <stdbool.h>
#include "hw/core/device.h"

typedef void IrqHandler(void *opaque, int n, int level);

struct IrqLine {
    IrqHandler *handler;         /* input lines only */
    void *opaque;
    int n;                       /* passed to the handler */
    Object *owner;               /* device owning the line, or NULL */
    IrqLine *peer;               /* output lines: the input (atomic) */
};

/* Lines embedded in a structure the caller owns.  owner may be NULL for
 * lines with static lifetime (a CPU's pins are owned by the CPU). */
void irq_init_in(IrqLine *line, IrqHandler *handler, void *opaque, int n,
                 Object *owner);
void irq_init_out(IrqLine *line, Object *owner);

/* Any thread.  NULL and unconnected lines are accepted and ignored. */
void irq_set_level(IrqLine *line, int level);
static inline void irq_raise(IrqLine *line)
{
    irq_set_level(line, 1);
}
static inline void irq_lower(IrqLine *line)
{
    irq_set_level(line, 0);
}
static inline void irq_pulse(IrqLine *line)
{
    irq_set_level(line, 1);
    irq_set_level(line, 0);
}

/* Wires an unconnected output to an input.  BQL. */
void irq_connect(IrqLine *out, IrqLine *in);
/* Unwires it (no-op if unconnected).  BQL. */
void irq_disconnect(IrqLine *out);
bool irq_is_connected(const IrqLine *out);

/* Arrays owned by dev, freed (outputs disconnected) when it is finalized.
 * Each may be called once per device, usually in instance_init.  Input n
 * calls handler(dev, n, level). */
IrqLine *device_init_irqs_in(Device *dev, IrqHandler *handler, unsigned n);
IrqLine *device_init_irqs_out(Device *dev, unsigned n);
IrqLine *device_irq_in(Device *dev, unsigned n);
IrqLine *device_irq_out(Device *dev, unsigned n);
/* irq_connect(device_irq_out(src, out_n), device_irq_in(sink, in_n)). */
void device_connect_irq(Device *src, unsigned out_n, Device *sink,
                        unsigned in_n);

#endif
