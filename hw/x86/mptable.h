/* The Intel MultiProcessor Specification 1.4 tables: a floating pointer
 * and a configuration table listing the processors, the ISA bus, the
 * I/O APIC and how the ISA interrupts reach it.  With them Linux finds
 * every CPU and the IOAPIC without ACPI.
 *
 * The layout follows the interrupt routing of KVM's in-kernel irqchip
 * with its default GSI routing: ISA IRQ n is IOAPIC pin n (so IRQ 0,
 * the PIT, is pin 0 and not the pin 2 of PC firmware), LINT0 of the
 * boot CPU is ExtINT (the 8259) and LINT1 of every CPU is NMI.
 */
#ifndef HW_X86_MPTABLE_H
#define HW_X86_MPTABLE_H

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

/* Bytes the tables take for nr_cpus processors (pointer included). */
size_t mptable_size(unsigned nr_cpus);

/* Writes the floating pointer at buf (guest address phys_addr) and the
 * configuration table right behind it.  The IOAPIC gets the id after
 * the last CPU.  Fails if the tables need more than len bytes or
 * nr_cpus is 0 or above 254 (APIC ids are 8 bits, 0xff is broadcast).
 * Returns the bytes written, 0 on error. */
size_t mptable_build(uint8_t *buf, size_t len, uint32_t phys_addr,
                     unsigned nr_cpus, Error **errp);

/* The byte that makes the sum of buf[0..len) zero with it in place. */
uint8_t mptable_checksum(const uint8_t *buf, size_t len);

#endif
