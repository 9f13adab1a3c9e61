/* A PCI Express host bridge reached through configuration mechanism #1
 * (PCI Local Bus 3.0 §3.2.2.3.2), the PC's: CONFIG_ADDRESS at I/O port
 * 0xcf8 (a 32-bit register: enable bit 31, bus 23:16, device 15:11,
 * function 10:8, register 7:2) and CONFIG_DATA at 0xcfc-0xcff, whose
 * byte lanes carry 1, 2 and 4 byte config accesses.  Around it: the
 * root bus "pcie.0" with the host bridge function at 00.0 (class 0600,
 * which Linux's type 1 sanity check looks for), memory windows aliased
 * 1:1 from the PCI memory space into system memory, an I/O window
 * aliased 1:1 into the port space below every other port, INTA-D on
 * four output lines (standard swizzle) and MSI messages to a board hook.
 *
 * Used by -M microvm (hw/x86/); docs/pci.md "The config-mechanism-#1
 * host".
 *
 * Locking: the two port regions run under the BQL, which also protects
 * CONFIG_ADDRESS (pci.h rules for the rest).
 */
#ifndef HW_PCI_PCI_HOST_PIO_H
#define HW_PCI_PCI_HOST_PIO_H

#include <stdint.h>

#include "hw/core/device.h"
#include "hw/core/irq.h"
#include "hw/pci/pci.h"
#include "memory/memory.h"
#include "util/error.h"

#define TYPE_PCI_HOST_PIO "pci-host-pio"

#define PCI_CONFIG_ADDRESS_PORT  0xcf8
#define PCI_CONFIG_DATA_PORT     0xcfc
#define PCI_CONFIG_ADDRESS_ENABLE 0x80000000u
/* The bits of CONFIG_ADDRESS that hold something: enable, bus, device,
 * function, dword register.  Reserved bits 30:24 and 1:0 read as 0. */
#define PCI_CONFIG_ADDRESS_MASK  0x80fffffcu

/* CONFIG_ADDRESS for (bus, devfn, reg), as a driver writes it. */
static inline uint32_t pci_config_address(unsigned bus, unsigned devfn,
                                          unsigned reg)
{
    return PCI_CONFIG_ADDRESS_ENABLE | (bus & 0xff) << 16 |
           (devfn & 0xff) << 8 | (reg & 0xfc);
}

typedef void PCIHostPioMsiFn(void *opaque, uint64_t addr, uint32_t data);

typedef struct PCIHostPioConfig {
    MemoryRegion *sysmem;       /* where the memory windows appear */
    MemoryRegion *io;           /* the port space: 0xcf8-0xcff, I/O window */
    MemoryRegion *dma_root;     /* what bus masters reach */
    hwaddr mmio_base, mmio_size;        /* 32-bit window */
    hwaddr mmio64_base, mmio64_size;    /* 0 size: none */
    /* Ports [pio_base, pio_base + pio_size) of the port space reach the
     * same PCI I/O ports, under every other region of io (priority -1),
     * so the board's fixed ports win. */
    hwaddr pio_base, pio_size;
    /* MSI / MSI-X messages, any thread, with the sender's msi_lock
     * held.  NULL: no MSI controller (the core drops and logs them). */
    PCIHostPioMsiFn *msi_notify;
    void *msi_opaque;
    IrqLine *irq[PCI_NUM_PINS];         /* INTA..INTD lines, may be NULL */
} PCIHostPioConfig;

typedef struct PCIHostPio PCIHostPio;

/* BQL.  Creates and realizes the host on parent_bus (the machine's
 * system bus) with its root bus, host bridge function, port registers
 * and windows.  Returns it borrowed (parent_bus holds it), or NULL with
 * *errp. */
PCIHostPio *pci_host_pio_create(Bus *parent_bus, const PCIHostPioConfig *cfg,
                                Error **errp);
PCIBus *pci_host_pio_root_bus(PCIHostPio *h);
/* Wires INTx line n (0: INTA) to line, for boards whose interrupt
 * controller comes after the devices.  BQL. */
void pci_host_pio_connect_irq(PCIHostPio *h, unsigned n, IrqLine *line);
/* Machine reset: CONFIG_ADDRESS, every device below (BQL). */
void pci_host_pio_reset(PCIHostPio *h);

#endif
