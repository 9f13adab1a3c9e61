/* virtio-mmio, version 2 (virtio 1.2 §4.2): the transport of the virt
 * board's eight slots.  Each transport is a Device ("virtio-mmio", not
 * user-creatable) mapped by the board, owning a one-slot "virtio-bus";
 * a virtio device (virtio-rng-device, ...) plugs into that bus, either
 * from the board (vdev argument) or from -device, which takes the first
 * free slot (see docs/virtio.md for the slot order QEMU users expect).
 *
 * Threads: the registers are lockless MMIO; each access takes the
 * plugged device's lock.  QueueNotify is an ioeventfd per queue, so a
 * vCPU's notify write only signals the queue's EventNotifier.
 */
#ifndef HW_VIRTIO_VIRTIO_MMIO_H
#define HW_VIRTIO_VIRTIO_MMIO_H

#include "hw/core/device.h"
#include "hw/core/irq.h"
#include "hw/virtio/virtio.h"
#include "memory/memory.h"
#include "util/error.h"

#define TYPE_VIRTIO_MMIO "virtio-mmio"

/* Registers (§4.2.2). */
#define VIRTIO_MMIO_MAGIC_VALUE         0x000
#define VIRTIO_MMIO_VERSION             0x004
#define VIRTIO_MMIO_DEVICE_ID           0x008
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_SHM_SEL             0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW         0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH        0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW        0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH       0x0bc
#define VIRTIO_MMIO_QUEUE_RESET         0x0c0
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100

#define VIRTIO_MMIO_MAGIC   0x74726976      /* "virt" */
#define VIRTIO_MMIO_VENDOR  0x74666577      /* "weft" */
/* Bytes the transport decodes (registers + 256 bytes of config); the
 * virt board spaces its slots 0x1000 apart. */
#define VIRTIO_MMIO_REGION_SIZE 0x200

typedef struct VirtioMmio VirtioMmio;

/* BQL.  Creates a transport, realizes it on parent_bus (the machine's
 * system bus), maps it at base in sysmem, wires its interrupt to irq
 * (may be NULL) and lets devices reach guest memory through dma_as.  vdev,
 * if not NULL, is a virtio device in DEVICE_CREATED state plugged into the
 * new slot; the caller's reference on it is consumed either way.  Returns
 * the transport, borrowed (parent_bus holds it), or NULL with *errp. */
VirtioMmio *virtio_mmio_create(Bus *parent_bus, MemoryRegion *sysmem,
                               AddressSpace *dma_as, hwaddr base,
                               IrqLine *irq, Device *vdev, Error **errp);

/* The transport's one-slot bus ("virtio-mmio-bus.N", N counting
 * transports in creation order). */
Bus *virtio_mmio_get_bus(VirtioMmio *mmio);
hwaddr virtio_mmio_get_base(VirtioMmio *mmio);
/* The device plugged into the slot, or NULL.  BQL. */
Device *virtio_mmio_get_device(VirtioMmio *mmio);

#endif
