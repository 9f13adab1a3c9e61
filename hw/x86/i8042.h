/* Just enough of the i8042 keyboard controller for a PC guest to reboot:
 * command 0xfe (pulse the reset line) on port 0x64 asks for a machine
 * reset.  Status reads say "no data, input buffer empty"; data reads
 * return 0.  No keyboard, no mouse.
 *
 * Locking: lockless; the device has no state.
 */
#ifndef HW_X86_I8042_H
#define HW_X86_I8042_H

#include "memory/memory.h"

#define I8042_DATA_PORT     0x60
#define I8042_CMD_PORT      0x64
#define I8042_CMD_RESET     0xfe

typedef struct I8042State {
    MemoryRegion data;
    MemoryRegion cmd;
} I8042State;

/* BQL.  Maps both ports in io (the port I/O space).  Static device. */
void i8042_init(I8042State *s, MemoryRegion *io);

#endif
