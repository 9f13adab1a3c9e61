/* The generic ECAM PCI Express host bridge (Linux's
 * "pci-host-ecam-generic", QEMU's gpex): configuration space through
 * ECAM (PCIe base 4.0 §7.2.2: bus << 20 | devfn << 12 | register), a
 * 32-bit and an optional 64-bit memory window and an I/O window aliased
 * 1:1 from the PCI spaces into system memory (CPU address = PCI address
 * for memory, I/O port 0 at pio_base), INTA-D on four output lines, and
 * the root bus "pcie.0" with the host bridge function at 00.0.
 *
 * Locking: the ECAM region runs under the BQL (pci.h rules).
 */
#ifndef HW_PCI_PCI_HOST_ECAM_H
#define HW_PCI_PCI_HOST_ECAM_H

#include "hw/core/device.h"
#include "hw/core/irq.h"
#include "hw/pci/pci.h"
#include "memory/memory.h"
#include "util/error.h"

#define TYPE_PCI_HOST_ECAM "pci-host-ecam-generic"
/* 1 MiB of ECAM per bus. */
#define PCI_ECAM_BUS_SHIFT 20

typedef struct PCIHostEcamConfig {
    MemoryRegion *sysmem;       /* where the windows appear */
    MemoryRegion *dma_root;     /* what bus masters reach */
    hwaddr ecam_base, ecam_size;        /* size: a multiple of 1 MiB */
    hwaddr mmio_base, mmio_size;        /* 32-bit window */
    hwaddr mmio64_base, mmio64_size;    /* 0 size: none */
    hwaddr pio_base, pio_size;          /* at most 64 KiB */
    IrqLine *irq[PCI_NUM_PINS];         /* INTA..INTD lines, may be NULL */
} PCIHostEcamConfig;

typedef struct PCIHostEcam PCIHostEcam;

/* BQL.  Creates and realizes the host on parent_bus (the machine's
 * system bus) with its root bus and host bridge function.  Returns it
 * borrowed (parent_bus holds it), or NULL with *errp. */
PCIHostEcam *pci_host_ecam_create(Bus *parent_bus,
                                  const PCIHostEcamConfig *cfg,
                                  Error **errp);
PCIBus *pci_host_ecam_root_bus(PCIHostEcam *h);
/* Machine reset: every device below, bridges and their buses (BQL). */
void pci_host_ecam_reset(PCIHostEcam *h);

#endif
