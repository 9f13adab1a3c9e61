/* Private to hw/pci/: what pci.c and msi.c share. */
#ifndef HW_PCI_PCI_INTERNAL_H
#define HW_PCI_PCI_INTERNAL_H

#include <stddef.h>

#include "hw/pci/pci.h"
#include "util/compiler.h"

/* calloc that aborts on failure. */
void *pci_xzalloc(size_t size);
/* One guest-error log line naming the device. */
void pci_log(PCIDevice *d, const char *fmt, ...) WEFT_PRINTF(2, 3);

/* Config-space writes touched the MSI / MSI-X capability (pci.c calls
 * these after every write that may have changed enables or masks). */
void msi_config_changed(PCIDevice *d);
void msix_config_changed(PCIDevice *d);
/* Device reset: MSI-X pending bits and table back to reset values. */
void msix_reset(PCIDevice *d);

#endif
