/* Direct boot of x86-64 kernels: see x86-boot.h. */
#include <inttypes.h>
#include <string.h>

#include "hw/x86/x86-boot.h"
#include "util/compiler.h"

X86RamLayout x86_ram_layout(uint64_t ram_size)
{
    X86RamLayout l = {
        .below_4g = MIN(ram_size, X86_LOW_RAM_MAX),
    };

    l.above_4g = ram_size - l.below_4g;
    return l;
}

/* ---- bzImage */

bool x86_is_bzimage(const void *buf, size_t len)
{
    const uint8_t *b = buf;
    uint32_t magic;

    if (len < X86_SETUP_HEADER_END_BASE + 4) {
        return false;
    }
    memcpy(&magic, b + X86_SETUP_HEADER_END_BASE, 4);
    return magic == X86_HDRS_MAGIC;
}

static bool is_power_of_2(uint64_t x)
{
    return x && !(x & (x - 1));
}

/* The part of the checks that only looks at the header's own bytes. */
static bool bzimage_check_magic(const char *name, const uint8_t *b,
                                size_t len, X86SetupHeader *h, Error **errp)
{
    size_t hdr_len = MIN(sizeof(*h), len - X86_SETUP_HEADER_OFFSET);

    memset(h, 0, sizeof(*h));
    memcpy(h, b + X86_SETUP_HEADER_OFFSET, hdr_len);
    if (h->header != X86_HDRS_MAGIC) {
        error_setg(errp, "'%s': not a bzImage (no \"HdrS\" magic at 0x202); "
                   "-M microvm boots bzImage and 64-bit ELF kernels", name);
        return false;
    }
    if (h->boot_flag != X86_BOOT_FLAG) {
        error_setg(errp, "'%s': corrupt bzImage: boot flag is 0x%04x, not "
                   "0xaa55", name, h->boot_flag);
        return false;
    }
    if (h->version < X86_BOOT_PROTOCOL_MIN) {
        error_setg(errp, "'%s': boot protocol %u.%02u is too old (the "
                   "64-bit entry needs 2.12 or later)", name,
                   h->version >> 8, h->version & 0xff);
        return false;
    }
    return true;
}

static bool bzimage_check_sizes(const char *name, const uint8_t *b,
                                size_t len, X86BzImage *k, Error **errp)
{
    const X86SetupHeader *h = &k->hdr;
    unsigned sects = h->setup_sects ? h->setup_sects : 4;

    k->setup_size = (uint64_t)(sects + 1) * X86_SECTOR_SIZE;
    k->hdr_end = X86_SETUP_HEADER_END_BASE + b[X86_SETUP_HEADER_END_BASE - 1];
    if (k->setup_size >= len) {
        error_setg(errp, "'%s': truncated bzImage: the setup code claims "
                   "%" PRIu64 " bytes, the file has %zu", name,
                   k->setup_size, len);
        return false;
    }
    /* init_size is the last field weft reads. */
    if (k->hdr_end < offsetof(X86BootParams, hdr.handover_offset) ||
        k->hdr_end > k->setup_size) {
        error_setg(errp, "'%s': corrupt bzImage: the setup header ends at "
                   "0x%x (needs 0x%zx..0x%" PRIx64 ")", name, k->hdr_end,
                   offsetof(X86BootParams, hdr.handover_offset),
                   k->setup_size);
        return false;
    }
    k->kernel_offset = k->setup_size;
    k->kernel_size = len - k->setup_size;
    if ((uint64_t)h->syssize * 16 > k->kernel_size) {
        error_setg(errp, "'%s': truncated bzImage: the kernel is %" PRIu64
                   " bytes, the header says %" PRIu64, name, k->kernel_size,
                   (uint64_t)h->syssize * 16);
        return false;
    }
    if (k->kernel_size <= X86_ENTRY64_OFFSET) {
        error_setg(errp, "'%s': truncated bzImage: no 64-bit entry in a "
                   "%" PRIu64 "-byte kernel", name, k->kernel_size);
        return false;
    }
    return true;
}

static bool bzimage_check_load(const char *name, X86BzImage *k,
                               Error **errp)
{
    const X86SetupHeader *h = &k->hdr;

    if (!(h->xloadflags & X86_XLF_KERNEL_64)) {
        error_setg(errp, "'%s': not a 64-bit kernel (XLF_KERNEL_64 is "
                   "clear); -M microvm starts kernels at the 64-bit entry",
                   name);
        return false;
    }
    if (!(h->loadflags & X86_LOADED_HIGH)) {
        error_setg(errp, "'%s': a zImage (not loaded high) cannot be "
                   "booted", name);
        return false;
    }
    /* The kernel decompresses to pref_address (LOAD_PHYSICAL_ADDR) even
     * when it is relocatable and loaded lower, so load it there. */
    k->load_addr = h->pref_address;
    k->init_size = h->init_size;
    if (k->load_addr < X86_HIGH_MEM_ADDR ||
        k->load_addr >= X86_LOW_RAM_MAX) {
        error_setg(errp, "'%s': corrupt bzImage: pref_address 0x%" PRIx64
                   " is outside [1 MiB, 3 GiB)", name, k->load_addr);
        return false;
    }
    if (h->relocatable_kernel &&
        (!is_power_of_2(h->kernel_alignment) ||
         k->load_addr % h->kernel_alignment)) {
        error_setg(errp, "'%s': corrupt bzImage: pref_address 0x%" PRIx64
                   " is not aligned to kernel_alignment 0x%x", name,
                   k->load_addr, h->kernel_alignment);
        return false;
    }
    if (k->init_size < k->kernel_size) {
        error_setg(errp, "'%s': corrupt bzImage: init_size 0x%" PRIx64
                   " is smaller than the kernel (0x%" PRIx64 " bytes)",
                   name, k->init_size, k->kernel_size);
        return false;
    }
    return true;
}

bool x86_bzimage_parse(const char *name, const void *buf, size_t len,
                       X86BzImage *k, Error **errp)
{
    const uint8_t *b = buf;

    memset(k, 0, sizeof(*k));
    if (len < 2 * X86_SECTOR_SIZE) {
        error_setg(errp, "'%s': truncated: %zu bytes is too short for a "
                   "bzImage", name, len);
        return false;
    }
    return bzimage_check_magic(name, b, len, &k->hdr, errp) &&
           bzimage_check_sizes(name, b, len, k, errp) &&
           bzimage_check_load(name, k, errp);
}

bool x86_bzimage_plan(const char *name, const X86BzImage *k,
                      const X86RamLayout *ram, uint64_t initrd_size,
                      uint64_t cmdline_len, X86BootPlan *plan, Error **errp)
{
    uint64_t top;

    memset(plan, 0, sizeof(*plan));
    plan->kernel_addr = k->load_addr;
    plan->kernel_end = k->load_addr + k->init_size;
    plan->entry = k->load_addr + X86_ENTRY64_OFFSET;
    if (plan->kernel_end > ram->below_4g) {
        error_setg(errp, "'%s': the kernel needs RAM up to %" PRIu64
                   " MiB (loaded at 0x%" PRIx64 ", init_size 0x%" PRIx64
                   "); -m gives %" PRIu64 " MiB below 4 GiB", name,
                   (plan->kernel_end + (1 << 20) - 1) >> 20, k->load_addr,
                   k->init_size, ram->below_4g >> 20);
        return false;
    }
    if (cmdline_len > k->hdr.cmdline_size ||
        cmdline_len >= X86_BOOT_CMDLINE_MAX) {
        error_setg(errp, "-append: the command line is %" PRIu64 " bytes; "
                   "'%s' accepts at most %" PRIu64, cmdline_len, name,
                   (uint64_t)MIN((uint64_t)k->hdr.cmdline_size,
                                 X86_BOOT_CMDLINE_MAX - 1));
        return false;
    }
    plan->cmdline_addr = X86_BOOT_CMDLINE_ADDR;
    plan->cmdline_len = cmdline_len;
    if (!initrd_size) {
        return true;
    }
    /* initrd_addr_max is the highest address the initrd may occupy. */
    top = MIN(ram->below_4g, (uint64_t)k->hdr.initrd_addr_max + 1);
    if (initrd_size > top ||
        ((top - initrd_size) & ~0xfffull) < plan->kernel_end) {
        error_setg(errp, "-initrd: %" PRIu64 " bytes do not fit between the "
                   "kernel's end (0x%" PRIx64 ") and 0x%" PRIx64 " (use a "
                   "larger -m)", initrd_size, plan->kernel_end, top);
        return false;
    }
    plan->initrd_addr = (top - initrd_size) & ~0xfffull;
    plan->initrd_size = initrd_size;
    return true;
}

void x86_zero_page_fill(X86BootParams *bp, const void *file,
                        const X86BzImage *k, const X86BootPlan *plan,
                        const X86E820Entry *e820, unsigned nr_e820)
{
    X86SetupHeader *h = &bp->hdr;

    assert(nr_e820 <= X86_E820_MAX_ZEROPAGE);
    memset(bp, 0, sizeof(*bp));
    if (k) {
        /* The whole header as the kernel wrote it, also fields newer
         * than weft, up to where the zero page's next field starts. */
        size_t end = MIN(k->hdr_end, offsetof(X86BootParams,
                                              edd_mbr_sig_buffer));

        memcpy((uint8_t *)bp + X86_SETUP_HEADER_OFFSET,
               (const uint8_t *)file + X86_SETUP_HEADER_OFFSET,
               end - X86_SETUP_HEADER_OFFSET);
        h->type_of_loader = X86_LOADER_TYPE_UNDEFINED;
        /* No real-mode heap, no quiet flag: the 64-bit entry runs no
         * setup code. */
        h->loadflags = X86_LOADED_HIGH;
        h->heap_end_ptr = 0;
        h->vid_mode = 0xffff;           /* "normal" */
        h->ramdisk_image = (uint32_t)plan->initrd_addr;
        h->ramdisk_size = (uint32_t)plan->initrd_size;
        bp->ext_ramdisk_image = (uint32_t)(plan->initrd_addr >> 32);
        bp->ext_ramdisk_size = (uint32_t)(plan->initrd_size >> 32);
    }
    h->cmd_line_ptr = (uint32_t)plan->cmdline_addr;
    bp->ext_cmd_line_ptr = (uint32_t)(plan->cmdline_addr >> 32);
    bp->e820_entries = nr_e820;
    memcpy(bp->e820_table, e820, nr_e820 * sizeof(*e820));
}

/* ---- e820 */

static unsigned e820_add(X86E820Entry *t, unsigned n, unsigned max,
                         uint64_t start, uint64_t end, uint32_t type)
{
    assert(n < max && start < end);
    t[n] = (X86E820Entry) { .addr = start, .size = end - start,
                            .type = type };
    return n + 1;
}

unsigned x86_e820_build(X86E820Entry *t, unsigned max,
                        const X86RamLayout *ram)
{
    unsigned n = 0;

    assert(ram->below_4g > X86_HIGH_MEM_ADDR);
    n = e820_add(t, n, max, 0, X86_EBDA_ADDR, E820_RAM);
    n = e820_add(t, n, max, X86_EBDA_ADDR, X86_EBDA_END, E820_RESERVED);
    n = e820_add(t, n, max, X86_BIOS_ROM_ADDR, X86_HIGH_MEM_ADDR,
                 E820_RESERVED);
    n = e820_add(t, n, max, X86_HIGH_MEM_ADDR, ram->below_4g, E820_RAM);
    if (ram->above_4g) {
        n = e820_add(t, n, max, X86_HIGH_RAM_ADDR,
                     X86_HIGH_RAM_ADDR + ram->above_4g, E820_RAM);
    }
    return n;
}

bool x86_e820_check(const X86E820Entry *t, unsigned nr, Error **errp)
{
    if (nr > X86_E820_MAX_ZEROPAGE) {
        error_setg(errp, "e820: %u entries, the zero page holds %u", nr,
                   X86_E820_MAX_ZEROPAGE);
        return false;
    }
    for (unsigned i = 0; i < nr; i++) {
        if (!t[i].size || t[i].addr + t[i].size < t[i].addr) {
            error_setg(errp, "e820: entry %u is empty or wraps", i);
            return false;
        }
        if (t[i].type < E820_RAM || t[i].type > E820_UNUSABLE) {
            error_setg(errp, "e820: entry %u has type %u", i, t[i].type);
            return false;
        }
        if (i && t[i].addr < t[i - 1].addr + t[i - 1].size) {
            error_setg(errp, "e820: entry %u (0x%" PRIx64 ") overlaps or "
                       "precedes entry %u", i, t[i].addr, i - 1);
            return false;
        }
    }
    return true;
}

/* ---- page tables and GDT */

#define PTE_PRESENT     (1ull << 0)
#define PTE_WRITABLE    (1ull << 1)
#define PTE_LARGE       (1ull << 7)     /* PS: a 2 MiB page in a PD */

void x86_page_tables_build(uint8_t *buf)
{
    uint8_t *pml4 = buf;
    uint8_t *pdpt = buf + (X86_BOOT_PDPT_ADDR - X86_BOOT_PML4_ADDR);
    uint8_t *pd = buf + (X86_BOOT_PD_ADDR - X86_BOOT_PML4_ADDR);
    unsigned nr_pds = X86_BOOT_IDENT_MAP_SIZE >> 30;

    static_assert(X86_BOOT_PD_ADDR + (X86_BOOT_IDENT_MAP_SIZE >> 30) * 4096
                  == X86_BOOT_PML4_ADDR + X86_BOOT_PT_SIZE,
                  "the page tables fill X86_BOOT_PT_SIZE");
    memset(buf, 0, X86_BOOT_PT_SIZE);
    x86_st64(pml4, X86_BOOT_PDPT_ADDR | PTE_PRESENT | PTE_WRITABLE);
    for (unsigned i = 0; i < nr_pds; i++) {
        x86_st64(pdpt + 8 * i, (X86_BOOT_PD_ADDR + 4096ull * i) |
                 PTE_PRESENT | PTE_WRITABLE);
    }
    for (unsigned i = 0; i < nr_pds * 512; i++) {
        x86_st64(pd + 8 * i, ((uint64_t)i << 21) | PTE_PRESENT |
                 PTE_WRITABLE | PTE_LARGE);
    }
}

/* flags: the access byte in bits 0-7, the G/D/L/AVL nibble in 12-15. */
static uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
    return ((uint64_t)(base & 0xff000000u) << 32) |
           ((uint64_t)(flags & 0xf0ffu) << 40) |
           ((uint64_t)(limit & 0x000f0000u) << 32) |
           ((uint64_t)(base & 0x00ffffffu) << 16) |
           (limit & 0xffffu);
}

void x86_gdt_build(uint64_t gdt[X86_BOOT_GDT_ENTRIES])
{
    memset(gdt, 0, X86_BOOT_GDT_ENTRIES * sizeof(gdt[0]));
    /* G, L; present, code, execute/read, accessed. */
    gdt[X86_BOOT_CS / 8] = gdt_entry(0xa09b, 0, 0xfffff);
    /* G, D/B; present, data, read/write, accessed. */
    gdt[X86_BOOT_DS / 8] = gdt_entry(0xc093, 0, 0xfffff);
    /* Present, busy 64-bit TSS, 104 bytes at 0; the upper half of the
     * 16-byte descriptor (base 63:32) stays zero. */
    gdt[X86_BOOT_TSS / 8] = gdt_entry(0x008b, 0, 0x67);
}

void x86_gdt_decode(uint64_t d, X86Segment *seg)
{
    seg->base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000u);
    seg->limit = (d & 0xffff) | ((d >> 32) & 0xf0000);
    seg->type = (d >> 40) & 0xf;
    seg->s = (d >> 44) & 1;
    seg->dpl = (d >> 45) & 3;
    seg->present = (d >> 47) & 1;
    seg->avl = (d >> 52) & 1;
    seg->l = (d >> 53) & 1;
    seg->db = (d >> 54) & 1;
    seg->g = (d >> 55) & 1;
    if (seg->g) {
        seg->limit = seg->limit << 12 | 0xfff;
    }
}
