/* virtio-pci, modern only (virtio 1.2 §4.1).
 *
 * One abstract type, "virtio-pci", does the work; each user-visible type
 * (virtio-rng-pci, ...) is a line of the wrapper table below, registered
 * by a constructor: the PCI type name, the virtio device type it wraps,
 * the virtio device id, the PCI class, and the names of the virtio
 * device's own properties to pass on (the generic virtio ones always
 * are).  The pair behaves as one device on the command line.
 *
 * Locking, as in virtio-mmio: the BAR regions are lockless; proxy->vdev
 * is RCU-published, and the virtio device's lock protects its state and
 * the transport registers below (selectors, MSI-X vectors).  The PCI
 * config space side (capabilities, the PCI config access window) runs
 * under the BQL, which comes before vdev->lock.
 */
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/core/props.h"
#include "hw/virtio/virtio-pci.h"
#include "system/bql.h"
#include "util/log.h"

/* Properties passed on: the generic virtio ones, then the device's. */
#define VIRTIO_PCI_MAX_FWD 16
#define VECTORS_AUTO UINT32_MAX

typedef struct VirtioPciWrapper {
    const char *name;           /* the PCI type, e.g. "virtio-rng-pci" */
    const char *vdev_type;      /* the virtio device type it wraps */
    uint16_t virtio_id;         /* device id, so the PCI id is static */
    uint16_t class_id;          /* PCI class << 8 | subclass */
    const char *const *props;   /* NULL-terminated, may be NULL */
} VirtioPciWrapper;

static const char *const blk_props[] = {
    "drive", "serial", "num-queues", "queue-size", "x-report-ro", NULL
};
static const char *const net_props[] = {
    "netdev", "mac", "csum", "guest_csum", "mrg_rxbuf", NULL
};
static const char *const console_props[] = { "chardev", NULL };

/* Adding a virtio device to PCI is one line here (QEMU's names; the
 * console is QEMU's virtio-serial-pci with its one port built in). */
static const VirtioPciWrapper virtio_pci_wrappers[] = {
    { "virtio-rng-pci", "virtio-rng-device", VIRTIO_ID_RNG,
      PCI_CLASS_OTHERS, NULL },
    { "virtio-blk-pci", "virtio-blk-device", VIRTIO_ID_BLOCK,
      PCI_CLASS_STORAGE_SCSI, blk_props },
    { "virtio-net-pci", "virtio-net-device", VIRTIO_ID_NET,
      PCI_CLASS_NETWORK_ETHERNET, net_props },
    { "virtio-serial-pci", "virtio-console-device", VIRTIO_ID_CONSOLE,
      PCI_CLASS_COMMUNICATION_OTHER, console_props },
};

static const char *const virtio_common_props[] = {
    "iothread", "indirect_desc", "event_idx", NULL
};

typedef struct VirtIOPCIClass {
    PCIDeviceClass parent;
    const VirtioPciWrapper *w;
    unsigned nr_fwd;
    const char *fwd_names[VIRTIO_PCI_MAX_FWD];
} VirtIOPCIClass;

typedef struct VirtIOPCIProxy {
    PCIDevice parent;
    /* Properties. */
    uint32_t vectors;           /* MSI-X vectors; VECTORS_AUTO: queues+1 */
    char *fwd[VIRTIO_PCI_MAX_FWD];

    /* Set at instance_init / realize, constant until finalize. */
    Bus *vbus;
    MemoryRegion modern_bar, common, isr, device, notify;
    MemoryRegion msix_bar;
    uint8_t cfg_cap;            /* VIRTIO_PCI_CAP_PCI_CFG offset */
    /* The device behind the interrupt hook (the transport calls the
     * hook with its lock held): set at plug, cleared when the device
     * leaves the bus (BQL). */
    VirtIODevice *irq_vdev;

    /* RCU; written under the BQL (plug, isolate). */
    VirtIODevice *vdev;
    /* The plugged device's lock protects the rest. */
    uint32_t dfselect, gfselect;
    uint16_t queue_sel;
    uint16_t config_vector;
    uint16_t queue_vector[VIRTIO_MAX_QUEUES];
} VirtIOPCIProxy;

#define VIRTIO_PCI(d) container_of((d), VirtIOPCIProxy, parent)
#define VIRTIO_PCI_GET_CLASS(p) \
    ((VirtIOPCIClass *)PCI_DEVICE_GET_CLASS(&(p)->parent))

static void vp_log(VirtIOPCIProxy *p, const char *what, hwaddr off,
                   unsigned size)
{
    PCIDevice *d = &p->parent;

    log_mask_printf(LOG_GUEST_ERROR, "%s %02x.%x: %s at 0x%" PRIx64
                    " (size %u)\n", device_type_name(&d->parent),
                    PCI_SLOT(d->devfn), PCI_FUNC(d->devfn), what, off, size);
}

/* vdev->lock held. */
static void vp_reset_regs(VirtIOPCIProxy *p)
{
    p->dfselect = p->gfselect = 0;
    p->queue_sel = 0;
    p->config_vector = VIRTIO_MSI_NO_VECTOR;
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
        p->queue_vector[i] = VIRTIO_MSI_NO_VECTOR;
    }
}

/* A vector the driver may use: inside the table, else NO_VECTOR
 * (§4.1.5.1.2: reading it back tells the driver the mapping failed). */
static uint16_t vp_vector(VirtIOPCIProxy *p, uint32_t v)
{
    return v < p->parent.msix_entries ? v : VIRTIO_MSI_NO_VECTOR;
}

static VirtQueue *vp_vq(VirtIOPCIProxy *p, VirtIODevice *vdev)
{
    return p->queue_sel < vdev->nr_queues ? vdev->vq[p->queue_sel] : NULL;
}

/* ---- common configuration */

/* vdev->lock held: the structure as the driver would read it now. */
static void vp_common_snapshot(VirtIOPCIProxy *p, VirtIODevice *vdev,
                               uint8_t *b)
{
    VirtQueue *vq = vp_vq(p, vdev);

    memset(b, 0, VIRTIO_PCI_COMMON_SIZE);
    pci_set_long(b + VIRTIO_PCI_COMMON_DFSELECT, p->dfselect);
    pci_set_long(b + VIRTIO_PCI_COMMON_DF,
                 virtio_get_features_locked(vdev, p->dfselect));
    pci_set_long(b + VIRTIO_PCI_COMMON_GFSELECT, p->gfselect);
    pci_set_long(b + VIRTIO_PCI_COMMON_GF, p->gfselect < 2 ?
                 (uint32_t)(vdev->guest_features >> (32 * p->gfselect)) : 0);
    pci_set_word(b + VIRTIO_PCI_COMMON_MSIX, p->config_vector);
    pci_set_word(b + VIRTIO_PCI_COMMON_NUMQ, vdev->nr_queues);
    b[VIRTIO_PCI_COMMON_STATUS] = vdev->status;
    b[VIRTIO_PCI_COMMON_CFGGENERATION] = vdev->config_generation;
    pci_set_word(b + VIRTIO_PCI_COMMON_Q_SELECT, p->queue_sel);
    if (!vq) {
        /* Queue size 0: "this queue is not available" (§4.1.4.3). */
        pci_set_word(b + VIRTIO_PCI_COMMON_Q_MSIX, VIRTIO_MSI_NO_VECTOR);
        return;
    }
    pci_set_word(b + VIRTIO_PCI_COMMON_Q_SIZE, vq->num);
    pci_set_word(b + VIRTIO_PCI_COMMON_Q_MSIX, p->queue_vector[vq->index]);
    pci_set_word(b + VIRTIO_PCI_COMMON_Q_ENABLE, vq->ready);
    pci_set_word(b + VIRTIO_PCI_COMMON_Q_NOFF, vq->index);
    pci_set_long(b + VIRTIO_PCI_COMMON_Q_DESCLO, (uint32_t)vq->desc);
    pci_set_long(b + VIRTIO_PCI_COMMON_Q_DESCHI, vq->desc >> 32);
    pci_set_long(b + VIRTIO_PCI_COMMON_Q_AVAILLO, (uint32_t)vq->avail);
    pci_set_long(b + VIRTIO_PCI_COMMON_Q_AVAILHI, vq->avail >> 32);
    pci_set_long(b + VIRTIO_PCI_COMMON_Q_USEDLO, (uint32_t)vq->used);
    pci_set_long(b + VIRTIO_PCI_COMMON_Q_USEDHI, vq->used >> 32);
    pci_set_word(b + VIRTIO_PCI_COMMON_Q_NDATA, vq->index);
    /* Q_RESET reads 0: a queue reset completes at once. */
}

static uint32_t vp_common_read(VirtIOPCIProxy *p, VirtIODevice *vdev,
                               hwaddr off, unsigned size)
{
    uint8_t b[VIRTIO_PCI_COMMON_SIZE];
    uint32_t v = 0;

    if (off + size > VIRTIO_PCI_COMMON_SIZE) {
        vp_log(p, "read beyond the common configuration", off, size);
        return 0;
    }
    vp_common_snapshot(p, vdev, b);
    for (unsigned i = 0; i < size; i++) {
        v |= (uint32_t)b[off + i] << (8 * i);
    }
    return v;
}

/* The width each writable field takes (§4.1.3.1: natural width; the
 * 64-bit queue addresses as two 32-bit halves). */
static unsigned vp_common_width(hwaddr off)
{
    switch (off) {
    case VIRTIO_PCI_COMMON_STATUS:
        return 1;
    case VIRTIO_PCI_COMMON_MSIX:
    case VIRTIO_PCI_COMMON_Q_SELECT:
    case VIRTIO_PCI_COMMON_Q_SIZE:
    case VIRTIO_PCI_COMMON_Q_MSIX:
    case VIRTIO_PCI_COMMON_Q_ENABLE:
    case VIRTIO_PCI_COMMON_Q_RESET:
        return 2;
    case VIRTIO_PCI_COMMON_DFSELECT:
    case VIRTIO_PCI_COMMON_GFSELECT:
    case VIRTIO_PCI_COMMON_GF:
    case VIRTIO_PCI_COMMON_Q_DESCLO:
    case VIRTIO_PCI_COMMON_Q_DESCHI:
    case VIRTIO_PCI_COMMON_Q_AVAILLO:
    case VIRTIO_PCI_COMMON_Q_AVAILHI:
    case VIRTIO_PCI_COMMON_Q_USEDLO:
    case VIRTIO_PCI_COMMON_Q_USEDHI:
        return 4;
    default:
        return 0;           /* read-only or reserved */
    }
}

static void vp_queue_addr(VirtQueue *vq, hwaddr off, uint32_t v)
{
    hwaddr *field = off < VIRTIO_PCI_COMMON_Q_AVAILLO ? &vq->desc
                  : off < VIRTIO_PCI_COMMON_Q_USEDLO ? &vq->avail
                  : &vq->used;

    virtio_queue_set_addr_locked(vq, field, v, off & 4);
}

static void vp_queue_write(VirtIOPCIProxy *p, VirtIODevice *vdev,
                           hwaddr off, uint32_t v)
{
    VirtQueue *vq = vp_vq(p, vdev);

    if (!vq) {
        vp_log(p, "queue register written with queue_select out of range",
               off, vp_common_width(off));
        return;
    }
    switch (off) {
    case VIRTIO_PCI_COMMON_Q_SIZE:
        virtio_queue_set_num_locked(vq, v);
        break;
    case VIRTIO_PCI_COMMON_Q_MSIX:
        p->queue_vector[vq->index] = vp_vector(p, v);
        break;
    case VIRTIO_PCI_COMMON_Q_ENABLE:
        if (v != 1) {
            vp_log(p, "queue_enable written with a value other than 1",
                   off, 2);
            break;
        }
        virtio_queue_set_ready_locked(vq, true);
        break;
    case VIRTIO_PCI_COMMON_Q_RESET:
        if (!(v & 1)) {
            break;
        }
        if (!virtio_has_feature(vdev->guest_features, VIRTIO_F_RING_RESET)) {
            vp_log(p, "queue_reset without VIRTIO_F_RING_RESET", off, 2);
            break;
        }
        virtio_queue_reset_locked(vq);
        break;
    default:
        vp_queue_addr(vq, off, v);
        break;
    }
}

static void vp_common_write(VirtIOPCIProxy *p, VirtIODevice *vdev,
                            hwaddr off, uint32_t v, unsigned size)
{
    unsigned width = vp_common_width(off);

    if (!width) {
        vp_log(p, "write to a read-only or unknown common register", off,
               size);
        return;
    }
    if (width != size) {
        vp_log(p, "common register written with the wrong width", off,
               size);
        return;
    }
    switch (off) {
    case VIRTIO_PCI_COMMON_DFSELECT:
        p->dfselect = v;
        break;
    case VIRTIO_PCI_COMMON_GFSELECT:
        p->gfselect = v;
        break;
    case VIRTIO_PCI_COMMON_GF:
        virtio_set_driver_features_locked(vdev, p->gfselect, v);
        break;
    case VIRTIO_PCI_COMMON_MSIX:
        p->config_vector = vp_vector(p, v);
        break;
    case VIRTIO_PCI_COMMON_STATUS:
        virtio_set_status_locked(vdev, v);
        if (!v) {
            vp_reset_regs(p);
        }
        break;
    case VIRTIO_PCI_COMMON_Q_SELECT:
        p->queue_sel = v;
        break;
    default:
        vp_queue_write(p, vdev, off, v);
        break;
    }
}

/* ---- the four parts of the modern BAR */

typedef enum VpPart { VP_COMMON, VP_ISR, VP_DEVICE, VP_NOTIFY } VpPart;

/* vdev->lock held. */
static uint32_t vp_part_read(VirtIOPCIProxy *p, VirtIODevice *vdev,
                             VpPart part, hwaddr off, unsigned size)
{
    uint32_t v;

    switch (part) {
    case VP_COMMON:
        return vp_common_read(p, vdev, off, size);
    case VP_ISR:
        /* Reading the ISR acknowledges it (§4.1.4.5). */
        if (off) {
            return 0;
        }
        v = vdev->isr;
        virtio_isr_ack_locked(vdev, v);
        return v;
    case VP_DEVICE:
        return virtio_config_read_locked(vdev, off, size);
    default:
        return 0;
    }
}

/* vdev->lock held. */
static void vp_part_write(VirtIOPCIProxy *p, VirtIODevice *vdev, VpPart part,
                          hwaddr off, uint32_t v, unsigned size)
{
    switch (part) {
    case VP_COMMON:
        vp_common_write(p, vdev, off, v, size);
        break;
    case VP_ISR:
        vp_log(p, "write to the ISR (read-only)", off, size);
        break;
    case VP_DEVICE:
        virtio_config_write_locked(vdev, off, size, v);
        break;
    case VP_NOTIFY:
        /* Only if the ioeventfd did not take it: the address names the
         * queue; the value should too (without NOTIFICATION_DATA). */
        if (off % VIRTIO_PCI_QUEUE_NOTIFY_STRIDE) {
            vp_log(p, "notify at an address no queue uses", off, size);
            break;
        }
        virtio_queue_kick(vdev, off / VIRTIO_PCI_QUEUE_NOTIFY_STRIDE);
        break;
    }
}

static uint32_t vp_access(VirtIOPCIProxy *p, VpPart part, hwaddr off,
                          uint32_t v, unsigned size, bool write)
{
    VirtIODevice *vdev;
    uint32_t r = 0;

    weft_rcu_read_lock();
    vdev = weft_rcu_dereference(p->vdev);
    if (vdev) {
        pthread_mutex_lock(&vdev->lock);
        if (write) {
            vp_part_write(p, vdev, part, off, v, size);
        } else {
            r = vp_part_read(p, vdev, part, off, size);
        }
        pthread_mutex_unlock(&vdev->lock);
    } else if (write) {
        vp_log(p, "access without a virtio device", off, size);
    }
    weft_rcu_read_unlock();
    return r;
}

#define VP_PART_OPS(lower, part)                                            \
static uint64_t vp_##lower##_mr_read(void *opaque, hwaddr off, unsigned size)  \
{                                                                           \
    return vp_access(opaque, part, off, 0, size, false);                    \
}                                                                           \
static void vp_##lower##_mr_write(void *opaque, hwaddr off, uint64_t v,        \
                               unsigned size)                               \
{                                                                           \
    vp_access(opaque, part, off, (uint32_t)v, size, true);                  \
}                                                                           \
static const MemoryRegionOps vp_##lower##_ops = {                           \
    .read = vp_##lower##_mr_read,                                              \
    .write = vp_##lower##_mr_write,                                            \
    .endianness = DEVICE_LITTLE_ENDIAN,                                     \
    /* Any size reaches the handlers (at most 4 bytes at a time: an 8-byte \
     * access comes as two halves); they decide what is valid. */          \
    .valid = { .min_access_size = 1, .max_access_size = 8 },                \
    .impl = { .min_access_size = 1, .max_access_size = 4 },                 \
};

VP_PART_OPS(common, VP_COMMON)
VP_PART_OPS(isr, VP_ISR)
VP_PART_OPS(device, VP_DEVICE)
VP_PART_OPS(notify, VP_NOTIFY)

/* ---- the PCI configuration access capability (§4.1.4.9) */

/* BQL: the window's access, on the modern BAR. */
static bool vp_cfg_window(VirtIOPCIProxy *p, VpPart *part, hwaddr *off,
                          unsigned *len)
{
    const uint8_t *c = p->parent.config + p->cfg_cap;
    uint32_t o = pci_get_long(c + VIRTIO_PCI_CAP_OFFSET);

    *len = pci_get_long(c + VIRTIO_PCI_CAP_LENGTH);
    if (c[VIRTIO_PCI_CAP_BAR] != VIRTIO_PCI_MODERN_BAR ||
        (*len != 1 && *len != 2 && *len != 4) || (o & (*len - 1)) ||
        o >= VIRTIO_PCI_MODERN_BAR_SIZE) {
        vp_log(p, "PCI config access window set up wrongly", o, *len);
        return false;
    }
    *part = o / VIRTIO_PCI_REGION_SIZE;
    *off = o % VIRTIO_PCI_REGION_SIZE;
    return true;
}

static uint32_t vp_config_read(PCIDevice *d, uint32_t addr, unsigned len)
{
    VirtIOPCIProxy *p = VIRTIO_PCI(d);
    uint32_t data_off = p->cfg_cap + VIRTIO_PCI_CFG_DATA;
    VpPart part;
    hwaddr off;
    unsigned wlen;

    if (p->cfg_cap && pci_range_hit(addr, len, data_off, 4) &&
        vp_cfg_window(p, &part, &off, &wlen)) {
        pci_set_long(d->config + data_off,
                     vp_access(p, part, off, 0, wlen, false));
    }
    return pci_default_read_config(d, addr, len);
}

static void vp_config_write(PCIDevice *d, uint32_t addr, uint32_t val,
                            unsigned len)
{
    VirtIOPCIProxy *p = VIRTIO_PCI(d);
    uint32_t data_off = p->cfg_cap + VIRTIO_PCI_CFG_DATA;
    VpPart part;
    hwaddr off;
    unsigned wlen;

    pci_default_write_config(d, addr, val, len);
    if (p->cfg_cap && pci_range_hit(addr, len, data_off, 4) &&
        vp_cfg_window(p, &part, &off, &wlen)) {
        vp_access(p, part, off, pci_get_long(d->config + data_off), wlen,
                  true);
    }
}

/* ---- interrupts */

/* vdev->lock held.  With MSI-X the ISR is not used (§4.1.5.1.2): the
 * event's bit becomes the message of its vector (the queue's, or the
 * config vector) and is consumed here, so it is not sent again and does
 * not linger if the driver goes back to INTx.  A source mapped to
 * NO_VECTOR sends nothing. */
static void vp_msix_notify(VirtIOPCIProxy *p, VirtIODevice *vdev,
                           unsigned source)
{
    uint16_t vector;

    if (source == VIRTIO_IRQ_CONFIG) {
        vdev->isr &= ~VIRTIO_ISR_CONFIG;
        vector = p->config_vector;
    } else {
        assert(source < vdev->nr_queues);
        vdev->isr &= ~VIRTIO_ISR_QUEUE;
        vector = p->queue_vector[source];
    }
    if (vector != VIRTIO_MSI_NO_VECTOR) {
        msix_notify(&p->parent, vector);
    }
}

/* vdev->lock held, any thread. */
static void vp_update_irq(void *opaque, uint32_t isr, unsigned source)
{
    VirtIOPCIProxy *p = opaque;

    if (msix_enabled(&p->parent)) {
        /* An acknowledgement or a reset is no event for a vector. */
        if (source != VIRTIO_IRQ_NONE) {
            vp_msix_notify(p, p->irq_vdev, source);
        }
        return;
    }
    pci_set_irq(&p->parent, isr != 0);
}

/* ---- the virtio bus of the function */

static void vp_eventfds(VirtIOPCIProxy *p, VirtIODevice *vdev, bool add)
{
    memory_region_transaction_begin();
    for (unsigned i = 0; i < vdev->nr_queues; i++) {
        hwaddr off = i * VIRTIO_PCI_QUEUE_NOTIFY_STRIDE;

        /* Any width: Linux writes the 16-bit queue index. */
        if (add) {
            memory_region_add_eventfd(&p->notify, off, 0, false, 0,
                                      &vdev->vq[i]->host_notifier);
        } else {
            memory_region_del_eventfd(&p->notify, off, 0, false, 0,
                                      &vdev->vq[i]->host_notifier);
        }
    }
    memory_region_transaction_commit();
}

static bool vp_bus_pre_plug(Bus *bus, Device *dev, Error **errp)
{
    if (!device_is_a(dev, TYPE_VIRTIO_DEVICE)) {
        error_setg(errp, "%s is not a virtio device", device_type_name(dev));
        return false;
    }
    return true;
}

static void vp_bus_plug(Bus *bus, Device *dev)
{
    VirtIOPCIProxy *p = bus->opaque;
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VirtioTransport t = { vp_update_irq, p };

    p->irq_vdev = vdev;
    virtio_device_attach(vdev, pci_get_address_space(&p->parent), &t);
    pthread_mutex_lock(&vdev->lock);
    vp_reset_regs(p);
    pthread_mutex_unlock(&vdev->lock);
    vp_eventfds(p, vdev, true);
    weft_rcu_assign_pointer(p->vdev, vdev);
}

/* As virtio-mmio: the notifiers are closed at the virtio device's
 * finalize, after the grace period that covers a notify in flight. */
static void vp_bus_isolate(Bus *bus, Device *dev)
{
    VirtIOPCIProxy *p = bus->opaque;
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);

    weft_rcu_assign_pointer(p->vdev, NULL);
    vp_eventfds(p, vdev, false);
    virtio_device_detach(vdev);
}

/* Unplug step 4 of the virtio device, after its drain and unrealize:
 * forget it.  The interrupt hook no longer runs (detach cleared it under
 * the device's lock at isolate), so nothing reads irq_vdev any more. */
static void vp_bus_unplug_notify(Bus *bus, Device *dev)
{
    VirtIOPCIProxy *p = bus->opaque;

    assert(bql_locked());
    assert(p->irq_vdev == VIRTIO_DEVICE(dev) && !p->vdev);
    p->irq_vdev = NULL;
}

static const BusInfo virtio_pci_bus_info = {
    .type = TYPE_VIRTIO_BUS,
    .max_slots = 1,
    /* The virtio device comes and goes with its PCI function (the device
     * core unplugs the function together with the devices on its buses:
     * this bus is isolated in the function's memory transaction, and the
     * virtio device drains before the function).  No guest protocol of
     * its own: removing it alone would be a surprise removal, as on
     * virtio-mmio (the function then answers without a device). */
    .hotpluggable = true,
    .pre_plug = vp_bus_pre_plug,
    .plug = vp_bus_plug,
    .isolate = vp_bus_isolate,
    .unplug_notify = vp_bus_unplug_notify,
};

/* ---- capabilities */

static uint8_t vp_add_cap(VirtIOPCIProxy *p, uint8_t type, uint8_t size,
                          uint32_t offset, uint32_t length)
{
    PCIDevice *d = &p->parent;
    uint8_t off = pci_add_capability(d, PCI_CAP_ID_VNDR, 0, size, NULL);
    uint8_t *c = d->config + off;

    assert(off);    /* the layout is fixed and fits */
    c[VIRTIO_PCI_CAP_LEN] = size;
    c[VIRTIO_PCI_CAP_CFG_TYPE] = type;
    c[VIRTIO_PCI_CAP_BAR] = VIRTIO_PCI_MODERN_BAR;
    pci_set_long(c + VIRTIO_PCI_CAP_OFFSET, offset);
    pci_set_long(c + VIRTIO_PCI_CAP_LENGTH, length);
    return off;
}

static void vp_add_caps(VirtIOPCIProxy *p, VirtIODevice *vdev)
{
    PCIDevice *d = &p->parent;
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_GET_CLASS(vdev);
    uint8_t off;

    vp_add_cap(p, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_SIZE,
               VIRTIO_PCI_COMMON_OFFSET, VIRTIO_PCI_COMMON_SIZE);
    vp_add_cap(p, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_SIZE,
               VIRTIO_PCI_ISR_OFFSET, 1);
    /* Only devices with a configuration have the capability
     * (§4.1.4.6); a zero-length one would confuse drivers. */
    if (vdc->config_size) {
        vp_add_cap(p, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_CAP_SIZE,
                   VIRTIO_PCI_DEVICE_OFFSET, vdc->config_size);
    }
    off = vp_add_cap(p, VIRTIO_PCI_CAP_NOTIFY_CFG,
                     VIRTIO_PCI_NOTIFY_CAP_SIZE, VIRTIO_PCI_NOTIFY_OFFSET,
                     VIRTIO_PCI_REGION_SIZE);
    pci_set_long(d->config + off + VIRTIO_PCI_NOTIFY_MULTIPLIER,
                 VIRTIO_PCI_QUEUE_NOTIFY_STRIDE);
    /* The access window: bar, offset, length and data are the
     * driver's (§4.1.4.9). */
    off = vp_add_cap(p, VIRTIO_PCI_CAP_PCI_CFG, VIRTIO_PCI_CFG_CAP_SIZE,
                     0, 0);
    d->config[off + VIRTIO_PCI_CAP_BAR] = 0;
    d->wmask[off + VIRTIO_PCI_CAP_BAR] = 0xff;
    memset(d->wmask + off + VIRTIO_PCI_CAP_OFFSET, 0xff, 12);
    p->cfg_cap = off;
}

/* ---- realize */

static Device *vp_new_vdev(VirtIOPCIProxy *p, Error **errp)
{
    VirtIOPCIClass *vc = VIRTIO_PCI_GET_CLASS(p);
    Device *dev = device_new(vc->w->vdev_type, errp);

    if (!dev) {
        return NULL;
    }
    if (!device_is_a(dev, TYPE_VIRTIO_DEVICE) ||
        VIRTIO_DEVICE_GET_CLASS(VIRTIO_DEVICE(dev))->device_id !=
        vc->w->virtio_id) {
        error_setg(errp, "%s: '%s' is not virtio device %u", vc->w->name,
                   vc->w->vdev_type, vc->w->virtio_id);
        device_unref(dev);
        return NULL;
    }
    for (unsigned i = 0; i < vc->nr_fwd; i++) {
        if (p->fwd[i] &&
            !device_set_prop_str(dev, vc->fwd_names[i], p->fwd[i], errp)) {
            device_unref(dev);
            return NULL;
        }
    }
    return dev;
}

static bool vp_realize(PCIDevice *d, Error **errp)
{
    VirtIOPCIProxy *p = VIRTIO_PCI(d);
    Device *dev;
    VirtIODevice *vdev;
    unsigned nvec;

    dev = vp_new_vdev(p, errp);
    if (!dev) {
        return false;
    }
    /* The device first: its queue count sizes the MSI-X table.  Nothing
     * below can fail, so there is nothing to undo after this. */
    if (!device_realize_and_unref(dev, p->vbus, errp)) {
        return false;
    }
    vdev = VIRTIO_DEVICE(dev);
    vp_add_caps(p, vdev);
    nvec = p->vectors == VECTORS_AUTO ? vdev->nr_queues + 1 : p->vectors;
    nvec = MIN(nvec, VIRTIO_PCI_MAX_VECTORS);
    if (nvec) {
        bool ok = msix_init(d, nvec, &p->msix_bar, VIRTIO_PCI_MSIX_BAR, 0,
                            VIRTIO_PCI_MSIX_PBA_OFFSET, 0, NULL);

        assert(ok);
        pci_register_bar(d, VIRTIO_PCI_MSIX_BAR, 0, &p->msix_bar);
    }
    if (d->bus->express) {
        pcie_cap_init(d, 0, d->bus->bridge ? PCI_EXP_TYPE_ENDPOINT
                                           : PCI_EXP_TYPE_RC_END, 0, NULL);
        assert(d->exp_cap);
    }
    pci_register_bar(d, VIRTIO_PCI_MODERN_BAR,
                     PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, &p->modern_bar);
    pci_set_intx_pin(d, PCI_INTA);
    return true;
}

/* Machine reset, FLR-like: the virtio device starts over too. */
static void vp_reset(PCIDevice *d)
{
    VirtIOPCIProxy *p = VIRTIO_PCI(d);
    VirtIODevice *vdev = p->vdev;       /* BQL: plug/isolate hold it */

    if (!vdev) {
        return;
    }
    pthread_mutex_lock(&vdev->lock);
    virtio_reset_locked(vdev);
    vp_reset_regs(p);
    pthread_mutex_unlock(&vdev->lock);
}

static void vp_init_part(VirtIOPCIProxy *p, MemoryRegion *mr,
                         const MemoryRegionOps *ops, const char *name,
                         hwaddr offset)
{
    memory_region_init_io(mr, &p->parent.parent.obj, ops, p, name,
                          VIRTIO_PCI_REGION_SIZE);
    memory_region_set_lockless(mr, true);
    memory_region_add_subregion(&p->modern_bar, offset, mr);
}

static void vp_instance_init(Device *dev)
{
    VirtIOPCIProxy *p = VIRTIO_PCI(PCI_DEVICE(dev));
    Object *owner = &dev->obj;

    p->vbus = bus_new(dev, &virtio_pci_bus_info, NULL);
    p->vbus->opaque = p;
    /* Regions exist for the device's life; links between them are
     * inside one owner, so they hold no references. */
    memory_region_init(&p->modern_bar, owner, "virtio-pci",
                       VIRTIO_PCI_MODERN_BAR_SIZE);
    vp_init_part(p, &p->common, &vp_common_ops, "virtio-pci-common",
                 VIRTIO_PCI_COMMON_OFFSET);
    vp_init_part(p, &p->isr, &vp_isr_ops, "virtio-pci-isr",
                 VIRTIO_PCI_ISR_OFFSET);
    vp_init_part(p, &p->device, &vp_device_ops, "virtio-pci-device",
                 VIRTIO_PCI_DEVICE_OFFSET);
    vp_init_part(p, &p->notify, &vp_notify_ops, "virtio-pci-notify",
                 VIRTIO_PCI_NOTIFY_OFFSET);
    memory_region_init(&p->msix_bar, owner, "virtio-pci-msix",
                       VIRTIO_PCI_MSIX_BAR_SIZE);
}

static void vp_instance_finalize(Device *dev)
{
    VirtIOPCIProxy *p = VIRTIO_PCI(PCI_DEVICE(dev));
    MemoryRegion *parts[] = { &p->common, &p->isr, &p->device, &p->notify };

    msix_uninit(&p->parent);
    for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
        memory_region_del_subregion(&p->modern_bar, parts[i]);
        memory_region_finalize(parts[i]);
    }
    memory_region_finalize(&p->modern_bar);
    memory_region_finalize(&p->msix_bar);
}

static void vp_class_init(DeviceClass *dc, const void *data)
{
    PCIDeviceClass *pc = (PCIDeviceClass *)dc;

    pc->vendor_id = VIRTIO_PCI_VENDOR_ID;
    pc->subsystem_vendor_id = VIRTIO_PCI_VENDOR_ID;
    pc->subsystem_id = VIRTIO_PCI_SUBSYSTEM_ID;
    pc->revision = VIRTIO_PCI_REVISION;
    pc->realize = vp_realize;
    pc->reset = vp_reset;
    pc->config_read = vp_config_read;
    pc->config_write = vp_config_write;
}

/* vectors=N (0 to 128; 0: no MSI-X) or "auto". */
static bool parse_vectors(Device *dev, const Property *prop, void *field,
                          const char *str, Error **errp)
{
    char *end;
    unsigned long v;

    if (!strcmp(str, "auto")) {
        *(uint32_t *)field = VECTORS_AUTO;
        return true;
    }
    v = strtoul(str, &end, 0);
    if (!isdigit((unsigned char)*str) || *end ||
        v > VIRTIO_PCI_MAX_VECTORS) {
        error_setg(errp, "Property '%s.%s' doesn't take value '%s': want "
                   "0 to %u or auto", dev->klass->name, prop->name, str,
                   VIRTIO_PCI_MAX_VECTORS);
        return false;
    }
    *(uint32_t *)field = v;
    return true;
}

static char *print_vectors(Device *dev, const Property *prop,
                           const void *field)
{
    uint32_t v = *(const uint32_t *)field;
    char *s;

    if (v == VECTORS_AUTO ? !(s = strdup("auto"))
                          : asprintf(&s, "%u", v) < 0) {
        abort();
    }
    return s;
}

static void default_vectors(Device *dev, const Property *prop, void *field)
{
    *(uint32_t *)field = VECTORS_AUTO;
}

static const PropertyInfo prop_info_vectors = {
    .type_name = "uint32-or-auto",
    .parse = parse_vectors,
    .print = print_vectors,
    .set_default = default_vectors,
};

static const Property vp_props[] = {
    { .name = "vectors", .info = &prop_info_vectors,
      .offset = offsetof(VirtIOPCIProxy, vectors),
      .desc = "MSI-X vectors, 0 for none (default: auto, one per queue "
              "and one for config)" },
    PROP_END
};

static const DeviceTypeInfo virtio_pci_info = {
    .name = TYPE_VIRTIO_PCI,
    .parent = TYPE_PCI_DEVICE,
    .desc = "virtio-pci transport (abstract)",
    .instance_size = sizeof(VirtIOPCIProxy),
    .class_size = sizeof(VirtIOPCIClass),
    .abstract = true,
    .props = vp_props,
    .instance_init = vp_instance_init,
    .instance_finalize = vp_instance_finalize,
    .class_init = vp_class_init,
};
DEVICE_TYPE_REGISTER(virtio_pci_info)

Device *virtio_pci_get_vdev(Device *pci_dev)
{
    VirtIOPCIProxy *p;

    assert(bql_locked());
    if (!device_is_a(pci_dev, TYPE_VIRTIO_PCI)) {
        return NULL;
    }
    p = VIRTIO_PCI(PCI_DEVICE(pci_dev));
    return p->irq_vdev ? &p->irq_vdev->parent : NULL;
}

/* ---- the wrapper types */

static DeviceTypeInfo wrapper_infos[ARRAY_SIZE(virtio_pci_wrappers)];
static Property wrapper_props[ARRAY_SIZE(virtio_pci_wrappers)]
                             [VIRTIO_PCI_MAX_FWD + 1];

static void wrapper_class_init(DeviceClass *dc, const void *data)
{
    const VirtioPciWrapper *w = data;
    VirtIOPCIClass *vc = (VirtIOPCIClass *)dc;
    const Property *own = dc->info->props;

    vc->w = w;
    vc->parent.device_id = VIRTIO_PCI_DEVICE_ID_BASE + w->virtio_id;
    vc->parent.class_id = w->class_id;
    for (vc->nr_fwd = 0; own[vc->nr_fwd].name; vc->nr_fwd++) {
        vc->fwd_names[vc->nr_fwd] = own[vc->nr_fwd].name;
    }
}

static void add_fwd_props(Property *props, unsigned *n, const char *vdev_type,
                          const char *const *names)
{
    for (; names && *names; names++) {
        char *desc;

        assert(*n < VIRTIO_PCI_MAX_FWD);
        if (asprintf(&desc, "passed to %s", vdev_type) < 0) {
            abort();
        }
        /* A string each: the virtio device parses it at realize. */
        props[*n] = (Property) {
            .name = *names, .info = &prop_info_string,
            .offset = offsetof(VirtIOPCIProxy, fwd) + *n * sizeof(char *),
            .desc = desc,
        };
        (*n)++;
    }
}

static void __attribute__((constructor)) virtio_pci_register_wrappers(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(virtio_pci_wrappers); i++) {
        const VirtioPciWrapper *w = &virtio_pci_wrappers[i];
        unsigned n = 0;
        char *desc;

        add_fwd_props(wrapper_props[i], &n, w->vdev_type,
                      virtio_common_props);
        add_fwd_props(wrapper_props[i], &n, w->vdev_type, w->props);
        if (asprintf(&desc, "%s on the virtio-pci transport",
                     w->vdev_type) < 0) {
            abort();
        }
        /* The table, names and descriptions live for the process. */
        wrapper_infos[i] = (DeviceTypeInfo) {
            .name = w->name,
            .parent = TYPE_VIRTIO_PCI,
            .desc = desc,
            .props = wrapper_props[i],
            .class_init = wrapper_class_init,
            .class_data = w,
        };
        device_type_register(&wrapper_infos[i]);
    }
}
