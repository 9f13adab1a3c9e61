/* MP tables (Intel MultiProcessor Specification 1.4, chapter 4): see
 * mptable.h. */
#include <assert.h>
#include <string.h>

#include "hw/x86/mptable.h"
#include "hw/x86/x86-boot.h"

#define MP_MAX_CPUS             254
/* MP spec, feature flags of a processor entry (CPUID.1 EDX): FPU, APIC. */
#define MP_CPU_FEATURE_FPU      (1u << 0)
#define MP_CPU_FEATURE_APIC     (1u << 9)
/* Family 6, as CPUID.1 EAX stores it. */
#define MP_CPU_SIGNATURE        0x600
#define MP_CPU_ENABLED          (1u << 0)
#define MP_CPU_BOOT             (1u << 1)
#define MP_IOAPIC_ENABLED       (1u << 0)
/* The PCI root bus is MP bus 0 (its PCI bus number); ISA follows. */
#define MP_PCI_BUS_ID           0
#define MP_LOCAL_ALL_APICS      0xff
#define MP_IOAPIC_PINS          24

static unsigned nr_entries(unsigned nr_cpus, bool pci)
{
    /* CPUs, the bus, the IOAPIC, 16 ISA interrupts, LINT0 and LINT1;
     * with PCI its bus and an entry per slot and pin. */
    return nr_cpus + 1 + 1 + MP_ISA_IRQS + 2 +
           (pci ? 1 + MP_PCI_SLOTS * MP_PCI_PINS : 0);
}

size_t mptable_size(unsigned nr_cpus, bool pci)
{
    return MP_FLOATING_SIZE + MP_CONFIG_HEADER_SIZE +
           nr_cpus * MP_PROCESSOR_SIZE +
           (nr_entries(nr_cpus, pci) - nr_cpus) * MP_SHORT_ENTRY_SIZE;
}

uint8_t mptable_checksum(const uint8_t *buf, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++) {
        sum += buf[i];
    }
    return (uint8_t)-sum;
}

static uint8_t *put_processor(uint8_t *p, unsigned apic_id)
{
    p[0] = MP_ENTRY_PROCESSOR;
    p[1] = apic_id;
    p[2] = MP_LAPIC_VERSION;
    p[3] = MP_CPU_ENABLED | (apic_id == 0 ? MP_CPU_BOOT : 0);
    x86_st32(p + 4, MP_CPU_SIGNATURE);
    x86_st32(p + 8, MP_CPU_FEATURE_FPU | MP_CPU_FEATURE_APIC);
    /* 12..19 reserved, zero */
    return p + MP_PROCESSOR_SIZE;
}

/* An I/O or local interrupt assignment entry.  flags 0: polarity and
 * trigger conform to the bus (ISA: active high, edge). */
static uint8_t *put_interrupt(uint8_t *p, uint8_t entry, uint8_t int_type,
                              uint8_t flags, uint8_t src_bus,
                              uint8_t src_irq, uint8_t dst_id,
                              uint8_t dst_pin)
{
    p[0] = entry;
    p[1] = int_type;
    p[2] = flags;
    p[3] = 0;
    p[4] = src_bus;
    p[5] = src_irq;
    p[6] = dst_id;
    p[7] = dst_pin;
    return p + MP_SHORT_ENTRY_SIZE;
}

static uint8_t *put_bus(uint8_t *p, uint8_t id, const char type[6])
{
    p[0] = MP_ENTRY_BUS;
    p[1] = id;
    memcpy(p + 2, type, 6);
    return p + MP_SHORT_ENTRY_SIZE;
}

/* Slot s pin p (0: INTA) -> IOAPIC pin gsi_base + (s + p) % 4. */
static uint8_t *put_pci_interrupts(uint8_t *p, const MPTablePci *pci,
                                   uint8_t ioapic_id)
{
    for (unsigned slot = 0; slot < MP_PCI_SLOTS; slot++) {
        for (unsigned pin = 0; pin < MP_PCI_PINS; pin++) {
            p = put_interrupt(p, MP_ENTRY_IO_INTERRUPT, MP_INT_INT,
                              MP_IRQ_POLARITY_HIGH | MP_IRQ_TRIGGER_LEVEL,
                              MP_PCI_BUS_ID, slot << 2 | pin, ioapic_id,
                              pci->gsi_base + (slot + pin) % MP_PCI_PINS);
        }
    }
    return p;
}

static uint8_t *put_entries(uint8_t *p, unsigned nr_cpus,
                            const MPTablePci *pci)
{
    uint8_t ioapic_id = nr_cpus;
    uint8_t isa_bus = pci ? MP_PCI_BUS_ID + 1 : 0;

    for (unsigned i = 0; i < nr_cpus; i++) {
        p = put_processor(p, i);
    }
    /* Bus ids in increasing order. */
    if (pci) {
        p = put_bus(p, MP_PCI_BUS_ID, "PCI   ");
    }
    p = put_bus(p, isa_bus, "ISA   ");

    p[0] = MP_ENTRY_IOAPIC;
    p[1] = ioapic_id;
    p[2] = MP_IOAPIC_VERSION;
    p[3] = MP_IOAPIC_ENABLED;
    x86_st32(p + 4, MP_IOAPIC_ADDR);
    p += MP_SHORT_ENTRY_SIZE;

    for (unsigned irq = 0; irq < MP_ISA_IRQS; irq++) {
        p = put_interrupt(p, MP_ENTRY_IO_INTERRUPT, MP_INT_INT, 0, isa_bus,
                          irq, ioapic_id, irq);
    }
    if (pci) {
        p = put_pci_interrupts(p, pci, ioapic_id);
    }
    p = put_interrupt(p, MP_ENTRY_LOCAL_INTERRUPT, MP_INT_EXTINT, 0, isa_bus,
                      0, 0, 0);
    p = put_interrupt(p, MP_ENTRY_LOCAL_INTERRUPT, MP_INT_NMI, 0, isa_bus,
                      0, MP_LOCAL_ALL_APICS, 1);
    return p;
}

size_t mptable_build(uint8_t *buf, size_t len, uint32_t phys_addr,
                     unsigned nr_cpus, const MPTablePci *pci, Error **errp)
{
    size_t size = mptable_size(nr_cpus, pci != NULL);
    unsigned count = nr_entries(nr_cpus, pci != NULL);
    uint8_t *fp = buf, *cfg = buf + MP_FLOATING_SIZE, *end;

    if (nr_cpus == 0 || nr_cpus > MP_MAX_CPUS) {
        error_setg(errp, "MP table: %u CPUs (1..%u are possible)", nr_cpus,
                   MP_MAX_CPUS);
        return 0;
    }
    if (pci && pci->gsi_base + MP_PCI_PINS > MP_IOAPIC_PINS) {
        error_setg(errp, "MP table: PCI lines from IOAPIC pin %u do not fit "
                   "its %u pins", pci->gsi_base, MP_IOAPIC_PINS);
        return 0;
    }
    if (size > len) {
        error_setg(errp, "MP table: %zu bytes for %u CPUs, only %zu fit",
                   size, nr_cpus, len);
        return 0;
    }
    memset(buf, 0, size);

    x86_st32(cfg, MP_CONFIG_SIGNATURE);
    cfg[MP_CONFIG_REV] = MP_SPEC_REV_1_4;
    memcpy(cfg + 8, "WEFT    ", 8);             /* OEM id */
    memcpy(cfg + 16, "MICROVM     ", 12);       /* product id */
    cfg[MP_CONFIG_COUNT] = count & 0xff;
    cfg[MP_CONFIG_COUNT + 1] = count >> 8;
    x86_st32(cfg + MP_CONFIG_LAPIC, MP_LAPIC_ADDR);
    end = put_entries(cfg + MP_CONFIG_HEADER_SIZE, nr_cpus, pci);
    assert((size_t)(end - buf) == size);
    cfg[MP_CONFIG_LENGTH] = (end - cfg) & 0xff;
    cfg[MP_CONFIG_LENGTH + 1] = (end - cfg) >> 8;
    cfg[MP_CONFIG_CHECKSUM] = mptable_checksum(cfg, end - cfg);

    x86_st32(fp, MP_FLOATING_SIGNATURE);
    x86_st32(fp + MP_FLOATING_PHYSPTR, phys_addr + MP_FLOATING_SIZE);
    fp[MP_FLOATING_LENGTH] = 1;                 /* 16-byte paragraphs */
    fp[MP_FLOATING_REV] = MP_SPEC_REV_1_4;
    /* Feature bytes 1-5 zero: a configuration table is present, no
     * IMCR (virtual wire mode). */
    fp[MP_FLOATING_CHECKSUM] = mptable_checksum(fp, MP_FLOATING_SIZE);
    return size;
}
