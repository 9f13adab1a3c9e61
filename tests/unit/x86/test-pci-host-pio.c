/* The configuration-mechanism-#1 PCI host (hw/pci/pci-host-pio.c), driven
 * the way a PC BIOS or Linux's type 1 code does it: every config cycle
 * is an OUT to port 0xcf8 and an IN/OUT on 0xcfc-0xcff, dispatched
 * through the port address space exactly as the KVM vCPU loop does for
 * a KVM_EXIT_IO (address_space_rw with the bytes of the access).
 *
 * Machine: a virtio-rng-pci at 00:01.0, a pcie-root-port at 00:02.0
 * with a virtio-rng-pci behind it.  The test enumerates both buses,
 * numbers the secondary bus, sizes and assigns every BAR from the host's
 * windows, programs the bridge windows, enables decoding and reads
 * virtio registers through the BARs; then the register's corner cases
 * (enable bit, byte lanes, absent functions, CONFIG_ADDRESS width),
 * INTx routing and MSI delivery through the board hook, and reset.
 */
#include <stdlib.h>
#include <string.h>

#include "hw/core/irq.h"
#include "hw/pci/pci-host-pio.h"
#include "hw/virtio/virtio-pci.h"
#include "memory/memory.h"
#include "system/bql.h"
#include "system/event-loop.h"
#include "test.h"
#include "util/log.h"

#define A MEMTXATTRS_UNSPECIFIED
#define RAM_SIZE (1u << 20)
#define MMIO 0xc0000000ull
#define MMIO_SIZE 0x20000000ull
#define MMIO64 0x8000000000ull
#define MMIO64_SIZE 0x1000000000ull
#define PIO 0x1000
#define PIO_SIZE 0xf000
#define RNG0 PCI_DEVFN(1, 0)
#define RP PCI_DEVFN(2, 0)
#define MSI_ADDR 0xfee00000ull

static MemoryRegion sysmem, ram, io_root;
static AddressSpace as, io_as;
static Bus *sysbus;
static PCIHostPio *host;
static IrqLine lines[PCI_NUM_PINS];
static unsigned line_level[PCI_NUM_PINS];
static unsigned msi_count;
static uint64_t msi_last_addr;
static uint32_t msi_last_data;

static void line_handler(void *opaque, int n, int level)
{
    atomic_store_release(&line_level[n], (unsigned)level);
}

static void record_msi(void *opaque, uint64_t addr, uint32_t data)
{
    CHECK(opaque == &msi_count);
    msi_last_addr = addr;
    msi_last_data = data;
    atomic_fetch_inc(&msi_count);
}

/* ---- port I/O as a KVM_EXIT_IO is served */

static uint32_t in(uint16_t port, unsigned size)
{
    uint8_t buf[4] = { 0 };
    uint32_t v = 0;

    CHECK_EQ(address_space_rw(&io_as, port, A, buf, size, false), MEMTX_OK);
    for (unsigned i = 0; i < size; i++) {
        v |= (uint32_t)buf[i] << (8 * i);
    }
    return v;
}

static void out(uint16_t port, unsigned size, uint32_t v)
{
    uint8_t buf[4];

    for (unsigned i = 0; i < size; i++) {
        buf[i] = v >> (8 * i);
    }
    CHECK_EQ(address_space_rw(&io_as, port, A, buf, size, true), MEMTX_OK);
}

/* ---- config cycles, as Linux's pci_conf1_read/write */

static uint32_t cfg_rd(unsigned bus, unsigned devfn, unsigned reg,
                       unsigned size)
{
    out(PCI_CONFIG_ADDRESS_PORT, 4, pci_config_address(bus, devfn, reg));
    return in(PCI_CONFIG_DATA_PORT + (reg & 3), size);
}

static void cfg_wr(unsigned bus, unsigned devfn, unsigned reg,
                   unsigned size, uint32_t v)
{
    out(PCI_CONFIG_ADDRESS_PORT, 4, pci_config_address(bus, devfn, reg));
    out(PCI_CONFIG_DATA_PORT + (reg & 3), size, v);
}

static unsigned find_cap(unsigned bus, unsigned devfn, unsigned id,
                         unsigned vndr_type)
{
    unsigned n = 0;

    for (unsigned off = cfg_rd(bus, devfn, PCI_CAPABILITY_LIST, 1); off;
         off = cfg_rd(bus, devfn, off + 1, 1)) {
        CHECK(++n < 48);
        if (cfg_rd(bus, devfn, off, 1) == id &&
            (!vndr_type ||
             cfg_rd(bus, devfn, off + VIRTIO_PCI_CAP_CFG_TYPE, 1) ==
             vndr_type)) {
            return off;
        }
    }
    return 0;
}

/* ---- enumeration: what firmware does before the OS runs */

typedef struct Alloc {
    uint64_t mem, mem64;        /* next free address in each window */
} Alloc;

static Alloc alloc = { MMIO, MMIO64 };

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* Sizes and assigns BAR n; returns how many BAR registers it took.
 * *addr gets the assigned address (0 for an unimplemented BAR). */
static unsigned assign_bar(unsigned bus, unsigned devfn, unsigned n,
                           uint64_t *addr)
{
    unsigned reg = PCI_BASE_ADDRESS_0 + 4 * n;
    uint32_t lo, hi = 0xffffffff;
    uint64_t mask, size;
    bool is64;

    cfg_wr(bus, devfn, reg, 4, 0xffffffff);
    lo = cfg_rd(bus, devfn, reg, 4);
    *addr = 0;
    if (!lo) {
        return 1;
    }
    CHECK(!(lo & PCI_BASE_ADDRESS_SPACE_IO));  /* virtio: memory only */
    is64 = lo & PCI_BASE_ADDRESS_MEM_TYPE_64;
    if (is64) {
        cfg_wr(bus, devfn, reg + 4, 4, 0xffffffff);
        hi = cfg_rd(bus, devfn, reg + 4, 4);
    }
    mask = ((uint64_t)hi << 32 | lo) & ~0xfull;
    size = ~mask + 1;
    CHECK(size && !(size & (size - 1)));
    if (is64) {
        *addr = alloc.mem64 = align_up(alloc.mem64, size);
        alloc.mem64 += size;
    } else {
        *addr = alloc.mem = align_up(alloc.mem, size);
        alloc.mem += size;
    }
    cfg_wr(bus, devfn, reg, 4, (uint32_t)*addr);
    if (is64) {
        cfg_wr(bus, devfn, reg + 4, 4, *addr >> 32);
    }
    CHECK_EQ(cfg_rd(bus, devfn, reg, 4) & ~0xfu, (uint32_t)*addr);
    return is64 ? 2 : 1;
}

typedef struct Found {
    unsigned bus, devfn;
    uint32_t id;                /* device << 16 | vendor */
    uint64_t bar[PCI_NUM_BARS];
} Found;

static Found found[8];
static unsigned nr_found;

static void scan_bus(unsigned bus, unsigned *next_bus);

/* A type 1 function: bus numbers, then its secondary bus, then the
 * windows around what was assigned there. */
static void setup_bridge(unsigned bus, unsigned devfn, unsigned *next_bus)
{
    unsigned sec = (*next_bus)++;
    uint64_t mem0, mem64_0, mem_end, mem64_end;

    cfg_wr(bus, devfn, PCI_PRIMARY_BUS, 4, bus | sec << 8 | 0xff << 16);
    alloc.mem = mem0 = align_up(alloc.mem, 1 << 20);
    alloc.mem64 = mem64_0 = align_up(alloc.mem64, 1 << 20);
    scan_bus(sec, next_bus);
    mem_end = alloc.mem = align_up(alloc.mem, 1 << 20);
    mem64_end = alloc.mem64 = align_up(alloc.mem64, 1 << 20);
    cfg_wr(bus, devfn, PCI_SUBORDINATE_BUS, 1, *next_bus - 1);
    CHECK(mem_end > mem0 && mem64_end > mem64_0);
    cfg_wr(bus, devfn, PCI_MEMORY_BASE, 4,
           (mem0 >> 16) | ((mem_end - 1) >> 16) << 16);
    cfg_wr(bus, devfn, PCI_PREF_MEMORY_BASE, 4,
           ((mem64_0 >> 16) & 0xfff0) | (((mem64_end - 1) >> 16) & 0xfff0)
           << 16);
    CHECK_EQ(cfg_rd(bus, devfn, PCI_PREF_MEMORY_BASE, 2) & 0xf,
             PCI_PREF_RANGE_TYPE_64);
    cfg_wr(bus, devfn, PCI_PREF_BASE_UPPER32, 4, mem64_0 >> 32);
    cfg_wr(bus, devfn, PCI_PREF_LIMIT_UPPER32, 4, (mem64_end - 1) >> 32);
    cfg_wr(bus, devfn, PCI_COMMAND, 2, PCI_COMMAND_MEMORY |
           PCI_COMMAND_MASTER);
}

static void scan_bus(unsigned bus, unsigned *next_bus)
{
    for (unsigned devfn = 0; devfn < PCI_DEVFN_MAX; devfn++) {
        uint32_t id = cfg_rd(bus, devfn, PCI_VENDOR_ID, 4);
        uint8_t type;
        Found *f;

        if ((id & 0xffff) == 0xffff) {
            continue;
        }
        type = cfg_rd(bus, devfn, PCI_HEADER_TYPE, 1) & 0x7f;
        if (type == PCI_HEADER_TYPE_BRIDGE) {
            setup_bridge(bus, devfn, next_bus);
            continue;
        }
        CHECK(nr_found < 8);
        f = &found[nr_found++];
        *f = (Found) { .bus = bus, .devfn = devfn, .id = id };
        for (unsigned n = 0; n < PCI_NUM_BARS;) {
            n += assign_bar(bus, devfn, n, &f->bar[n]);
        }
        cfg_wr(bus, devfn, PCI_COMMAND, 2, PCI_COMMAND_MEMORY |
               PCI_COMMAND_MASTER);
    }
}

static const Found *find(unsigned bus, unsigned devfn)
{
    for (unsigned i = 0; i < nr_found; i++) {
        if (found[i].bus == bus && found[i].devfn == devfn) {
            return &found[i];
        }
    }
    return NULL;
}

/* A register of the virtio common configuration, through BAR 4. */
static uint32_t common_rd(const Found *f, unsigned off, unsigned size)
{
    unsigned cap = find_cap(f->bus, f->devfn, PCI_CAP_ID_VNDR,
                            VIRTIO_PCI_CAP_COMMON_CFG);
    uint64_t v;

    CHECK(cap);
    CHECK_EQ(cfg_rd(f->bus, f->devfn, cap + VIRTIO_PCI_CAP_BAR, 1),
             VIRTIO_PCI_MODERN_BAR);
    CHECK(f->bar[VIRTIO_PCI_MODERN_BAR]);
    CHECK_EQ(address_space_load(&as, f->bar[VIRTIO_PCI_MODERN_BAR] +
                                cfg_rd(f->bus, f->devfn,
                                       cap + VIRTIO_PCI_CAP_OFFSET, 4) + off,
                                size, DEVICE_LITTLE_ENDIAN, A, &v),
             MEMTX_OK);
    return v;
}

static void common_wr(const Found *f, unsigned off, unsigned size,
                      uint32_t val)
{
    unsigned cap = find_cap(f->bus, f->devfn, PCI_CAP_ID_VNDR,
                            VIRTIO_PCI_CAP_COMMON_CFG);

    CHECK_EQ(address_space_store(&as, f->bar[VIRTIO_PCI_MODERN_BAR] +
                                 cfg_rd(f->bus, f->devfn,
                                        cap + VIRTIO_PCI_CAP_OFFSET, 4) +
                                 off, size, DEVICE_LITTLE_ENDIAN, A, val),
             MEMTX_OK);
}

static void test_enumerate(void)
{
    unsigned next_bus = 1;
    const Found *hb, *rng0, *rng1;

    scan_bus(0, &next_bus);
    CHECK_EQ(next_bus, 2);
    CHECK_EQ(nr_found, 3);
    /* 00:00.0, the host bridge Linux's type 1 sanity check wants. */
    hb = find(0, 0);
    CHECK(hb);
    CHECK_EQ(cfg_rd(0, 0, PCI_CLASS_DEVICE, 2), PCI_CLASS_BRIDGE_HOST);
    /* The root port's ids and class. */
    CHECK_EQ(cfg_rd(0, RP, PCI_VENDOR_ID, 4), 0x000c1b36);
    CHECK_EQ(cfg_rd(0, RP, PCI_CLASS_DEVICE, 2), PCI_CLASS_BRIDGE_PCI);
    CHECK_EQ(cfg_rd(0, RP, PCI_SECONDARY_BUS, 1), 1);
    /* Both rngs, modern virtio ids. */
    rng0 = find(0, RNG0);
    rng1 = find(1, PCI_DEVFN(0, 0));
    CHECK(rng0 && rng1);
    CHECK_EQ(rng0->id, 0x10441af4);
    CHECK_EQ(rng1->id, 0x10441af4);
    /* BAR 4 is 64-bit prefetchable (64-bit window), BAR 1 (MSI-X) 32-bit. */
    for (const Found *f = rng0; f; f = f == rng0 ? rng1 : NULL) {
        CHECK(f->bar[1] >= MMIO && f->bar[1] < MMIO + MMIO_SIZE);
        CHECK(f->bar[4] >= MMIO64 && f->bar[4] < MMIO64 + MMIO64_SIZE);
        /* Registers through the BAR: one queue, VIRTIO_F_VERSION_1. */
        CHECK_EQ(common_rd(f, VIRTIO_PCI_COMMON_NUMQ, 2), 1);
        common_wr(f, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
        CHECK_EQ(common_rd(f, VIRTIO_PCI_COMMON_DF, 4) & 1, 1);
        /* The MSI-X table: vector 0 starts masked. */
        {
            uint64_t v;

            CHECK_EQ(address_space_load(&as, f->bar[1] +
                                        PCI_MSIX_ENTRY_VECTOR_CTRL, 4,
                                        DEVICE_LITTLE_ENDIAN, A, &v),
                     MEMTX_OK);
            CHECK_EQ(v, PCI_MSIX_ENTRY_CTRL_MASKBIT);
        }
    }
    /* Decoding off: the BAR is gone from the CPU's view. */
    cfg_wr(1, 0, PCI_COMMAND, 2, 0);
    {
        uint64_t v;

        address_space_load(&as, rng1->bar[4], 2, DEVICE_LITTLE_ENDIAN, A,
                           &v);
        CHECK_EQ(v, 0);         /* unassigned reads as 0 */
    }
    cfg_wr(1, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    CHECK_EQ(common_rd(rng1, VIRTIO_PCI_COMMON_NUMQ, 2), 1);
}

/* CONFIG_ADDRESS: a 32-bit register; enable bit; byte lanes of
 * CONFIG_DATA; master aborts. */
static void test_registers(void)
{
    uint32_t id = cfg_rd(0, RNG0, PCI_VENDOR_ID, 4);

    /* Reserved bits read as zero; Linux's type 1 probe. */
    out(PCI_CONFIG_ADDRESS_PORT, 4, 0xffffffff);
    CHECK_EQ(in(PCI_CONFIG_ADDRESS_PORT, 4), PCI_CONFIG_ADDRESS_MASK);
    out(PCI_CONFIG_ADDRESS_PORT, 4, 0x80000000);
    out(PCI_CONFIG_ADDRESS_PORT + 3, 1, 0x01);     /* not for the register */
    CHECK_EQ(in(PCI_CONFIG_ADDRESS_PORT, 4), 0x80000000);
    out(PCI_CONFIG_ADDRESS_PORT, 2, 0x1234);
    CHECK_EQ(in(PCI_CONFIG_ADDRESS_PORT, 4), 0x80000000);
    CHECK_EQ(in(PCI_CONFIG_ADDRESS_PORT + 1, 1), 0xff);
    CHECK_EQ(in(PCI_CONFIG_ADDRESS_PORT, 2), 0xffff);

    /* Byte lanes: register 0 of 00:01.0 byte by byte, word by word. */
    out(PCI_CONFIG_ADDRESS_PORT, 4, pci_config_address(0, RNG0, 0));
    for (unsigned i = 0; i < 4; i++) {
        CHECK_EQ(in(PCI_CONFIG_DATA_PORT + i, 1), (id >> (8 * i)) & 0xff);
    }
    CHECK_EQ(in(PCI_CONFIG_DATA_PORT, 2), id & 0xffff);
    CHECK_EQ(in(PCI_CONFIG_DATA_PORT + 2, 2), id >> 16);
    /* A misaligned lane access is no config cycle. */
    CHECK_EQ(in(PCI_CONFIG_DATA_PORT + 1, 2), 0xffff);
    CHECK_EQ(in(PCI_CONFIG_DATA_PORT + 3, 1), id >> 24);
    /* Register bits 1:0 of CONFIG_ADDRESS are ignored: the lane says. */
    out(PCI_CONFIG_ADDRESS_PORT, 4, pci_config_address(0, RNG0, 0) | 2);
    CHECK_EQ(in(PCI_CONFIG_DATA_PORT, 2), id & 0xffff);

    /* Writes through a lane: Interrupt Line is byte 0 of dword 0x3c. */
    cfg_wr(0, RNG0, PCI_INTERRUPT_LINE, 1, 0x2b);
    CHECK_EQ(cfg_rd(0, RNG0, PCI_INTERRUPT_LINE, 1), 0x2b);
    CHECK_EQ(cfg_rd(0, RNG0, PCI_INTERRUPT_PIN, 1), PCI_INTA);
    cfg_wr(0, RNG0, PCI_INTERRUPT_LINE + 1, 1, 0x03);     /* read-only */
    CHECK_EQ(cfg_rd(0, RNG0, PCI_INTERRUPT_PIN, 1), PCI_INTA);

    /* Enable bit clear: all ones, writes dropped. */
    out(PCI_CONFIG_ADDRESS_PORT, 4, pci_config_address(0, RNG0, 0x3c) &
        ~PCI_CONFIG_ADDRESS_ENABLE);
    CHECK_EQ(in(PCI_CONFIG_DATA_PORT, 4), 0xffffffff);
    out(PCI_CONFIG_DATA_PORT, 1, 0x11);
    CHECK_EQ(cfg_rd(0, RNG0, PCI_INTERRUPT_LINE, 1), 0x2b);

    /* Absent functions, buses nobody claims, devices behind a port
     * other than 0: all ones. */
    CHECK_EQ(cfg_rd(0, PCI_DEVFN(9, 0), PCI_VENDOR_ID, 4), 0xffffffff);
    CHECK_EQ(cfg_rd(0, PCI_DEVFN(1, 3), PCI_VENDOR_ID, 2), 0xffff);
    CHECK_EQ(cfg_rd(7, 0, PCI_VENDOR_ID, 4), 0xffffffff);
    CHECK_EQ(cfg_rd(1, PCI_DEVFN(1, 0), PCI_VENDOR_ID, 1), 0xff);
    cfg_wr(0, PCI_DEVFN(9, 0), PCI_COMMAND, 2, 0xffff);
    CHECK_EQ(cfg_rd(0, PCI_DEVFN(9, 0), PCI_COMMAND, 2), 0xffff);

    /* The I/O window sits under the config ports. */
    CHECK_EQ(cfg_rd(0, RNG0, PCI_VENDOR_ID, 4), id);
}

/* Root port at slot 2: its pin p (1 = INTA) comes out on line
 * (2 + p - 1) % 4; with MSI on, a message through the board hook.  Both
 * come from a Slot Control write with Command Completed enabled. */
static void slot_control_write(uint16_t ctl)
{
    unsigned exp = find_cap(0, RP, PCI_CAP_ID_EXP, 0);

    CHECK(exp);
    cfg_wr(0, RP, exp + PCI_EXP_SLTSTA, 2, PCI_EXP_SLTSTA_CC);
    cfg_wr(0, RP, exp + PCI_EXP_SLTCTL, 2, ctl);
}

static unsigned lines_up(void)
{
    unsigned mask = 0;

    for (unsigned i = 0; i < PCI_NUM_PINS; i++) {
        mask |= atomic_load_acquire(&line_level[i]) << i;
    }
    return mask;
}

static void test_interrupts(void)
{
    unsigned msi = find_cap(0, RP, PCI_CAP_ID_MSI, 0);
    unsigned exp = find_cap(0, RP, PCI_CAP_ID_EXP, 0);
    unsigned pin = cfg_rd(0, RP, PCI_INTERRUPT_PIN, 1);
    uint16_t ctl = cfg_rd(0, RP, exp + PCI_EXP_SLTCTL, 2) |
                   PCI_EXP_SLTCTL_HPIE | PCI_EXP_SLTCTL_CCIE;
    unsigned before, line;

    CHECK(msi);
    CHECK(pin >= PCI_INTA && pin <= PCI_INTD);
    line = (PCI_SLOT(RP) + pin - 1) % 4;
    CHECK_EQ(lines_up(), 0);
    slot_control_write(ctl);
    CHECK_EQ(lines_up(), 1u << line);
    cfg_wr(0, RP, exp + PCI_EXP_SLTSTA, 2, PCI_EXP_SLTSTA_CC);
    CHECK_EQ(lines_up(), 0);

    cfg_wr(0, RP, msi + PCI_MSI_ADDRESS_LO, 4, (uint32_t)MSI_ADDR);
    cfg_wr(0, RP, msi + PCI_MSI_ADDRESS_HI, 4, 0);
    cfg_wr(0, RP, msi + 0x0c, 2, 0x4041);      /* data, 64-bit layout */
    cfg_wr(0, RP, msi + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
    before = atomic_load_acquire(&msi_count);
    slot_control_write(ctl);
    CHECK_EQ(atomic_load_acquire(&msi_count), before + 1);
    CHECK_EQ(msi_last_addr, MSI_ADDR);
    CHECK_EQ(msi_last_data, 0x4041);
    CHECK_EQ(lines_up(), 0);
    slot_control_write(ctl & ~(PCI_EXP_SLTCTL_HPIE | PCI_EXP_SLTCTL_CCIE));
}

static void test_reset(void)
{
    bql_lock();
    pci_host_pio_reset(host);
    bql_unlock();
    CHECK_EQ(in(PCI_CONFIG_ADDRESS_PORT, 4), 0);
    CHECK_EQ(in(PCI_CONFIG_DATA_PORT, 4), 0xffffffff);
    CHECK_EQ(cfg_rd(0, RNG0, PCI_COMMAND, 2), 0);
    CHECK_EQ(cfg_rd(0, RNG0, PCI_BASE_ADDRESS_0 + 16, 4),
             PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH);
    CHECK_EQ(cfg_rd(0, RP, PCI_SECONDARY_BUS, 1), 0);
    /* Bus 1 is unreachable until it is numbered again. */
    CHECK_EQ(cfg_rd(1, 0, PCI_VENDOR_ID, 4), 0xffffffff);
}

static void add(const char *opts)
{
    Error *err = NULL;

    bql_lock();
    if (!device_add(opts, &err)) {
        fprintf(stderr, "%s: %s\n", opts, error_get_pretty(err));
        CHECK(0);
    }
    bql_unlock();
}

static const BusInfo test_sysbus_info = { .type = "System" };

static void setup(void)
{
    PCIHostPioConfig cfg = {
        .sysmem = &sysmem, .io = &io_root, .dma_root = &sysmem,
        .mmio_base = MMIO, .mmio_size = MMIO_SIZE,
        .mmio64_base = MMIO64, .mmio64_size = MMIO64_SIZE,
        .pio_base = PIO, .pio_size = PIO_SIZE,
        .msi_notify = record_msi, .msi_opaque = &msi_count,
    };
    Error *err = NULL;

    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    memory_region_init(&io_root, NULL, "io", 0x10000);
    CHECK(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, &err));
    bql_lock();
    device_set_transaction_hooks(memory_region_transaction_begin,
                                 memory_region_transaction_commit);
    memory_region_add_subregion(&sysmem, 0, &ram);
    address_space_init(&as, &sysmem, "memory");
    address_space_init(&io_as, &io_root, "I/O");
    sysbus = bus_new(NULL, &test_sysbus_info, "test-sysbus");
    host = pci_host_pio_create(sysbus, &cfg, &err);
    if (!host) {
        fprintf(stderr, "%s\n", error_get_pretty(err));
        CHECK(0);
    }
    /* INTx wired after creation, as microvm does once KVM is open. */
    for (unsigned i = 0; i < PCI_NUM_PINS; i++) {
        irq_init_in(&lines[i], line_handler, NULL, i, NULL);
        pci_host_pio_connect_irq(host, i, &lines[i]);
    }
    bql_unlock();
    add("virtio-rng-pci,id=rng0");
    add("pcie-root-port,id=rp1,chassis=1,slot=1");
    add("virtio-rng-pci,id=rng1,bus=rp1");
}

int main(void)
{
    Error *err = NULL;

    log_mask = LOG_GUEST_ERROR;
    weft_rcu_register_thread();
    CHECK(main_loop_init(&err));
    setup();

    RUN(test_enumerate);
    RUN(test_registers);
    RUN(test_interrupts);
    RUN(test_reset);
    return 0;
}
