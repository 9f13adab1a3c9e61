/* The generic ECAM host bridge and its host bridge function.
 *
 * Config cycles: an ECAM offset names (bus, devfn, register); the bus is
 * found through the bridges' bus numbers (pci_find_bus_nr), so a bus
 * number nobody claims, or an empty devfn, reads all ones and drops
 * writes, as a master abort does.  The region takes every access size
 * up to 8 bytes and leaves the checks to pci_config_read/write, so a
 * guest doing something odd gets all ones, not a bus fault.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>

#include "hw/core/props.h"
#include "hw/pci/pci-host-ecam.h"
#include "system/bql.h"
#include "system/monitor/qmp.h"
#include "util/log.h"

/* BQL: every host, for query-pci (hosts are never unplugged). */
#define MAX_HOSTS 4
static PCIHostEcam *ecam_hosts[MAX_HOSTS];
static unsigned nr_ecam_hosts;

struct PCIHostEcam {
    Device parent;
    /* Set before realize by pci_host_ecam_create, constant afterwards. */
    PCIHostEcamConfig cfg;
    PCIHost host;
    PCIBus root;
    MemoryRegion ecam;
    MemoryRegion pci_mem, pci_io;       /* the PCI address spaces */
    MemoryRegion mmio_win, mmio64_win, pio_win;
    bool realized;                      /* regions exist (finalize) */
};

#define PCI_HOST_ECAM(dev) container_of((dev), PCIHostEcam, parent)

/* ---- ECAM */

static PCIDevice *ecam_device(PCIHostEcam *h, hwaddr off, uint32_t *reg)
{
    unsigned busnr = off >> PCI_ECAM_BUS_SHIFT;
    unsigned devfn = (off >> 12) & 0xff;
    PCIBus *bus = pci_find_bus_nr(&h->root, busnr);

    *reg = off & 0xfff;
    if (!bus || devfn >= bus->max_devfn) {
        return NULL;
    }
    return bus->devices[devfn];
}

static bool ecam_size_ok(hwaddr off, unsigned size)
{
    if (size > 4 || (off & (size - 1))) {
        log_mask_printf(LOG_GUEST_ERROR, "pci-host-ecam: config access of "
                        "%u bytes at ECAM offset 0x%" PRIx64 " is not a "
                        "naturally aligned 1, 2 or 4 byte one; ignored\n",
                        size, off);
        return false;
    }
    return true;
}

static uint64_t ecam_read(void *opaque, hwaddr off, unsigned size)
{
    uint64_t ones = size >= 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
    PCIDevice *d;
    uint32_t reg;

    if (!ecam_size_ok(off, size)) {
        return ones;
    }
    d = ecam_device(opaque, off, &reg);
    return d ? pci_config_read(d, reg, size) : ones;
}

static void ecam_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    PCIDevice *d;
    uint32_t reg;

    if (!ecam_size_ok(off, size)) {
        return;
    }
    d = ecam_device(opaque, off, &reg);
    if (d) {
        pci_config_write(d, reg, (uint32_t)val, size);
    }
}

static const MemoryRegionOps ecam_ops = {
    .read = ecam_read,
    .write = ecam_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8,
               .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8,
              .unaligned = true },
};

/* ---- INTx lines */

static void ecam_set_irq(PCIHost *host, int line, bool level)
{
    PCIHostEcam *h = host->opaque;

    irq_set_level(device_irq_out(&h->parent, line), level);
}

/* ---- the host device */

static void ecam_map_windows(PCIHostEcam *h)
{
    PCIHostEcamConfig *c = &h->cfg;
    Object *owner = &h->parent.obj;

    /* Aliases of our own regions: no reference; sysmem (static) holds
     * one on us while they are mapped. */
    memory_region_init_alias(&h->mmio_win, owner, "pcie-mmio", &h->pci_mem,
                             c->mmio_base, c->mmio_size);
    memory_region_add_subregion(c->sysmem, c->mmio_base, &h->mmio_win);
    if (c->mmio64_size) {
        memory_region_init_alias(&h->mmio64_win, owner, "pcie-mmio-high",
                                 &h->pci_mem, c->mmio64_base,
                                 c->mmio64_size);
        memory_region_add_subregion(c->sysmem, c->mmio64_base,
                                    &h->mmio64_win);
    }
    memory_region_init_alias(&h->pio_win, owner, "pcie-pio", &h->pci_io, 0,
                             c->pio_size);
    memory_region_add_subregion(c->sysmem, c->pio_base, &h->pio_win);
}

static bool ecam_realize(Device *dev, Error **errp)
{
    PCIHostEcam *h = PCI_HOST_ECAM(dev);
    PCIHostEcamConfig *c = &h->cfg;
    Object *owner = &dev->obj;
    Device *fn;

    if (!c->sysmem || !c->dma_root || !c->ecam_size ||
        (c->ecam_size & 0xfffff) ||
        c->ecam_size > (256ull << PCI_ECAM_BUS_SHIFT) ||
        c->pio_size > 0x10000) {
        error_setg(errp, "%s: created without a valid configuration",
                   TYPE_PCI_HOST_ECAM);
        return false;
    }
    h->host.set_irq = ecam_set_irq;
    h->host.opaque = h;
    h->host.dma_root = c->dma_root;
    memory_region_init_io(&h->ecam, owner, &ecam_ops, h, "pcie-ecam",
                          c->ecam_size);
    memory_region_init(&h->pci_mem, owner, "pci-memory", UINT64_MAX);
    memory_region_init(&h->pci_io, owner, "pci-io", 0x10000);
    h->realized = true;
    pci_root_bus_init(&h->root, dev, PCI_HOST_ECAM_ROOT_BUS, &h->host,
                      &h->pci_mem, &h->pci_io, true);
    /* Devices without addr= start at slot 1, after the host bridge. */
    h->root.min_slot = 1;
    fn = device_new(TYPE_PCIE_HOST_BRIDGE, errp);
    if (!fn || !device_set_prop_str(fn, "addr", "0", errp) ||
        !device_realize(fn, h->root.qbus, errp)) {
        device_unref(fn);
        return false;
    }
    device_unref(fn);           /* the root bus holds it */
    memory_region_add_subregion(c->sysmem, c->ecam_base, &h->ecam);
    ecam_map_windows(h);
    return true;
}

static void ecam_instance_init(Device *dev)
{
    PCIHostEcam *h = PCI_HOST_ECAM(dev);

    pci_host_init(&h->host);
    device_init_irqs_out(dev, PCI_NUM_PINS);
}

/* The host is never unplugged: a finalize only follows a failed
 * realize, which mapped nothing. */
static void ecam_instance_finalize(Device *dev)
{
    PCIHostEcam *h = PCI_HOST_ECAM(dev);

    if (h->realized) {
        memory_region_finalize(&h->ecam);
        memory_region_finalize(&h->pci_mem);
        memory_region_finalize(&h->pci_io);
    }
    pthread_mutex_destroy(&h->host.intx_lock);
}

static const DeviceTypeInfo pci_host_ecam_info = {
    .name = TYPE_PCI_HOST_ECAM,
    .parent = "device",
    .desc = "generic ECAM PCI Express host bridge",
    .instance_size = sizeof(PCIHostEcam),
    .no_user = true,
    .instance_init = ecam_instance_init,
    .instance_finalize = ecam_instance_finalize,
    .realize = ecam_realize,
};
DEVICE_TYPE_REGISTER(pci_host_ecam_info)

/* ---- query-pci */

static unsigned bar_regions(PCIDevice *d, QmpPciRegion *regs)
{
    unsigned n = 0;

    for (int i = 0; i < PCI_NUM_BARS; i++) {
        const PCIIORegion *r = &d->bars[i];
        uint32_t lo = pci_get_long(d->config + PCI_BASE_ADDRESS_0 + 4 * i);
        uint64_t addr;

        if (!r->mr) {
            continue;
        }
        /* The programmed address, mapped or not. */
        addr = lo & ((r->type & PCI_BASE_ADDRESS_SPACE_IO) ? ~3u : ~15u);
        if (r->type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
            addr |= (uint64_t)pci_get_long(d->config + PCI_BASE_ADDRESS_0 +
                                           4 * i + 4) << 32;
        }
        regs[n++] = (QmpPciRegion) {
            .bar = i, .io = r->type & PCI_BASE_ADDRESS_SPACE_IO,
            .mem64 = r->type & PCI_BASE_ADDRESS_MEM_TYPE_64,
            .prefetch = r->type & PCI_BASE_ADDRESS_MEM_PREFETCH,
            .address = addr, .size = r->size,
        };
    }
    return n;
}

static void ecam_visit_bus(PCIBus *bus, QmpPciVisitFn *visit, void *ctx)
{
    for (unsigned devfn = 0; devfn < bus->max_devfn; devfn++) {
        PCIDevice *d = bus->devices[devfn];
        QmpPciRegion regs[PCI_NUM_BARS];
        QmpPciDevice info;
        uint8_t pin;

        if (!d) {
            continue;
        }
        pin = d->config[PCI_INTERRUPT_PIN];
        info = (QmpPciDevice) {
            .bus = pci_bus_num(bus), .slot = PCI_SLOT(devfn),
            .function = PCI_FUNC(devfn),
            .class_code = pci_get_word(d->config + PCI_CLASS_DEVICE),
            .vendor_id = pci_get_word(d->config + PCI_VENDOR_ID),
            .device_id = pci_get_word(d->config + PCI_DEVICE_ID),
            /* As QEMU: the Interrupt Line the OS wrote, if a pin. */
            .irq = pin ? d->config[PCI_INTERRUPT_LINE] : -1,
            .irq_pin = pin, .qdev_id = d->parent.id,
            .regions = regs, .nr_regions = bar_regions(d, regs),
        };
        if (!d->sec_bus) {
            info.subsystem_vendor_id =
                pci_get_word(d->config + PCI_SUBSYSTEM_VENDOR_ID);
            info.subsystem_id = pci_get_word(d->config + PCI_SUBSYSTEM_ID);
        }
        visit(&info, ctx);
        if (d->sec_bus) {
            ecam_visit_bus(d->sec_bus, visit, ctx);
        }
    }
}

/* BQL (query-pci runs under it). */
static void ecam_query_pci(QmpPciVisitFn *visit, void *ctx)
{
    for (unsigned i = 0; i < nr_ecam_hosts; i++) {
        ecam_visit_bus(&ecam_hosts[i]->root, visit, ctx);
    }
}

PCIHostEcam *pci_host_ecam_create(Bus *parent_bus,
                                  const PCIHostEcamConfig *cfg,
                                  Error **errp)
{
    Device *dev;
    PCIHostEcam *h;

    assert(bql_locked());
    dev = device_new(TYPE_PCI_HOST_ECAM, errp);
    if (!dev) {
        return NULL;
    }
    h = PCI_HOST_ECAM(dev);
    h->cfg = *cfg;
    if (!device_realize_and_unref(dev, parent_bus, errp)) {
        return NULL;
    }
    for (int i = 0; i < PCI_NUM_PINS; i++) {
        if (cfg->irq[i]) {
            irq_connect(device_irq_out(dev, i), cfg->irq[i]);
        }
    }
    if (nr_ecam_hosts < MAX_HOSTS) {
        if (!nr_ecam_hosts) {
            qmp_register_pci_walker(ecam_query_pci);
        }
        ecam_hosts[nr_ecam_hosts++] = h;
    }
    return h;
}

PCIBus *pci_host_ecam_root_bus(PCIHostEcam *h)
{
    return &h->root;
}

void pci_host_ecam_reset(PCIHostEcam *h)
{
    pci_bus_reset(&h->root);
}

/* ---- the host bridge function at 00.0 (class 0600), as on QEMU */

static void host_bridge_class_init(DeviceClass *dc, const void *data)
{
    PCIDeviceClass *pc = (PCIDeviceClass *)dc;

    pc->vendor_id = 0x1b36;     /* the ids QEMU's gpex uses */
    pc->device_id = 0x0008;
    pc->class_id = PCI_CLASS_BRIDGE_HOST;
    dc->hotpluggable = false;
}

static const DeviceTypeInfo pcie_host_bridge_info = {
    .name = TYPE_PCIE_HOST_BRIDGE,
    .parent = TYPE_PCI_DEVICE,
    .desc = "PCIe host bridge function",
    .no_user = true,
    .class_init = host_bridge_class_init,
};
DEVICE_TYPE_REGISTER(pcie_host_bridge_info)
