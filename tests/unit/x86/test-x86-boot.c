/* Unit tests of hw/x86/: the bzImage setup-header checks, boot planning
 * and the zero page, e820, page tables, GDT and MP table.
 *
 * test-x86-boot            synthetic images, good and corrupt
 * test-x86-boot --kernel   a real Debian kernel (skips without one)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/x86/mptable.h"
#include "hw/x86/x86-boot.h"
#include "test.h"

#define MiB (1ull << 20)
#define SYNTH_SETUP_SECTS 4
#define SYNTH_SETUP_SIZE ((SYNTH_SETUP_SECTS + 1) * 512)
#define SYNTH_KERNEL_SIZE (64 * 1024)
#define SYNTH_SIZE (SYNTH_SETUP_SIZE + SYNTH_KERNEL_SIZE)

static uint8_t synth[SYNTH_SIZE];

static X86SetupHeader *synth_hdr(void)
{
    return (X86SetupHeader *)(synth + X86_SETUP_HEADER_OFFSET);
}

/* A minimal, well-formed 64-bit bzImage, as Linux 6.1 lays it out. */
static void synth_reset(void)
{
    X86SetupHeader *h = synth_hdr();

    memset(synth, 0, sizeof(synth));
    h->setup_sects = SYNTH_SETUP_SECTS;
    h->syssize = SYNTH_KERNEL_SIZE / 16;
    h->boot_flag = X86_BOOT_FLAG;
    h->jump = 0x6aeb;               /* jmp to 0x26c: header ends there */
    h->header = X86_HDRS_MAGIC;
    h->version = 0x020f;
    h->loadflags = X86_LOADED_HIGH;
    h->code32_start = 0x100000;
    h->initrd_addr_max = 0x7fffffff;
    h->kernel_alignment = 0x200000;
    h->relocatable_kernel = 1;
    h->min_alignment = 21;
    h->xloadflags = X86_XLF_KERNEL_64 | X86_XLF_CAN_BE_LOADED_ABOVE_4G;
    h->cmdline_size = 2047;
    h->pref_address = 0x1000000;
    h->init_size = 0x200000;
    /* Something recognisable at the 64-bit entry. */
    synth[SYNTH_SETUP_SIZE + X86_ENTRY64_OFFSET] = 0xfa;
}

static char last_error[512];

static bool parse(size_t len, X86BzImage *k)
{
    Error *err = NULL;
    bool ok = x86_bzimage_parse("img", synth, len, k, &err);

    last_error[0] = 0;
    if (!ok) {
        CHECK(err);
        snprintf(last_error, sizeof(last_error), "%s",
                 error_get_pretty(err));
        error_free(err);
    } else {
        CHECK(!err);
    }
    return ok;
}

static void expect_parse_error(size_t len, const char *needle)
{
    X86BzImage k;

    if (parse(len, &k)) {
        fprintf(stderr, "parse accepted an image that should fail with "
                "'%s'\n", needle);
        exit(1);
    }
    if (!strstr(last_error, needle) || !strstr(last_error, "'img'")) {
        fprintf(stderr, "error '%s' lacks '%s' or the file name\n",
                last_error, needle);
        exit(1);
    }
    synth_reset();
}

static void test_synthetic_good(void)
{
    X86BzImage k;

    synth_reset();
    CHECK(x86_is_bzimage(synth, sizeof(synth)));
    CHECK(parse(sizeof(synth), &k));
    CHECK_EQ(k.setup_size, SYNTH_SETUP_SIZE);
    CHECK_EQ(k.kernel_offset, SYNTH_SETUP_SIZE);
    CHECK_EQ(k.kernel_size, SYNTH_KERNEL_SIZE);
    CHECK_EQ(k.hdr_end, 0x26c);
    CHECK_EQ(k.load_addr, 0x1000000);
    CHECK_EQ(k.init_size, 0x200000);
    /* setup_sects 0 means 4. */
    synth_hdr()->setup_sects = 0;
    CHECK(parse(sizeof(synth), &k));
    CHECK_EQ(k.setup_size, SYNTH_SETUP_SIZE);
}

static void test_synthetic_corrupt(void)
{
    synth_reset();
    CHECK(!x86_is_bzimage(synth, 100));
    expect_parse_error(600, "truncated");
    expect_parse_error(SYNTH_SETUP_SIZE + 100, "truncated");
    synth_hdr()->header = 0x12345678;
    CHECK(!x86_is_bzimage(synth, sizeof(synth)));
    expect_parse_error(sizeof(synth), "HdrS");
    synth_hdr()->boot_flag = 0;
    expect_parse_error(sizeof(synth), "boot flag");
    synth_hdr()->version = 0x0206;
    expect_parse_error(sizeof(synth), "2.06 is too old");
    synth_hdr()->setup_sects = 200;
    expect_parse_error(sizeof(synth), "setup code claims");
    synth[0x201] = 0x10;
    expect_parse_error(sizeof(synth), "setup header ends");
    synth_hdr()->syssize = 0xffffff;
    expect_parse_error(sizeof(synth), "the header says");
    synth_hdr()->xloadflags = 0;
    expect_parse_error(sizeof(synth), "XLF_KERNEL_64");
    synth_hdr()->loadflags = 0;
    expect_parse_error(sizeof(synth), "zImage");
    synth_hdr()->pref_address = 0x1000000 + 0x1000;
    expect_parse_error(sizeof(synth), "kernel_alignment");
    synth_hdr()->pref_address = 0x1000;
    expect_parse_error(sizeof(synth), "pref_address");
    synth_hdr()->kernel_alignment = 0x300000;
    expect_parse_error(sizeof(synth), "kernel_alignment");
    synth_hdr()->init_size = 0x1000;
    expect_parse_error(sizeof(synth), "init_size");
}

static bool plan(const X86BzImage *k, uint64_t ram, uint64_t initrd,
                 uint64_t cmdline, X86BootPlan *p)
{
    X86RamLayout l = x86_ram_layout(ram);
    Error *err = NULL;
    bool ok = x86_bzimage_plan("img", k, &l, initrd, cmdline, p, &err);

    last_error[0] = 0;
    if (!ok) {
        CHECK(err);
        snprintf(last_error, sizeof(last_error), "%s",
                 error_get_pretty(err));
        error_free(err);
    }
    return ok;
}

static void test_plan(void)
{
    X86BzImage k;
    X86BootPlan p;

    synth_reset();
    CHECK(parse(sizeof(synth), &k));
    CHECK(plan(&k, 64 * MiB, 0, 10, &p));
    CHECK_EQ(p.kernel_addr, 0x1000000);
    CHECK_EQ(p.entry, 0x1000200);
    CHECK_EQ(p.kernel_end, 0x1200000);
    CHECK_EQ(p.initrd_addr, 0);
    CHECK_EQ(p.cmdline_addr, X86_BOOT_CMDLINE_ADDR);

    /* The initrd goes as high as RAM allows, page-aligned. */
    CHECK(plan(&k, 64 * MiB, 12345, 0, &p));
    CHECK_EQ(p.initrd_addr, (64 * MiB - 12345) & ~0xfffull);
    CHECK_EQ(p.initrd_size, 12345);
    /* ... and below initrd_addr_max (the highest byte it may use). */
    synth_hdr()->initrd_addr_max = 0x2ffffff;
    CHECK(parse(sizeof(synth), &k));
    CHECK(plan(&k, 1024 * MiB, 4096, 0, &p));
    CHECK_EQ(p.initrd_addr, 0x3000000 - 4096);
    /* RAM above 3 GiB is above 4 GiB: the initrd stays below. */
    synth_reset();
    synth_hdr()->initrd_addr_max = 0xffffffff;
    CHECK(parse(sizeof(synth), &k));
    CHECK(plan(&k, 8192 * MiB, 4096, 0, &p));
    CHECK_EQ(p.initrd_addr, X86_LOW_RAM_MAX - 4096);

    /* Too little RAM for init_size behind pref_address. */
    synth_reset();
    CHECK(parse(sizeof(synth), &k));
    CHECK(!plan(&k, 16 * MiB, 0, 0, &p));
    CHECK(strstr(last_error, "-m") && strstr(last_error, "18 MiB"));
    CHECK(plan(&k, 18 * MiB, 0, 0, &p));
    /* An initrd that does not fit above the kernel. */
    CHECK(!plan(&k, 20 * MiB, 3 * MiB, 0, &p));
    CHECK(strstr(last_error, "-initrd") && strstr(last_error, "-m"));
    CHECK(plan(&k, 21 * MiB, 3 * MiB, 0, &p));
    CHECK(p.initrd_addr >= p.kernel_end);
    /* Command line: cmdline_size bytes without the NUL. */
    CHECK(plan(&k, 64 * MiB, 0, 2047, &p));
    CHECK(!plan(&k, 64 * MiB, 0, 2048, &p));
    CHECK(strstr(last_error, "-append") && strstr(last_error, "2047"));
    synth_hdr()->cmdline_size = 0xffffffff;
    CHECK(parse(sizeof(synth), &k));
    CHECK(!plan(&k, 64 * MiB, 0, X86_BOOT_CMDLINE_MAX, &p));
    CHECK(plan(&k, 64 * MiB, 0, X86_BOOT_CMDLINE_MAX - 1, &p));
}

static void check_e820(const X86E820Entry *t, unsigned n, uint64_t ram)
{
    uint64_t ram_total = 0;
    Error *err = NULL;

    CHECK(x86_e820_check(t, n, &err));
    for (unsigned i = 0; i < n; i++) {
        if (t[i].type == E820_RAM) {
            ram_total += t[i].size;
            /* No RAM in the MMIO hole. */
            CHECK(t[i].addr + t[i].size <= X86_LOW_RAM_MAX ||
                  t[i].addr >= X86_HIGH_RAM_ADDR);
        }
        /* The boot structures are in RAM the kernel does not reuse
         * before reading them, and the MP table is reserved. */
        if (t[i].addr <= X86_EBDA_ADDR &&
            t[i].addr + t[i].size > X86_EBDA_ADDR) {
            CHECK_EQ(t[i].type, E820_RESERVED);
        }
    }
    /* Everything from the EBDA to 1 MiB is not RAM to the guest. */
    CHECK_EQ(ram_total, ram - (X86_HIGH_MEM_ADDR - X86_EBDA_ADDR));
}

static void test_e820(void)
{
    X86E820Entry t[X86_E820_MAX_ZEROPAGE];
    X86RamLayout l;
    Error *err = NULL;
    unsigned n;

    l = x86_ram_layout(512 * MiB);
    CHECK_EQ(l.below_4g, 512 * MiB);
    CHECK_EQ(l.above_4g, 0);
    n = x86_e820_build(t, X86_E820_MAX_ZEROPAGE, &l);
    CHECK_EQ(n, 4);
    CHECK_EQ(t[0].addr, 0);
    CHECK_EQ(t[0].size, X86_EBDA_ADDR);
    CHECK_EQ(t[0].type, E820_RAM);
    CHECK_EQ(t[3].addr, X86_HIGH_MEM_ADDR);
    CHECK_EQ(t[3].addr + t[3].size, 512 * MiB);
    check_e820(t, n, 512 * MiB);

    l = x86_ram_layout(5120 * MiB);
    CHECK_EQ(l.below_4g, X86_LOW_RAM_MAX);
    CHECK_EQ(l.above_4g, 2048 * MiB);
    n = x86_e820_build(t, X86_E820_MAX_ZEROPAGE, &l);
    CHECK_EQ(n, 5);
    CHECK_EQ(t[4].addr, X86_HIGH_RAM_ADDR);
    CHECK_EQ(t[4].size, 2048 * MiB);
    check_e820(t, n, 5120 * MiB);

    /* The checker catches overlaps, disorder and empty entries. */
    t[1].addr -= 1;
    CHECK(!x86_e820_check(t, n, &err));
    error_free(err);
    err = NULL;
    t[1].addr += 1;
    t[2].size = 0;
    CHECK(!x86_e820_check(t, n, &err));
    error_free(err);
}

static void test_zero_page(void)
{
    static X86BootParams bp;
    X86E820Entry t[8];
    X86RamLayout l = x86_ram_layout(256 * MiB);
    X86BzImage k;
    X86BootPlan p;
    unsigned n = x86_e820_build(t, 8, &l);

    synth_reset();
    synth_hdr()->loadflags |= X86_CAN_USE_HEAP | X86_QUIET_FLAG;
    /* A field beyond those weft knows, still inside the header. */
    synth[0x201] = 0x70;
    synth[0x26c] = 0x5a;
    CHECK(parse(sizeof(synth), &k));
    CHECK(plan(&k, 256 * MiB, 1 * MiB, 20, &p));
    memset(&bp, 0xcc, sizeof(bp));
    x86_zero_page_fill(&bp, synth, &k, &p, t, n);
    CHECK_EQ(bp.hdr.header, X86_HDRS_MAGIC);
    CHECK_EQ(bp.hdr.version, 0x020f);
    CHECK_EQ(bp.hdr.setup_sects, SYNTH_SETUP_SECTS);
    CHECK_EQ(bp.hdr.pref_address, 0x1000000);
    CHECK_EQ(((uint8_t *)&bp)[0x26c], 0x5a);
    CHECK_EQ(((uint8_t *)&bp)[0x272], 0);       /* past the header end */
    CHECK_EQ(bp.hdr.type_of_loader, 0xff);
    CHECK_EQ(bp.hdr.loadflags, X86_LOADED_HIGH);
    CHECK_EQ(bp.hdr.vid_mode, 0xffff);
    CHECK_EQ(bp.hdr.cmd_line_ptr, X86_BOOT_CMDLINE_ADDR);
    CHECK_EQ(bp.ext_cmd_line_ptr, 0);
    CHECK_EQ(bp.hdr.ramdisk_image, p.initrd_addr);
    CHECK_EQ(bp.hdr.ramdisk_size, 1 * MiB);
    CHECK_EQ(bp.hdr.ramdisk_image + bp.hdr.ramdisk_size, 256 * MiB);
    CHECK_EQ(bp.e820_entries, n);
    CHECK(!memcmp(bp.e820_table, t, n * sizeof(t[0])));
    CHECK_EQ(bp.sentinel, 0);
    CHECK_EQ(bp.screen_info[0], 0);
    CHECK_EQ(bp.acpi_rsdp_addr, 0);

    /* ELF boot: command line and e820 only. */
    memset(&bp, 0xcc, sizeof(bp));
    x86_zero_page_fill(&bp, NULL, NULL, &p, t, n);
    CHECK_EQ(bp.hdr.header, 0);
    CHECK_EQ(bp.hdr.cmd_line_ptr, X86_BOOT_CMDLINE_ADDR);
    CHECK_EQ(bp.e820_entries, n);
}

/* Walks the tables as the MMU does (4-level, 2 MiB leaves). */
static uint64_t walk(const uint8_t *pt, uint64_t va)
{
    uint64_t e = x86_ld64(pt + 8 * ((va >> 39) & 511));
    uint64_t base;

    CHECK(e & 1);
    base = (e & ~0xfffull) - X86_BOOT_PML4_ADDR;
    CHECK(base < X86_BOOT_PT_SIZE);
    e = x86_ld64(pt + base + 8 * ((va >> 30) & 511));
    CHECK((e & 1) && !(e & 0x80));
    base = (e & ~0xfffull) - X86_BOOT_PML4_ADDR;
    CHECK(base < X86_BOOT_PT_SIZE);
    e = x86_ld64(pt + base + 8 * ((va >> 21) & 511));
    CHECK((e & 1) && (e & 2) && (e & 0x80));
    return (e & ~0x1fffffull) | (va & 0x1fffff);
}

static void test_page_tables(void)
{
    static uint8_t pt[X86_BOOT_PT_SIZE];
    static const uint64_t probes[] = {
        0, 0x7000, 0x1000200, 0x3fffffff, 0x40000000, 0xbfffffff,
        0xfec00000, 0xfee00000, 0xffffffff,
    };

    x86_page_tables_build(pt);
    for (unsigned i = 0; i < ARRAY_SIZE(probes); i++) {
        CHECK_EQ(walk(pt, probes[i]), probes[i]);
    }
    /* Nothing above 4 GiB: PDPT[4] is empty. */
    CHECK_EQ(x86_ld64(pt + 0x1000 + 8 * 4), 0);
    CHECK_EQ(x86_ld64(pt + 8), 0);
}

static void test_gdt(void)
{
    uint64_t gdt[X86_BOOT_GDT_ENTRIES];
    X86Segment s;

    x86_gdt_build(gdt);
    CHECK_EQ(gdt[0], 0);
    CHECK_EQ(gdt[1], 0);
    x86_gdt_decode(gdt[X86_BOOT_CS / 8], &s);
    CHECK(s.present && s.s && s.l && !s.db && s.g);
    CHECK_EQ(s.type, 0xb);          /* code, execute/read, accessed */
    CHECK_EQ(s.base, 0);
    CHECK_EQ(s.limit, 0xffffffff);
    CHECK_EQ(s.dpl, 0);
    x86_gdt_decode(gdt[X86_BOOT_DS / 8], &s);
    CHECK(s.present && s.s && !s.l && s.db && s.g);
    CHECK_EQ(s.type, 0x3);          /* data, read/write, accessed */
    CHECK_EQ(s.limit, 0xffffffff);
    x86_gdt_decode(gdt[X86_BOOT_TSS / 8], &s);
    CHECK(s.present && !s.s && !s.g);
    CHECK_EQ(s.type, 0xb);          /* busy 64-bit TSS */
    CHECK_EQ(s.limit, 0x67);
    CHECK_EQ(gdt[X86_BOOT_TSS / 8 + 1], 0);
    /* Known encodings of flat 64-bit code and data descriptors. */
    CHECK_EQ(gdt[X86_BOOT_CS / 8], 0x00af9b000000ffffull);
    CHECK_EQ(gdt[X86_BOOT_DS / 8], 0x00cf93000000ffffull);
}

static unsigned sum(const uint8_t *b, size_t len)
{
    uint8_t s = 0;

    while (len--) {
        s += *b++;
    }
    return s;
}

/* pci: NULL, or the PCI root bus the table must describe. */
static void check_mptable(unsigned nr_cpus, const MPTablePci *pci)
{
    static uint8_t buf[4096];
    Error *err = NULL;
    size_t size = mptable_build(buf, sizeof(buf), X86_BIOS_ROM_ADDR, nr_cpus,
                                pci, &err);
    const uint8_t *cfg = buf + MP_FLOATING_SIZE, *e;
    unsigned count, cpus = 0, buses = 0, ioapics = 0, isa_ints = 0;
    unsigned pci_ints = 0, lints = 0, cfg_len;
    uint8_t ioapic_id = 0xff, isa_bus = pci ? 1 : 0;
    bool pci_seen[MP_PCI_SLOTS][MP_PCI_PINS] = { { false } };

    CHECK(size && !err);
    CHECK_EQ(size, mptable_size(nr_cpus, pci != NULL));
    CHECK(!memcmp(buf, "_MP_", 4));
    CHECK_EQ(sum(buf, MP_FLOATING_SIZE), 0);
    CHECK_EQ(buf[MP_FLOATING_LENGTH], 1);
    CHECK_EQ(buf[MP_FLOATING_REV], 4);
    CHECK_EQ(buf[11], 0);           /* feature 1: config table present */
    CHECK_EQ(buf[4] | buf[5] << 8 | buf[6] << 16 | (uint32_t)buf[7] << 24,
             X86_BIOS_ROM_ADDR + MP_FLOATING_SIZE);
    CHECK(!memcmp(cfg, "PCMP", 4));
    cfg_len = cfg[MP_CONFIG_LENGTH] | cfg[MP_CONFIG_LENGTH + 1] << 8;
    CHECK_EQ(cfg_len + MP_FLOATING_SIZE, size);
    CHECK_EQ(sum(cfg, cfg_len), 0);
    CHECK_EQ(cfg[MP_CONFIG_REV], 4);
    CHECK_EQ(x86_ld64(cfg + MP_CONFIG_LAPIC) & 0xffffffff, MP_LAPIC_ADDR);
    count = cfg[MP_CONFIG_COUNT] | cfg[MP_CONFIG_COUNT + 1] << 8;

    e = cfg + MP_CONFIG_HEADER_SIZE;
    for (unsigned i = 0; i < count; i++) {
        CHECK(e < cfg + cfg_len);
        switch (e[0]) {
        case MP_ENTRY_PROCESSOR:
            CHECK_EQ(e[1], cpus);               /* APIC ids 0..n-1 */
            CHECK(e[3] & 1);                    /* enabled */
            CHECK_EQ(!!(e[3] & 2), cpus == 0);  /* BSP: CPU 0 only */
            cpus++;
            e += MP_PROCESSOR_SIZE;
            continue;
        case MP_ENTRY_BUS:
            /* PCI bus 0 first (id = its bus number), then ISA. */
            if (pci && buses == 0) {
                CHECK_EQ(e[1], 0);
                CHECK(!memcmp(e + 2, "PCI   ", 6));
            } else {
                CHECK_EQ(e[1], isa_bus);
                CHECK(!memcmp(e + 2, "ISA   ", 6));
            }
            buses++;
            break;
        case MP_ENTRY_IOAPIC:
            ioapic_id = e[1];
            CHECK_EQ(e[3] & 1, 1);
            CHECK_EQ(e[4] | e[5] << 8 | e[6] << 16 | (uint32_t)e[7] << 24,
                     MP_IOAPIC_ADDR);
            ioapics++;
            break;
        case MP_ENTRY_IO_INTERRUPT:
            CHECK_EQ(e[1], MP_INT_INT);
            CHECK_EQ(e[6], ioapic_id);
            if (e[4] == isa_bus) {
                CHECK_EQ(e[2], 0);              /* conforms to ISA */
                CHECK_EQ(e[5], isa_ints);       /* IRQ n ... */
                CHECK_EQ(e[7], isa_ints);       /* ... on pin n */
                isa_ints++;
                break;
            }
            /* PCI: device << 2 | pin, level, active high, swizzled. */
            CHECK(pci);
            CHECK_EQ(e[4], 0);
            CHECK_EQ(e[2], MP_IRQ_POLARITY_HIGH | MP_IRQ_TRIGGER_LEVEL);
            CHECK(!pci_seen[e[5] >> 2][e[5] & 3]);
            pci_seen[e[5] >> 2][e[5] & 3] = true;
            CHECK_EQ(e[7], pci->gsi_base + ((e[5] >> 2) + (e[5] & 3)) % 4);
            pci_ints++;
            break;
        case MP_ENTRY_LOCAL_INTERRUPT:
            CHECK_EQ(e[1], lints == 0 ? MP_INT_EXTINT : MP_INT_NMI);
            CHECK_EQ(e[7], lints);              /* LINT0, LINT1 */
            lints++;
            break;
        default:
            CHECK(!"unknown MP entry");
        }
        e += MP_SHORT_ENTRY_SIZE;
    }
    CHECK(e == cfg + cfg_len);
    CHECK_EQ(cpus, nr_cpus);
    CHECK_EQ(buses, pci ? 2 : 1);
    CHECK_EQ(ioapics, 1);
    CHECK_EQ(ioapic_id, nr_cpus);               /* no clash with a CPU */
    CHECK_EQ(isa_ints, 16);
    CHECK_EQ(pci_ints, pci ? MP_PCI_SLOTS * MP_PCI_PINS : 0);
    CHECK_EQ(lints, 2);
}

static void test_mptable(void)
{
    const MPTablePci pci = { .gsi_base = 16 }, bad_pci = { .gsi_base = 21 };
    uint8_t small[64];
    Error *err = NULL;

    check_mptable(1, NULL);
    check_mptable(4, NULL);
    check_mptable(32, NULL);
    check_mptable(1, &pci);
    check_mptable(32, &pci);
    /* The PCI table of 32 CPUs fits the BIOS area the board uses. */
    CHECK(mptable_size(32, true) <= X86_HIGH_MEM_ADDR - X86_BIOS_ROM_ADDR);
    CHECK(!mptable_build(small, sizeof(small), 0, 1, NULL, &err));
    CHECK(strstr(error_get_pretty(err), "bytes"));
    error_free(err);
    err = NULL;
    CHECK(!mptable_build(small, sizeof(small), 0, 0, NULL, &err));
    error_free(err);
    err = NULL;
    CHECK(!mptable_build(small, sizeof(small), 0, 1, &bad_pci, &err));
    CHECK(strstr(error_get_pretty(err), "IOAPIC pin 21"));
    error_free(err);
}

/* ---- a real kernel */

/* real-kernel.sh finds the test guest's (or the host's) kernel. */
static const char *find_kernel(void)
{
    const char *env = getenv("WEFT_X86_KERNEL");

    return env && *env ? env : NULL;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    CHECK(f);
    CHECK(!fseek(f, 0, SEEK_END));
    n = ftell(f);
    CHECK(n > 0);
    rewind(f);
    buf = malloc(n);
    CHECK(buf && fread(buf, 1, n, f) == (size_t)n);
    fclose(f);
    *len = n;
    return buf;
}

static void run_real_kernel(const char *path)
{
    static X86BootParams bp;
    X86E820Entry t[8];
    X86RamLayout l = x86_ram_layout(512 * MiB);
    unsigned n = x86_e820_build(t, 8, &l);
    const char *cmdline = "console=ttyS0 WEFT_RUN=true";
    X86BzImage k;
    X86BootPlan p;
    Error *err = NULL;
    size_t len;
    uint8_t *buf = read_file(path, &len);

    CHECK(x86_is_bzimage(buf, len));
    if (!x86_bzimage_parse(path, buf, len, &k, &err)) {
        fprintf(stderr, "%s\n", error_get_pretty(err));
        exit(1);
    }
    printf("# %s: protocol %u.%02u, setup %" PRIu64 " bytes, kernel %"
           PRIu64 " bytes at 0x%" PRIx64 ", init_size %" PRIu64 " MiB\n",
           path, k.hdr.version >> 8, k.hdr.version & 0xff, k.setup_size,
           k.kernel_size, k.load_addr, k.init_size >> 20);
    CHECK(k.hdr.version >= X86_BOOT_PROTOCOL_MIN);
    CHECK(k.hdr.xloadflags & X86_XLF_KERNEL_64);
    CHECK(k.hdr.relocatable_kernel);
    CHECK_EQ(k.setup_size + k.kernel_size, len);
    CHECK(k.load_addr >= 1 * MiB && k.load_addr % k.hdr.kernel_alignment == 0);
    CHECK(x86_bzimage_plan(path, &k, &l, 2 * MiB, strlen(cmdline), &p,
                           &err));
    CHECK(p.initrd_addr >= p.kernel_end);
    CHECK(p.initrd_addr + p.initrd_size <= 512 * MiB);
    CHECK(p.initrd_addr + p.initrd_size - 1 <= k.hdr.initrd_addr_max);
    x86_zero_page_fill(&bp, buf, &k, &p, t, n);
    CHECK_EQ(bp.hdr.header, X86_HDRS_MAGIC);
    CHECK_EQ(bp.hdr.setup_sects, buf[0x1f1]);
    CHECK_EQ(bp.hdr.type_of_loader, 0xff);
    CHECK_EQ(bp.hdr.loadflags, X86_LOADED_HIGH);
    CHECK_EQ(bp.hdr.cmd_line_ptr, X86_BOOT_CMDLINE_ADDR);
    CHECK_EQ(bp.hdr.ramdisk_image, p.initrd_addr);
    CHECK_EQ(bp.hdr.ramdisk_size, 2 * MiB);
    CHECK_EQ(bp.hdr.init_size, k.init_size);
    CHECK_EQ(bp.e820_entries, n);
    /* The zero page's copy of the header matches the file's bytes. */
    CHECK(!memcmp((uint8_t *)&bp + 0x1f1, buf + 0x1f1, 0x210 - 0x1f1));
    /* The kernel does not fit in 64 MiB (init_size behind 16 MiB). */
    l = x86_ram_layout(64 * MiB);
    CHECK(!x86_bzimage_plan(path, &k, &l, 0, 0, &p, &err));
    CHECK(strstr(error_get_pretty(err), "-m"));
    error_free(err);
    err = NULL;
    /* A truncated copy is refused. */
    CHECK(!x86_bzimage_parse(path, buf, len - 4096, &k, &err));
    CHECK(strstr(error_get_pretty(err), "truncated"));
    error_free(err);
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--kernel")) {
        const char *path = find_kernel();

        if (!path) {
            test_skip("WEFT_X86_KERNEL is not set (run through "
                      "tests/unit/x86/real-kernel.sh)");
        }
        run_real_kernel(path);
        printf("ok - real kernel\n");
        return 0;
    }
    RUN(test_synthetic_good);
    RUN(test_synthetic_corrupt);
    RUN(test_plan);
    RUN(test_e820);
    RUN(test_zero_page);
    RUN(test_page_tables);
    RUN(test_gdt);
    RUN(test_mptable);
    return 0;
}
