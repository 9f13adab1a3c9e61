/* virtio-mmio version 2 transport.
 *
 * Locking: the region is lockless.  mmio->vdev is RCU-published: a
 * handler loads it inside a read section and the device is finalized only
 * after a grace period, so the pointer stays valid for the access even if
 * an unplug isolates the slot meanwhile.  The plugged device's lock
 * protects the device state and the transport's selector registers
 * (features_sel, driver_features_sel, queue_sel).
 */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>

#include "hw/core/props.h"
#include "hw/virtio/virtio-mmio.h"
#include "system/bql.h"
#include "util/log.h"

struct VirtioMmio {
    Device parent;
    MemoryRegion iomem;
    /* Set before realize by virtio_mmio_create, constant afterwards. */
    MemoryRegion *sysmem;
    AddressSpace *dma_as;
    hwaddr base;
    Bus *bus;
    /* RCU; written under the BQL (plug, isolate). */
    VirtIODevice *vdev;
    /* The plugged device's lock. */
    uint32_t features_sel;
    uint32_t driver_features_sel;
    uint32_t queue_sel;
};

#define VIRTIO_MMIO(dev) container_of((dev), VirtioMmio, parent)

/* BQL: numbers the buses in creation order. */
static unsigned virtio_mmio_count;

static void mmio_log(VirtioMmio *m, const char *what, hwaddr off,
                     unsigned size)
{
    log_mask_printf(LOG_GUEST_ERROR, "virtio-mmio@0x%" PRIx64 ": %s at "
                    "0x%" PRIx64 " (size %u)\n", m->base, what, off, size);
}

static VirtQueue *mmio_vq(VirtioMmio *m, VirtIODevice *vdev)
{
    return m->queue_sel < vdev->nr_queues ? vdev->vq[m->queue_sel] : NULL;
}

/* ---- reads */

static uint32_t mmio_queue_read(VirtQueue *vq, hwaddr off)
{
    switch (off) {
    case VIRTIO_MMIO_QUEUE_NUM_MAX:
        return vq->num_max;
    case VIRTIO_MMIO_QUEUE_NUM:
        return vq->num;
    case VIRTIO_MMIO_QUEUE_READY:
        return vq->ready;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
        return (uint32_t)vq->desc;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        return vq->desc >> 32;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
        return (uint32_t)vq->avail;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
        return vq->avail >> 32;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
        return (uint32_t)vq->used;
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        return vq->used >> 32;
    default:
        return 0;   /* QUEUE_RESET: a reset completes at once */
    }
}

static bool is_queue_reg(hwaddr off)
{
    return (off >= VIRTIO_MMIO_QUEUE_NUM_MAX &&
            off <= VIRTIO_MMIO_QUEUE_READY) ||
           (off >= VIRTIO_MMIO_QUEUE_DESC_LOW &&
            off <= VIRTIO_MMIO_QUEUE_DEVICE_HIGH) ||
           off == VIRTIO_MMIO_QUEUE_RESET;
}

static uint32_t mmio_read_locked(VirtioMmio *m, VirtIODevice *vdev,
                                 hwaddr off)
{
    VirtQueue *vq = mmio_vq(m, vdev);

    if (is_queue_reg(off)) {
        return vq ? mmio_queue_read(vq, off) : 0;
    }
    switch (off) {
    case VIRTIO_MMIO_DEVICE_ID:
        return VIRTIO_DEVICE_GET_CLASS(vdev)->device_id;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        return virtio_get_features_locked(vdev, m->features_sel);
    case VIRTIO_MMIO_INTERRUPT_STATUS:
        return vdev->isr;
    case VIRTIO_MMIO_STATUS:
        return vdev->status;
    case VIRTIO_MMIO_CONFIG_GENERATION:
        return vdev->config_generation;
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        return m->features_sel;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        return m->driver_features_sel;
    case VIRTIO_MMIO_QUEUE_SEL:
        return m->queue_sel;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        return (uint32_t)(vdev->guest_features >>
                          (m->driver_features_sel ? 32 : 0));
    default:
        mmio_log(m, "read of a write-only or unknown register", off, 4);
        return 0;
    }
}

/* Registers that read the same with or without a device. */
static bool mmio_read_fixed(hwaddr off, uint32_t *v)
{
    switch (off) {
    case VIRTIO_MMIO_MAGIC_VALUE:
        *v = VIRTIO_MMIO_MAGIC;
        return true;
    case VIRTIO_MMIO_VERSION:
        *v = 2;
        return true;
    case VIRTIO_MMIO_VENDOR_ID:
        *v = VIRTIO_MMIO_VENDOR;
        return true;
    case VIRTIO_MMIO_SHM_LEN_LOW:
    case VIRTIO_MMIO_SHM_LEN_HIGH:
    case VIRTIO_MMIO_SHM_BASE_LOW:
    case VIRTIO_MMIO_SHM_BASE_HIGH:
        *v = 0xffffffff;    /* no shared memory regions: length -1 */
        return true;
    default:
        return false;
    }
}

static uint64_t virtio_mmio_read(void *opaque, hwaddr off, unsigned size)
{
    VirtioMmio *m = opaque;
    VirtIODevice *vdev;
    uint32_t v = 0;

    if (off < VIRTIO_MMIO_CONFIG && size != 4) {
        mmio_log(m, "register read not 32 bits wide", off, size);
        return 0;
    }
    if (off < VIRTIO_MMIO_CONFIG && mmio_read_fixed(off, &v)) {
        return v;
    }
    weft_rcu_read_lock();
    vdev = weft_rcu_dereference(m->vdev);
    if (vdev) {
        pthread_mutex_lock(&vdev->lock);
        if (off >= VIRTIO_MMIO_CONFIG) {
            v = virtio_config_read_locked(vdev, off - VIRTIO_MMIO_CONFIG,
                                          size);
        } else {
            v = mmio_read_locked(m, vdev, off);
        }
        pthread_mutex_unlock(&vdev->lock);
    }
    weft_rcu_read_unlock();
    /* An empty slot reads DeviceID 0 (§4.2.3.1.1: "no device"). */
    return v;
}

/* ---- writes */

static void mmio_queue_write(VirtioMmio *m, VirtIODevice *vdev, hwaddr off,
                             uint32_t v)
{
    VirtQueue *vq = mmio_vq(m, vdev);

    if (!vq) {
        mmio_log(m, "queue register written with QueueSel out of range",
                 off, 4);
        return;
    }
    switch (off) {
    case VIRTIO_MMIO_QUEUE_NUM:
        virtio_queue_set_num_locked(vq, v);
        break;
    case VIRTIO_MMIO_QUEUE_READY:
        virtio_queue_set_ready_locked(vq, v & 1);
        break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        virtio_queue_set_addr_locked(vq, &vq->desc, v,
                                     off == VIRTIO_MMIO_QUEUE_DESC_HIGH);
        break;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
        virtio_queue_set_addr_locked(vq, &vq->avail, v,
                                     off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH);
        break;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        virtio_queue_set_addr_locked(vq, &vq->used, v,
                                     off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH);
        break;
    case VIRTIO_MMIO_QUEUE_RESET:
        if (!(v & 1)) {
            break;
        }
        if (!virtio_has_feature(vdev->guest_features, VIRTIO_F_RING_RESET)) {
            mmio_log(m, "QueueReset without VIRTIO_F_RING_RESET", off, 4);
            break;
        }
        virtio_queue_reset_locked(vq);
        break;
    default:
        mmio_log(m, "write to a read-only queue register", off, 4);
        break;
    }
}

static void mmio_write_locked(VirtioMmio *m, VirtIODevice *vdev, hwaddr off,
                              uint32_t v)
{
    if (is_queue_reg(off)) {
        mmio_queue_write(m, vdev, off, v);
        return;
    }
    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        m->features_sel = v;
        break;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        virtio_set_driver_features_locked(vdev, m->driver_features_sel, v);
        break;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        m->driver_features_sel = v;
        break;
    case VIRTIO_MMIO_QUEUE_SEL:
        m->queue_sel = v;
        break;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        /* Only if the ioeventfd did not match (say, a stray value). */
        virtio_queue_kick(vdev, v);
        break;
    case VIRTIO_MMIO_INTERRUPT_ACK:
        virtio_isr_ack_locked(vdev, v);
        break;
    case VIRTIO_MMIO_STATUS:
        if (v > 0xff) {
            mmio_log(m, "Status above 8 bits", off, 4);
        }
        virtio_set_status_locked(vdev, v & 0xff);
        if (!v) {
            m->features_sel = m->driver_features_sel = m->queue_sel = 0;
        }
        break;
    case VIRTIO_MMIO_SHM_SEL:
        break;
    default:
        mmio_log(m, "write to a read-only or unknown register", off, 4);
        break;
    }
}

static void virtio_mmio_write(void *opaque, hwaddr off, uint64_t value,
                              unsigned size)
{
    VirtioMmio *m = opaque;
    VirtIODevice *vdev;

    if (off < VIRTIO_MMIO_CONFIG && size != 4) {
        mmio_log(m, "register write not 32 bits wide", off, size);
        return;
    }
    weft_rcu_read_lock();
    vdev = weft_rcu_dereference(m->vdev);
    if (vdev) {
        pthread_mutex_lock(&vdev->lock);
        if (off >= VIRTIO_MMIO_CONFIG) {
            virtio_config_write_locked(vdev, off - VIRTIO_MMIO_CONFIG, size,
                                       (uint32_t)value);
        } else {
            mmio_write_locked(m, vdev, off, (uint32_t)value);
        }
        pthread_mutex_unlock(&vdev->lock);
    } else {
        mmio_log(m, "write to an empty slot", off, size);
    }
    weft_rcu_read_unlock();
}

static const MemoryRegionOps virtio_mmio_ops = {
    .read = virtio_mmio_read,
    .write = virtio_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /* Registers are 32-bit; config space also takes bytes and halves
     * (checked in the handlers).  8-byte accesses fail on the bus. */
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

/* ---- the virtio bus of one slot */

/* vdev->lock held, any thread.  One line for every source: the core set
 * the ISR bit (InterruptStatus) that tells the driver which. */
static void virtio_mmio_update_irq(void *opaque, uint32_t isr,
                                   unsigned source)
{
    VirtioMmio *m = opaque;

    irq_set_level(device_irq_out(&m->parent, 0), isr != 0);
}

static void mmio_eventfds(VirtioMmio *m, VirtIODevice *vdev, bool add)
{
    memory_region_transaction_begin();
    for (unsigned i = 0; i < vdev->nr_queues; i++) {
        if (add) {
            memory_region_add_eventfd(&m->iomem, VIRTIO_MMIO_QUEUE_NOTIFY,
                                      4, true, i,
                                      &vdev->vq[i]->host_notifier);
        } else {
            memory_region_del_eventfd(&m->iomem, VIRTIO_MMIO_QUEUE_NOTIFY,
                                      4, true, i,
                                      &vdev->vq[i]->host_notifier);
        }
    }
    memory_region_transaction_commit();
}

static void virtio_mmio_bus_plug(Bus *bus, Device *dev)
{
    VirtioMmio *m = bus->opaque;
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VirtioTransport t = { virtio_mmio_update_irq, m };

    virtio_device_attach(vdev, m->dma_as, &t);
    pthread_mutex_lock(&vdev->lock);
    m->features_sel = m->driver_features_sel = m->queue_sel = 0;
    pthread_mutex_unlock(&vdev->lock);
    mmio_eventfds(m, vdev, true);
    weft_rcu_assign_pointer(m->vdev, vdev);
}

/* Unplug step 2, inside the isolate transaction: the slot reads empty,
 * notifies no longer reach the device, its interrupt is lowered.  The
 * notifiers are closed at finalize, after the grace period that covers
 * a notify write already past the eventfd check. */
static void virtio_mmio_bus_isolate(Bus *bus, Device *dev)
{
    VirtioMmio *m = bus->opaque;
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);

    weft_rcu_assign_pointer(m->vdev, NULL);
    mmio_eventfds(m, vdev, false);
    virtio_device_detach(vdev);
}

static bool virtio_mmio_bus_pre_plug(Bus *bus, Device *dev, Error **errp)
{
    if (!device_is_a(dev, TYPE_VIRTIO_DEVICE)) {
        error_setg(errp, "%s is not a virtio device", device_type_name(dev));
        return false;
    }
    return true;
}

static const BusInfo virtio_mmio_bus_info = {
    .type = TYPE_VIRTIO_BUS,
    .max_slots = 1,
    /* No guest protocol for virtio-mmio: an unplug is a surprise
     * removal; the slot then reads DeviceID 0. */
    .hotpluggable = true,
    .pre_plug = virtio_mmio_bus_pre_plug,
    .plug = virtio_mmio_bus_plug,
    .isolate = virtio_mmio_bus_isolate,
};

/* ---- the transport device */

static bool virtio_mmio_realize(Device *dev, Error **errp)
{
    VirtioMmio *m = VIRTIO_MMIO(dev);
    char name[32];

    if (!m->sysmem) {
        error_setg(errp, "virtio-mmio: created without virtio_mmio_create");
        return false;
    }
    snprintf(name, sizeof(name), "virtio-mmio-bus.%u", virtio_mmio_count++);
    m->bus = bus_new(dev, &virtio_mmio_bus_info, name);
    m->bus->opaque = m;
    memory_region_init_io(&m->iomem, &dev->obj, &virtio_mmio_ops, m,
                          "virtio-mmio", VIRTIO_MMIO_REGION_SIZE);
    memory_region_set_lockless(&m->iomem, true);
    memory_region_add_subregion(m->sysmem, m->base, &m->iomem);
    return true;
}

static void virtio_mmio_isolate(Device *dev)
{
    VirtioMmio *m = VIRTIO_MMIO(dev);

    memory_region_del_subregion(m->sysmem, &m->iomem);
}

static void virtio_mmio_instance_init(Device *dev)
{
    device_init_irqs_out(dev, 1);
}

static void virtio_mmio_instance_finalize(Device *dev)
{
    VirtioMmio *m = VIRTIO_MMIO(dev);

    if (m->bus) {
        memory_region_finalize(&m->iomem);
    }
}

static const DeviceTypeInfo virtio_mmio_info = {
    .name = TYPE_VIRTIO_MMIO,
    .parent = "device",
    .desc = "virtio-mmio transport (version 2)",
    .instance_size = sizeof(VirtioMmio),
    .no_user = true,
    .instance_init = virtio_mmio_instance_init,
    .instance_finalize = virtio_mmio_instance_finalize,
    .realize = virtio_mmio_realize,
    .isolate = virtio_mmio_isolate,
};
DEVICE_TYPE_REGISTER(virtio_mmio_info)

VirtioMmio *virtio_mmio_create(Bus *parent_bus, MemoryRegion *sysmem,
                               AddressSpace *dma_as, hwaddr base,
                               IrqLine *irq, Device *vdev, Error **errp)
{
    Device *dev;
    VirtioMmio *m;

    assert(bql_locked());
    dev = device_new(TYPE_VIRTIO_MMIO, errp);
    if (!dev) {
        device_unref(vdev);
        return NULL;
    }
    m = VIRTIO_MMIO(dev);
    m->sysmem = sysmem;
    m->dma_as = dma_as;
    m->base = base;
    if (!device_realize_and_unref(dev, parent_bus, errp)) {
        device_unref(vdev);
        return NULL;
    }
    if (irq) {
        irq_connect(device_irq_out(dev, 0), irq);
    }
    if (vdev && !device_realize_and_unref(vdev, m->bus, errp)) {
        return NULL;
    }
    return m;
}

Bus *virtio_mmio_get_bus(VirtioMmio *m)
{
    return m->bus;
}

hwaddr virtio_mmio_get_base(VirtioMmio *m)
{
    return m->base;
}

Device *virtio_mmio_get_device(VirtioMmio *m)
{
    assert(bql_locked());
    return m->vdev ? &m->vdev->parent : NULL;
}
