/* The configuration-mechanism-#1 host bridge: see pci-host-pio.h.
 *
 * Config cycles: CONFIG_ADDRESS names (bus, devfn, dword register); the
 * bus is found through the bridges' bus numbers (pci_find_bus_nr), so
 * with the enable bit clear, on a bus nobody claims or at an empty
 * devfn, CONFIG_DATA reads all ones and drops writes, as a master abort
 * does.  A CONFIG_DATA access at port 0xcfc + k of n bytes is the
 * config access of n bytes at register + k: byte lanes, as chipsets
 * route them.  Only the first 256 bytes of a function are reachable
 * (the register field is 6 bits); an Express function's extended space
 * needs ECAM, which this host does not have.
 *
 * CONFIG_ADDRESS is a 32-bit register: only dword accesses at 0xcf8
 * reach it.  Narrower ones are not for it (on PC chipsets 0xcf9 is the
 * reset control register, and Linux's type 1 probe writes a byte to
 * 0xcfb to see that it does not change CONFIG_ADDRESS): they read all
 * ones and are dropped.
 */
#include <assert.h>
#include <inttypes.h>

#include "hw/pci/pci-host-pio.h"
#include "hw/core/props.h"
#include "hw/pci/pci-host-ecam.h"       /* TYPE_PCIE_HOST_BRIDGE */
#include "system/bql.h"
#include "util/log.h"

#define PCI_HOST_PIO_PORTS 4            /* 0xcf8-0xcfb, 0xcfc-0xcff */

struct PCIHostPio {
    Device parent;
    /* Set before realize by pci_host_pio_create, constant afterwards. */
    PCIHostPioConfig cfg;
    PCIHost host;
    PCIBus root;
    MemoryRegion config_address, config_data;
    MemoryRegion pci_mem, pci_io;       /* the PCI address spaces */
    MemoryRegion mmio_win, mmio64_win, pio_win;
    bool realized;                      /* regions exist (finalize) */
    /* BQL (both port regions are BQL regions).  Masked with
     * PCI_CONFIG_ADDRESS_MASK. */
    uint32_t address;
};

#define PCI_HOST_PIO(dev) container_of((dev), PCIHostPio, parent)

static uint64_t all_ones(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
}

/* ---- CONFIG_ADDRESS */

static uint64_t config_address_read(void *opaque, hwaddr off, unsigned size)
{
    PCIHostPio *h = opaque;

    assert(bql_locked());
    return off == 0 && size == 4 ? h->address : all_ones(size);
}

static void config_address_write(void *opaque, hwaddr off, uint64_t val,
                                 unsigned size)
{
    PCIHostPio *h = opaque;

    assert(bql_locked());
    if (off == 0 && size == 4) {
        h->address = (uint32_t)val & PCI_CONFIG_ADDRESS_MASK;
    }
}

static const MemoryRegionOps config_address_ops = {
    .read = config_address_read,
    .write = config_address_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4,
               .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 4,
              .unaligned = true },
};

/* ---- CONFIG_DATA */

/* The function CONFIG_ADDRESS selects, or NULL (disabled, no such bus
 * or function). */
static PCIDevice *selected_device(PCIHostPio *h)
{
    unsigned busnr = (h->address >> 16) & 0xff;
    unsigned devfn = (h->address >> 8) & 0xff;
    PCIBus *bus;

    if (!(h->address & PCI_CONFIG_ADDRESS_ENABLE)) {
        return NULL;
    }
    bus = pci_find_bus_nr(&h->root, busnr);
    if (!bus || devfn >= bus->max_devfn) {
        return NULL;
    }
    return bus->devices[devfn];
}

static uint64_t config_data_read(void *opaque, hwaddr off, unsigned size)
{
    PCIHostPio *h = opaque;
    PCIDevice *d = selected_device(h);

    /* pci_config_read turns a misaligned lane access into all ones. */
    return d ? pci_config_read(d, (h->address & 0xfc) + off, size)
             : all_ones(size);
}

static void config_data_write(void *opaque, hwaddr off, uint64_t val,
                              unsigned size)
{
    PCIHostPio *h = opaque;
    PCIDevice *d = selected_device(h);

    if (d) {
        pci_config_write(d, (h->address & 0xfc) + off, (uint32_t)val, size);
    }
}

static const MemoryRegionOps config_data_ops = {
    .read = config_data_read,
    .write = config_data_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4,
               .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 4,
              .unaligned = true },
};

/* ---- interrupts */

static void pio_set_irq(PCIHost *host, int line, bool level)
{
    PCIHostPio *h = host->opaque;

    irq_set_level(device_irq_out(&h->parent, line), level);
}

static void pio_msi_notify(PCIHost *host, PCIDevice *dev, uint64_t addr,
                           uint32_t data)
{
    PCIHostPio *h = host->opaque;

    h->cfg.msi_notify(h->cfg.msi_opaque, addr, data);
}

/* ---- the host device */

static void pio_map_windows(PCIHostPio *h)
{
    PCIHostPioConfig *c = &h->cfg;
    Object *owner = &h->parent.obj;

    /* Aliases of our own regions: no reference; sysmem and io (static)
     * hold one on us while they are mapped. */
    memory_region_init_alias(&h->mmio_win, owner, "pci-mmio", &h->pci_mem,
                             c->mmio_base, c->mmio_size);
    memory_region_add_subregion(c->sysmem, c->mmio_base, &h->mmio_win);
    if (c->mmio64_size) {
        memory_region_init_alias(&h->mmio64_win, owner, "pci-mmio-high",
                                 &h->pci_mem, c->mmio64_base,
                                 c->mmio64_size);
        memory_region_add_subregion(c->sysmem, c->mmio64_base,
                                    &h->mmio64_win);
    }
    if (c->pio_size) {
        memory_region_init_alias(&h->pio_win, owner, "pci-pio", &h->pci_io,
                                 c->pio_base, c->pio_size);
        memory_region_add_subregion_overlap(c->io, c->pio_base, &h->pio_win,
                                            -1);
    }
}

static bool pio_config_ok(const PCIHostPioConfig *c)
{
    return c->sysmem && c->io && c->dma_root && c->mmio_size &&
           c->pio_base + c->pio_size <= 0x10000;
}

static bool pio_realize(Device *dev, Error **errp)
{
    PCIHostPio *h = PCI_HOST_PIO(dev);
    PCIHostPioConfig *c = &h->cfg;
    Object *owner = &dev->obj;
    Device *fn;

    if (!pio_config_ok(c)) {
        error_setg(errp, "%s: created without a valid configuration",
                   TYPE_PCI_HOST_PIO);
        return false;
    }
    h->host.set_irq = pio_set_irq;
    h->host.msi_notify = c->msi_notify ? pio_msi_notify : NULL;
    h->host.opaque = h;
    h->host.dma_root = c->dma_root;
    memory_region_init_io(&h->config_address, owner, &config_address_ops, h,
                          "pci-config-address", PCI_HOST_PIO_PORTS);
    memory_region_init_io(&h->config_data, owner, &config_data_ops, h,
                          "pci-config-data", PCI_HOST_PIO_PORTS);
    memory_region_init(&h->pci_mem, owner, "pci-memory", UINT64_MAX);
    memory_region_init(&h->pci_io, owner, "pci-io", 0x10000);
    h->realized = true;
    pci_root_bus_init(&h->root, dev, PCI_HOST_PIO_ROOT_BUS, &h->host,
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
    memory_region_add_subregion(c->io, PCI_CONFIG_ADDRESS_PORT,
                                &h->config_address);
    memory_region_add_subregion(c->io, PCI_CONFIG_DATA_PORT,
                                &h->config_data);
    pio_map_windows(h);
    return true;
}

static void pio_instance_init(Device *dev)
{
    PCIHostPio *h = PCI_HOST_PIO(dev);

    pci_host_init(&h->host);
    device_init_irqs_out(dev, PCI_NUM_PINS);
}

/* The host is never unplugged: a finalize only follows a failed
 * realize, which mapped nothing. */
static void pio_instance_finalize(Device *dev)
{
    PCIHostPio *h = PCI_HOST_PIO(dev);

    if (h->realized) {
        memory_region_finalize(&h->config_address);
        memory_region_finalize(&h->config_data);
        memory_region_finalize(&h->pci_mem);
        memory_region_finalize(&h->pci_io);
    }
    pthread_mutex_destroy(&h->host.intx_lock);
}

static const DeviceTypeInfo pci_host_pio_info = {
    .name = TYPE_PCI_HOST_PIO,
    .parent = "device",
    .desc = "PCI Express host bridge, configuration mechanism #1 "
            "(ports 0xcf8/0xcfc)",
    .instance_size = sizeof(PCIHostPio),
    .no_user = true,
    .instance_init = pio_instance_init,
    .instance_finalize = pio_instance_finalize,
    .realize = pio_realize,
};
DEVICE_TYPE_REGISTER(pci_host_pio_info)

PCIHostPio *pci_host_pio_create(Bus *parent_bus, const PCIHostPioConfig *cfg,
                                Error **errp)
{
    Device *dev;
    PCIHostPio *h;

    assert(bql_locked());
    dev = device_new(TYPE_PCI_HOST_PIO, errp);
    if (!dev) {
        return NULL;
    }
    h = PCI_HOST_PIO(dev);
    h->cfg = *cfg;
    if (!device_realize_and_unref(dev, parent_bus, errp)) {
        return NULL;
    }
    for (unsigned i = 0; i < PCI_NUM_PINS; i++) {
        if (cfg->irq[i]) {
            pci_host_pio_connect_irq(h, i, cfg->irq[i]);
        }
    }
    return h;
}

PCIBus *pci_host_pio_root_bus(PCIHostPio *h)
{
    return &h->root;
}

void pci_host_pio_connect_irq(PCIHostPio *h, unsigned n, IrqLine *line)
{
    assert(bql_locked() && n < PCI_NUM_PINS);
    irq_connect(device_irq_out(&h->parent, n), line);
}

void pci_host_pio_reset(PCIHostPio *h)
{
    assert(bql_locked());
    h->address = 0;
    pci_bus_reset(&h->root);
}
