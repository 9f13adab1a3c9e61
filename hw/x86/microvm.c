/* -M microvm: a minimal x86-64 PC for KVM (docs/kvm.md).
 *
 * RAM below 3 GiB and from 4 GiB, a port I/O space with the 16550 UART
 * of hw/char at 0x3f8 (IRQ 4) and a reset-only i8042, KVM's in-kernel
 * PIC, IOAPIC, LAPICs and PIT, an MSI window at 0xfee00000 for device
 * DMA, an e820 map and MP table, and a PCI Express host reached through
 * ports 0xcf8/0xcfc (hw/pci/pci-host-pio.h) whose bus pcie.0 takes
 * -device virtio-*-pci and pcie-root-port: INTA-D on IOAPIC pins 16-19
 * (listed in the MP table), MSI / MSI-X through KVM_SIGNAL_MSI.
 * Kernels boot directly at their 64-bit entry: a bzImage through the
 * Linux boot protocol, or a plain 64-bit ELF (small test kernels,
 * tests/kvm/).
 *
 * Order of set-up: microvm_init builds everything that needs no KVM
 * (checks of the command line and of the image files, RAM, the port
 * space, the PCI host, the UART); main then adds the -device lines; and
 * only then microvm_devices_done opens /dev/kvm and creates the vCPUs.
 * So bad input is reported the same on hosts without KVM.  Interrupt
 * lines of devices created before KVM go through the board's GSI
 * proxies (gsi_in), which forward to KVM's lines once it is open.  The
 * images are kept in memory and written again at every machine reset
 * (microvm_reset), with the zero page, page tables, GDT and MP table.
 */
#include <assert.h>
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cpu/kvm/kvm.h"
#include "cpu/x86/x86-kvm.h"
#include "hw/char/serial.h"
#include "hw/core/loader.h"
#include "hw/pci/pci-host-pio.h"
#include "hw/x86/i8042.h"
#include "hw/x86/mptable.h"
#include "hw/x86/x86-boot.h"
#include "system/bql.h"
#include "system/chardev.h"
#include "system/machine.h"
#include "system/runstate.h"
#include "util/atomic.h"
#include "util/log.h"

#define MICROVM_MAX_CPUS        32      /* as QEMU's microvm; APIC ids < IOAPIC id */
#define MICROVM_MIN_RAM         (2ull << 20)
#define MICROVM_MAX_RAM         (1ull << 40)
#define MICROVM_SERIAL_PORT     0x3f8
#define MICROVM_SERIAL_PORTS    8
#define MICROVM_SERIAL_GSI      4
#define MICROVM_MSI_ADDR        0xfee00000ull
#define MICROVM_MSI_SIZE        0x100000ull
/* KVM's three TSS pages and its identity-map page, in the MMIO hole. */
#define MICROVM_KVM_TSS_ADDR    0xfffbc000ull
/* PCI: INTA-D of the root bus on IOAPIC pins 16-19 (free of ISA). */
#define MICROVM_PCI_GSI         16
/* The 32-bit window runs from the top of low RAM to the IOAPIC (where
 * Linux, without ACPI, puts BARs: the e820 gap below 4 GiB); the 64-bit
 * one from the top of RAM above 4 GiB (where 64-bit BARs go). */
#define MICROVM_PCI_MMIO_END    0xfec00000ull
#define MICROVM_PCI_MMIO64_SIZE (64ull << 30)
/* The MP table goes to the BIOS area: with the PCI entries it no longer
 * fits the EBDA kilobyte. */
#define MICROVM_MPTABLE_ADDR    X86_BIOS_ROM_ADDR
#define MICROVM_MPTABLE_END     X86_HIGH_MEM_ADDR

/* The one microvm of the process; set up under the BQL, then read-only
 * (reset runs under the BQL with the vCPUs paused). */
typedef struct Microvm {
    MachineState *ms;
    X86RamLayout layout;
    MemoryRegion ram;
    MemoryRegion ram_below_4g, ram_above_4g;    /* aliases of ram */
    MemoryRegion io_root;
    AddressSpace io_as;
    MemoryRegion loader_root, loader_ram;       /* RAM only, for elf_load */
    AddressSpace loader_as;
    MemoryRegion msi_window;
    MemoryRegion serial_box, serial_ports;
    SerialState *serial;
    I8042State i8042;
    PCIHostPio *pci;
    /* Inputs of the board's devices, one per IOAPIC pin: forward to KVM
     * (static lines, owner NULL; any thread). */
    IrqLine gsi_in[KVM_NR_GSI];
    /* Set once by microvm_devices_done (atomic: the GSI proxies and the
     * MSI hook read it from any thread, and see NULL before). */
    KVMState *kvm;
    KVMVcpu *vcpus;

    /* The images, read once at set-up. */
    uint8_t *kernel;            /* bzImage file; NULL for an ELF */
    size_t kernel_len;
    ElfFile *elf;
    X86BzImage bz;
    uint8_t *initrd;
    size_t initrd_len;
    X86BootPlan plan;
    X86E820Entry e820[X86_E820_MAX_ZEROPAGE];
    unsigned nr_e820;
    uint64_t gdt[X86_BOOT_GDT_ENTRIES];
    X86BootEntry entry;
} Microvm;

static Microvm *microvm;

/* ---- files */

/* Reads a whole file of at most max bytes. */
static uint8_t *read_file(const char *what, const char *path, uint64_t max,
                          size_t *len, Error **errp)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    uint8_t *buf;

    if (!f) {
        error_setg_errno(errp, errno, "%s '%s'", what, path);
        return NULL;
    }
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        error_setg(errp, "%s '%s': not a regular file", what, path);
        fclose(f);
        return NULL;
    }
    if ((uint64_t)st.st_size > max) {
        error_setg(errp, "%s '%s': %" PRIu64 " MiB is larger than the RAM "
                   "(-m %" PRIu64 " MiB)", what, path,
                   (uint64_t)st.st_size >> 20, max >> 20);
        fclose(f);
        return NULL;
    }
    buf = malloc(st.st_size ? st.st_size : 1);
    if (!buf || fread(buf, 1, st.st_size, f) != (size_t)st.st_size) {
        error_setg(errp, "%s '%s': cannot read it", what, path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = st.st_size;
    return buf;
}

static bool microvm_check_options(MachineState *ms, Error **errp)
{
    if (ms->ram_size < MICROVM_MIN_RAM || ms->ram_size > MICROVM_MAX_RAM ||
        (ms->ram_size & 0xfff)) {
        error_setg(errp, "microvm: -m must be a multiple of 4 KiB between "
                   "%" PRIu64 " MiB and %" PRIu64 " MiB",
                   (uint64_t)(MICROVM_MIN_RAM >> 20),
                   (uint64_t)(MICROVM_MAX_RAM >> 20));
        return false;
    }
    if (!ms->kernel_filename) {
        error_setg(errp, "microvm: -kernel is required (the board has no "
                   "firmware)");
        return false;
    }
    if (ms->bios_name) {
        error_setg(errp, "microvm: -bios is not supported (direct kernel "
                   "boot only)");
        return false;
    }
    if (ms->dumpdtb) {
        error_setg(errp, "microvm: dumpdtb: this board has no device tree");
        return false;
    }
    return true;
}

/* bzImage: header checks and the boot plan, from the files alone. */
static bool microvm_plan_bzimage(Microvm *m, Error **errp)
{
    MachineState *ms = m->ms;
    const char *cmdline = ms->kernel_cmdline ? ms->kernel_cmdline : "";

    if (!x86_bzimage_parse(ms->kernel_filename, m->kernel, m->kernel_len,
                           &m->bz, errp)) {
        return false;
    }
    if (ms->initrd_filename) {
        m->initrd = read_file("-initrd", ms->initrd_filename,
                              m->layout.below_4g, &m->initrd_len, errp);
        if (!m->initrd) {
            return false;
        }
    }
    return x86_bzimage_plan(ms->kernel_filename, &m->bz, &m->layout,
                            m->initrd_len, strlen(cmdline), &m->plan, errp);
}

static bool microvm_read_images(Microvm *m, Error **errp)
{
    MachineState *ms = m->ms;
    const char *cmdline = ms->kernel_cmdline ? ms->kernel_cmdline : "";

    m->kernel = read_file("-kernel", ms->kernel_filename, ms->ram_size,
                          &m->kernel_len, errp);
    if (!m->kernel) {
        return false;
    }
    if (x86_is_bzimage(m->kernel, m->kernel_len)) {
        return microvm_plan_bzimage(m, errp);
    }
    if (m->kernel_len < 4 || memcmp(m->kernel, ELFMAG, SELFMAG)) {
        error_setg(errp, "'%s': neither a bzImage (no \"HdrS\" magic) nor "
                   "an ELF file", ms->kernel_filename);
        return false;
    }
    free(m->kernel);
    m->kernel = NULL;
    /* Not a bzImage: a 64-bit ELF, or an error naming both. */
    if (ms->initrd_filename) {
        error_setg(errp, "-initrd: only a bzImage kernel can take one");
        return false;
    }
    if (strlen(cmdline) >= X86_BOOT_CMDLINE_MAX) {
        error_setg(errp, "-append: the command line is %zu bytes, at most "
                   "%llu fit", strlen(cmdline), X86_BOOT_CMDLINE_MAX - 1);
        return false;
    }
    m->plan.cmdline_addr = X86_BOOT_CMDLINE_ADDR;
    m->plan.cmdline_len = strlen(cmdline);
    m->elf = elf_open(ms->kernel_filename, EM_X86_64, 0, errp);
    return m->elf != NULL;
}

/* ---- memory */

static bool microvm_create_ram(Microvm *m, Error **errp)
{
    MachineState *ms = m->ms;

    if (!memory_region_init_ram(&m->ram, NULL, "microvm.ram", ms->ram_size,
                                errp)) {
        return false;
    }
    ms->ram = &m->ram;
    memory_region_init_alias(&m->ram_below_4g, NULL, "ram-below-4g",
                             &m->ram, 0, m->layout.below_4g);
    memory_region_add_subregion(ms->system_memory, 0, &m->ram_below_4g);
    if (m->layout.above_4g) {
        memory_region_init_alias(&m->ram_above_4g, NULL, "ram-above-4g",
                                 &m->ram, m->layout.below_4g,
                                 m->layout.above_4g);
        memory_region_add_subregion(ms->system_memory, X86_HIGH_RAM_ADDR,
                                    &m->ram_above_4g);
    }
    /* Images go through a view with RAM alone: an ELF segment cannot
     * land on a device. */
    memory_region_init(&m->loader_root, NULL, "microvm-loader", UINT64_MAX);
    memory_region_init_alias(&m->loader_ram, NULL, "microvm-loader-ram",
                             &m->ram, 0, m->layout.below_4g);
    memory_region_add_subregion(&m->loader_root, 0, &m->loader_ram);
    address_space_init(&m->loader_as, &m->loader_root, "microvm-loader");
    return true;
}

/* ELF: a trial load now, so "does not fit" is a set-up error. */
static bool microvm_check_elf(Microvm *m, Error **errp)
{
    ElfLoadInfo info;

    if (!m->elf) {
        return true;
    }
    if (!elf_load(m->elf, &m->loader_as, &info, errp)) {
        return false;
    }
    if (info.low < X86_HIGH_MEM_ADDR) {
        error_setg(errp, "'%s': loads at 0x%" PRIx64 ", below 1 MiB where "
                   "the boot structures live", m->ms->kernel_filename,
                   info.low);
        return false;
    }
    m->plan.entry = info.entry;
    return true;
}

/* Device DMA to the LAPIC window: an MSI.  (The vCPUs' own accesses
 * there go to the in-kernel LAPIC and never reach this region.) */
static void microvm_msi_write(void *opaque, hwaddr offset, uint64_t value,
                              unsigned size)
{
    Microvm *m = opaque;
    KVMState *kvm = atomic_load_acquire(&m->kvm);

    if (kvm) {
        kvm_signal_msi(kvm, MICROVM_MSI_ADDR + offset, (uint32_t)value);
    }
}

/* PCIHost.msi_notify of the PCI host: MSI and MSI-X messages (any
 * thread, the function's msi_lock held).  KVM takes the message as the
 * LAPIC would see the write; one outside the LAPIC window is the
 * guest's mistake and is dropped by KVM (logged by us once). */
static void microvm_pci_msi(void *opaque, uint64_t addr, uint32_t data)
{
    Microvm *m = opaque;
    KVMState *kvm = atomic_load_acquire(&m->kvm);
    static unsigned warned;

    if (kvm && !kvm_signal_msi(kvm, addr, data) &&
        !atomic_xchg(&warned, 1)) {
        log_mask_printf(LOG_GUEST_ERROR, "microvm: KVM refused the MSI "
                        "0x%" PRIx32 " to 0x%" PRIx64 "\n", data, addr);
    }
}

/* A level change on IOAPIC pin n from one of the board's devices. */
static void microvm_gsi_set(void *opaque, int n, int level)
{
    Microvm *m = opaque;
    KVMState *kvm = atomic_load_acquire(&m->kvm);

    /* Before KVM exists no device runs: nothing to lose. */
    if (kvm) {
        irq_set_level(kvm_gsi_line(kvm, n), level);
    }
}

static uint64_t microvm_msi_read(void *opaque, hwaddr offset, unsigned size)
{
    return 0;
}

static const MemoryRegionOps microvm_msi_ops = {
    .read = microvm_msi_read,
    .write = microvm_msi_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

/* The PCI host on the port space, with its windows and interrupts. */
static bool microvm_create_pci(Microvm *m, Error **errp)
{
    MachineState *ms = m->ms;
    PCIHostPioConfig cfg = {
        .sysmem = ms->system_memory, .io = &m->io_root,
        .dma_root = ms->system_memory,
        .mmio_base = m->layout.below_4g,
        .mmio_size = MICROVM_PCI_MMIO_END - m->layout.below_4g,
        .mmio64_base = X86_HIGH_RAM_ADDR + m->layout.above_4g,
        .mmio64_size = MICROVM_PCI_MMIO64_SIZE,
        /* Every port no board device claims (priority below them). */
        .pio_base = 0, .pio_size = 0x10000,
        .msi_notify = microvm_pci_msi, .msi_opaque = m,
    };

    for (unsigned i = 0; i < PCI_NUM_PINS; i++) {
        cfg.irq[i] = &m->gsi_in[MICROVM_PCI_GSI + i];
    }
    m->pci = pci_host_pio_create(ms->system_bus, &cfg, errp);
    return m->pci != NULL;
}

static bool microvm_create_devices(Microvm *m, Error **errp)
{
    MachineState *ms = m->ms;
    const char *spec = ms->serial ? ms->serial : "stdio";
    Chardev *chr = NULL;
    Error *err = NULL;

    for (unsigned i = 0; i < KVM_NR_GSI; i++) {
        irq_init_in(&m->gsi_in[i], microvm_gsi_set, m, i, NULL);
    }
    memory_region_init(&m->io_root, NULL, "io", 0x10000);
    address_space_init(&m->io_as, &m->io_root, "I/O");

    memory_region_init_io(&m->msi_window, NULL, &microvm_msi_ops, m,
                          "msi-window", MICROVM_MSI_SIZE);
    memory_region_set_lockless(&m->msi_window, true);
    memory_region_add_subregion(ms->system_memory, MICROVM_MSI_ADDR,
                                &m->msi_window);

    if (strcmp(spec, "none")) {
        chr = chardev_new("serial0", spec, &err);
        if (err) {
            error_propagate(errp, err);
            return false;
        }
    }
    /* The UART's region is 0x100 bytes; the PC decodes eight ports. */
    memory_region_init(&m->serial_box, NULL, "serial-box", SERIAL_MM_SIZE);
    m->serial = serial_mm_create(&m->serial_box, 0,
                                 &m->gsi_in[MICROVM_SERIAL_GSI], chr, errp);
    if (!m->serial) {
        return false;
    }
    memory_region_init_alias(&m->serial_ports, NULL, "serial", &m->serial_box,
                             0, MICROVM_SERIAL_PORTS);
    memory_region_add_subregion(&m->io_root, MICROVM_SERIAL_PORT,
                                &m->serial_ports);
    i8042_init(&m->i8042, &m->io_root);
    return microvm_create_pci(m, errp);
}

static bool microvm_create_vcpus(Microvm *m, Error **errp)
{
    MachineState *ms = m->ms;

    m->vcpus = calloc(ms->smp_cpus, sizeof(*m->vcpus));
    if (!m->vcpus) {
        error_setg(errp, "microvm: out of memory");
        return false;
    }
    for (unsigned i = 0; i < ms->smp_cpus; i++) {
        KVMVcpu *v = &m->vcpus[i];

        v->arch_state = x86_kvm_cpu_new(ms->smp_cpus);
        if (!kvm_vcpu_create(m->kvm, v, i, &x86_kvm_arch_ops,
                             ms->address_space_memory, &m->io_as, errp)) {
            return false;
        }
    }
    return true;
}

/* ---- reset */

static uint8_t *ram_at(Microvm *m, uint64_t gpa, uint64_t len)
{
    assert(gpa + len <= m->layout.below_4g);
    return (uint8_t *)memory_region_get_ram_ptr(&m->ram) + gpa;
}

/* The bytes every boot needs below 1 MiB, and the images. */
static bool microvm_write_boot_data(Microvm *m, Error **errp)
{
    MachineState *ms = m->ms;
    const char *cmdline = ms->kernel_cmdline ? ms->kernel_cmdline : "";
    X86BootParams *bp = (X86BootParams *)ram_at(m, X86_BOOT_ZERO_PAGE_ADDR,
                                                sizeof(*bp));

    if (m->kernel) {
        memcpy(ram_at(m, m->plan.kernel_addr, m->bz.kernel_size),
               m->kernel + m->bz.kernel_offset, m->bz.kernel_size);
        if (m->initrd_len) {
            memcpy(ram_at(m, m->plan.initrd_addr, m->initrd_len), m->initrd,
                   m->initrd_len);
        }
    } else if (!elf_load(m->elf, &m->loader_as, NULL, errp)) {
        return false;
    }
    memcpy(ram_at(m, X86_BOOT_CMDLINE_ADDR, m->plan.cmdline_len + 1),
           cmdline, m->plan.cmdline_len + 1);
    x86_zero_page_fill(bp, m->kernel, m->kernel ? &m->bz : NULL, &m->plan,
                       m->e820, m->nr_e820);
    x86_page_tables_build(ram_at(m, X86_BOOT_PML4_ADDR, X86_BOOT_PT_SIZE));
    for (unsigned i = 0; i < X86_BOOT_GDT_ENTRIES; i++) {
        x86_st64(ram_at(m, X86_BOOT_GDT_ADDR + 8 * i, 8), m->gdt[i]);
    }
    return mptable_build(ram_at(m, MICROVM_MPTABLE_ADDR,
                                MICROVM_MPTABLE_END - MICROVM_MPTABLE_ADDR),
                         MICROVM_MPTABLE_END - MICROVM_MPTABLE_ADDR,
                         MICROVM_MPTABLE_ADDR, ms->smp_cpus,
                         &(MPTablePci) { .gsi_base = MICROVM_PCI_GSI },
                         errp) != 0;
}

static void microvm_cpu_reset_work(CPUState *cs, void *data)
{
    Microvm *m = microvm;
    KVMVcpu *v = container_of(cs, KVMVcpu, parent);
    Error *err = NULL;

    if (!x86_kvm_vcpu_reset(v, &m->entry, &err)) {
        error_report_err(err);
    }
}

static void microvm_reset(void *opaque)
{
    Microvm *m = opaque;
    Error *err = NULL;
    CPUState *cs;

    if (!microvm_write_boot_data(m, &err)) {
        error_report_err(err);
        qemu_system_shutdown_request(1);
        return;
    }
    kvm_irqchip_reset(m->kvm);
    serial_reset(m->serial);
    pci_host_pio_reset(m->pci);
    CPU_FOREACH(cs) {
        run_on_cpu(cs, microvm_cpu_reset_work, NULL);
    }
}

static void microvm_init_entry(Microvm *m)
{
    m->nr_e820 = x86_e820_build(m->e820, X86_E820_MAX_ZEROPAGE, &m->layout);
    x86_gdt_build(m->gdt);
    m->entry = (X86BootEntry) {
        .rip = m->plan.entry,
        .rsi = X86_BOOT_ZERO_PAGE_ADDR,
        .rsp = X86_BOOT_STACK_TOP,
        .cr3 = X86_BOOT_PML4_ADDR,
        .gdt_base = X86_BOOT_GDT_ADDR,
        .gdt_limit = sizeof(m->gdt) - 1,
        .gdt = m->gdt,
    };
}

/* After a set-up error: the process is about to exit, but the image
 * copies are the big allocations, so give them back (the Microvm itself
 * stays reachable through `microvm`). */
static void microvm_free_images(Microvm *m)
{
    free(m->kernel);
    free(m->initrd);
    m->kernel = m->initrd = NULL;
    if (m->elf) {
        elf_close(m->elf);
        m->elf = NULL;
    }
}

static bool microvm_init(MachineState *ms, Error **errp)
{
    Microvm *m = calloc(1, sizeof(*m));

    if (!m) {
        error_setg(errp, "microvm: out of memory");
        return false;
    }
    m->ms = ms;
    microvm = m;
    m->layout = x86_ram_layout(ms->ram_size);
    /* Everything about the command line and the files, and every device
     * (-device lines follow); KVM in microvm_devices_done. */
    if (!microvm_check_options(ms, errp) || !microvm_read_images(m, errp) ||
        !microvm_create_ram(m, errp) || !microvm_check_elf(m, errp) ||
        !microvm_create_devices(m, errp)) {
        microvm_free_images(m);
        return false;
    }
    microvm_init_entry(m);
    return true;
}

/* After the -device lines: KVM, its view of memory, the vCPUs. */
static bool microvm_devices_done(MachineState *ms, Error **errp)
{
    Microvm *m = microvm;
    KVMState *kvm = kvm_open(MICROVM_KVM_TSS_ADDR, errp);

    assert(m && m->ms == ms && bql_locked());
    if (!kvm) {
        microvm_free_images(m);
        return false;
    }
    atomic_store_release(&m->kvm, kvm);
    kvm_listen_memory(kvm, ms->address_space_memory, &m->io_as);
    if (!microvm_create_vcpus(m, errp)) {
        return false;
    }
    qemu_register_reset(microvm_reset, m);
    return true;
}

static const MachineClass machine_microvm = {
    .name = "microvm",
    .desc = "x86-64 micro-VM under KVM (direct kernel boot)",
    .default_ram_size = 512 << 20,
    .max_cpus = MICROVM_MAX_CPUS,
    .accel = "kvm",
    .init = microvm_init,
    .devices_done = microvm_devices_done,
};
MACHINE_REGISTER(machine_microvm)
