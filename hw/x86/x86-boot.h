/* Direct boot of x86-64 kernels at their 64-bit entry: the Linux boot
 * protocol (bzImage setup header checks, zero page, command line,
 * initrd placement, e820 map) and the CPU-side tables the entry needs
 * (identity-mapped page tables and a GDT).  docs/kvm.md has the memory
 * layout and the reasons behind it.
 *
 * Everything here works on buffers: no memory core, no KVM, no global
 * state, so the unit tests (tests/unit/x86/) run on any host.  Errors
 * are one line naming the file and the cause.
 */
#ifndef HW_X86_X86_BOOT_H
#define HW_X86_X86_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/x86/bootparam.h"
#include "util/error.h"

/* ---- the guest-physical layout of a direct boot (below 1 MiB) */

#define X86_BOOT_GDT_ADDR       0x500ull
#define X86_BOOT_ZERO_PAGE_ADDR 0x7000ull
#define X86_BOOT_STACK_TOP      0x8ff0ull
#define X86_BOOT_PML4_ADDR      0x9000ull
#define X86_BOOT_PDPT_ADDR      0xa000ull
#define X86_BOOT_PD_ADDR        0xb000ull   /* four page directories */
#define X86_BOOT_PT_SIZE        0x6000ull   /* PML4 + PDPT + 4 PDs */
/* The page tables map [0, 4 GiB) 1:1 with 2 MiB pages: the kernel, the
 * zero page, the command line, the initrd and the MMIO hole. */
#define X86_BOOT_IDENT_MAP_SIZE (4ull << 30)
#define X86_BOOT_CMDLINE_ADDR   0x20000ull
#define X86_BOOT_CMDLINE_MAX    0x10000ull  /* bytes, final NUL included */
/* Start of the EBDA, where the MP floating pointer and table go: Linux
 * looks for the pointer in the last KiB below 640 KiB. */
#define X86_EBDA_ADDR           0x9fc00ull
#define X86_EBDA_END            0xa0000ull
#define X86_BIOS_ROM_ADDR       0xf0000ull
#define X86_HIGH_MEM_ADDR       0x100000ull
/* RAM above 3 GiB moves to 4 GiB: [3 GiB, 4 GiB) is the MMIO hole
 * (IOAPIC, LAPIC, KVM's TSS pages, device windows). */
#define X86_LOW_RAM_MAX         0xc0000000ull
#define X86_HIGH_RAM_ADDR       (4ull << 30)

/* How -m splits around the MMIO hole. */
typedef struct X86RamLayout {
    uint64_t below_4g;          /* RAM at [0, below_4g) */
    uint64_t above_4g;          /* RAM at [4 GiB, 4 GiB + above_4g) */
} X86RamLayout;

X86RamLayout x86_ram_layout(uint64_t ram_size);

/* ---- bzImage */

/* The oldest protocol accepted: 2.12 brought xloadflags, whose
 * XLF_KERNEL_64 says the 64-bit entry exists. */
#define X86_BOOT_PROTOCOL_MIN   0x020c

typedef struct X86BzImage {
    X86SetupHeader hdr;         /* the file's header (fields weft knows) */
    uint32_t hdr_end;           /* offset where the file's header ends */
    uint64_t setup_size;        /* real-mode part: (setup_sects + 1) * 512 */
    uint64_t kernel_offset;     /* protected-mode kernel in the file */
    uint64_t kernel_size;
    uint64_t load_addr;         /* where it goes: pref_address */
    uint64_t init_size;         /* RAM it needs from load_addr */
} X86BzImage;

/* True if buf (the file's first len bytes) carries the HdrS magic, i.e.
 * is meant as a bzImage: then x86_bzimage_parse decides whether it is a
 * good one. */
bool x86_is_bzimage(const void *buf, size_t len);
/* Checks the setup header of the whole file in buf: magic, boot flag,
 * protocol version, setup_sects against the size, the 64-bit entry,
 * loaded-high, pref_address and its alignment, init_size.  name is for
 * errors only. */
bool x86_bzimage_parse(const char *name, const void *buf, size_t len,
                       X86BzImage *k, Error **errp);

/* Where a direct boot puts things. */
typedef struct X86BootPlan {
    uint64_t kernel_addr;       /* the protected-mode kernel */
    uint64_t kernel_end;        /* kernel_addr + init_size */
    uint64_t entry;             /* 64-bit entry: kernel_addr + 0x200 */
    uint64_t cmdline_addr;
    uint64_t cmdline_len;       /* without the NUL */
    uint64_t initrd_addr;       /* 0 with no initrd */
    uint64_t initrd_size;
} X86BootPlan;

/* Decides the addresses for kernel k (file `name`), an initrd of
 * initrd_size bytes (0: none) and a command line of cmdline_len bytes,
 * in RAM laid out as ram: the kernel at pref_address with init_size
 * bytes of RAM behind it, the initrd as high as the RAM and
 * initrd_addr_max allow, above the kernel.  Errors say which -m would
 * be needed or which limit was exceeded. */
bool x86_bzimage_plan(const char *name, const X86BzImage *k,
                      const X86RamLayout *ram, uint64_t initrd_size,
                      uint64_t cmdline_len, X86BootPlan *plan, Error **errp);

/* Fills the zero page for a bzImage boot: zeroed, then the file's setup
 * header (file = the kernel file, at least k->setup_size bytes), then
 * the loader's fields (type_of_loader, loadflags, vid_mode, cmd_line_ptr,
 * ramdisk_image/size and their ext_ halves) and the e820 table.  An ELF
 * boot passes k = NULL: only the command line and e820 are set. */
void x86_zero_page_fill(X86BootParams *bp, const void *file,
                        const X86BzImage *k, const X86BootPlan *plan,
                        const X86E820Entry *e820, unsigned nr_e820);

/* ---- e820 */

/* The map of a machine with ram: RAM below the EBDA, the EBDA and the
 * BIOS area reserved, RAM from 1 MiB, RAM above 4 GiB.  Returns the
 * number of entries written (at most X86_E820_MAX_ZEROPAGE); ram must
 * have more than 1 MiB below 4 GiB. */
unsigned x86_e820_build(X86E820Entry *table, unsigned max,
                        const X86RamLayout *ram);
/* Sorted by address, no empty entry, no overlap, known types. */
bool x86_e820_check(const X86E820Entry *table, unsigned nr, Error **errp);

/* ---- page tables and GDT for the 64-bit entry */

/* Writes the X86_BOOT_PT_SIZE bytes that go at X86_BOOT_PML4_ADDR:
 * PML4[0] -> PDPT, PDPT[0..3] -> four PDs, 2048 2 MiB pages mapping
 * [0, 4 GiB) to itself, present and writable. */
void x86_page_tables_build(uint8_t *buf);

/* Selectors the boot protocol requires (__BOOT_CS, __BOOT_DS) and the
 * task register weft loads (VMX wants a usable TR). */
#define X86_BOOT_CS             0x10
#define X86_BOOT_DS             0x18
#define X86_BOOT_TSS            0x20
#define X86_BOOT_GDT_ENTRIES    6   /* the TSS descriptor takes two */

void x86_gdt_build(uint64_t gdt[X86_BOOT_GDT_ENTRIES]);

/* A decoded segment descriptor, in the terms the KVM segment registers
 * use.  limit is in bytes - 1 (granularity applied). */
typedef struct X86Segment {
    uint64_t base;
    uint32_t limit;
    uint8_t type;
    uint8_t s, dpl, present, avl, l, db, g;
} X86Segment;

void x86_gdt_decode(uint64_t desc, X86Segment *seg);

/* Little-endian stores into guest bytes, whatever the host. */
static inline void x86_st32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = v >> (8 * i);
    }
}

static inline void x86_st64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = v >> (8 * i);
    }
}

static inline uint64_t x86_ld64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

#endif
