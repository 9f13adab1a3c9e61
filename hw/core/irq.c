/* Interrupt lines: see irq.h for the thread and reference rules. */
#include <assert.h>
#include <stdlib.h>

#include "hw/core/device-internal.h"
#include "hw/core/irq.h"
#include "system/bql.h"
#include "util/atomic.h"

void irq_init_in(IrqLine *line, IrqHandler *handler, void *opaque, int n,
                 Object *owner)
{
    assert(handler);
    line->handler = handler;
    line->opaque = opaque;
    line->n = n;
    line->owner = owner;
    line->peer = NULL;
}

void irq_init_out(IrqLine *line, Object *owner)
{
    line->handler = NULL;
    line->opaque = NULL;
    line->n = 0;
    line->owner = owner;
    line->peer = NULL;
}

void irq_set_level(IrqLine *line, int level)
{
    IrqLine *in;

    if (!line) {
        return;
    }
    if (line->handler) {
        line->handler(line->opaque, line->n, level);
        return;
    }
    /* Pairs with the release in irq_connect: the input is initialised. */
    in = atomic_load_acquire(&line->peer);
    if (in) {
        in->handler(in->opaque, in->n, level);
    }
}

/* The connection's reference on the sink, unless both ends belong to
 * the same owner (that would be a cycle keeping it alive forever). */
static bool connection_holds_ref(const IrqLine *out, const IrqLine *in)
{
    return in->owner && in->owner != out->owner;
}

void irq_connect(IrqLine *out, IrqLine *in)
{
    assert(bql_locked());
    assert(!out->handler && in->handler);
    assert(!atomic_read(&out->peer));
    if (connection_holds_ref(out, in)) {
        object_ref(in->owner);  /* owned by the connection on out */
    }
    atomic_store_release(&out->peer, in);
}

void irq_disconnect(IrqLine *out)
{
    IrqLine *in;

    assert(bql_locked());
    in = atomic_xchg(&out->peer, NULL);
    if (in && connection_holds_ref(out, in)) {
        object_unref(in->owner);  /* the connection's reference */
    }
}

bool irq_is_connected(const IrqLine *out)
{
    return atomic_load_acquire(&out->peer) != NULL;
}

/* ------------------------------------------------------------------ */

IrqLine *device_init_irqs_in(Device *dev, IrqHandler *handler, unsigned n)
{
    assert(!dev->irq_in && n > 0);
    dev->irq_in = xmalloc0(n * sizeof(*dev->irq_in));
    dev->num_irq_in = n;
    for (unsigned i = 0; i < n; i++) {
        irq_init_in(&dev->irq_in[i], handler, dev, i, &dev->obj);
    }
    return dev->irq_in;
}

IrqLine *device_init_irqs_out(Device *dev, unsigned n)
{
    assert(!dev->irq_out && n > 0);
    dev->irq_out = xmalloc0(n * sizeof(*dev->irq_out));
    dev->num_irq_out = n;
    for (unsigned i = 0; i < n; i++) {
        irq_init_out(&dev->irq_out[i], &dev->obj);
    }
    return dev->irq_out;
}

IrqLine *device_irq_in(Device *dev, unsigned n)
{
    assert(n < dev->num_irq_in);
    return &dev->irq_in[n];
}

IrqLine *device_irq_out(Device *dev, unsigned n)
{
    assert(n < dev->num_irq_out);
    return &dev->irq_out[n];
}

void device_connect_irq(Device *src, unsigned out_n, Device *sink,
                        unsigned in_n)
{
    irq_connect(device_irq_out(src, out_n), device_irq_in(sink, in_n));
}

/* At finalize (BQL held).  Nobody can be connected to our inputs: each
 * such connection would hold a reference on us. */
void device_irqs_release(Device *dev)
{
    for (unsigned i = 0; i < dev->num_irq_out; i++) {
        irq_disconnect(&dev->irq_out[i]);
    }
    free(dev->irq_out);
    free(dev->irq_in);
    dev->irq_out = dev->irq_in = NULL;
    dev->num_irq_out = dev->num_irq_in = 0;
}
