/* -M virt: the RISC-V board with QEMU's virt memory map (docs/virt.md).
 *
 *   0x00001000  MROM (reset vector, fw_dynamic_info), 0xf000
 *   0x00100000  sifive_test, 0x1000
 *   0x00101000  goldfish RTC, 0x1000, PLIC source 11
 *   0x02000000  ACLINT MSWI + MTIMER (CLINT layout), 0x10000
 *   0x02f00000  ACLINT SSWI, 0x4000
 *   0x03000000  PCIe PIO window, 0x10000 (I/O ports 0..0xffff)
 *   0x0c000000  PLIC, 0x600000 window
 *   0x10000000  ns16550a UART, 0x100, PLIC source 10
 *   0x10001000  virtio-mmio slots 0..7, stride 0x1000, PLIC sources 1..8
 *   0x30000000  PCIe ECAM, 0x10000000 (buses 0..255)
 *   0x40000000  PCIe 32-bit MMIO window, 0x40000000
 *   0x80000000  RAM
 *   above RAM   PCIe 64-bit MMIO window, 0x400000000, at the first
 *               multiple of its size past the end of RAM (0x400000000
 *               for up to 14 GiB), as on QEMU
 *   PCIe INTA-D: PLIC sources 32..35, swizzled by slot
 */
#ifndef HW_RISCV_VIRT_H
#define HW_RISCV_VIRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/core/irq.h"
#include "memory/memory.h"
#include "util/error.h"

#define VIRT_MROM_BASE      0x1000ull
#define VIRT_MROM_SIZE      0xf000ull
#define VIRT_TEST_BASE      0x100000ull
#define VIRT_RTC_BASE       0x101000ull
#define VIRT_CLINT_BASE     0x2000000ull
#define VIRT_SSWI_BASE      0x2f00000ull
#define VIRT_PLIC_BASE      0xc000000ull
#define VIRT_UART_BASE      0x10000000ull
#define VIRT_VIRTIO_BASE    0x10001000ull
#define VIRT_VIRTIO_STRIDE  0x1000ull
#define VIRT_VIRTIO_COUNT   8
#define VIRT_RAM_BASE       0x80000000ull
#define VIRT_PCIE_PIO_BASE  0x3000000ull
#define VIRT_PCIE_PIO_SIZE  0x10000ull
#define VIRT_PCIE_ECAM_BASE 0x30000000ull
#define VIRT_PCIE_ECAM_SIZE 0x10000000ull
#define VIRT_PCIE_MMIO_BASE 0x40000000ull
#define VIRT_PCIE_MMIO_SIZE 0x40000000ull
#define VIRT_PCIE_MMIO64_SIZE 0x400000000ull

#define VIRT_RTC_IRQ        11
#define VIRT_UART_IRQ       10
#define VIRT_VIRTIO_IRQ     1       /* slot n uses source 1 + n */
#define VIRT_PCIE_IRQ       32      /* INTA..INTD: 32..35 */
#define VIRT_PLIC_NDEV      95

#define VIRT_MAX_HARTS      8
#define VIRT_UART_CLOCK     3686400
#define VIRT_CACHE_BLOCK    64      /* Zicbom/Zicboz/Zicbop block size */

/* What the device tree describes; filled by the board at each reset. */
typedef struct VirtFdtConfig {
    unsigned nr_harts;
    uint64_t ram_base, ram_size;
    const char *cmdline;            /* NULL: no bootargs */
    uint64_t initrd_start, initrd_end;  /* equal: no initrd */
    uint64_t pcie_mmio64_base;      /* the 64-bit window (placed by RAM) */
} VirtFdtConfig;

/* Where the 64-bit PCIe window goes for this much RAM. */
static inline uint64_t virt_pcie_mmio64_base(uint64_t ram_size)
{
    uint64_t end = VIRT_RAM_BASE + ram_size;

    return (end + VIRT_PCIE_MMIO64_SIZE - 1) & ~(VIRT_PCIE_MMIO64_SIZE - 1);
}

/* The flattened tree, packed, malloc'd (the caller frees it); *size is
 * its total size.  NULL with errp on a libfdt error. */
void *virt_fdt_build(const VirtFdtConfig *cfg, size_t *size, Error **errp);

#endif
