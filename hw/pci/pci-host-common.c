/* The part every host bridge shares: see pci-host-common.h. */
#include <assert.h>
#include <pthread.h>

#include "hw/core/irq.h"
#include "hw/core/props.h"
#include "hw/pci/pci-host-common.h"
#include "system/bql.h"
#include "system/monitor/qmp.h"

/* BQL: every host, for query-pci (hosts are never unplugged). */
#define MAX_HOSTS 4
static PCIHostRoot *hosts[MAX_HOSTS];
static unsigned nr_hosts;

/* Any thread, under PCIHost.intx_lock (pci.c). */
static void host_set_irq(PCIHost *host, int line, bool level)
{
    irq_set_level(device_irq_out(host->opaque, line), level);
}

void pci_host_root_init(PCIHostRoot *r, Device *dev)
{
    pci_host_init(&r->host);
    r->host.set_irq = host_set_irq;
    r->host.opaque = dev;
    device_init_irqs_out(dev, PCI_NUM_PINS);
}

bool pci_host_root_realize(PCIHostRoot *r, Device *dev,
                           MemoryRegion *dma_root, Error **errp)
{
    Object *owner = &dev->obj;
    Device *fn;

    assert(bql_locked());
    r->host.dma_root = dma_root;
    memory_region_init(&r->pci_mem, owner, "pci-memory", UINT64_MAX);
    memory_region_init(&r->pci_io, owner, "pci-io", 0x10000);
    r->realized = true;
    pci_root_bus_init(&r->root, dev, PCI_HOST_ROOT_BUS, &r->host,
                      &r->pci_mem, &r->pci_io, true);
    /* Devices without addr= start at slot 1, after the host bridge. */
    r->root.min_slot = 1;
    fn = device_new(TYPE_PCIE_HOST_BRIDGE, errp);
    if (!fn || !device_set_prop_str(fn, "addr", "0", errp) ||
        !device_realize(fn, r->root.qbus, errp)) {
        device_unref(fn);
        return false;
    }
    device_unref(fn);           /* the root bus holds it */
    return true;
}

void pci_host_root_map_windows(PCIHostRoot *r, Device *dev,
                               const PCIHostWindows *w)
{
    Object *owner = &dev->obj;

    /* Aliases of our own regions: no reference. */
    memory_region_init_alias(&r->mmio_win, owner, "pcie-mmio", &r->pci_mem,
                             w->mmio_base, w->mmio_size);
    memory_region_add_subregion(w->mem_space, w->mmio_base, &r->mmio_win);
    if (w->mmio64_size) {
        memory_region_init_alias(&r->mmio64_win, owner, "pcie-mmio-high",
                                 &r->pci_mem, w->mmio64_base,
                                 w->mmio64_size);
        memory_region_add_subregion(w->mem_space, w->mmio64_base,
                                    &r->mmio64_win);
    }
    if (w->pio_size) {
        memory_region_init_alias(&r->pio_win, owner, "pcie-pio", &r->pci_io,
                                 w->pio_offset, w->pio_size);
        memory_region_add_subregion_overlap(w->io_space, w->pio_base,
                                            &r->pio_win, w->pio_priority);
    }
}

void pci_host_root_finalize(PCIHostRoot *r)
{
    if (r->realized) {
        memory_region_finalize(&r->pci_mem);
        memory_region_finalize(&r->pci_io);
    }
    pthread_mutex_destroy(&r->host.intx_lock);
}

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

static void visit_bus(PCIBus *bus, QmpPciVisitFn *visit, void *ctx)
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
            visit_bus(d->sec_bus, visit, ctx);
        }
    }
}

/* BQL (query-pci runs under it). */
static void query_pci(QmpPciVisitFn *visit, void *ctx)
{
    for (unsigned i = 0; i < nr_hosts; i++) {
        visit_bus(&hosts[i]->root, visit, ctx);
    }
}

void pci_host_root_register_query(PCIHostRoot *r)
{
    assert(bql_locked());
    if (nr_hosts < MAX_HOSTS) {
        if (!nr_hosts) {
            qmp_register_pci_walker(query_pci);
        }
        hosts[nr_hosts++] = r;
    }
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
