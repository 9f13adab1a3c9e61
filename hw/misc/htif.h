/* HTIF: the Berkeley host-target interface of Spike, as riscv-tests and
 * bare-metal programs use it.  Two 64-bit words in guest memory, tohost
 * and fromhost, found from the program's ELF symbols.  See
 * docs/spike.md for the protocol subset weft implements.
 */
#ifndef HW_MISC_HTIF_H
#define HW_MISC_HTIF_H

#include "memory/memory.h"
#include "util/error.h"

typedef struct HTIFState HTIFState;

/* BQL.  Maps an I/O region covering both words into sysmem (above RAM),
 * and uses `as` for the guest buffers syscalls point to.  The two words
 * must lie within one 4 KiB span.  The device is static: it lives as long
 * as the machine. */
HTIFState *htif_create(MemoryRegion *sysmem, AddressSpace *as,
                       hwaddr tohost, hwaddr fromhost, Error **errp);

#endif
