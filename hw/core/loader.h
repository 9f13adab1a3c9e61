/* Loading guest images (-kernel, -bios, -initrd) into guest memory: ELF64
 * executables, raw binaries, and the RISC-V Linux Image header.
 *
 * Every check failure is an Error of one line that names the file, e.g.
 * "'foo.elf': not an ELF file".  Malformed input never crashes the loader,
 * and its allocations are bounded by the size of the file.
 *
 * Writes go through address_space_write(), so the caller must be allowed
 * to call it: hold the BQL or be an online registered RCU reader.  Loading
 * into ROM fails like any write the guest could not do.
 */
#ifndef HW_CORE_LOADER_H
#define HW_CORE_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memory/memory.h"
#include "util/error.h"

/* Flags for elf_open() / load_elf(). */
enum {
    ELF_LOAD_VADDR = 1u << 0,       /* load at p_vaddr, not p_paddr */
    ELF_LOAD_ALLOW_DYN = 1u << 1,   /* accept ET_DYN (at its own addresses) */
};

typedef struct ElfLoadInfo {
    uint64_t entry;                 /* e_entry */
    hwaddr low;                     /* lowest address loaded */
    hwaddr end;                     /* one past the highest byte loaded */
} ElfLoadInfo;

/* An opened and validated ELF file: the header, the program headers and
 * the file bounds of every PT_LOAD segment have been checked. */
typedef struct ElfFile ElfFile;

/* machine: EM_RISCV, EM_X86_64, ... from <elf.h>.  NULL on error. */
ElfFile *elf_open(const char *path, uint16_t machine, unsigned flags,
                  Error **errp);
/* Writes every PT_LOAD segment: p_filesz bytes from the file, then
 * p_memsz - p_filesz zero bytes.  info may be NULL.  On a memory error
 * the segments before the failing one stay written. */
bool elf_load(ElfFile *elf, AddressSpace *as, ElfLoadInfo *info,
              Error **errp);
/* The value of the first defined symbol called name in .symtab (for an
 * executable, its address).  Fails, naming the symbol, if there is none. */
bool elf_lookup_symbol(ElfFile *elf, const char *name, uint64_t *value,
                       Error **errp);
void elf_close(ElfFile *elf);

/* elf_open + elf_load + elf_close. */
bool load_elf(const char *path, AddressSpace *as, uint16_t machine,
              unsigned flags, ElfLoadInfo *info, Error **errp);

/* Copies a raw file to [addr, addr + size).  Returns the size, or -1 if
 * the file is missing, unreadable, not a regular file, larger than
 * max_size, or lands outside writable memory. */
int64_t load_image(const char *path, AddressSpace *as, hwaddr addr,
                   uint64_t max_size, Error **errp);

/* The 64-byte header at the start of a RISC-V Linux Image
 * (Documentation/arch/riscv/boot-image-header.rst). */
#define RISCV_IMAGE_HEADER_SIZE 64
#define RISCV_IMAGE_MAGIC "RISCV\0\0\0"     /* at 48, deprecated in 0.2 */
#define RISCV_IMAGE_MAGIC2 0x05435352u      /* "RSC\x05" at 56 */

/* Checks the header in buf (the first len bytes of the file; at least
 * 64) and returns its load offset from the start of RAM and the size the
 * kernel occupies there (bss included).  name is used in errors only. */
bool riscv_image_header_parse(const char *name, const void *buf, size_t len,
                              uint64_t *text_offset, uint64_t *image_size,
                              Error **errp);

#endif
