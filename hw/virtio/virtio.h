/* The virtio core: virtio 1.x (modern only) devices with split
 * virtqueues, independent of the transport (virtio-mmio today, PCI
 * later).  docs/virtio.md has the whole picture.
 *
 * A virtio device is a Device of a type derived from "virtio-device"
 * (abstract) that plugs into a "virtio-bus" owned by a transport.  The
 * device class fills a VirtioDeviceClass in its class_init: device id,
 * config size, device feature bits, realize (adds the queues with
 * virtio_add_queue), reset.
 *
 * Threads and locks:
 *  - VirtIODevice.lock protects the device state shared by the transport
 *    registers (vCPU threads, lockless MMIO) and the queue handlers (the
 *    device's event loop): status, features, config, the queues' setup
 *    and ring indexes, the interrupt status.  Lock order: BQL before
 *    vdev->lock; nothing takes the BQL while holding it, which is why
 *    guest memory for rings and buffers is accessed only when it is RAM
 *    (never a handler that could need the BQL).
 *  - Queue handlers run in the device's event loop (the main loop, or
 *    the iothread named by the iothread= property) without the BQL and
 *    without vdev->lock; the virtqueue_* calls take the lock themselves.
 *  - Interrupts go to the transport from whichever thread calls
 *    virtqueue_notify()/virtio_notify_config() (hw/core/irq.h rules),
 *    saying which queue (or the config) they are for, so a transport
 *    with a vector per queue (MSI-X) signals only that one.
 *  - Guest RAM is shared with vCPUs that may store to it meanwhile: the
 *    core copies it with word-wise relaxed atomics (util/host-mem.h).
 *
 * References: a popped element is owned by its caller until it is pushed
 * or dropped; the device counts elements in flight, and unplug (drain)
 * waits until none is left.
 */
#ifndef HW_VIRTIO_VIRTIO_H
#define HW_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/core/device.h"
#include "memory/memory.h"
#include "system/event-loop.h"
#include "util/compiler.h"

#define TYPE_VIRTIO_DEVICE "virtio-device"
#define TYPE_VIRTIO_BUS "virtio-bus"

/* Device status bits (virtio 1.2 §2.1). */
#define VIRTIO_CONFIG_S_ACKNOWLEDGE 1
#define VIRTIO_CONFIG_S_DRIVER      2
#define VIRTIO_CONFIG_S_DRIVER_OK   4
#define VIRTIO_CONFIG_S_FEATURES_OK 8
#define VIRTIO_CONFIG_S_NEEDS_RESET 0x40
#define VIRTIO_CONFIG_S_FAILED      0x80

/* Reserved feature bits (§6) the core implements. */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1          32
#define VIRTIO_F_RING_RESET         40

/* Interrupt status bits (virtio-mmio InterruptStatus, PCI ISR). */
#define VIRTIO_ISR_QUEUE  1
#define VIRTIO_ISR_CONFIG 2

/* Split ring layout (§2.7). */
#define VRING_DESC_F_NEXT       1
#define VRING_DESC_F_WRITE      2
#define VRING_DESC_F_INDIRECT   4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY  1

/* Largest queue (and indirect table) weft accepts; split rings are at
 * most 32768 entries, but nothing needs more than this. */
#define VIRTQUEUE_MAX_SIZE 1024
#define VIRTIO_MAX_QUEUES 64
#define VIRTIO_MAX_CONFIG 256
/* Elements a device may have in flight across resets: a guest that
 * resets in a loop cannot make it allocate without bound. */
#define VIRTIO_MAX_INFLIGHT (4 * VIRTQUEUE_MAX_SIZE)

/* Device ids (§5). */
#define VIRTIO_ID_NET     1
#define VIRTIO_ID_BLOCK   2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG     4

typedef struct VirtIODevice VirtIODevice;
typedef struct VirtQueue VirtQueue;
typedef struct VirtioDeviceClass VirtioDeviceClass;

/* One guest buffer of a chain, by guest address: the bytes are copied
 * only when the request runs, so a mapping removed meanwhile fails the
 * copy instead of leaving a dangling host pointer. */
typedef struct VirtioSg {
    hwaddr addr;
    uint32_t len;
} VirtioSg;

/* A popped descriptor chain.  out_sg: device-readable buffers (driver to
 * device), in_sg: device-writable ones.  Owned by the caller of
 * virtqueue_pop() until virtqueue_push() or virtqueue_drop(). */
typedef struct VirtQueueElement {
    unsigned head;              /* id for the used ring */
    unsigned queue;             /* index of the queue it came from */
    uint64_t generation;        /* queue generation when popped */
    unsigned out_num, in_num;
    uint64_t out_len, in_len;   /* byte totals */
    VirtioSg *out_sg, *in_sg;   /* point into sg[] */
    VirtioSg sg[];
} VirtQueueElement;

/* Runs in the device's event loop, no lock held, when the driver notified
 * the queue (and the device is live: DRIVER_OK, queue ready, not
 * broken). */
typedef void VirtQueueHandler(VirtIODevice *vdev, VirtQueue *vq);

struct VirtioDeviceClass {
    DeviceClass parent;
    uint16_t device_id;
    uint32_t config_size;       /* bytes of device config space */
    uint64_t features;          /* device-specific feature bits offered */
    /* Device part of realize: add queues, open backends. */
    bool (*realize)(VirtIODevice *vdev, Error **errp);
    /* Undo realize (BQL; after drain, no element in flight). */
    void (*unrealize)(VirtIODevice *vdev);
    /* Device reset (status 0); vdev->lock held, any thread.  Elements in
     * flight are dropped when they come back (their generation is old). */
    void (*reset)(VirtIODevice *vdev);
    /* Fills vdev->config before a config read; vdev->lock held. */
    void (*get_config)(VirtIODevice *vdev, uint8_t *config);
    /* After a driver write to vdev->config; vdev->lock held. */
    void (*set_config)(VirtIODevice *vdev, const uint8_t *config);
};

/* Why VirtioTransport.update_irq is called: a queue index (0 to
 * nr_queues - 1: that queue has used buffers to signal), or one of
 * these. */
#define VIRTIO_IRQ_CONFIG   0xffffu /* configuration change, NEEDS_RESET */
#define VIRTIO_IRQ_NONE     0xfffeu /* ISR acked or cleared: no event */

/* Transport hooks (set by the transport when the device is plugged). */
typedef struct VirtioTransport {
    /* The ISR changed to `isr` because of `source` (a queue index or
     * VIRTIO_IRQ_*); the core has already set the matching ISR bit.  A
     * transport with one line follows isr != 0; one with a vector per
     * source (MSI-X) sends the source's vector and ignores
     * VIRTIO_IRQ_NONE.  Called with vdev->lock held from any thread. */
    void (*update_irq)(void *opaque, uint32_t isr, unsigned source);
    void *opaque;
} VirtioTransport;

struct VirtQueue {
    VirtIODevice *vdev;
    unsigned index;
    VirtQueueHandler *handler;
    EventNotifier host_notifier;    /* the driver's notify (ioeventfd) */
    bool notifier_ready;            /* host_notifier initialised */

    /* vdev->lock protects everything below. */
    unsigned num_max;
    unsigned num;                   /* size the driver chose */
    bool ready;
    hwaddr desc, avail, used;
    uint16_t last_avail_idx;        /* next avail entry to pop */
    uint16_t used_idx;              /* next used entry to fill */
    uint16_t signalled_used;        /* used idx at the last interrupt */
    unsigned inuse;                 /* popped since the last reset */
    bool signalled_used_valid;
    uint64_t generation;            /* bumped at every (queue) reset */
};

struct VirtIODevice {
    Device parent;

    /* Properties. */
    char *iothread;             /* iothread id, NULL: main loop */
    bool indirect_desc;         /* offer VIRTIO_RING_F_INDIRECT_DESC */
    bool event_idx;             /* offer VIRTIO_RING_F_EVENT_IDX */

    /* Set at realize, constant until finalize. */
    EventLoop *loop;            /* where queue handlers run */
    unsigned nr_queues;
    VirtQueue *vq[VIRTIO_MAX_QUEUES];

    /* Protects the fields below and the queues' ring state; see the
     * header comment for the order with the BQL. */
    pthread_mutex_t lock;
    AddressSpace *dma_as;       /* guest memory as the device sees it */
    VirtioTransport transport;  /* update_irq NULL while unplugged */
    uint8_t status;
    uint64_t host_features;     /* offered */
    uint64_t guest_features;    /* accepted by the driver */
    uint32_t isr;               /* VIRTIO_ISR_* pending */
    uint32_t config_generation;
    uint8_t config[VIRTIO_MAX_CONFIG];
    bool broken;                /* NEEDS_RESET set: queues stopped */
    bool error_logged;          /* one log line per reset */
    unsigned inflight;          /* elements popped, not yet returned */
    bool draining;              /* unplug waits for inflight == 0 */
    bool throttled;             /* a pop stopped at the in-flight cap */
};

#define VIRTIO_DEVICE(dev) container_of((dev), VirtIODevice, parent)
#define VIRTIO_DEVICE_GET_CLASS(vdev) \
    ((VirtioDeviceClass *)DEVICE_GET_CLASS(&(vdev)->parent))

static inline bool virtio_has_feature(uint64_t features, unsigned bit)
{
    return (features >> bit) & 1;
}

/* ---- for device implementations */

/* From the device's realize: a queue of at most max_size entries (a
 * power of two up to VIRTQUEUE_MAX_SIZE). */
VirtQueue *virtio_add_queue(VirtIODevice *vdev, unsigned max_size,
                            VirtQueueHandler *handler, Error **errp);

/* Next available chain, or NULL when there is none, the queue is not
 * live, or the chain is malformed (then the device is marked broken,
 * NEEDS_RESET).  Any thread; takes vdev->lock. */
VirtQueueElement *virtqueue_pop(VirtQueue *vq);
/* Returns elem to the driver with `len` bytes written, and frees it.  An
 * element from before a reset is freed without touching the ring. */
void virtqueue_push(VirtQueue *vq, VirtQueueElement *elem, uint32_t len);
/* Returns n elements of vq as one unit (say, the buffers of one
 * multi-buffer frame): all their used entries are written first, then
 * the used index moves once, so the driver never sees part of the batch.
 * lens[i] bytes were written to elems[i].  Frees the elements; those
 * from before a reset are freed without touching the ring.  Interrupt
 * the driver afterwards with one virtqueue_notify(). */
void virtqueue_push_batch(VirtQueue *vq, VirtQueueElement *const *elems,
                          const uint32_t *lens, unsigned n);
/* Frees elem without returning it (the device is broken or reset). */
void virtqueue_drop(VirtQueue *vq, VirtQueueElement *elem);
/* Interrupts the driver if the used ring changed and the driver wants it
 * (EVENT_IDX / NO_INTERRUPT). */
void virtqueue_notify(VirtQueue *vq);

/* Copy to the element's device-writable buffers from byte `offset` on /
 * from its device-readable ones.  Only RAM: returns false (nothing
 * partial is hidden: *done says how far it got) if a buffer is not RAM
 * any more.  No lock needed; any online RCU reader thread. */
bool virtqueue_elem_write(VirtIODevice *vdev, const VirtQueueElement *elem,
                          uint64_t offset, const void *buf, uint64_t len,
                          uint64_t *done);
bool virtqueue_elem_read(VirtIODevice *vdev, const VirtQueueElement *elem,
                         uint64_t offset, void *buf, uint64_t len,
                         uint64_t *done);

/* The guest broke the protocol: log once, set NEEDS_RESET, stop the
 * queues, raise a config-change interrupt.  Any thread; takes the lock
 * (virtio_error_locked: the caller holds it). */
void virtio_error(VirtIODevice *vdev, const char *fmt, ...) WEFT_PRINTF(2, 3);
void virtio_error_locked(VirtIODevice *vdev, const char *fmt, ...)
    WEFT_PRINTF(2, 3);
/* Device config changed (vdev->lock held): new generation, interrupt. */
void virtio_notify_config_locked(VirtIODevice *vdev);

/* ---- for transports (vdev->lock held unless said otherwise) */

/* Plug (BQL): the transport gives its DMA address space and hooks. */
void virtio_device_attach(VirtIODevice *vdev, AddressSpace *dma_as,
                          const VirtioTransport *t);
/* Isolate (BQL): no more interrupts; queues stop. */
void virtio_device_detach(VirtIODevice *vdev);

void virtio_reset_locked(VirtIODevice *vdev);
/* Driver writes to Status; refuses FEATURES_OK for bad features. */
void virtio_set_status_locked(VirtIODevice *vdev, uint8_t status);
uint32_t virtio_get_features_locked(VirtIODevice *vdev, unsigned sel);
void virtio_set_driver_features_locked(VirtIODevice *vdev, unsigned sel,
                                       uint32_t value);
/* Config space of size bytes at offset (little-endian value); out of
 * range reads give 0, writes are dropped (logged). */
uint32_t virtio_config_read_locked(VirtIODevice *vdev, unsigned offset,
                                   unsigned size);
void virtio_config_write_locked(VirtIODevice *vdev, unsigned offset,
                                unsigned size, uint32_t value);
void virtio_isr_ack_locked(VirtIODevice *vdev, uint32_t bits);

/* Queue registers.  Return false for a refused write (logged). */
bool virtio_queue_set_num_locked(VirtQueue *vq, unsigned num);
bool virtio_queue_set_addr_locked(VirtQueue *vq, hwaddr *field,
                                  uint32_t value, bool high);
bool virtio_queue_set_ready_locked(VirtQueue *vq, bool ready);
/* VIRTIO_F_RING_RESET: back to the state after a device reset. */
void virtio_queue_reset_locked(VirtQueue *vq);
/* The driver notified queue n through the register (not the ioeventfd,
 * e.g. a write of another size): forward it.  Any thread. */
void virtio_queue_kick(VirtIODevice *vdev, unsigned n);

#endif
