/* The PCI core: buses, configuration space, BARs, capabilities, INTx
 * routing, bus mastering (MSI and MSI-X are in msi.c).  Locking is described in
 * pci.h; the behaviour the guest sees in docs/pci.md.
 *
 * The memory map: each bus has a memory and an I/O container (the host's
 * PCI spaces for a root bus, a bridge's secondary spaces behind it).  A
 * BAR is a subregion of its bus's container while the guest has it
 * decoding; a bridge's windows are aliases of its secondary containers
 * placed in its primary bus's containers; the host aliases windows of
 * its PCI spaces into system memory.  Every remapping runs in one
 * memory transaction.
 */
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/core/props.h"
#include "hw/pci/pci.h"
#include "hw/pci/pci-internal.h"
#include "system/bql.h"
#include "util/atomic.h"
#include "util/log.h"

void *pci_xzalloc(size_t size)
{
    void *p = calloc(1, size);

    if (!p) {
        abort();
    }
    return p;
}

static const char *pci_name(PCIDevice *d)
{
    return d->parent.id ? d->parent.id : device_type_name(&d->parent);
}

void pci_log(PCIDevice *d, const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    if (!log_enabled(LOG_GUEST_ERROR)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_printf("pci %02x:%02x.%x (%s): %s\n", pci_bus_num(d->bus),
               PCI_SLOT(d->devfn), PCI_FUNC(d->devfn), pci_name(d), msg);
}

static uint16_t pci_cmd(PCIDevice *d)
{
    return pci_get_word(d->config + PCI_COMMAND);
}

/* ------------------------------------------------------------------ */
/* Hosts and buses */

void pci_host_init(PCIHost *host)
{
    pthread_mutex_init(&host->intx_lock, NULL);
}

unsigned pci_bus_num(PCIBus *bus)
{
    if (!bus->bridge) {
        return 0;
    }
    return bus->bridge->config[PCI_SECONDARY_BUS];
}

static const BusInfo pci_root_bus_info = {
    .type = TYPE_PCI_BUS,
    /* Addresses are devfns, checked by pre_plug: the core's slot
     * numbering would hand out function 1 before slot 1. */
    .max_slots = 0,
    /* No hot-plug controller on the root complex (as on QEMU): plug
     * behind a pcie-root-port for that. */
    .hotpluggable = false,
    .pre_plug = pci_bus_pre_plug,
    .isolate = pci_bus_isolate,
    .print_dev = pci_bus_print_dev,
};

void pci_root_bus_init(PCIBus *bus, Device *host_dev, const char *name,
                       PCIHost *host, MemoryRegion *mem, MemoryRegion *io,
                       bool express)
{
    memset(bus, 0, sizeof(*bus));
    bus->qbus = bus_new(host_dev, &pci_root_bus_info, name);
    bus->qbus->opaque = bus;
    bus->host = host;
    bus->mem = mem;
    bus->io = io;
    bus->express = express;
    bus->max_devfn = PCI_DEVFN_MAX;
}

PCIBus *pci_find_bus_nr(PCIBus *root, unsigned busnr)
{
    PCIBus *bus = root;

    if (busnr == 0) {
        return root;
    }
next:
    for (unsigned devfn = 0; devfn < bus->max_devfn; devfn++) {
        PCIDevice *d = bus->devices[devfn];
        unsigned sec, sub;

        if (!d || !d->sec_bus) {
            continue;
        }
        sec = d->config[PCI_SECONDARY_BUS];
        sub = d->config[PCI_SUBORDINATE_BUS];
        /* Bus numbers only grow downwards; anything else is a window
         * the guest has not set up (yet). */
        if (sec <= pci_bus_num(bus) || busnr < sec || busnr > sub) {
            continue;
        }
        if (busnr == sec) {
            return d->sec_bus;
        }
        bus = d->sec_bus;
        goto next;      /* descends each time, so it ends */
    }
    return NULL;
}

/* ---- the "addr" property: SLOT[.FN] in hex, as on QEMU */

static bool parse_devfn(Device *dev, const Property *prop, void *field,
                        const char *str, Error **errp)
{
    unsigned long slot, fn = 0;
    char *end;

    if (!strcmp(str, "auto")) {
        *(int64_t *)field = BUS_ADDR_AUTO;
        return true;
    }
    if (!isxdigit((unsigned char)str[0])) {
        goto bad;
    }
    slot = strtoul(str, &end, 16);
    if (*end == '.') {
        if (!isdigit((unsigned char)end[1])) {
            goto bad;
        }
        fn = strtoul(end + 1, &end, 10);
    }
    if (*end || slot >= PCI_SLOT_MAX || fn >= PCI_FUNC_MAX) {
        goto bad;
    }
    *(int64_t *)field = PCI_DEVFN(slot, fn);
    return true;
bad:
    error_setg(errp, "Property '%s.%s' doesn't take value '%s': want "
               "SLOT[.FN], SLOT 0-1f (hex), FN 0-7", dev->klass->name,
               prop->name, str);
    return false;
}

static char *print_devfn(Device *dev, const Property *prop,
                         const void *field)
{
    int64_t v = *(const int64_t *)field;
    char *s;

    if (v == BUS_ADDR_AUTO) {
        s = strdup("auto");
    } else if (asprintf(&s, "%02x.%x", PCI_SLOT((int)v),
                        PCI_FUNC((int)v)) < 0) {
        s = NULL;
    }
    if (!s) {
        abort();
    }
    return s;
}

static void default_devfn(Device *dev, const Property *prop, void *field)
{
    *(int64_t *)field = BUS_ADDR_AUTO;
}

static const PropertyInfo prop_info_pci_devfn = {
    .type_name = "pci-devfn",
    .parse = parse_devfn,
    .print = print_devfn,
    .set_default = default_devfn,
};

/* ---- plugging */

static int pci_bus_free_devfn(PCIBus *bus)
{
    for (unsigned slot = bus->min_slot; slot < PCI_SLOT_MAX; slot++) {
        unsigned devfn = PCI_DEVFN(slot, 0);
        bool used = false;

        if (devfn >= bus->max_devfn) {
            break;
        }
        for (unsigned fn = 0; fn < PCI_FUNC_MAX; fn++) {
            used |= bus->devices[devfn + fn] != NULL;
        }
        if (!used) {
            return devfn;
        }
    }
    return -1;
}

static bool pci_check_multifunction(PCIBus *bus, PCIDevice *d, int devfn,
                                    Error **errp)
{
    int slot0 = PCI_DEVFN(PCI_SLOT(devfn), 0);

    if (PCI_FUNC(devfn)) {
        PCIDevice *f0 = bus->devices[slot0];

        if (f0 && !f0->multifunction) {
            error_setg(errp, "PCI: function 0 of slot %02x on bus '%s' is "
                       "not multifunction, so function %d cannot be added",
                       PCI_SLOT(devfn), bus->qbus->name, PCI_FUNC(devfn));
            return false;
        }
        return true;
    }
    for (int fn = 1; fn < PCI_FUNC_MAX && !d->multifunction; fn++) {
        if (bus->devices[slot0 + fn]) {
            error_setg(errp, "PCI: slot %02x on bus '%s' has function %d, "
                       "so function 0 needs multifunction=on",
                       PCI_SLOT(devfn), bus->qbus->name, fn);
            return false;
        }
    }
    return true;
}

bool pci_bus_pre_plug(Bus *qbus, Device *dev, Error **errp)
{
    PCIBus *bus = pci_bus_of(qbus);
    PCIDevice *d;
    int64_t devfn = dev->bus_addr;

    if (!device_is_a(dev, TYPE_PCI_DEVICE)) {
        error_setg(errp, "%s is not a PCI device", device_type_name(dev));
        return false;
    }
    d = PCI_DEVICE(dev);
    if (devfn == BUS_ADDR_AUTO) {
        devfn = pci_bus_free_devfn(bus);
        if (devfn < 0) {
            error_setg(errp, "PCI bus '%s' has no free slot", qbus->name);
            return false;
        }
    } else if (devfn >= bus->max_devfn) {
        error_setg(errp, "PCI address %02x.%x is not available on bus '%s' "
                   "(behind a PCIe port only slot 00 exists)",
                   PCI_SLOT((int)devfn), PCI_FUNC((int)devfn), qbus->name);
        return false;
    } else if (bus->devices[devfn]) {
        error_setg(errp, "PCI address %02x.%x on bus '%s' is in use by '%s'",
                   PCI_SLOT((int)devfn), PCI_FUNC((int)devfn), qbus->name,
                   pci_name(bus->devices[devfn]));
        return false;
    }
    if (!pci_check_multifunction(bus, d, (int)devfn, errp)) {
        return false;
    }
    /* The core restores the old value if the plug fails from here. */
    dev->bus_addr = devfn;
    return true;
}

void pci_bus_print_dev(Bus *qbus, Device *dev, FILE *f, int indent)
{
    PCIDevice *d = PCI_DEVICE(dev);

    fprintf(f, "%*sdevfn = %02x.%x\n", indent, "", PCI_SLOT(d->devfn),
            PCI_FUNC(d->devfn));
    fprintf(f, "%*spci id = %04x:%04x, class %04x\n", indent, "",
            pci_get_word(d->config + PCI_VENDOR_ID),
            pci_get_word(d->config + PCI_DEVICE_ID),
            pci_get_word(d->config + PCI_CLASS_DEVICE));
    for (int n = 0; n < PCI_NUM_BARS; n++) {
        PCIIORegion *r = &d->bars[n];

        if (!r->mr) {
            continue;
        }
        fprintf(f, "%*sbar %d: %s, size 0x%" PRIx64, indent, "", n,
                (r->type & PCI_BASE_ADDRESS_SPACE_IO) ? "i/o" : "mem",
                r->size);
        if (r->addr != PCI_BAR_UNMAPPED) {
            fprintf(f, " at 0x%" PRIx64, r->addr);
        }
        fputc('\n', f);
    }
}

/* ------------------------------------------------------------------ */
/* INTx */

static int pci_swizzle(int devfn, int pin)
{
    return (PCI_SLOT(devfn) + pin) % PCI_NUM_PINS;
}

/* intx_lock held: d's pin (0..3) gained (delta 1) or lost (-1) one
 * asserter.  Behind a bridge the pin is swizzled onto the bridge's pin
 * on its own bus (PCI-to-PCI bridge 1.2 §9.1), up to the root bus,
 * where the host maps it to a line. */
static void pci_intx_route(PCIDevice *d, int pin, int delta)
{
    PCIHost *host = d->bus->host;
    unsigned old, line;

    while (d->bus->bridge) {
        pin = pci_swizzle(d->devfn, pin);
        d = d->bus->bridge;
    }
    line = host->map_irq ? host->map_irq(host, d->devfn, pin)
                         : pci_swizzle(d->devfn, pin);
    assert(line < PCI_NUM_PINS);
    old = host->line_count[line];
    assert(delta > 0 || old > 0);
    host->line_count[line] = old + delta;
    if (!old != !host->line_count[line] && host->set_irq) {
        host->set_irq(host, line, host->line_count[line] != 0);
    }
}

static bool pci_intx_routes(PCIDevice *d)
{
    return d->intx_level && !d->intx_disabled && !d->intx_isolated;
}

/* intx_lock held: applies a change of d's INTx state. */
static void pci_intx_apply(PCIDevice *d, bool was_routed)
{
    int pin = d->intx_pin;
    bool now = pci_intx_routes(d);

    if (pin && now != was_routed) {
        pci_intx_route(d, pin - 1, now ? 1 : -1);
    }
}

void pci_set_irq(PCIDevice *d, bool level)
{
    PCIHost *host = d->bus->host;
    bool was;

    pthread_mutex_lock(&host->intx_lock);
    was = pci_intx_routes(d);
    d->intx_level = level;
    pci_intx_apply(d, was);
    pthread_mutex_unlock(&host->intx_lock);
}

/* BQL: the Command register or the MSI / MSI-X enables changed.  A
 * function that uses MSI must not assert INTx (PCI 3.0 §6.8). */
static void pci_update_intx_disable(PCIDevice *d)
{
    PCIHost *host = d->bus->host;
    bool dis = (pci_cmd(d) & PCI_COMMAND_INTX_DISABLE) ||
               msi_enabled(d) || msix_enabled(d);
    bool was;

    pthread_mutex_lock(&host->intx_lock);
    was = pci_intx_routes(d);
    d->intx_disabled = dis;
    pci_intx_apply(d, was);
    pthread_mutex_unlock(&host->intx_lock);
}

static bool pci_intx_status(PCIDevice *d)
{
    PCIHost *host = d->bus->host;
    bool level;

    pthread_mutex_lock(&host->intx_lock);
    level = d->intx_level;
    pthread_mutex_unlock(&host->intx_lock);
    return level;
}

/* The pin is read-only to the guest; a copy under intx_lock serves the
 * threads that raise INTx without the BQL. */
void pci_set_intx_pin(PCIDevice *d, uint8_t pin)
{
    PCIHost *host = d->bus->host;
    bool was;

    assert(pin <= PCI_NUM_PINS);
    d->config[PCI_INTERRUPT_PIN] = pin;
    pthread_mutex_lock(&host->intx_lock);
    was = pci_intx_routes(d);
    if (was) {
        d->intx_level = false;
        pci_intx_apply(d, was);
        d->intx_level = true;
    }
    d->intx_pin = pin;
    pci_intx_apply(d, false);
    pthread_mutex_unlock(&host->intx_lock);
}

/* ------------------------------------------------------------------ */
/* BARs */

void pci_register_bar(PCIDevice *d, int n, uint8_t type, MemoryRegion *mr)
{
    PCIIORegion *r = &d->bars[n];
    uint64_t size = memory_region_size(mr);
    uint8_t *wm = d->wmask + PCI_BASE_ADDRESS_0 + 4 * n;
    bool is64 = type & PCI_BASE_ADDRESS_MEM_TYPE_64;
    uint64_t mask = ~(size - 1);

    assert(n >= 0 && n < PCI_NUM_BARS && !r->mr);
    assert(size && !(size & (size - 1)));
    assert(!is64 || (n + 1 < PCI_NUM_BARS && !d->bars[n + 1].mr));
    assert(!(type & PCI_BASE_ADDRESS_SPACE_IO) || !is64);
    r->mr = mr;
    r->size = size;
    r->type = type;
    r->addr = PCI_BAR_UNMAPPED;
    pci_set_long(d->config + PCI_BASE_ADDRESS_0 + 4 * n, type);
    if (type & PCI_BASE_ADDRESS_SPACE_IO) {
        pci_set_long(wm, (uint32_t)mask & ~3u);
    } else {
        assert(size >= 16);
        pci_set_long(wm, (uint32_t)mask & ~15u);
    }
    if (is64) {
        pci_set_long(wm + 4, mask >> 32);
    }
}

/* Where BAR n decodes now, or PCI_BAR_UNMAPPED. */
static uint64_t pci_bar_address(PCIDevice *d, int n)
{
    PCIIORegion *r = &d->bars[n];
    const uint8_t *c = d->config + PCI_BASE_ADDRESS_0 + 4 * n;
    uint64_t addr;

    if (r->type & PCI_BASE_ADDRESS_SPACE_IO) {
        if (!(pci_cmd(d) & PCI_COMMAND_IO)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = pci_get_long(c) & ~3u;
    } else {
        if (!(pci_cmd(d) & PCI_COMMAND_MEMORY)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = pci_get_long(c) & ~15u;
        if (r->type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
            addr |= (uint64_t)pci_get_long(c + 4) << 32;
        }
    }
    addr &= ~(r->size - 1);
    /* A BAR ending at or past 2^64 (a sizing pattern left decoding)
     * cannot be represented: leave it unmapped. */
    if (r->size > UINT64_MAX - addr) {
        return PCI_BAR_UNMAPPED;
    }
    return addr;
}

static MemoryRegion *pci_bar_container(PCIDevice *d, int n)
{
    return (d->bars[n].type & PCI_BASE_ADDRESS_SPACE_IO) ? d->bus->io
                                                         : d->bus->mem;
}

/* BQL.  BARs map at priority 1, above bridge windows (0): overlapping
 * BARs are a guest bug that must not hurt the host, so every BAR is
 * added as "may overlap". */
static void pci_update_mappings(PCIDevice *d)
{
    memory_region_transaction_begin();
    for (int n = 0; n < PCI_NUM_BARS; n++) {
        PCIIORegion *r = &d->bars[n];
        uint64_t addr;

        if (!r->mr) {
            continue;
        }
        addr = pci_bar_address(d, n);
        if (addr == r->addr) {
            continue;
        }
        if (r->addr != PCI_BAR_UNMAPPED) {
            memory_region_del_subregion(pci_bar_container(d, n), r->mr);
        }
        r->addr = addr;
        if (addr != PCI_BAR_UNMAPPED) {
            memory_region_add_subregion_overlap(pci_bar_container(d, n),
                                                addr, r->mr, 1);
        }
    }
    memory_region_transaction_commit();
}

static void pci_unmap_bars(PCIDevice *d)
{
    for (int n = 0; n < PCI_NUM_BARS; n++) {
        PCIIORegion *r = &d->bars[n];

        if (r->mr && r->addr != PCI_BAR_UNMAPPED) {
            memory_region_del_subregion(pci_bar_container(d, n), r->mr);
            r->addr = PCI_BAR_UNMAPPED;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Bus mastering */

static bool pci_master_path_enabled(PCIDevice *d)
{
    for (; d; d = d->bus->bridge) {
        if (!(pci_cmd(d) & PCI_COMMAND_MASTER)) {
            return false;
        }
    }
    return true;
}

/* BQL.  A bridge's Bus Master Enable gates the DMA of everything behind
 * it, so a change there re-evaluates the devices below. */
static void pci_update_bus_master(PCIDevice *d)
{
    if (d->bm_ready) {
        memory_region_set_enabled(&d->bm_alias, pci_master_path_enabled(d));
    }
    if (!d->sec_bus) {
        return;
    }
    for (unsigned devfn = 0; devfn < d->sec_bus->max_devfn; devfn++) {
        if (d->sec_bus->devices[devfn]) {
            pci_update_bus_master(d->sec_bus->devices[devfn]);
        }
    }
}

static void pci_bm_init(PCIDevice *d)
{
    Object *owner = &d->parent.obj;
    char name[64];

    /* Kept across a failed realize: regions are finalized only with the
     * device. */
    if (!d->bm_inited) {
        memory_region_init(&d->bm_root, owner, "pci-bus-master-root",
                           UINT64_MAX);
        memory_region_init_alias(&d->bm_alias, owner, "pci-bus-master",
                                 d->bus->host->dma_root, 0, UINT64_MAX);
        memory_region_set_enabled(&d->bm_alias, false);
        memory_region_add_subregion(&d->bm_root, 0, &d->bm_alias);
        d->bm_inited = true;
    }
    snprintf(name, sizeof(name), "%s@%02x.%x", device_type_name(&d->parent),
             PCI_SLOT(d->devfn), PCI_FUNC(d->devfn));
    /* References d (its root's owner) until pci_bm_destroy. */
    address_space_init(&d->bm_as, &d->bm_root, name);
    d->bm_ready = true;
}

/* BQL.  The regions stay until finalize: readers of the old view may
 * still use them for a grace period. */
static void pci_bm_destroy(PCIDevice *d)
{
    if (d->bm_ready) {
        d->bm_ready = false;
        address_space_destroy(&d->bm_as);
    }
}

AddressSpace *pci_get_address_space(PCIDevice *d)
{
    return &d->bm_as;
}

/* ------------------------------------------------------------------ */
/* Capabilities */

uint8_t pci_add_capability(PCIDevice *d, uint8_t cap_id, uint8_t offset,
                           uint8_t size, Error **errp)
{
    unsigned start = offset, last, next;

    if (!offset) {
        for (start = PCI_CAP_AREA_START; start + size <= 0x100; start += 4) {
            unsigned i = 0;

            while (i < size && !d->used[start + i]) {
                i++;
            }
            if (i == size) {
                break;
            }
        }
    }
    if (start < PCI_CAP_AREA_START || start + size > 0x100 || (start & 3)) {
        error_setg(errp, "%s: no room for PCI capability 0x%02x (%u bytes)",
                   pci_name(d), cap_id, size);
        return 0;
    }
    for (unsigned i = 0; i < size; i++) {
        if (d->used[start + i]) {
            error_setg(errp, "%s: PCI capability 0x%02x at 0x%02x overlaps "
                       "another one", pci_name(d), cap_id, start);
            return 0;
        }
    }
    memset(d->used + start, 1, size);
    d->config[start] = cap_id;
    d->config[start + 1] = 0;
    /* Appended, so the list reads in the order the device added them. */
    last = PCI_CAPABILITY_LIST;
    while ((next = d->config[last]) != 0) {
        last = next + 1;
    }
    d->config[last] = start;
    pci_set_word(d->config + PCI_STATUS,
                 pci_get_word(d->config + PCI_STATUS) | PCI_STATUS_CAP_LIST);
    return start;
}

uint8_t pci_find_capability(PCIDevice *d, uint8_t cap_id)
{
    unsigned off = d->config[PCI_CAPABILITY_LIST] & ~3u;

    /* At most 48 capabilities fit: stop there even if the list loops. */
    for (int n = 0; n < 48 && off >= PCI_CAP_AREA_START; n++) {
        if (d->config[off] == cap_id) {
            return off;
        }
        off = d->config[off + 1] & ~3u;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* PCI Express capability */

uint8_t pcie_cap_init(PCIDevice *d, uint8_t offset, uint8_t type,
                      uint8_t port, Error **errp)
{
    uint8_t off = pci_add_capability(d, PCI_CAP_ID_EXP, offset,
                                     PCI_EXP_CAP_SIZE, errp);
    uint8_t *c = d->config + off, *w = d->wmask + off;
    bool is_port = type == PCI_EXP_TYPE_ROOT_PORT;

    if (!off) {
        return 0;
    }
    d->exp_cap = off;
    pci_set_word(c + PCI_EXP_FLAGS, PCI_EXP_FLAGS_VER2 | type << 4);
    /* 128-byte payloads; role-based error reporting is mandatory. */
    pci_set_long(c + PCI_EXP_DEVCAP, PCI_EXP_DEVCAP_RBER);
    /* Error reporting enables, relaxed ordering, payload and read
     * request sizes, extended tags, no snoop: stored, no effect. */
    pci_set_word(w + PCI_EXP_DEVCTL, 0x7fff);
    pci_set_word(d->w1cmask + off + PCI_EXP_DEVSTA, 0x000f);
    if (type != PCI_EXP_TYPE_RC_END) {
        /* One 2.5 GT/s lane; a port reports Data Link Layer Link Active
         * (pciehp uses it for presence). */
        pci_set_long(c + PCI_EXP_LNKCAP, PCI_EXP_LNKCAP_SLS_2_5GB |
                     PCI_EXP_LNKCAP_MLW_X1 | (uint32_t)port << 24 |
                     (is_port ? PCI_EXP_LNKCAP_DLLLARC : 0));
        /* ASPM control, RCB (ports), common clock, extended sync,
         * clock PM, HW autonomous width, bandwidth interrupts. */
        pci_set_word(w + PCI_EXP_LNKCTL, is_port ? 0x0fcb : 0x0fc3);
        pci_set_word(c + PCI_EXP_LNKSTA, PCI_EXP_LNKSTA_CLS_2_5GB |
                     PCI_EXP_LNKSTA_NLW_X1);
        pci_set_long(c + PCI_EXP_LNKCAP2, PCI_EXP_LNKCAP2_SLS_2_5GB);
        pci_set_word(w + PCI_EXP_LNKCTL2, 0x000f);
    }
    /* Completion timeout value and disable. */
    pci_set_word(w + PCI_EXP_DEVCTL2, 0x001f);
    return off;
}

/* ------------------------------------------------------------------ */
/* Configuration space */

/* The INTx status bit and the MSI pending bit live outside config[]
 * (other threads change them): merged into what the guest reads. */
static uint32_t pci_merge_live_bits(PCIDevice *d, uint32_t addr,
                                    unsigned len, uint32_t v)
{
    if (pci_range_hit(addr, len, PCI_STATUS, 1) && pci_intx_status(d)) {
        v |= (uint32_t)PCI_STATUS_INTERRUPT << (8 * (PCI_STATUS - addr));
    }
    if (d->msi_cap && pci_range_hit(addr, len, d->msi_cap + 0x14, 1)) {
        bool pending;

        pthread_mutex_lock(&d->msi_lock);
        pending = d->msi_pending;
        pthread_mutex_unlock(&d->msi_lock);
        if (pending) {
            v |= 1u << (8 * (d->msi_cap + 0x14 - addr));
        }
    }
    return v;
}

uint32_t pci_default_read_config(PCIDevice *d, uint32_t addr, unsigned len)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < len; i++) {
        v |= (uint32_t)d->config[addr + i] << (8 * i);
    }
    return pci_merge_live_bits(d, addr, len, v);
}

void pci_default_write_config(PCIDevice *d, uint32_t addr, uint32_t val,
                              unsigned len)
{
    uint32_t bars_end = PCI_BASE_ADDRESS_0 +
                        4 * (d->sec_bus ? 2 : PCI_NUM_BARS);

    for (unsigned i = 0; i < len; i++) {
        uint8_t b = val >> (8 * i), wm = d->wmask[addr + i];

        d->config[addr + i] = (d->config[addr + i] & ~wm) | (b & wm);
        d->config[addr + i] &= ~(b & d->w1cmask[addr + i]);
    }
    memory_region_transaction_begin();
    if (pci_range_hit(addr, len, PCI_COMMAND, 2) ||
        pci_range_hit(addr, len, PCI_BASE_ADDRESS_0,
                      bars_end - PCI_BASE_ADDRESS_0)) {
        pci_update_mappings(d);
    }
    if (d->msi_cap && pci_range_hit(addr, len, d->msi_cap,
                                    PCI_MSI_CAP_SIZE)) {
        msi_config_changed(d);
    }
    if (d->msix_cap && pci_range_hit(addr, len, d->msix_cap + PCI_MSIX_FLAGS,
                                     2)) {
        msix_config_changed(d);
    }
    if (pci_range_hit(addr, len, PCI_COMMAND, 2) ||
        (d->msi_cap && pci_range_hit(addr, len, d->msi_cap, 4)) ||
        (d->msix_cap && pci_range_hit(addr, len, d->msix_cap, 4))) {
        pci_update_intx_disable(d);
    }
    if (pci_range_hit(addr, len, PCI_COMMAND, 2)) {
        pci_update_bus_master(d);
    }
    memory_region_transaction_commit();
}

static bool pci_access_ok(PCIDevice *d, uint32_t addr, unsigned len,
                          bool write)
{
    if ((len != 1 && len != 2 && len != 4) || (addr & (len - 1))) {
        pci_log(d, "config %s of %u bytes at 0x%x: not a naturally "
                "aligned 1, 2 or 4 byte access; %s", write ? "write" : "read",
                len, addr, write ? "dropped" : "reads all ones");
        return false;
    }
    return true;
}

uint32_t pci_config_read(PCIDevice *d, uint32_t addr, unsigned len)
{
    PCIDeviceClass *pc = PCI_DEVICE_GET_CLASS(d);

    assert(bql_locked());
    if (!pci_access_ok(d, addr, len, false)) {
        return len >= 4 ? 0xffffffff : (1u << (8 * len)) - 1;
    }
    /* Extended space of a conventional function: reads 0, "no
     * extended capabilities" (what Linux probes at 0x100). */
    if (addr + len > d->config_size) {
        return 0;
    }
    return pc->config_read(d, addr, len);
}

void pci_config_write(PCIDevice *d, uint32_t addr, uint32_t val,
                      unsigned len)
{
    PCIDeviceClass *pc = PCI_DEVICE_GET_CLASS(d);

    assert(bql_locked());
    if (!pci_access_ok(d, addr, len, true) || addr + len > d->config_size) {
        return;
    }
    pc->config_write(d, addr, val, len);
}

/* The type 0 / type 1 common header and its write rules. */
static void pci_init_header(PCIDevice *d, PCIDeviceClass *pc)
{
    uint8_t *c = d->config;

    pci_set_word(c + PCI_VENDOR_ID, pc->vendor_id);
    pci_set_word(c + PCI_DEVICE_ID, pc->device_id);
    c[PCI_REVISION_ID] = pc->revision;
    c[PCI_CLASS_PROG] = pc->prog_if;
    pci_set_word(c + PCI_CLASS_DEVICE, pc->class_id);
    c[PCI_HEADER_TYPE] = (pc->is_bridge ? PCI_HEADER_TYPE_BRIDGE
                                        : PCI_HEADER_TYPE_NORMAL) |
                         (d->multifunction ? PCI_HEADER_TYPE_MULTI_FUNCTION
                                           : 0);
    if (!pc->is_bridge) {
        pci_set_word(c + PCI_SUBSYSTEM_VENDOR_ID, pc->subsystem_vendor_id);
        pci_set_word(c + PCI_SUBSYSTEM_ID, pc->subsystem_id);
    }
    pci_set_word(d->wmask + PCI_COMMAND, PCI_COMMAND_IO |
                 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                 PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
                 PCI_COMMAND_INTX_DISABLE);
    pci_set_word(d->w1cmask + PCI_STATUS, PCI_STATUS_PARITY |
                 PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT |
                 PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR |
                 PCI_STATUS_DETECTED_PARITY);
    d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    /* PCIe hardwires the latency timer to 0. */
    d->wmask[PCI_LATENCY_TIMER] = d->bus->express ? 0 : 0xff;
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
    memset(d->used, 1, PCI_CAP_AREA_START);
}

/* ------------------------------------------------------------------ */
/* Reset */

void pci_device_reset(PCIDevice *d)
{
    PCIDeviceClass *pc = PCI_DEVICE_GET_CLASS(d);

    assert(bql_locked());
    memory_region_transaction_begin();
    /* Every register the guest could change goes back to its reset
     * value, which is 0 for all of them (BARs keep their type bits). */
    for (unsigned i = 0; i < d->config_size; i++) {
        if (d->wmask[i] | d->w1cmask[i]) {
            d->config[i] &= ~(d->wmask[i] | d->w1cmask[i]);
        }
    }
    pci_set_irq(d, false);
    if (d->msi_cap) {
        msi_config_changed(d);
    }
    if (d->msix_cap) {
        msix_reset(d);
        msix_config_changed(d);
    }
    pci_update_intx_disable(d);
    pci_update_mappings(d);
    pci_update_bus_master(d);
    if (pc->reset) {
        pc->reset(d);
    }
    memory_region_transaction_commit();
}

void pci_bus_reset(PCIBus *bus)
{
    assert(bql_locked());
    memory_region_transaction_begin();
    for (unsigned devfn = 0; devfn < bus->max_devfn; devfn++) {
        PCIDevice *d = bus->devices[devfn];

        if (!d) {
            continue;
        }
        pci_device_reset(d);
        if (d->sec_bus) {
            pci_bus_reset(d->sec_bus);
        }
    }
    memory_region_transaction_commit();
}

/* ------------------------------------------------------------------ */
/* Bridges */

enum { WIN_MEM, WIN_PREF, WIN_IO };

static void pci_bridge_map_window(PCIBridge *br, int i, MemoryRegion *win,
                                  MemoryRegion *parent, bool on,
                                  uint64_t base, uint64_t limit)
{
    if (br->win_mapped[i]) {
        memory_region_del_subregion(parent, win);
        br->win_mapped[i] = false;
    }
    if (!on || base > limit) {
        return;
    }
    memory_region_set_alias_offset(win, base);
    memory_region_set_size(win, limit - base + 1);
    memory_region_add_subregion_overlap(parent, base, win, 0);
    br->win_mapped[i] = true;
}

/* BQL: the windows follow Command and the base/limit registers
 * (bridge 1.2 §3.2.5.6-9).  The I/O window is 16-bit. */
static void pci_bridge_update_windows(PCIBridge *br)
{
    PCIDevice *d = &br->parent;
    const uint8_t *c = d->config;
    uint16_t cmd = pci_cmd(d);
    bool mem = cmd & PCI_COMMAND_MEMORY, io = cmd & PCI_COMMAND_IO;
    uint64_t base, limit;

    memory_region_transaction_begin();
    base = (uint64_t)(pci_get_word(c + PCI_MEMORY_BASE) & 0xfff0) << 16;
    limit = ((uint64_t)(pci_get_word(c + PCI_MEMORY_LIMIT) & 0xfff0) << 16) |
            0xfffff;
    pci_bridge_map_window(br, WIN_MEM, &br->win_mem, d->bus->mem, mem,
                          base, limit);
    base = (uint64_t)(pci_get_word(c + PCI_PREF_MEMORY_BASE) & 0xfff0) << 16 |
           (uint64_t)pci_get_long(c + PCI_PREF_BASE_UPPER32) << 32;
    limit = ((uint64_t)(pci_get_word(c + PCI_PREF_MEMORY_LIMIT) & 0xfff0)
             << 16) | 0xfffff |
            (uint64_t)pci_get_long(c + PCI_PREF_LIMIT_UPPER32) << 32;
    pci_bridge_map_window(br, WIN_PREF, &br->win_pref, d->bus->mem, mem,
                          base, limit);
    base = (uint64_t)(c[PCI_IO_BASE] & 0xf0) << 8;
    limit = ((uint64_t)(c[PCI_IO_LIMIT] & 0xf0) << 8) | 0xfff;
    pci_bridge_map_window(br, WIN_IO, &br->win_io, d->bus->io, io,
                          base, limit);
    memory_region_transaction_commit();
}

static void pci_bridge_unmap_windows(PCIBridge *br)
{
    PCIDevice *d = &br->parent;

    pci_bridge_map_window(br, WIN_MEM, &br->win_mem, d->bus->mem, false,
                          0, 0);
    pci_bridge_map_window(br, WIN_PREF, &br->win_pref, d->bus->mem, false,
                          0, 0);
    pci_bridge_map_window(br, WIN_IO, &br->win_io, d->bus->io, false, 0, 0);
}

void pci_bridge_init(PCIBridge *br, const BusInfo *info, const char *name,
                     bool express)
{
    PCIDevice *d = &br->parent;
    Object *owner = &d->parent.obj;
    uint8_t *w = d->wmask;

    memory_region_init(&br->sec_mem, owner, "pci-bridge-mem", UINT64_MAX);
    memory_region_init(&br->sec_io, owner, "pci-bridge-io", 0x10000);
    /* The windows alias regions of their own owner: no reference. */
    memory_region_init_alias(&br->win_mem, owner, "pci-bridge-mem-window",
                             &br->sec_mem, 0, 1);
    memory_region_init_alias(&br->win_pref, owner, "pci-bridge-pref-window",
                             &br->sec_mem, 0, 1);
    memory_region_init_alias(&br->win_io, owner, "pci-bridge-io-window",
                             &br->sec_io, 0, 1);

    memset(&br->sec, 0, sizeof(br->sec));
    br->sec.qbus = bus_new(&d->parent, info, name);
    br->sec.qbus->opaque = &br->sec;
    br->sec.host = d->bus->host;
    br->sec.bridge = d;
    br->sec.mem = &br->sec_mem;
    br->sec.io = &br->sec_io;
    br->sec.express = express;
    br->sec.max_devfn = express ? PCI_FUNC_MAX : PCI_DEVFN_MAX;
    d->sec_bus = &br->sec;

    memset(w + PCI_PRIMARY_BUS, 0xff, 4);   /* bus numbers, latency */
    w[PCI_IO_BASE] = w[PCI_IO_LIMIT] = 0xf0;
    pci_set_word(d->w1cmask + PCI_SEC_STATUS, PCI_STATUS_PARITY |
                 PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT |
                 PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR |
                 PCI_STATUS_DETECTED_PARITY);
    pci_set_word(w + PCI_MEMORY_BASE, 0xfff0);
    pci_set_word(w + PCI_MEMORY_LIMIT, 0xfff0);
    pci_set_word(w + PCI_PREF_MEMORY_BASE, 0xfff0);
    pci_set_word(w + PCI_PREF_MEMORY_LIMIT, 0xfff0);
    pci_set_word(d->config + PCI_PREF_MEMORY_BASE, PCI_PREF_RANGE_TYPE_64);
    pci_set_word(d->config + PCI_PREF_MEMORY_LIMIT, PCI_PREF_RANGE_TYPE_64);
    pci_set_long(w + PCI_PREF_BASE_UPPER32, 0xffffffff);
    pci_set_long(w + PCI_PREF_LIMIT_UPPER32, 0xffffffff);
    pci_set_word(w + PCI_BRIDGE_CONTROL, PCI_BRIDGE_CTL_PARITY |
                 PCI_BRIDGE_CTL_SERR | PCI_BRIDGE_CTL_ISA |
                 PCI_BRIDGE_CTL_VGA | 0x10 | PCI_BRIDGE_CTL_MASTER_ABORT |
                 PCI_BRIDGE_CTL_BUS_RESET);
}

void pci_bridge_write_config(PCIDevice *d, uint32_t addr, uint32_t val,
                             unsigned len)
{
    PCIBridge *br = PCI_BRIDGE(d);
    bool reset;

    pci_default_write_config(d, addr, val, len);
    if (pci_range_hit(addr, len, PCI_COMMAND, 2) ||
        pci_range_hit(addr, len, PCI_IO_BASE,
                      PCI_IO_LIMIT_UPPER16 + 2 - PCI_IO_BASE)) {
        pci_bridge_update_windows(br);
    }
    if (!pci_range_hit(addr, len, PCI_BRIDGE_CONTROL, 1)) {
        return;
    }
    /* Secondary Bus Reset: everything below resets on the rising edge
     * and stays quiet while it is held (nothing below can be reached:
     * the guest re-enumerates afterwards anyway). */
    reset = d->config[PCI_BRIDGE_CONTROL] & PCI_BRIDGE_CTL_BUS_RESET;
    if (reset && !br->reset_asserted) {
        pci_bus_reset(&br->sec);
    }
    br->reset_asserted = reset;
}

void pci_bridge_reset(PCIDevice *d)
{
    PCIBridge *br = PCI_BRIDGE(d);

    br->reset_asserted = false;
    pci_bridge_update_windows(br);
}

static void pci_bridge_instance_finalize(Device *dev)
{
    PCIBridge *br = PCI_BRIDGE(PCI_DEVICE(dev));

    if (!br->parent.sec_bus) {
        return;     /* realize never got to pci_bridge_init */
    }
    /* Unmapped at isolate (or never mapped: a failed realize). */
    assert(!br->win_mapped[WIN_MEM] && !br->win_mapped[WIN_PREF] &&
           !br->win_mapped[WIN_IO]);
    memory_region_finalize(&br->win_mem);
    memory_region_finalize(&br->win_pref);
    memory_region_finalize(&br->win_io);
    memory_region_finalize(&br->sec_mem);
    memory_region_finalize(&br->sec_io);
}

static void pci_bridge_class_init(DeviceClass *dc, const void *data)
{
    PCIDeviceClass *pc = (PCIDeviceClass *)dc;

    pc->is_bridge = true;
    pc->class_id = PCI_CLASS_BRIDGE_PCI;
    pc->config_write = pci_bridge_write_config;
    pc->reset = pci_bridge_reset;
}

static const DeviceTypeInfo pci_bridge_info = {
    .name = TYPE_PCI_BRIDGE,
    .parent = TYPE_PCI_DEVICE,
    .desc = "PCI-to-PCI bridge (abstract)",
    .instance_size = sizeof(PCIBridge),
    .abstract = true,
    .instance_finalize = pci_bridge_instance_finalize,
    .class_init = pci_bridge_class_init,
};
DEVICE_TYPE_REGISTER(pci_bridge_info)

/* ------------------------------------------------------------------ */
/* The abstract device type */

void pci_bus_isolate(Bus *qbus, Device *dev)
{
    PCIDevice *d = PCI_DEVICE(dev);
    PCIBus *bus = pci_bus_of(qbus);
    PCIHost *host = bus->host;
    bool was;

    assert(bus->devices[d->devfn] == d);
    /* Config cycles, BARs, windows, DMA and INTx stop reaching it. */
    bus->devices[d->devfn] = NULL;
    pci_unmap_bars(d);
    if (d->sec_bus) {
        pci_bridge_unmap_windows(PCI_BRIDGE(d));
    }
    if (d->bm_ready) {
        memory_region_set_enabled(&d->bm_alias, false);
    }
    pthread_mutex_lock(&host->intx_lock);
    was = pci_intx_routes(d);
    d->intx_isolated = true;
    pci_intx_apply(d, was);
    pthread_mutex_unlock(&host->intx_lock);
}

/* A failed realize leaves the device as device_new made it, so that it
 * may be realized again. */
static void pci_realize_undo(PCIDevice *d)
{
    pci_bm_destroy(d);
    msix_uninit(d);
    memset(d->config, 0, sizeof(d->config));
    memset(d->wmask, 0, sizeof(d->wmask));
    memset(d->w1cmask, 0, sizeof(d->w1cmask));
    memset(d->used, 0, sizeof(d->used));
    memset(d->bars, 0, sizeof(d->bars));
    for (int n = 0; n < PCI_NUM_BARS; n++) {
        d->bars[n].addr = PCI_BAR_UNMAPPED;
    }
    d->msi_cap = d->msix_cap = d->exp_cap = 0;
    d->intx_pin = 0;
    d->msix_entries = 0;
}

static bool pci_device_realize(Device *dev, Error **errp)
{
    PCIDevice *d = PCI_DEVICE(dev);
    PCIDeviceClass *pc = PCI_DEVICE_GET_CLASS(d);
    PCIBus *bus = pci_bus_of(dev->parent_bus);

    d->bus = bus;
    d->devfn = (int)dev->bus_addr;
    d->config_size = bus->express ? PCIE_CONFIG_SPACE_SIZE
                                  : PCI_CONFIG_SPACE_SIZE;
    pci_init_header(d, pc);
    pci_bm_init(d);
    if (pc->realize && !pc->realize(d, errp)) {
        pci_realize_undo(d);
        return false;
    }
    bus->devices[d->devfn] = d;
    /* Bridges above may already master: set the initial gate. */
    pci_update_bus_master(d);
    return true;
}

static void pci_device_unrealize(Device *dev)
{
    PCIDevice *d = PCI_DEVICE(dev);
    PCIDeviceClass *pc = PCI_DEVICE_GET_CLASS(d);

    if (pc->unrealize) {
        pc->unrealize(d);
    }
    pci_bm_destroy(d);
}

static void pci_device_instance_init(Device *dev)
{
    PCIDevice *d = PCI_DEVICE(dev);

    pthread_mutex_init(&d->msi_lock, NULL);
    for (int n = 0; n < PCI_NUM_BARS; n++) {
        d->bars[n].addr = PCI_BAR_UNMAPPED;
    }
}

/* After the subclasses' finalize (leaf first): they took their BAR
 * regions down already; the bus-master regions are ours. */
static void pci_device_instance_finalize(Device *dev)
{
    PCIDevice *d = PCI_DEVICE(dev);

    msix_uninit(d);
    if (d->bm_inited) {
        memory_region_del_subregion(&d->bm_root, &d->bm_alias);
        memory_region_finalize(&d->bm_alias);
        memory_region_finalize(&d->bm_root);
    }
    pthread_mutex_destroy(&d->msi_lock);
}

static void pci_device_class_init(DeviceClass *dc, const void *data)
{
    PCIDeviceClass *pc = (PCIDeviceClass *)dc;

    pc->config_read = pci_default_read_config;
    pc->config_write = pci_default_write_config;
}

static const Property pci_device_props[] = {
    { .name = "addr", .info = &prop_info_pci_devfn,
      .offset = offsetof(Device, bus_addr),
      .desc = "slot and function, SLOT[.FN] in hex (default: first free)" },
    DEFINE_PROP_BOOL("multifunction", PCIDevice, multifunction, false),
    PROP_END
};

static const DeviceTypeInfo pci_device_info = {
    .name = TYPE_PCI_DEVICE,
    .parent = "device",
    .desc = "PCI device (abstract)",
    .instance_size = sizeof(PCIDevice),
    .class_size = sizeof(PCIDeviceClass),
    .abstract = true,
    .hotpluggable = true,
    .bus_type = TYPE_PCI_BUS,
    .props = pci_device_props,
    .instance_init = pci_device_instance_init,
    .instance_finalize = pci_device_instance_finalize,
    .realize = pci_device_realize,
    .unrealize = pci_device_unrealize,
    .class_init = pci_device_class_init,
};
DEVICE_TYPE_REGISTER(pci_device_info)
