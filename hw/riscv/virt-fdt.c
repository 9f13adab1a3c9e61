/* The virt board's device tree, built with libfdt.
 *
 * The layout follows QEMU's virt board (so firmware and kernels written
 * for it find what they expect), with every property dtc checks for, so
 * `dtc -I dtb` decompiles it without warnings.  libfdt prepends a new
 * subnode to its parent's children, so nodes are added in reverse of the
 * order they should appear in.
 */
#include <endian.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <libfdt.h>

#include "hw/intc/aclint-sswi.h"
#include "hw/intc/aclint.h"
#include "hw/char/serial.h"
#include "hw/intc/plic.h"
#include "hw/misc/sifive-test.h"
#include "hw/rtc/goldfish-rtc.h"
#include "util/compiler.h"
#include "hw/riscv/virt.h"

#define FDT_BUF_SIZE    (64 * 1024)
#define RNG_SEED_BYTES  32
#define MAX_CELLS       (4 * VIRT_MAX_HARTS)

/* What the harts implement (cpu/riscv/cpu.h, cpu/riscv/decode.h), in
 * the canonical order of the ISA string: single letters, then Z
 * extensions by category, then S extensions. */
static const char *const isa_letters[] = { "i", "m", "a", "f", "d", "c" };
static const char *const isa_multi[] = {
    "zicbom", "zicbop", "zicboz", "zicond", "zicsr", "zifencei",
    "zihintpause", "zba", "zbb", "zbc", "zbs", "sstc", "svadu",
};

/* A tree under construction; err keeps the first libfdt error so the
 * builders need not check every call. */
typedef struct Fdt {
    void *blob;
    int err;
    uint32_t next_phandle;
} Fdt;

static void fdt_check(Fdt *f, int r)
{
    if (r < 0 && !f->err) {
        f->err = r;
    }
}

static int node(Fdt *f, int parent, const char *name)
{
    int off = f->err ? -1 : fdt_add_subnode(f->blob, parent, name);

    fdt_check(f, off);
    return off < 0 ? 0 : off;
}

static int node_at(Fdt *f, int parent, const char *name, uint64_t addr)
{
    char buf[64];

    snprintf(buf, sizeof(buf), "%s@%" PRIx64, name, addr);
    return node(f, parent, buf);
}

static void prop_u32(Fdt *f, int off, const char *name, uint32_t v)
{
    if (!f->err) {
        fdt_check(f, fdt_setprop_u32(f->blob, off, name, v));
    }
}

static void prop_u64(Fdt *f, int off, const char *name, uint64_t v)
{
    if (!f->err) {
        fdt_check(f, fdt_setprop_u64(f->blob, off, name, v));
    }
}

static void prop_str(Fdt *f, int off, const char *name, const char *s)
{
    if (!f->err) {
        fdt_check(f, fdt_setprop_string(f->blob, off, name, s));
    }
}

static void prop_empty(Fdt *f, int off, const char *name)
{
    if (!f->err) {
        fdt_check(f, fdt_setprop_empty(f->blob, off, name));
    }
}

static void prop_bytes(Fdt *f, int off, const char *name, const void *p,
                       size_t len)
{
    if (!f->err) {
        fdt_check(f, fdt_setprop(f->blob, off, name, p, len));
    }
}

/* A list of 32-bit cells, given in host order. */
static void prop_cells(Fdt *f, int off, const char *name,
                       const uint32_t *cells, unsigned n)
{
    uint32_t be[MAX_CELLS];

    for (unsigned i = 0; i < n; i++) {
        be[i] = htobe32(cells[i]);
    }
    prop_bytes(f, off, name, be, n * sizeof(be[0]));
}

/* A string list: the strings one after the other, each NUL-terminated. */
static void prop_strings(Fdt *f, int off, const char *name,
                         const char *const *list, unsigned n)
{
    if (f->err) {
        return;
    }
    fdt_check(f, fdt_setprop_string(f->blob, off, name, list[0]));
    for (unsigned i = 1; i < n && !f->err; i++) {
        fdt_check(f, fdt_appendprop_string(f->blob, off, name, list[i]));
    }
}

/* reg = <addr size> with #address-cells = #size-cells = 2. */
static void prop_reg(Fdt *f, int off, uint64_t addr, uint64_t size)
{
    const uint32_t cells[] = { addr >> 32, (uint32_t)addr, size >> 32,
                               (uint32_t)size };

    prop_cells(f, off, "reg", cells, 4);
}

static uint32_t new_phandle(Fdt *f)
{
    return f->next_phandle++;
}

static void prop_phandle(Fdt *f, int off, uint32_t phandle)
{
    prop_u32(f, off, "phandle", phandle);
}

/* ---- /cpus */

static void fill_isa(char *buf, size_t len)
{
    size_t used = snprintf(buf, len, "rv64");

    for (size_t i = 0; i < ARRAY_SIZE(isa_letters); i++) {
        used += snprintf(buf + used, len - used, "%s", isa_letters[i]);
    }
    for (size_t i = 0; i < ARRAY_SIZE(isa_multi); i++) {
        used += snprintf(buf + used, len - used, "_%s", isa_multi[i]);
    }
}

static void add_cpu_intc(Fdt *f, int cpu, uint32_t intc_phandle)
{
    int intc = node(f, cpu, "interrupt-controller");

    prop_phandle(f, intc, intc_phandle);
    prop_str(f, intc, "compatible", "riscv,cpu-intc");
    prop_empty(f, intc, "interrupt-controller");
    prop_u32(f, intc, "#interrupt-cells", 1);
    prop_u32(f, intc, "#address-cells", 0);
}

static void add_cpu(Fdt *f, int cpus, unsigned hart, uint32_t cpu_phandle,
                    uint32_t intc_phandle)
{
    char isa[256];
    int cpu = node_at(f, cpus, "cpu", hart);

    fill_isa(isa, sizeof(isa));
    add_cpu_intc(f, cpu, intc_phandle);
    prop_phandle(f, cpu, cpu_phandle);
    prop_str(f, cpu, "device_type", "cpu");
    prop_u32(f, cpu, "reg", hart);
    prop_str(f, cpu, "status", "okay");
    prop_str(f, cpu, "compatible", "riscv");
    prop_str(f, cpu, "riscv,isa", isa);
    prop_str(f, cpu, "riscv,isa-base", "rv64i");
    prop_strings(f, cpu, "riscv,isa-extensions", isa_letters,
                 ARRAY_SIZE(isa_letters));
    for (size_t i = 0; i < ARRAY_SIZE(isa_multi) && !f->err; i++) {
        fdt_check(f, fdt_appendprop_string(f->blob, cpu,
                                           "riscv,isa-extensions",
                                           isa_multi[i]));
    }
    prop_str(f, cpu, "mmu-type", "riscv,sv57");
    prop_u32(f, cpu, "riscv,cbom-block-size", VIRT_CACHE_BLOCK);
    prop_u32(f, cpu, "riscv,cboz-block-size", VIRT_CACHE_BLOCK);
    prop_u32(f, cpu, "riscv,cbop-block-size", VIRT_CACHE_BLOCK);
}

static void add_cpu_map(Fdt *f, int cpus, unsigned nr_harts,
                        const uint32_t *cpu_phandles)
{
    int map = node(f, cpus, "cpu-map");
    int cluster = node(f, map, "cluster0");

    for (unsigned h = nr_harts; h-- > 0;) {
        char name[16];
        int core;

        snprintf(name, sizeof(name), "core%u", h);
        core = node(f, cluster, name);
        prop_u32(f, core, "cpu", cpu_phandles[h]);
    }
}

static void add_cpus(Fdt *f, unsigned nr_harts,
                     const uint32_t *cpu_phandles,
                     const uint32_t *intc_phandles)
{
    int cpus = node(f, 0, "cpus");

    prop_u32(f, cpus, "#address-cells", 1);
    prop_u32(f, cpus, "#size-cells", 0);
    prop_u32(f, cpus, "timebase-frequency", ACLINT_TIMEBASE_FREQ);
    add_cpu_map(f, cpus, nr_harts, cpu_phandles);
    for (unsigned h = nr_harts; h-- > 0;) {
        add_cpu(f, cpus, h, cpu_phandles[h], intc_phandles[h]);
    }
}

/* ---- /soc */

/* interrupts-extended = <intc(h) irq0 [intc(h) irq1]> for every hart. */
static void prop_hart_irqs(Fdt *f, int off, const uint32_t *intc,
                           unsigned nr_harts, const unsigned *irqs,
                           unsigned nr_irqs)
{
    uint32_t cells[MAX_CELLS];
    unsigned n = 0;

    for (unsigned h = 0; h < nr_harts; h++) {
        for (unsigned i = 0; i < nr_irqs; i++) {
            cells[n++] = intc[h];
            cells[n++] = irqs[i];
        }
    }
    prop_cells(f, off, "interrupts-extended", cells, n);
}

static void add_plic_device(Fdt *f, int soc, const char *name, hwaddr base,
                            uint64_t size, const char *compat,
                            uint32_t plic, unsigned irq)
{
    int dev = node_at(f, soc, name, base);

    prop_u32(f, dev, "interrupts", irq);
    prop_u32(f, dev, "interrupt-parent", plic);
    prop_reg(f, dev, base, size);
    prop_str(f, dev, "compatible", compat);
}

/* Every slot, populated or not (an empty one reads DeviceID 0 and the
 * driver skips it), as QEMU does.  Added from slot 0 up, so the blob
 * lists slot 7 first and Linux probes it first, as on QEMU. */
static void add_virtio_slots(Fdt *f, int soc, uint32_t plic)
{
    for (unsigned n = 0; n < VIRT_VIRTIO_COUNT; n++) {
        add_plic_device(f, soc, "virtio_mmio",
                        VIRT_VIRTIO_BASE + n * VIRT_VIRTIO_STRIDE,
                        VIRT_VIRTIO_STRIDE, "virtio,mmio", plic,
                        VIRT_VIRTIO_IRQ + n);
    }
}

/* The PCIe host (Linux's pci-host-ecam-generic binding, as QEMU's virt
 * describes it): config space, the I/O, 32-bit and 64-bit memory windows
 * (PCI address = CPU address for memory), and INTx through an
 * interrupt-map.  The map lists slots 0..3 with the standard swizzle
 * (INTA of slot s goes to line (s + pin) % 4) and its mask keeps two
 * slot bits, so every slot repeats that pattern.  No msi-parent: the
 * board has no MSI controller and drivers use INTx. */
#define PCI_MAP_SLOTS 4
#define PCI_MAP_CELLS 6     /* child addr (3), pin, plic, source */

static void add_pcie_interrupt_map(Fdt *f, int pci, uint32_t plic)
{
    uint32_t map[PCI_MAP_SLOTS * 4 * PCI_MAP_CELLS], be[ARRAY_SIZE(map)];
    static const uint32_t mask[] = { 0x1800, 0, 0, 7 };
    unsigned n = 0;

    for (uint32_t slot = 0; slot < PCI_MAP_SLOTS; slot++) {
        for (uint32_t pin = 0; pin < 4; pin++) {
            map[n++] = slot << 11;      /* phys.hi: device number */
            map[n++] = 0;
            map[n++] = 0;
            map[n++] = pin + 1;         /* INTA is 1 */
            map[n++] = plic;
            map[n++] = VIRT_PCIE_IRQ + (slot + pin) % 4;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        be[i] = htobe32(map[i]);
    }
    prop_bytes(f, pci, "interrupt-map", be, n * sizeof(be[0]));
    prop_cells(f, pci, "interrupt-map-mask", mask, ARRAY_SIZE(mask));
}

static void add_pcie(Fdt *f, int soc, uint32_t plic,
                     const VirtFdtConfig *cfg)
{
    uint64_t hi = cfg->pcie_mmio64_base;
    const uint32_t ranges[] = {
        0x01000000, 0, 0,
        VIRT_PCIE_PIO_BASE >> 32, (uint32_t)VIRT_PCIE_PIO_BASE,
        0, VIRT_PCIE_PIO_SIZE,
        0x02000000, VIRT_PCIE_MMIO_BASE >> 32, (uint32_t)VIRT_PCIE_MMIO_BASE,
        VIRT_PCIE_MMIO_BASE >> 32, (uint32_t)VIRT_PCIE_MMIO_BASE,
        VIRT_PCIE_MMIO_SIZE >> 32, (uint32_t)VIRT_PCIE_MMIO_SIZE,
        0x03000000, hi >> 32, (uint32_t)hi, hi >> 32, (uint32_t)hi,
        VIRT_PCIE_MMIO64_SIZE >> 32, (uint32_t)VIRT_PCIE_MMIO64_SIZE,
    };
    const uint32_t bus_range[] = {
        0, (VIRT_PCIE_ECAM_SIZE >> 20) - 1,
    };
    int pci = node_at(f, soc, "pci", VIRT_PCIE_ECAM_BASE);

    add_pcie_interrupt_map(f, pci, plic);
    prop_cells(f, pci, "ranges", ranges, ARRAY_SIZE(ranges));
    prop_reg(f, pci, VIRT_PCIE_ECAM_BASE, VIRT_PCIE_ECAM_SIZE);
    prop_empty(f, pci, "dma-coherent");
    prop_cells(f, pci, "bus-range", bus_range, ARRAY_SIZE(bus_range));
    prop_u32(f, pci, "linux,pci-domain", 0);
    prop_str(f, pci, "device_type", "pci");
    prop_str(f, pci, "compatible", "pci-host-ecam-generic");
    prop_u32(f, pci, "#size-cells", 2);
    prop_u32(f, pci, "#interrupt-cells", 1);
    prop_u32(f, pci, "#address-cells", 3);
}

static void add_serial(Fdt *f, int soc, uint32_t plic)
{
    int uart = node_at(f, soc, "serial", VIRT_UART_BASE);

    prop_u32(f, uart, "interrupts", VIRT_UART_IRQ);
    prop_u32(f, uart, "interrupt-parent", plic);
    prop_u32(f, uart, "clock-frequency", VIRT_UART_CLOCK);
    prop_reg(f, uart, VIRT_UART_BASE, SERIAL_MM_SIZE);
    prop_str(f, uart, "compatible", "ns16550a");
}

static void add_plic(Fdt *f, int soc, const uint32_t *intc,
                     unsigned nr_harts, uint32_t phandle)
{
    static const char *const compat[] = { "sifive,plic-1.0.0",
                                          "riscv,plic0" };
    static const unsigned irqs[] = { PLIC_IRQ_MEIP, PLIC_IRQ_SEIP };
    int plic = node_at(f, soc, "plic", VIRT_PLIC_BASE);

    prop_phandle(f, plic, phandle);
    prop_u32(f, plic, "riscv,ndev", VIRT_PLIC_NDEV);
    prop_reg(f, plic, VIRT_PLIC_BASE, PLIC_VIRT_WINDOW);
    prop_hart_irqs(f, plic, intc, nr_harts, irqs, 2);
    prop_empty(f, plic, "interrupt-controller");
    prop_strings(f, plic, "compatible", compat, 2);
    prop_u32(f, plic, "#address-cells", 0);
    prop_u32(f, plic, "#interrupt-cells", 1);
}

static void add_clint(Fdt *f, int soc, const uint32_t *intc,
                      unsigned nr_harts)
{
    static const char *const compat[] = { "sifive,clint0", "riscv,clint0" };
    static const unsigned irqs[] = { ACLINT_IRQ_MSIP, ACLINT_IRQ_MTIP };
    int clint = node_at(f, soc, "clint", VIRT_CLINT_BASE);

    prop_hart_irqs(f, clint, intc, nr_harts, irqs, 2);
    prop_reg(f, clint, VIRT_CLINT_BASE, ACLINT_SIZE);
    prop_strings(f, clint, "compatible", compat, 2);
}

static void add_sswi(Fdt *f, int soc, const uint32_t *intc,
                     unsigned nr_harts)
{
    static const unsigned irqs[] = { ACLINT_IRQ_SSIP };
    int sswi = node_at(f, soc, "sswi", VIRT_SSWI_BASE);

    prop_hart_irqs(f, sswi, intc, nr_harts, irqs, 1);
    prop_reg(f, sswi, VIRT_SSWI_BASE, ACLINT_SSWI_SIZE);
    prop_str(f, sswi, "compatible", "riscv,aclint-sswi");
}

static void add_test(Fdt *f, int soc, uint32_t phandle)
{
    static const char *const compat[] = { "sifive,test1", "sifive,test0",
                                          "syscon" };
    int test = node_at(f, soc, "test", VIRT_TEST_BASE);

    prop_phandle(f, test, phandle);
    prop_reg(f, test, VIRT_TEST_BASE, SIFIVE_TEST_SIZE);
    prop_strings(f, test, "compatible", compat, 3);
}

static void add_soc(Fdt *f, const VirtFdtConfig *cfg, const uint32_t *intc,
                    uint32_t plic, uint32_t test)
{
    int soc = node(f, 0, "soc");

    prop_u32(f, soc, "#address-cells", 2);
    prop_u32(f, soc, "#size-cells", 2);
    prop_str(f, soc, "compatible", "simple-bus");
    prop_empty(f, soc, "ranges");
    /* The devices snoop the harts' caches: no cache maintenance for DMA
     * (a kernel with Zicbom would otherwise flush around every one). */
    prop_empty(f, soc, "dma-coherent");

    add_pcie(f, soc, plic, cfg);
    add_virtio_slots(f, soc, plic);
    add_serial(f, soc, plic);
    add_plic(f, soc, intc, cfg->nr_harts, plic);
    add_sswi(f, soc, intc, cfg->nr_harts);
    add_clint(f, soc, intc, cfg->nr_harts);
    add_plic_device(f, soc, "rtc", VIRT_RTC_BASE, GOLDFISH_RTC_SIZE,
                    "google,goldfish-rtc", plic, VIRT_RTC_IRQ);
    add_test(f, soc, test);
}

/* ---- top level */

static void add_syscon(Fdt *f, const char *name, const char *compat,
                       uint32_t test, uint32_t value)
{
    int off = node(f, 0, name);

    prop_u32(f, off, "value", value);
    prop_u32(f, off, "offset", 0);
    prop_u32(f, off, "regmap", test);
    prop_str(f, off, "compatible", compat);
}

static void add_memory(Fdt *f, const VirtFdtConfig *cfg)
{
    int mem = node_at(f, 0, "memory", cfg->ram_base);

    prop_str(f, mem, "device_type", "memory");
    prop_reg(f, mem, cfg->ram_base, cfg->ram_size);
}

static void add_chosen(Fdt *f, const VirtFdtConfig *cfg)
{
    uint8_t seed[RNG_SEED_BYTES];
    int chosen = node(f, 0, "chosen");

    if (getrandom(seed, sizeof(seed), 0) != sizeof(seed)) {
        /* No host entropy: leave the seed out rather than fake one. */
        fprintf(stderr, "weft: virt: getrandom failed, no rng-seed\n");
    } else {
        prop_bytes(f, chosen, "rng-seed", seed, sizeof(seed));
    }
    if (cfg->initrd_end > cfg->initrd_start) {
        prop_u64(f, chosen, "linux,initrd-end", cfg->initrd_end);
        prop_u64(f, chosen, "linux,initrd-start", cfg->initrd_start);
    }
    prop_str(f, chosen, "stdout-path", "/soc/serial@10000000");
    if (cfg->cmdline) {
        prop_str(f, chosen, "bootargs", cfg->cmdline);
    }
}

void *virt_fdt_build(const VirtFdtConfig *cfg, size_t *size, Error **errp)
{
    uint32_t cpu_phandles[VIRT_MAX_HARTS], intc[VIRT_MAX_HARTS];
    uint32_t plic, test;
    Fdt f = { .next_phandle = 1 };

    if (!cfg->nr_harts || cfg->nr_harts > VIRT_MAX_HARTS) {
        error_setg(errp, "virt: device tree for %u harts (1..%u)",
                   cfg->nr_harts, VIRT_MAX_HARTS);
        return NULL;
    }
    f.blob = malloc(FDT_BUF_SIZE);
    if (!f.blob) {
        error_setg(errp, "virt: out of memory for the device tree");
        return NULL;
    }
    fdt_check(&f, fdt_create_empty_tree(f.blob, FDT_BUF_SIZE));
    plic = new_phandle(&f);
    test = new_phandle(&f);
    for (unsigned h = 0; h < cfg->nr_harts; h++) {
        cpu_phandles[h] = new_phandle(&f);
        intc[h] = new_phandle(&f);
    }

    add_soc(&f, cfg, intc, plic, test);
    add_cpus(&f, cfg->nr_harts, cpu_phandles, intc);
    add_memory(&f, cfg);
    add_syscon(&f, "reboot", "syscon-reboot", test, SIFIVE_TEST_RESET);
    add_syscon(&f, "poweroff", "syscon-poweroff", test, SIFIVE_TEST_PASS);
    add_chosen(&f, cfg);
    prop_u32(&f, 0, "#address-cells", 2);
    prop_u32(&f, 0, "#size-cells", 2);
    prop_str(&f, 0, "compatible", "riscv-virtio");
    prop_str(&f, 0, "model", "riscv-virtio,weft");
    if (!f.err) {
        fdt_check(&f, fdt_pack(f.blob));
    }
    if (f.err) {
        error_setg(errp, "virt: building the device tree: %s",
                   fdt_strerror(f.err));
        free(f.blob);
        return NULL;
    }
    *size = fdt_totalsize(f.blob);
    return f.blob;
}
