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

#include "hw/pci/pci-host-common.h"
#include "hw/pci/pci-host-ecam.h"
#include "system/bql.h"
#include "util/log.h"

struct PCIHostEcam {
    Device parent;
    /* Set before realize by pci_host_ecam_create, constant afterwards. */
    PCIHostEcamConfig cfg;
    PCIHostRoot r;
    MemoryRegion ecam;
};

#define PCI_HOST_ECAM(dev) container_of((dev), PCIHostEcam, parent)

/* ---- ECAM */

static PCIDevice *ecam_device(PCIHostEcam *h, hwaddr off, uint32_t *reg)
{
    unsigned busnr = off >> PCI_ECAM_BUS_SHIFT;
    unsigned devfn = (off >> 12) & 0xff;
    PCIBus *bus = pci_find_bus_nr(&h->r.root, busnr);

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

/* ---- the host device */

static bool ecam_realize(Device *dev, Error **errp)
{
    PCIHostEcam *h = PCI_HOST_ECAM(dev);
    PCIHostEcamConfig *c = &h->cfg;
    Object *owner = &dev->obj;

    if (!c->sysmem || !c->dma_root || !c->ecam_size ||
        (c->ecam_size & 0xfffff) ||
        c->ecam_size > (256ull << PCI_ECAM_BUS_SHIFT) ||
        c->pio_size > 0x10000) {
        error_setg(errp, "%s: created without a valid configuration",
                   TYPE_PCI_HOST_ECAM);
        return false;
    }
    memory_region_init_io(&h->ecam, owner, &ecam_ops, h, "pcie-ecam",
                          c->ecam_size);
    if (!pci_host_root_realize(&h->r, dev, c->dma_root, errp)) {
        return false;
    }
    memory_region_add_subregion(c->sysmem, c->ecam_base, &h->ecam);
    pci_host_root_map_windows(&h->r, dev, &(PCIHostWindows) {
        .mem_space = c->sysmem,
        .mmio_base = c->mmio_base, .mmio_size = c->mmio_size,
        .mmio64_base = c->mmio64_base, .mmio64_size = c->mmio64_size,
        /* PCI ports from 0, as a memory-mapped window. */
        .io_space = c->sysmem, .pio_base = c->pio_base,
        .pio_size = c->pio_size,
    });
    return true;
}

static void ecam_instance_init(Device *dev)
{
    pci_host_root_init(&PCI_HOST_ECAM(dev)->r, dev);
}

/* The host is never unplugged: a finalize only follows a failed
 * realize, which mapped nothing. */
static void ecam_instance_finalize(Device *dev)
{
    PCIHostEcam *h = PCI_HOST_ECAM(dev);

    if (h->r.realized) {
        memory_region_finalize(&h->ecam);
    }
    pci_host_root_finalize(&h->r);
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
    pci_host_root_register_query(&h->r);
    return h;
}

PCIBus *pci_host_ecam_root_bus(PCIHostEcam *h)
{
    return &h->r.root;
}

void pci_host_ecam_reset(PCIHostEcam *h)
{
    pci_bus_reset(&h->r.root);
}
