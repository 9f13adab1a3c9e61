/* pcie-root-port: a PCI Express root port (type 1 header, PCIe
 * capability of a root port with an implemented hot-plug slot, MSI, INTD)
 * with one secondary bus holding device 0 (all eight functions).
 *
 * The slot (PCIe base 4.0 §6.7, §7.5.3.9-11): presence detect follows
 * the devices on the secondary bus, Data Link Layer Link Active the
 * devices and slot power; the attention button is "pressed" by an unplug
 * request, and by a plug into a slot that is off (asking the OS to power
 * it on); the power controller turning the slot off completes a pending
 * unplug (of the function and the devices below it); every Slot Control
 * write is a command that completes at once (Command Completed); enabled
 * events raise the port's interrupt: INTx at the level of the pending
 * events, or an MSI on each new one.  Linux's pciehp drives all of it.
 *
 * Locking: everything runs under the BQL (config writes, bus hooks,
 * reset); the interrupt goes out through pci_set_irq / msi_notify.
 */
#include <stdlib.h>

#include "hw/core/props.h"
#include "hw/pci/pci.h"
#include "system/bql.h"
#include "util/log.h"

#define TYPE_PCIE_ROOT_PORT "pcie-root-port"
/* Physical slot numbers have 13 bits. */
#define PSN_LIMIT (1u << (32 - PCI_EXP_SLTCAP_PSN_SHIFT))

/* Slot Status bits that are events, and the Slot Control enable of each. */
#define SLOT_EVENTS (PCI_EXP_SLTSTA_ABP | PCI_EXP_SLTSTA_PFD | \
                     PCI_EXP_SLTSTA_MRLSC | PCI_EXP_SLTSTA_PDC | \
                     PCI_EXP_SLTSTA_CC | PCI_EXP_SLTSTA_DLLSC)

typedef struct PCIERootPort {
    PCIBridge parent;
    /* Properties. */
    uint8_t chassis;
    uint16_t slot;
    uint8_t port;
    bool hotplug;
    /* BQL */
    bool hp_level;              /* hot-plug interrupt asserted (INTx) */
} PCIERootPort;

#define PCIE_ROOT_PORT(d) container_of(PCI_BRIDGE(d), PCIERootPort, parent)

static uint8_t *rp_exp(PCIERootPort *rp)
{
    return rp->parent.parent.config + rp->parent.parent.exp_cap;
}

static uint16_t rp_sltctl(PCIERootPort *rp)
{
    return pci_get_word(rp_exp(rp) + PCI_EXP_SLTCTL);
}

static uint16_t rp_sltsta(PCIERootPort *rp)
{
    return pci_get_word(rp_exp(rp) + PCI_EXP_SLTSTA);
}

/* Events in sta that ctl enables (and Hot-Plug Interrupt Enable). */
static uint16_t rp_enabled_events(uint16_t ctl, uint16_t sta)
{
    uint16_t en = 0;

    if (!(ctl & PCI_EXP_SLTCTL_HPIE)) {
        return 0;
    }
    en |= (ctl & PCI_EXP_SLTCTL_ABPE) ? PCI_EXP_SLTSTA_ABP : 0;
    en |= (ctl & PCI_EXP_SLTCTL_PFDE) ? PCI_EXP_SLTSTA_PFD : 0;
    en |= (ctl & PCI_EXP_SLTCTL_MRLSCE) ? PCI_EXP_SLTSTA_MRLSC : 0;
    en |= (ctl & PCI_EXP_SLTCTL_PDCE) ? PCI_EXP_SLTSTA_PDC : 0;
    en |= (ctl & PCI_EXP_SLTCTL_CCIE) ? PCI_EXP_SLTSTA_CC : 0;
    en |= (ctl & PCI_EXP_SLTCTL_DLLSCE) ? PCI_EXP_SLTSTA_DLLSC : 0;
    return sta & en;
}

/* INTx follows the pending enabled events; with MSI on, INTx stays
 * low and each new event sends a message (rp_event). */
static void rp_update_irq(PCIERootPort *rp)
{
    PCIDevice *d = &rp->parent.parent;
    bool level = rp_enabled_events(rp_sltctl(rp), rp_sltsta(rp)) != 0;

    if (msi_enabled(d)) {
        level = false;
    }
    if (level != rp->hp_level) {
        rp->hp_level = level;
        pci_set_irq(d, level);
    }
}

static void rp_event(PCIERootPort *rp, uint16_t bits)
{
    PCIDevice *d = &rp->parent.parent;
    uint16_t old = rp_sltsta(rp);
    uint16_t sta = old | bits;

    pci_set_word(rp_exp(rp) + PCI_EXP_SLTSTA, sta);
    if (msi_enabled(d) &&
        (rp_enabled_events(rp_sltctl(rp), sta) & ~old)) {
        msi_notify(d);
    }
    rp_update_irq(rp);
}

static bool rp_occupied(PCIERootPort *rp)
{
    PCIBus *sec = &rp->parent.sec;

    for (unsigned fn = 0; fn < sec->max_devfn; fn++) {
        if (sec->devices[fn]) {
            return true;
        }
    }
    return false;
}

/* Slot power; a slot without hot-plug has no power controller. */
static bool rp_powered(PCIERootPort *rp)
{
    return !rp->hotplug || !(rp_sltctl(rp) & PCI_EXP_SLTCTL_PCC);
}

/* Sets or clears bit in the register at off of the PCIe capability;
 * returns event if that changed it (a read-only bit for the guest). */
static uint16_t rp_update_bit(PCIERootPort *rp, unsigned off, uint16_t bit,
                              bool on, uint16_t event)
{
    uint8_t *e = rp_exp(rp);
    uint16_t old = pci_get_word(e + off);
    uint16_t new = on ? old | bit : old & ~bit;

    pci_set_word(e + off, new);
    return old != new ? event : 0;
}

/* Presence Detect State follows the functions in the slot (an unplugged
 * one leaves at isolate).  Returns PDC if it changed. */
static uint16_t rp_update_presence(PCIERootPort *rp)
{
    return rp_update_bit(rp, PCI_EXP_SLTSTA, PCI_EXP_SLTSTA_PDS,
                         rp_occupied(rp), PCI_EXP_SLTSTA_PDC);
}

/* Data Link Layer Link Active: a device in the slot and slot power.
 * Returns DLLSC if it changed. */
static uint16_t rp_update_link(PCIERootPort *rp)
{
    return rp_update_bit(rp, PCI_EXP_LNKSTA, PCI_EXP_LNKSTA_DLLLA,
                         rp_occupied(rp) && rp_powered(rp),
                         PCI_EXP_SLTSTA_DLLSC);
}

/* The power controller turned the slot off: a device whose unplug the
 * guest was asked for is gone now (pciehp's answer to the button). */
static void rp_power_off(PCIERootPort *rp)
{
    Bus *qbus = rp->parent.sec.qbus;
    Device *dev, *next;

    for (dev = TAILQ_FIRST(&qbus->children); dev; dev = next) {
        next = TAILQ_NEXT(dev, sibling);
        if (device_unplug_pending(dev)) {
            device_unplug_ack(dev);
        }
    }
}

static void rp_write_config(PCIDevice *d, uint32_t addr, uint32_t val,
                            unsigned len)
{
    PCIERootPort *rp = PCIE_ROOT_PORT(d);
    uint16_t old_ctl = rp_sltctl(rp);
    uint32_t ctl_off = d->exp_cap + PCI_EXP_SLTCTL;

    pci_bridge_write_config(d, addr, val, len);
    if (pci_range_hit(addr, len, ctl_off, 2)) {
        uint16_t ctl = rp_sltctl(rp);
        uint16_t events = PCI_EXP_SLTSTA_CC;

        if (!rp->hotplug) {
            return;
        }
        if (ctl & ~old_ctl & PCI_EXP_SLTCTL_PCC) {
            rp_power_off(rp);
        }
        /* The link follows slot power (pciehp waits for it after
         * powering on, and ignores the change it caused). */
        events |= rp_update_link(rp);
        /* Commands complete at once (Command Completed is supported:
         * NCCS clear). */
        rp_event(rp, events);
        return;
    }
    /* Status cleared, INTx disable or MSI enable changed. */
    rp_update_irq(rp);
}

/* After the generic reset: the slot is powered when occupied, with its
 * indicators to match (what firmware would leave behind). */
static void rp_reset(PCIDevice *d)
{
    PCIERootPort *rp = PCIE_ROOT_PORT(d);
    bool present = rp_occupied(rp);
    uint16_t ctl = PCI_EXP_SLTCTL_ATTN_IND_OFF;

    pci_bridge_reset(d);
    ctl |= present ? PCI_EXP_SLTCTL_PWR_IND_ON
                   : PCI_EXP_SLTCTL_PWR_IND_OFF | PCI_EXP_SLTCTL_PCC;
    pci_set_word(rp_exp(rp) + PCI_EXP_SLTCTL, ctl);
    rp_update_presence(rp);     /* state only: reset cleared the events */
    rp_update_link(rp);
    rp->hp_level = false;
    rp_update_irq(rp);
}

/* ---- the secondary bus: a hot-plug slot */

static PCIERootPort *rp_of_bus(Bus *qbus)
{
    return PCIE_ROOT_PORT(pci_bus_of(qbus)->bridge);
}

/* A device arrived: presence comes up and the guest hears of it.  A
 * powered slot (an OS that leaves empty slots on) also brings the link
 * up.  A slot that is off stays off: the attention button asks the OS to
 * power it on (pciehp enables presence-detect interrupts only on slots
 * without a button), and the link comes up when it does.  Cold-plugged
 * devices raise the same events; the power-on reset clears them before
 * the guest runs. */
static void rp_bus_plug(Bus *qbus, Device *dev)
{
    PCIERootPort *rp = rp_of_bus(qbus);
    uint16_t events = rp_update_presence(rp) | rp_update_link(rp);

    if (!events) {
        return;     /* another function of the same device */
    }
    if (!rp_powered(rp)) {
        events |= PCI_EXP_SLTSTA_ABP;
    }
    rp_event(rp, events);
}

/* Unplug step 1: press the attention button; pciehp blinks, waits five
 * seconds for a second press (cancel), then powers the slot off. */
static bool rp_bus_unplug_request(Bus *qbus, Device *dev, Error **errp)
{
    PCIERootPort *rp = rp_of_bus(qbus);

    if (!rp->hotplug) {
        error_setg(errp, "Bus '%s' does not support hot-unplug (its port "
                   "has hotplug=off)", qbus->name);
        return false;
    }
    if (rp_sltctl(rp) & PCI_EXP_SLTCTL_PCC) {
        device_unplug_ack(dev);     /* powered off: nobody uses it */
        return true;
    }
    rp_event(rp, PCI_EXP_SLTSTA_ABP);
    return true;
}

/* Unplug step 4: the slot is empty once its last function left. */
static void rp_bus_unplug_notify(Bus *qbus, Device *dev)
{
    PCIERootPort *rp = rp_of_bus(qbus);
    uint16_t events = rp_update_presence(rp) | rp_update_link(rp);

    if (events) {
        rp_event(rp, events);
    }
}

static const BusInfo rp_bus_info = {
    .type = TYPE_PCI_BUS,
    .max_slots = 0,
    .hotpluggable = true,
    .pre_plug = pci_bus_pre_plug,
    .plug = rp_bus_plug,
    .unplug_request = rp_bus_unplug_request,
    .isolate = pci_bus_isolate,
    .unplug_notify = rp_bus_unplug_notify,
    .print_dev = pci_bus_print_dev,
};

/* ---- the port */

/* Physical slot numbers must be unique within a chassis (pciehp names
 * slots by them). */
static bool rp_check_slot(PCIERootPort *rp, Error **errp)
{
    PCIBus *bus = rp->parent.parent.bus;

    for (unsigned devfn = 0; devfn < bus->max_devfn; devfn++) {
        PCIDevice *o = bus->devices[devfn];
        PCIERootPort *orp;

        if (!o || !device_is_a(&o->parent, TYPE_PCIE_ROOT_PORT)) {
            continue;
        }
        orp = PCIE_ROOT_PORT(o);
        if (orp->chassis == rp->chassis && orp->slot == rp->slot) {
            error_setg(errp, "pcie-root-port: chassis %u slot %u is "
                       "already used by '%s' (give each port its own "
                       "chassis=/slot=)", rp->chassis, rp->slot,
                       o->parent.id ? o->parent.id : TYPE_PCIE_ROOT_PORT);
            return false;
        }
    }
    return true;
}

static void rp_init_slot(PCIERootPort *rp)
{
    PCIDevice *d = &rp->parent.parent;
    uint8_t *e = rp_exp(rp), *w = d->wmask + d->exp_cap;
    uint32_t cap = (uint32_t)rp->slot << PCI_EXP_SLTCAP_PSN_SHIFT;

    pci_set_word(e + PCI_EXP_FLAGS,
                 pci_get_word(e + PCI_EXP_FLAGS) | PCI_EXP_FLAGS_SLOT);
    if (rp->hotplug) {
        cap |= PCI_EXP_SLTCAP_ABP | PCI_EXP_SLTCAP_PCP |
               PCI_EXP_SLTCAP_AIP | PCI_EXP_SLTCAP_PIP |
               PCI_EXP_SLTCAP_HPC;
        pci_set_word(w + PCI_EXP_SLTCTL, PCI_EXP_SLTCTL_ABPE |
                     PCI_EXP_SLTCTL_PFDE | PCI_EXP_SLTCTL_MRLSCE |
                     PCI_EXP_SLTCTL_PDCE | PCI_EXP_SLTCTL_CCIE |
                     PCI_EXP_SLTCTL_HPIE | PCI_EXP_SLTCTL_AIC |
                     PCI_EXP_SLTCTL_PIC | PCI_EXP_SLTCTL_PCC |
                     PCI_EXP_SLTCTL_DLLSCE);
        pci_set_word(d->w1cmask + d->exp_cap + PCI_EXP_SLTSTA, SLOT_EVENTS);
    }
    pci_set_long(e + PCI_EXP_SLTCAP, cap);
    /* Root Control: error and PME interrupt enables, CRS visibility;
     * Root Status: PME status is write-1-to-clear. */
    pci_set_word(w + PCI_EXP_RTCTL, 0x001f);
    pci_set_long(d->w1cmask + d->exp_cap + PCI_EXP_RTSTA,
                 PCI_EXP_RTSTA_PME);
}

static bool rp_realize(PCIDevice *d, Error **errp)
{
    PCIERootPort *rp = PCIE_ROOT_PORT(d);

    if (d->bus->bridge || !d->bus->express) {
        error_setg(errp, "pcie-root-port must be plugged into the PCIe "
                   "root bus (pcie.0), not '%s'", d->bus->qbus->name);
        return false;
    }
    if (rp->slot >= PSN_LIMIT) {
        error_setg(errp, "pcie-root-port: slot %u is out of range (0 to "
                   "%u)", rp->slot, PSN_LIMIT - 1);
        return false;
    }
    if (!rp_check_slot(rp, errp)) {
        return false;
    }
    pci_bridge_init(&rp->parent, &rp_bus_info, d->parent.id, true);
    if (!pcie_cap_init(d, 0, PCI_EXP_TYPE_ROOT_PORT, rp->port, errp) ||
        !msi_init(d, 0, errp)) {
        return false;
    }
    rp_init_slot(rp);
    /* INTD, not INTA: behind the port the usual INTA of a device in
     * its slot swizzles onto the port's own INTA line.  On a board
     * without MSI that line would carry both the hot-plug interrupt and
     * the device's, and Linux's pciehp, removing the device from its
     * interrupt thread, waits in synchronize_irq() for that very thread:
     * the unplug never finishes. */
    pci_set_intx_pin(d, PCI_INTD);
    /* Power-on state until the machine reset runs. */
    rp_reset(d);
    return true;
}

static void rp_class_init(DeviceClass *dc, const void *data)
{
    PCIDeviceClass *pc = (PCIDeviceClass *)dc;

    pc->vendor_id = 0x1b36;     /* QEMU's ids, which guests know */
    pc->device_id = 0x000c;
    pc->realize = rp_realize;
    pc->config_write = rp_write_config;
    pc->reset = rp_reset;
    /* A root port is part of the root complex. */
    dc->hotpluggable = false;
}

static const Property rp_props[] = {
    DEFINE_PROP_UINT8("chassis", PCIERootPort, chassis, 0),
    DEFINE_PROP_UINT16("slot", PCIERootPort, slot, 0),
    DEFINE_PROP_UINT8("port", PCIERootPort, port, 0),
    DEFINE_PROP_BOOL("hotplug", PCIERootPort, hotplug, true),
    PROP_END
};

static const DeviceTypeInfo pcie_root_port_info = {
    .name = TYPE_PCIE_ROOT_PORT,
    .parent = TYPE_PCI_BRIDGE,
    .desc = "PCI Express root port with a hot-plug slot",
    .instance_size = sizeof(PCIERootPort),
    .props = rp_props,
    .class_init = rp_class_init,
};
DEVICE_TYPE_REGISTER(pcie_root_port_info)
