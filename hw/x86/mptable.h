/* The Intel MultiProcessor Specification 1.4 tables: a floating pointer
 * and a configuration table listing the processors, the buses (the PCI
 * root bus when there is one, then ISA), the I/O APIC and how the ISA
 * and PCI interrupts reach it.  With them Linux finds every CPU, the
 * IOAPIC and the IOAPIC pin of each PCI INTx without ACPI.
 *
 * The layout follows the interrupt routing of KVM's in-kernel irqchip
 * with its default GSI routing: ISA IRQ n is IOAPIC pin n (so IRQ 0,
 * the PIT, is pin 0 and not the pin 2 of PC firmware), LINT0 of the
 * boot CPU is ExtINT (the 8259) and LINT1 of every CPU is NMI.
 *
 * PCI (MP spec §4.3.4, source bus IRQ = device << 2 | pin, pin 0 =
 * INTA): every slot 0-31 of the root bus, every pin, goes to IOAPIC pin
 * gsi_base + (slot + pin) % 4, the standard swizzle the PCI host
 * applies, level-triggered and active high (KVM_IRQ_LINE level 1 is
 * "asserted").  Linux finds functions behind bridges by swizzling up to
 * the root bus itself, so only bus 0 is listed; its MP bus id is 0 (the
 * PCI bus number, which Linux compares), and ISA takes id 1.
 */
#ifndef HW_X86_MPTABLE_H
#define HW_X86_MPTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define MP_FLOATING_SIGNATURE   0x5f504d5fu     /* "_MP_" */
#define MP_CONFIG_SIGNATURE     0x504d4350u     /* "PCMP" */
#define MP_SPEC_REV_1_4         4

#define MP_LAPIC_ADDR           0xfee00000u
#define MP_IOAPIC_ADDR          0xfec00000u
#define MP_LAPIC_VERSION        0x14
#define MP_IOAPIC_VERSION       0x11
#define MP_ISA_IRQS             16
#define MP_PCI_SLOTS            32
#define MP_PCI_PINS             4
/* Interrupt assignment flags: polarity bits 1:0, trigger mode 3:2. */
#define MP_IRQ_POLARITY_HIGH    0x1
#define MP_IRQ_TRIGGER_LEVEL    0xc

/* Entry types and their sizes. */
enum {
    MP_ENTRY_PROCESSOR = 0,     /* 20 bytes */
    MP_ENTRY_BUS = 1,           /* 8 bytes, as are the others */
    MP_ENTRY_IOAPIC = 2,
    MP_ENTRY_IO_INTERRUPT = 3,
    MP_ENTRY_LOCAL_INTERRUPT = 4,
};

/* Interrupt types of the interrupt assignment entries. */
enum {
    MP_INT_INT = 0,
    MP_INT_NMI = 1,
    MP_INT_SMI = 2,
    MP_INT_EXTINT = 3,
};

#define MP_FLOATING_SIZE        16
#define MP_CONFIG_HEADER_SIZE   44
#define MP_PROCESSOR_SIZE       20
#define MP_SHORT_ENTRY_SIZE     8

/* Offsets in the structures, for builders and tests. */
#define MP_FLOATING_PHYSPTR     4
#define MP_FLOATING_LENGTH      8
#define MP_FLOATING_REV         9
#define MP_FLOATING_CHECKSUM    10
#define MP_CONFIG_LENGTH        4
#define MP_CONFIG_REV           6
#define MP_CONFIG_CHECKSUM      7
#define MP_CONFIG_COUNT         34
#define MP_CONFIG_LAPIC         36

/* The PCI root bus of the table (see above). */
typedef struct MPTablePci {
    unsigned gsi_base;          /* IOAPIC pin of line 0 (INTA of slot 0) */
} MPTablePci;

/* Bytes the tables take for nr_cpus processors (pointer included), with
 * the PCI entries when pci. */
size_t mptable_size(unsigned nr_cpus, bool pci);

/* Writes the floating pointer at buf (guest address phys_addr) and the
 * configuration table right behind it; pci NULL: no PCI bus.  The IOAPIC
 * gets the id after the last CPU.  Fails if the tables need more than
 * len bytes, nr_cpus is 0 or above 254 (APIC ids are 8 bits, 0xff is
 * broadcast) or PCI lines would go past IOAPIC pin 23.  Returns the
 * bytes written, 0 on error. */
size_t mptable_build(uint8_t *buf, size_t len, uint32_t phys_addr,
                     unsigned nr_cpus, const MPTablePci *pci, Error **errp);

/* The byte that makes the sum of buf[0..len) zero with it in place. */
uint8_t mptable_checksum(const uint8_t *buf, size_t len);

#endif
