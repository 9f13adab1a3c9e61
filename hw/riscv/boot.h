/* Booting a RISC-V board: placing firmware, kernel, initrd and device
 * tree in RAM, and the reset vector in the mask ROM.
 *
 * The convention is OpenSBI's fw_dynamic one, as QEMU's virt board uses
 * it: every hart starts at the ROM, which loads a0 = mhartid, a1 = the
 * device tree's address, a2 = the address of a struct fw_dynamic_info
 * (kept in the ROM too) and jumps to the firmware.  The firmware reads
 * the next stage (the kernel) and its privilege mode from that struct.
 *
 * Images are loaded once, at machine creation, where every error can
 * still be reported as a one-line message; the bytes are then kept as
 * "blobs" that riscv_boot_blobs_restore() writes back at every machine
 * reset, so a rebooted guest starts from pristine images even if it
 * overwrote them, and a file changed or deleted meanwhile does not
 * matter.
 */
#ifndef HW_RISCV_BOOT_H
#define HW_RISCV_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memory/memory.h"
#include "util/error.h"

/* Debian's opensbi package, the firmware used when -bios is absent. */
#define RISCV_DEFAULT_FIRMWARE \
    "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"

/* Linux on RV64 wants its Image at a 2 MiB-aligned address. */
#define RISCV_KERNEL_ALIGN      (2ull << 20)
/* Bytes reserved for the device tree at the top of low RAM. */
#define RISCV_FDT_MAX_SIZE      (1ull << 20)
#define RISCV_FDT_ALIGN         (2ull << 20)

/* fw_dynamic_info (OpenSBI include/sbi/fw_dynamic.h), version 2. */
#define FW_DYNAMIC_INFO_MAGIC   0x4942534full     /* "OSBI" */
#define FW_DYNAMIC_INFO_VERSION 2
#define FW_DYNAMIC_NEXT_MODE_S  1
#define FW_DYNAMIC_NEXT_MODE_M  3

/* The ROM contents riscv_boot_rom_size() bytes long: code, then data. */
#define RISCV_BOOT_ROM_FDT_OFF      0x20    /* u64: a1 */
#define RISCV_BOOT_ROM_JUMP_OFF     0x28    /* u64: where to jump */
#define RISCV_BOOT_ROM_FW_INFO_OFF  0x30    /* fw_dynamic_info, 6 x u64 */
#define RISCV_BOOT_ROM_SIZE         0x60

/* Guest RAM where images go. */
typedef struct RiscvRam {
    AddressSpace *as;
    hwaddr base;
    uint64_t size;
} RiscvRam;

/* A loaded image: [start, end) in guest memory, and its entry point. */
typedef struct RiscvImage {
    hwaddr start, end;
    uint64_t entry;
} RiscvImage;

/* Copies of loaded images, to restore at reset. */
typedef struct RiscvBootBlob RiscvBootBlob;
typedef struct RiscvBootBlobs {
    RiscvBootBlob *first;
} RiscvBootBlobs;

/* All BQL.  Each fails with a one-line error naming the file. */

/* -bios FILE: an ELF (at its own addresses), else a raw binary at the
 * start of RAM.  Must lie inside RAM. */
bool riscv_load_firmware(const RiscvRam *ram, const char *path,
                         RiscvBootBlobs *blobs, RiscvImage *img,
                         Error **errp);
/* -kernel FILE: an ELF (at its own addresses, in RAM), or a RISC-V Linux
 * Image (header checked) at load_addr.  allow_raw: any other file is a
 * raw binary at load_addr (bare metal, -bios none); otherwise it is an
 * error. */
bool riscv_load_kernel(const RiscvRam *ram, const char *path,
                       hwaddr load_addr, bool allow_raw,
                       RiscvBootBlobs *blobs, RiscvImage *img, Error **errp);
/* -initrd FILE: page-aligned, ending at or below `below`, above
 * `lowest` (the end of the kernel). */
bool riscv_load_initrd(const RiscvRam *ram, const char *path, hwaddr lowest,
                       hwaddr below, RiscvBootBlobs *blobs, RiscvImage *img,
                       Error **errp);

/* Where the device tree goes: RISCV_FDT_MAX_SIZE bytes at the top of RAM
 * below 3 GiB (what 32-bit-addressing firmware can reach), 2 MiB
 * aligned, as QEMU places it.  0 if RAM is too small to hold it. */
hwaddr riscv_fdt_addr(const RiscvRam *ram);

/* The kernel's address after firmware ending at fw_end (2 MiB aligned:
 * 0x80200000 for OpenSBI at 0x80000000, as on QEMU). */
hwaddr riscv_kernel_addr_after(uint64_t fw_end);

/* Fills rom (at least RISCV_BOOT_ROM_SIZE bytes) with the reset vector:
 * a0 = mhartid, a1 = fdt_addr, a2 = &fw_dynamic_info (in the ROM, found
 * pc-relative: the code runs wherever the ROM is mapped), jump to
 * jump_addr.  The struct says: next stage at next_addr in next_mode,
 * boot hart 0. */
void riscv_boot_rom_fill(uint8_t *rom, uint64_t jump_addr,
                         uint64_t fdt_addr, uint64_t next_addr,
                         unsigned next_mode);

/* Writes every blob back into guest memory.  False (with errp) if a
 * write fails, which cannot happen for blobs taken from RAM. */
bool riscv_boot_blobs_restore(const RiscvRam *ram,
                              const RiscvBootBlobs *blobs, Error **errp);

#endif
