/* -M virt: QEMU's RISC-V virt board (memory map in virt.h, the whole
 * story in docs/virt.md).
 *
 * Set-up (virt_init, BQL) creates RAM, the MROM, the devices and the
 * harts, loads firmware, kernel and initrd (every file error is reported
 * there, as one line) and keeps copies of them.  Everything that must be
 * the same at power-on and after a guest reboot happens in virt_reset,
 * which main() runs once before the harts start and again for every
 * reset request: images restored, device tree rebuilt and written,
 * devices and harts reset.  The eight virtio-mmio transports exist from
 * set-up on, empty until -device (or device_add) plugs a device in.  -M virt,dumpdtb=FILE writes the tree built by that first reset
 * and ends the run with status 0.  The PCIe host (hw/pci/, docs/pci.md)
 * exists from set-up on too, at QEMU's addresses, with INTA-D on PLIC
 * sources 32-35; PCI devices go on its bus pcie.0 or behind root ports.
 *
 * Sstc: a hart compares stimecmp with time itself when it reads mip, but
 * nothing would wake or interrupt it when time passes stimecmp.  Each
 * hart therefore has a main-loop timer, re-armed whenever stimecmp or
 * menvcfg.STCE change, that kicks the hart with CPU_INTERRUPT_HARD at
 * the deadline.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/riscv/riscv-cpu.h"
#include "hw/char/serial.h"
#include "hw/intc/aclint-sswi.h"
#include "hw/intc/aclint.h"
#include "hw/intc/plic.h"
#include "hw/misc/sifive-test.h"
#include "hw/pci/pci-host-ecam.h"
#include "hw/riscv/boot.h"
#include "hw/riscv/virt.h"
#include "hw/rtc/goldfish-rtc.h"
#include "hw/virtio/virtio-mmio.h"
#include "memory/memory.h"
#include "system/bql.h"
#include "system/chardev.h"
#include "system/event-loop.h"
#include "system/machine.h"
#include "system/runstate.h"
#include "tcg/accel-tcg.h"

#define NS_PER_MTIME_TICK   (1000000000ull / ACLINT_TIMEBASE_FREQ)
/* 1 TiB: far beyond what the board's users need, and every address in
 * RAM stays below the Sv39 user/kernel split of 64-bit kernels. */
#define VIRT_MAX_RAM        ((uint64_t)1 << 40)

typedef struct VirtHart {
    RISCVCPU *cpu;              /* set once at creation */
    Timer *stimer;              /* main loop: virt_stimer_cb */
    /* stimer_lock protects stimecmp_deadline and the arming of stimer:
     * the hart's thread (new stimecmp) and the main loop (the timer
     * firing) both read the deadline and then arm or delete the timer,
     * and without it a late timer_del of the main loop could cancel the
     * deadline the hart had just set.  Leaf apart from the timer API and
     * cpu_interrupt, whose locks are leaves. */
    pthread_mutex_t stimer_lock;
    /* The mtime at which the hart must be kicked for Sstc, UINT64_MAX
     * for never. */
    uint64_t stimecmp_deadline;
} VirtHart;

/* The one virt machine of the process.  Fields are set under the BQL in
 * virt_init and then only read, except where a comment says otherwise. */
typedef struct VirtMachine {
    MachineState *ms;
    MemoryRegion ram;
    MemoryRegion mrom;
    /* Loader view: RAM alone, so image files cannot reach devices. */
    MemoryRegion loader_root;
    MemoryRegion loader_ram;
    AddressSpace loader_as;
    RiscvRam loader;

    AclintState *clint;
    PlicState *plic;
    SerialState *serial;
    GoldfishRtcState *rtc;
    PCIHostEcam *pcie;
    VirtHart harts[VIRT_MAX_HARTS];

    RiscvBootBlobs blobs;
    RiscvImage initrd;          /* start == end: none */
    hwaddr fdt_addr;
    bool powered_on;            /* BQL: the first reset ran */
} VirtMachine;

static VirtMachine *virt;

/* ---- interrupt wiring: ACLINT, SSWI and PLIC lines to the harts */

static void virt_set_irq(void *opaque, unsigned hart, unsigned irq,
                         bool level)
{
    VirtMachine *m = opaque;

    riscv_cpu_set_irq(m->harts[hart].cpu, irq, level);
}

/* ---- Sstc timers */

static uint64_t virt_mtime(void)
{
    return aclint_read_mtime(virt->clint);
}

/* Arms h's timer for the host time mtime reaches deadline, or kicks the
 * hart at once if it already has.  Any thread, stimer_lock held. */
static void virt_stimer_arm(VirtHart *h, uint64_t deadline)
{
    uint64_t now = virt_mtime();
    uint64_t delta;

    if (deadline == UINT64_MAX) {
        timer_del(h->stimer);
        return;
    }
    if (now >= deadline) {
        timer_del(h->stimer);
        cpu_interrupt(&h->cpu->parent, CPU_INTERRUPT_HARD);
        return;
    }
    delta = deadline - now;
    /* Beyond ~29 years: never, as far as this process is concerned. */
    if (delta > (uint64_t)INT64_MAX / (2 * NS_PER_MTIME_TICK)) {
        timer_del(h->stimer);
        return;
    }
    /* One tick of slack: mtime truncates, so the host time computed from
     * it may be up to a tick early; the callback re-checks anyway. */
    timer_mod_ns(h->stimer, clock_monotonic_ns() +
                 (int64_t)((delta + 1) * NS_PER_MTIME_TICK));
}

static void virt_stimer_set(VirtHart *h, uint64_t deadline)
{
    pthread_mutex_lock(&h->stimer_lock);
    h->stimecmp_deadline = deadline;
    virt_stimer_arm(h, deadline);
    pthread_mutex_unlock(&h->stimer_lock);
}

static void virt_stimer_cb(void *opaque)
{
    VirtHart *h = opaque;

    pthread_mutex_lock(&h->stimer_lock);
    virt_stimer_arm(h, h->stimecmp_deadline);
    pthread_mutex_unlock(&h->stimer_lock);
}

/* The hart's thread: stimecmp or menvcfg.STCE changed. */
static void virt_stimecmp_changed(RISCVCPU *cpu, void *opaque)
{
    uint64_t deadline = UINT64_MAX;

    if (cpu->env.menvcfg & MENVCFG_STCE) {
        deadline = cpu->env.stimecmp;
    }
    virt_stimer_set(&virt->harts[cpu->hartid], deadline);
}

/* ---- set-up */

static bool virt_check_options(MachineState *ms, Error **errp)
{
    if (ms->ram_size > VIRT_MAX_RAM) {
        error_setg(errp, "virt: -m %" PRIu64 " MiB is more than the board "
                   "supports (%" PRIu64 " MiB)", ms->ram_size >> 20,
                   VIRT_MAX_RAM >> 20);
        return false;
    }
    if (ms->ram_size & 0xfff) {
        error_setg(errp, "virt: -m must be a multiple of 4 KiB");
        return false;
    }
    if (ms->bios_name && !strcmp(ms->bios_name, "none") &&
        !ms->kernel_filename) {
        error_setg(errp, "virt: -bios none needs -kernel (the program "
                   "to run)");
        return false;
    }
    return true;
}

static bool virt_create_memory(VirtMachine *m, Error **errp)
{
    MachineState *ms = m->ms;

    if (!memory_region_init_ram(&m->ram, NULL, "riscv.virt.ram",
                                ms->ram_size, errp)) {
        return false;
    }
    /* Device writes into RAM are logged for the CODE client so that the
     * TCG glue can invalidate blocks they overwrite. */
    memory_region_set_log(&m->ram, true, DIRTY_CLIENT_CODE);
    memory_region_add_subregion(ms->system_memory, VIRT_RAM_BASE, &m->ram);
    ms->ram = &m->ram;
    if (!memory_region_init_rom(&m->mrom, NULL, "riscv.virt.mrom",
                                VIRT_MROM_SIZE, errp)) {
        return false;
    }
    memory_region_add_subregion(ms->system_memory, VIRT_MROM_BASE,
                                &m->mrom);

    memory_region_init(&m->loader_root, NULL, "virt-loader", UINT64_MAX);
    memory_region_init_alias(&m->loader_ram, NULL, "virt-loader-ram",
                             &m->ram, 0, ms->ram_size);
    memory_region_add_subregion(&m->loader_root, VIRT_RAM_BASE,
                                &m->loader_ram);
    address_space_init(&m->loader_as, &m->loader_root, "virt-loader");
    m->loader = (RiscvRam) {
        .as = &m->loader_as, .base = VIRT_RAM_BASE, .size = ms->ram_size,
    };
    return true;
}

static Chardev *virt_serial_chardev(MachineState *ms, Error **errp)
{
    /* weft has no display yet: the UART goes to stdio by default. */
    const char *spec = ms->serial ? ms->serial : "stdio";

    if (!strcmp(spec, "none")) {
        return NULL;
    }
    return chardev_new("serial0", spec, errp);
}

/* The eight empty transports, created from slot 7 down to slot 0: a
 * -device without bus= takes the first free virtio bus in creation
 * order, so the first one lands in slot 7 at 0x10008000, as on QEMU
 * (whose bus code meets its last transport first). */
static bool virt_create_virtio_slots(VirtMachine *m, Error **errp)
{
    MachineState *ms = m->ms;

    for (int n = VIRT_VIRTIO_COUNT - 1; n >= 0; n--) {
        if (!virtio_mmio_create(ms->system_bus, ms->system_memory,
                                ms->address_space_memory,
                                VIRT_VIRTIO_BASE + n * VIRT_VIRTIO_STRIDE,
                                plic_source(m->plic, VIRT_VIRTIO_IRQ + n),
                                NULL, errp)) {
            return false;
        }
    }
    return true;
}

/* The PCIe host: ECAM, the two MMIO windows and the PIO window, INTA-D
 * on PLIC sources 32..35.  No MSI controller: INTx only. */
static bool virt_create_pcie(VirtMachine *m, Error **errp)
{
    MachineState *ms = m->ms;
    PCIHostEcamConfig cfg = {
        .sysmem = ms->system_memory,
        .dma_root = ms->system_memory,
        .ecam_base = VIRT_PCIE_ECAM_BASE, .ecam_size = VIRT_PCIE_ECAM_SIZE,
        .mmio_base = VIRT_PCIE_MMIO_BASE, .mmio_size = VIRT_PCIE_MMIO_SIZE,
        .mmio64_base = virt_pcie_mmio64_base(ms->ram_size),
        .mmio64_size = VIRT_PCIE_MMIO64_SIZE,
        .pio_base = VIRT_PCIE_PIO_BASE, .pio_size = VIRT_PCIE_PIO_SIZE,
    };

    for (int i = 0; i < PCI_NUM_PINS; i++) {
        cfg.irq[i] = plic_source(m->plic, VIRT_PCIE_IRQ + i);
    }
    m->pcie = pci_host_ecam_create(ms->system_bus, &cfg, errp);
    return m->pcie != NULL;
}

static bool virt_create_devices(VirtMachine *m, Error **errp)
{
    MachineState *ms = m->ms;
    MemoryRegion *sys = ms->system_memory;
    Error *err = NULL;
    Chardev *chr;

    if (!sifive_test_create(sys, VIRT_TEST_BASE, errp)) {
        return false;
    }
    m->clint = aclint_create(sys, VIRT_CLINT_BASE, ms->smp_cpus,
                             virt_set_irq, m, errp);
    if (!m->clint ||
        !aclint_sswi_create(sys, VIRT_SSWI_BASE, ms->smp_cpus,
                            virt_set_irq, m, errp)) {
        return false;
    }
    m->plic = plic_create(sys, VIRT_PLIC_BASE, ms->smp_cpus,
                          VIRT_PLIC_NDEV, virt_set_irq, m, errp);
    if (!m->plic) {
        return false;
    }
    m->rtc = goldfish_rtc_create(sys, VIRT_RTC_BASE,
                                 plic_source(m->plic, VIRT_RTC_IRQ), errp);
    if (!m->rtc) {
        return false;
    }
    chr = virt_serial_chardev(ms, &err);
    if (err) {
        error_propagate(errp, err);
        return false;
    }
    m->serial = serial_mm_create(sys, VIRT_UART_BASE,
                                 plic_source(m->plic, VIRT_UART_IRQ), chr,
                                 errp);
    return m->serial != NULL && virt_create_virtio_slots(m, errp) &&
           virt_create_pcie(m, errp);
}

static bool virt_create_harts(VirtMachine *m, Error **errp)
{
    for (unsigned i = 0; i < m->ms->smp_cpus; i++) {
        VirtHart *h = &m->harts[i];
        RISCVCPU *cpu = riscv_cpu_new(i, VIRT_MROM_BASE, 0,
                                      aclint_read_mtime, m->clint, errp);

        if (!cpu) {
            return false;
        }
        h->cpu = cpu;
        pthread_mutex_init(&h->stimer_lock, NULL);
        h->stimecmp_deadline = UINT64_MAX;
        h->stimer = timer_new(main_loop(), virt_stimer_cb, h);
        cpu->stimecmp_changed = virt_stimecmp_changed;
        if (!cpu_create(&cpu->parent, &tcg_accel_ops, errp)) {
            return false;
        }
    }
    return true;
}

/* Firmware, kernel and initrd; the ROM's jump target and next stage. */
static bool virt_load_images(VirtMachine *m, Error **errp)
{
    MachineState *ms = m->ms;
    bool bare = ms->bios_name && !strcmp(ms->bios_name, "none");
    RiscvImage fw = { 0 }, kernel = { 0 };
    hwaddr kernel_addr = VIRT_RAM_BASE;
    uint64_t jump;
    unsigned mode = FW_DYNAMIC_NEXT_MODE_S;

    m->fdt_addr = riscv_fdt_addr(&m->loader);
    if (!m->fdt_addr) {
        error_setg(errp, "virt: -m %" PRIu64 " MiB is too small for the "
                   "device tree", ms->ram_size >> 20);
        return false;
    }
    if (!bare) {
        if (!riscv_load_firmware(&m->loader, ms->bios_name ? ms->bios_name
                                 : RISCV_DEFAULT_FIRMWARE, &m->blobs, &fw,
                                 errp)) {
            return false;
        }
        kernel_addr = riscv_kernel_addr_after(fw.end);
    }
    kernel.entry = kernel.end = kernel_addr;
    if (ms->kernel_filename &&
        !riscv_load_kernel(&m->loader, ms->kernel_filename, kernel_addr,
                           bare, &m->blobs, &kernel, errp)) {
        return false;
    }
    if (kernel.end > m->fdt_addr) {
        error_setg(errp, "'%s': kernel overlaps the device tree at 0x%"
                   PRIx64 " (use a larger -m)", ms->kernel_filename,
                   m->fdt_addr);
        return false;
    }
    if (ms->initrd_filename &&
        !riscv_load_initrd(&m->loader, ms->initrd_filename, kernel.end,
                           m->fdt_addr, &m->blobs, &m->initrd, errp)) {
        return false;
    }
    jump = bare ? kernel.entry : fw.entry;
    if (bare) {
        mode = FW_DYNAMIC_NEXT_MODE_M;
    }
    riscv_boot_rom_fill(memory_region_get_ram_ptr(&m->mrom), jump,
                        m->fdt_addr, kernel.entry, mode);
    return true;
}

/* ---- reset */

static void virt_hart_reset_work(CPUState *cs, void *data)
{
    RISCVCPU *cpu = riscv_cpu_of(cs);
    VirtHart *h = &virt->harts[cpu->hartid];

    riscv_cpu_reset(cpu, VIRT_MROM_BASE);
    virt_stimer_set(h, UINT64_MAX);
    cpu_reset_interrupt(cs, ~0u);
    /* A hart parked in wfi starts over at the reset vector. */
    atomic_set(&cs->halted, false);
}

static bool virt_dump_dtb(const char *path, const void *fdt, size_t size)
{
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(fdt, 1, size, f) == size;

    if (f && fclose(f) != 0) {
        ok = false;
    }
    if (!ok) {
        fprintf(stderr, "weft: dumpdtb=%s: cannot write the device tree\n",
                path);
    }
    return ok;
}

/* Builds the tree and writes it at fdt_addr (and, at power-on with
 * dumpdtb, to the file).  False: the machine must not run. */
static bool virt_load_fdt(VirtMachine *m)
{
    MachineState *ms = m->ms;
    VirtFdtConfig cfg = {
        .nr_harts = ms->smp_cpus, .ram_base = VIRT_RAM_BASE,
        .ram_size = ms->ram_size, .cmdline = ms->kernel_cmdline,
        .initrd_start = m->initrd.start, .initrd_end = m->initrd.end,
        .pcie_mmio64_base = virt_pcie_mmio64_base(ms->ram_size),
    };
    Error *err = NULL;
    size_t size;
    void *fdt = virt_fdt_build(&cfg, &size, &err);
    bool ok = fdt != NULL;

    if (!fdt) {
        error_report_err(err);
        qemu_system_shutdown_request(1);
        return false;
    }
    if (!m->powered_on && ms->dumpdtb) {
        qemu_system_shutdown_request(virt_dump_dtb(ms->dumpdtb, fdt, size)
                                     ? 0 : 1);
        ok = false;
    } else if (size > RISCV_FDT_MAX_SIZE ||
               address_space_write(m->loader.as, m->fdt_addr,
                                   MEMTXATTRS_UNSPECIFIED, fdt, size)) {
        fprintf(stderr, "weft: virt: cannot place the device tree\n");
        qemu_system_shutdown_request(1);
        ok = false;
    }
    free(fdt);
    return ok;
}

static void virt_reset(void *opaque)
{
    VirtMachine *m = opaque;
    Error *err = NULL;
    CPUState *cs;

    if (!riscv_boot_blobs_restore(&m->loader, &m->blobs, &err)) {
        error_report_err(err);
        qemu_system_shutdown_request(1);
        return;
    }
    if (!virt_load_fdt(m)) {
        return;
    }
    m->powered_on = true;
    aclint_reset(m->clint);
    plic_reset(m->plic);
    goldfish_rtc_reset(m->rtc);
    serial_reset(m->serial);
    pci_host_ecam_reset(m->pcie);
    CPU_FOREACH(cs) {
        run_on_cpu(cs, virt_hart_reset_work, NULL);
    }
}

static bool virt_init(MachineState *ms, Error **errp)
{
    VirtMachine *m = calloc(1, sizeof(*m));

    if (!m) {
        error_setg(errp, "virt: out of memory");
        return false;
    }
    m->ms = ms;
    virt = m;
    if (!virt_check_options(ms, errp) || !virt_create_memory(m, errp)) {
        return false;
    }
    riscv_tcg_init();
    tcg_accel_init(ms->address_space_memory);
    riscv_cpu_set_memory_ops(&tcg_accel_memory_ops);
    tcg_accel_set_has_work(riscv_cpu_accel_has_work);

    if (!virt_create_devices(m, errp) || !virt_load_images(m, errp) ||
        !virt_create_harts(m, errp)) {
        return false;
    }
    qemu_register_reset(virt_reset, m);
    return true;
}

static const MachineClass machine_virt = {
    .name = "virt",
    .desc = "RISC-V VirtIO board (QEMU virt memory map)",
    .default_ram_size = 512 << 20,
    .max_cpus = VIRT_MAX_HARTS,
    .init = virt_init,
};
MACHINE_REGISTER(machine_virt)
