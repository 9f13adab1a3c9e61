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

#include "hw/pci/pci-host-common.h"
#include "hw/pci/pci-host-pio.h"
#include "system/bql.h"
#include "util/log.h"

#define PCI_HOST_PIO_PORTS 4            /* 0xcf8-0xcfb, 0xcfc-0xcff */

struct PCIHostPio {
    Device parent;
    /* Set before realize by pci_host_pio_create, constant afterwards. */
    PCIHostPioConfig cfg;
    PCIHostRoot r;
    MemoryRegion config_address, config_data;
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
    bus = pci_find_bus_nr(&h->r.root, busnr);
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

static void pio_msi_notify(PCIHost *host, PCIDevice *dev, uint64_t addr,
                           uint32_t data)
{
    PCIHostPio *h = container_of(host, PCIHostPio, r.host);

    h->cfg.msi_notify(h->cfg.msi_opaque, addr, data);
}

/* ---- the host device */

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

    if (!pio_config_ok(c)) {
        error_setg(errp, "%s: created without a valid configuration",
                   TYPE_PCI_HOST_PIO);
        return false;
    }
    h->r.host.msi_notify = c->msi_notify ? pio_msi_notify : NULL;
    memory_region_init_io(&h->config_address, owner, &config_address_ops, h,
                          "pci-config-address", PCI_HOST_PIO_PORTS);
    memory_region_init_io(&h->config_data, owner, &config_data_ops, h,
                          "pci-config-data", PCI_HOST_PIO_PORTS);
    if (!pci_host_root_realize(&h->r, dev, c->dma_root, errp)) {
        return false;
    }
    memory_region_add_subregion(c->io, PCI_CONFIG_ADDRESS_PORT,
                                &h->config_address);
    memory_region_add_subregion(c->io, PCI_CONFIG_DATA_PORT,
                                &h->config_data);
    pci_host_root_map_windows(&h->r, dev, &(PCIHostWindows) {
        .mem_space = c->sysmem,
        .mmio_base = c->mmio_base, .mmio_size = c->mmio_size,
        .mmio64_base = c->mmio64_base, .mmio64_size = c->mmio64_size,
        /* The same port numbers, under the board's own ports. */
        .io_space = c->io, .pio_base = c->pio_base,
        .pio_offset = c->pio_base, .pio_size = c->pio_size,
        .pio_priority = -1,
    });
    return true;
}

static void pio_instance_init(Device *dev)
{
    pci_host_root_init(&PCI_HOST_PIO(dev)->r, dev);
}

/* The host is never unplugged: a finalize only follows a failed
 * realize, which mapped nothing. */
static void pio_instance_finalize(Device *dev)
{
    PCIHostPio *h = PCI_HOST_PIO(dev);

    if (h->r.realized) {
        memory_region_finalize(&h->config_address);
        memory_region_finalize(&h->config_data);
    }
    pci_host_root_finalize(&h->r);
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
    pci_host_root_register_query(&h->r);
    return h;
}

PCIBus *pci_host_pio_root_bus(PCIHostPio *h)
{
    return &h->r.root;
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
    pci_bus_reset(&h->r.root);
}
