/* ns16550a UART, as Linux's 8250 driver and OpenSBI's uart8250 use it:
 * registers at byte stride 1 (reg-shift 0, reg-io-width 1), 16-byte
 * FIFOs, interrupts with the 8250 priority order, loopback.
 *
 * The region is lockless: vCPUs access it without the BQL while input
 * arrives from the main loop; the device guards itself with its own lock.
 */
#ifndef HW_CHAR_SERIAL_H
#define HW_CHAR_SERIAL_H

#include "hw/core/irq.h"
#include "memory/memory.h"
#include "system/chardev.h"
#include "util/error.h"

#define SERIAL_MM_SIZE 0x100
#define SERIAL_FIFO_SIZE 16

typedef struct SerialState SerialState;

/* BQL, after main_loop_init().  irq is the interrupt controller's input
 * (the PLIC source line); chr may be NULL (output discarded, no input).
 * Static device: lives with the machine. */
SerialState *serial_mm_create(MemoryRegion *sysmem, hwaddr base,
                              IrqLine *irq, Chardev *chr, Error **errp);
/* Machine reset: registers to their power-on values, FIFOs emptied,
 * interrupt line lowered.  Any thread. */
void serial_reset(SerialState *s);

#endif
