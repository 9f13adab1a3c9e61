/*
 * What every host bridge of hw/pci shares (private to hw/pci): the PCI
 * memory and I/O spaces, the root bus `pcie.0` with the host bridge
 * function at 00.0, the windows that show those spaces to the CPU, the
 * INTx output lines, and the host's place in `query-pci`.  A host
 * (pci-host-ecam.c, pci-host-pio.c) embeds a PCIHostRoot and adds its
 * own way to config space.
 */
#ifndef HW_PCI_PCI_HOST_COMMON_H
#define HW_PCI_PCI_HOST_COMMON_H

#include <stdbool.h>

#include "hw/core/device.h"
#include "hw/pci/pci.h"
#include "memory/memory.h"
#include "util/error.h"

#define TYPE_PCIE_HOST_BRIDGE "pcie-host-bridge"
#define PCI_HOST_ROOT_BUS "pcie.0"

typedef struct PCIHostRoot {
    PCIHost host;                       /* host.opaque: the host Device */
    PCIBus root;
    MemoryRegion pci_mem, pci_io;       /* the PCI address spaces */
    MemoryRegion mmio_win, mmio64_win, pio_win;
    bool realized;                      /* pci_mem and pci_io exist */
} PCIHostRoot;

/* Where the windows appear.  Memory windows are 1:1: CPU address =
 * PCI memory address. */
typedef struct PCIHostWindows {
    MemoryRegion *mem_space;
    hwaddr mmio_base, mmio_size;        /* 32-bit window */
    hwaddr mmio64_base, mmio64_size;    /* 0 size: none */
    /* PCI I/O ports [pio_offset, pio_offset + pio_size) at pio_base of
     * io_space, with priority pio_priority there.  0 size: none. */
    MemoryRegion *io_space;
    hwaddr pio_base, pio_offset, pio_size;
    int pio_priority;
} PCIHostWindows;

/* instance_init of the host device dev: the PCIHost and the INTA-D
 * output lines (device_irq_out(dev, 0..3)). */
void pci_host_root_init(PCIHostRoot *r, Device *dev);

/* realize: the address spaces, the root bus and the host bridge
 * function; dma_root is what bus masters reach.  BQL. */
bool pci_host_root_realize(PCIHostRoot *r, Device *dev,
                           MemoryRegion *dma_root, Error **errp);

/* End of realize: maps the windows (aliases of the host's own regions;
 * the spaces, which are static, hold the host while they are mapped). */
void pci_host_root_map_windows(PCIHostRoot *r, Device *dev,
                               const PCIHostWindows *w);

/* instance_finalize.  Hosts are never unplugged: a finalize only
 * follows a failed realize, which mapped nothing. */
void pci_host_root_finalize(PCIHostRoot *r);

/* After a successful realize: `query-pci` lists the host's functions.
 * BQL. */
void pci_host_root_register_query(PCIHostRoot *r);

#endif
