/* virtio over PCI, modern (virtio 1.2 §4.1): a PCI function (vendor
 * 0x1af4, device 0x1040 + virtio id, revision 1) that owns a one-slot
 * "virtio-bus" with its virtio device inside, as on QEMU.
 *
 * -device virtio-rng-pci (and one such type per virtio device, each a
 * line in the table of virtio-pci.c) creates the PCI function and its
 * virtio device together; the virtio device's own properties are given
 * to the PCI type and passed on (iothread=, ...).
 *
 * Layout: BAR 4 (64-bit prefetchable memory, 16 KiB) holds the common
 * configuration at 0x0000, the ISR at 0x1000, the device configuration
 * at 0x2000 (when the device has one) and the notifications at 0x3000
 * (queue n at 0x3000 + 4n: an ioeventfd each); BAR 1 (32-bit memory,
 * 4 KiB) holds the MSI-X table at 0 and the PBA at 0x800.  Capabilities:
 * the vendor-specific virtio ones (common, ISR, device, notify, PCI
 * config access), MSI-X, and PCI Express on an Express bus.
 *
 * Interrupts: INTA (through the host's interrupt-map) while MSI-X is
 * off; with MSI-X on, the configured vectors.
 *
 * Threads: the BAR regions are lockless, like virtio-mmio's: an access
 * takes the virtio device's lock.  The PCI side (config space, BAR
 * mapping) runs under the BQL.
 */
#ifndef HW_VIRTIO_VIRTIO_PCI_H
#define HW_VIRTIO_VIRTIO_PCI_H

#include "hw/pci/pci.h"
#include "hw/virtio/virtio.h"

#define TYPE_VIRTIO_PCI "virtio-pci"

#define VIRTIO_PCI_VENDOR_ID        0x1af4
#define VIRTIO_PCI_DEVICE_ID_BASE   0x1040      /* + virtio device id */
#define VIRTIO_PCI_SUBSYSTEM_ID     0x1100
#define VIRTIO_PCI_REVISION         1

/* virtio_pci_cap.cfg_type */
#define VIRTIO_PCI_CAP_COMMON_CFG   1
#define VIRTIO_PCI_CAP_NOTIFY_CFG   2
#define VIRTIO_PCI_CAP_ISR_CFG      3
#define VIRTIO_PCI_CAP_DEVICE_CFG   4
#define VIRTIO_PCI_CAP_PCI_CFG      5

/* struct virtio_pci_cap (§4.1.4) */
#define VIRTIO_PCI_CAP_LEN          2
#define VIRTIO_PCI_CAP_CFG_TYPE     3
#define VIRTIO_PCI_CAP_BAR          4
#define VIRTIO_PCI_CAP_ID           5
#define VIRTIO_PCI_CAP_OFFSET       8
#define VIRTIO_PCI_CAP_LENGTH       12
#define VIRTIO_PCI_CAP_SIZE         16
#define VIRTIO_PCI_NOTIFY_MULTIPLIER 16     /* in the notify cap */
#define VIRTIO_PCI_NOTIFY_CAP_SIZE  20
#define VIRTIO_PCI_CFG_DATA         16      /* in the PCI config cap */
#define VIRTIO_PCI_CFG_CAP_SIZE     20

/* struct virtio_pci_common_cfg (§4.1.4.3) */
#define VIRTIO_PCI_COMMON_DFSELECT  0x00
#define VIRTIO_PCI_COMMON_DF        0x04
#define VIRTIO_PCI_COMMON_GFSELECT  0x08
#define VIRTIO_PCI_COMMON_GF        0x0c
#define VIRTIO_PCI_COMMON_MSIX      0x10
#define VIRTIO_PCI_COMMON_NUMQ      0x12
#define VIRTIO_PCI_COMMON_STATUS    0x14
#define VIRTIO_PCI_COMMON_CFGGENERATION 0x15
#define VIRTIO_PCI_COMMON_Q_SELECT  0x16
#define VIRTIO_PCI_COMMON_Q_SIZE    0x18
#define VIRTIO_PCI_COMMON_Q_MSIX    0x1a
#define VIRTIO_PCI_COMMON_Q_ENABLE  0x1c
#define VIRTIO_PCI_COMMON_Q_NOFF    0x1e
#define VIRTIO_PCI_COMMON_Q_DESCLO  0x20
#define VIRTIO_PCI_COMMON_Q_DESCHI  0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO 0x28
#define VIRTIO_PCI_COMMON_Q_AVAILHI 0x2c
#define VIRTIO_PCI_COMMON_Q_USEDLO  0x30
#define VIRTIO_PCI_COMMON_Q_USEDHI  0x34
#define VIRTIO_PCI_COMMON_Q_NDATA   0x38
#define VIRTIO_PCI_COMMON_Q_RESET   0x3a
#define VIRTIO_PCI_COMMON_SIZE      0x3c
#define VIRTIO_MSI_NO_VECTOR        0xffff

/* BAR layout. */
#define VIRTIO_PCI_MODERN_BAR       4
#define VIRTIO_PCI_MSIX_BAR         1
#define VIRTIO_PCI_COMMON_OFFSET    0x0000
#define VIRTIO_PCI_ISR_OFFSET       0x1000
#define VIRTIO_PCI_DEVICE_OFFSET    0x2000
#define VIRTIO_PCI_NOTIFY_OFFSET    0x3000
#define VIRTIO_PCI_REGION_SIZE      0x1000
#define VIRTIO_PCI_MODERN_BAR_SIZE  0x4000
#define VIRTIO_PCI_QUEUE_NOTIFY_STRIDE 4
#define VIRTIO_PCI_MSIX_BAR_SIZE    0x1000
#define VIRTIO_PCI_MSIX_PBA_OFFSET  0x800
#define VIRTIO_PCI_MAX_VECTORS      128     /* table below the PBA */

/* The virtio device inside a virtio-pci function (BQL), or NULL. */
Device *virtio_pci_get_vdev(Device *pci_dev);

#endif
