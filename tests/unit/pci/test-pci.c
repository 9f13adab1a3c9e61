/* The PCI core, the ECAM host and pcie-root-port, driven the way firmware
 * and an OS do it: config cycles through ECAM in the system address
 * space, BARs and bridge windows checked with address-space lookups,
 * INTx on a test interrupt sink, DMA through the bus-master space.
 *
 * The test device ("test-pci-dev"): BAR 0 32-bit memory 4 KiB, BAR 2
 * 64-bit prefetchable 16 KiB with the MSI-X table (8 vectors) at 0x1000
 * and PBA at 0x1800, BAR 4 I/O 256 bytes, MSI, INTA.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/core/irq.h"
#include "hw/core/props.h"
#include "hw/pci/pci-host-ecam.h"
#include "memory/memory.h"
#include "system/bql.h"
#include "system/event-loop.h"
#include "test.h"
#include "util/log.h"

#define A MEMTXATTRS_UNSPECIFIED
#define RAM_BASE 0x80000000ull
#define RAM_SIZE (1u << 20)
#define ECAM 0x30000000ull
#define MMIO 0x40000000ull
#define MMIO64 0x400000000ull
#define PIO 0x03000000ull

static MemoryRegion sysmem, ram;
static AddressSpace as;
static Bus *sysbus;
static PCIHostEcam *host;
static IrqLine lines[4];
static int line_level[4];

static void line_handler(void *opaque, int n, int level)
{
    line_level[n] = level;
}

/* ---- the test device */

typedef struct TestPci {
    PCIDevice parent;
    MemoryRegion bar0, bar2, bar4;
    uint32_t reg[4];            /* BAR 0 scratch registers */
    uint64_t writes;
} TestPci;

#define TEST_PCI(d) container_of((d), TestPci, parent)

static uint64_t bar_read(void *opaque, hwaddr off, unsigned size)
{
    TestPci *t = opaque;

    return off < sizeof(t->reg) ? t->reg[off / 4] : 0x1234;
}

static void bar_write(void *opaque, hwaddr off, uint64_t v, unsigned size)
{
    TestPci *t = opaque;

    if (off < sizeof(t->reg)) {
        t->reg[off / 4] = v;
    }
    t->writes++;
}

static const MemoryRegionOps bar_ops = {
    .read = bar_read,
    .write = bar_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

static bool test_pci_realize(PCIDevice *d, Error **errp)
{
    TestPci *t = TEST_PCI(d);
    Object *o = &d->parent.obj;

    memory_region_init_io(&t->bar0, o, &bar_ops, t, "test-bar0", 0x1000);
    memory_region_init(&t->bar2, o, "test-bar2", 0x4000);
    memory_region_init_io(&t->bar4, o, &bar_ops, t, "test-bar4", 0x100);
    pci_register_bar(d, 0, 0, &t->bar0);
    pci_register_bar(d, 2, PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, &t->bar2);
    pci_register_bar(d, 4, PCI_BASE_ADDRESS_SPACE_IO, &t->bar4);
    pci_set_intx_pin(d, PCI_INTA);
    if (!msi_init(d, 0, errp) ||
        !msix_init(d, 8, &t->bar2, 2, 0x1000, 0x1800, 0, errp)) {
        return false;
    }
    if (d->bus->express) {
        pcie_cap_init(d, 0, d->bus->bridge ? PCI_EXP_TYPE_ENDPOINT
                                           : PCI_EXP_TYPE_RC_END, 0, errp);
    }
    return true;
}

static void test_pci_finalize(Device *dev)
{
    TestPci *t = TEST_PCI(PCI_DEVICE(dev));

    if (!t->parent.bus) {
        return;
    }
    msix_uninit(&t->parent);
    memory_region_finalize(&t->bar0);
    memory_region_finalize(&t->bar2);
    memory_region_finalize(&t->bar4);
}

static void test_pci_class_init(DeviceClass *dc, const void *data)
{
    PCIDeviceClass *pc = (PCIDeviceClass *)dc;

    pc->vendor_id = 0x1234;
    pc->device_id = 0x5678;
    pc->class_id = PCI_CLASS_OTHERS;
    pc->realize = test_pci_realize;
}

static const DeviceTypeInfo test_pci_info = {
    .name = "test-pci-dev",
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(TestPci),
    .instance_finalize = test_pci_finalize,
    .class_init = test_pci_class_init,
};
DEVICE_TYPE_REGISTER(test_pci_info)

/* ---- config cycles */

static hwaddr ecam(unsigned bus, unsigned devfn, unsigned reg)
{
    return ECAM + ((hwaddr)bus << 20 | devfn << 12 | reg);
}

static uint32_t cfg_rd(unsigned bus, unsigned devfn, unsigned reg,
                       unsigned size)
{
    uint64_t v;

    CHECK_EQ(address_space_load(&as, ecam(bus, devfn, reg), size,
                                DEVICE_LITTLE_ENDIAN, A, &v), MEMTX_OK);
    return v;
}

static void cfg_wr(unsigned bus, unsigned devfn, unsigned reg,
                   unsigned size, uint32_t v)
{
    CHECK_EQ(address_space_store(&as, ecam(bus, devfn, reg), size,
                                 DEVICE_LITTLE_ENDIAN, A, v), MEMTX_OK);
}

/* The terminal region at a CPU address, or NULL. */
static MemoryRegion *region_at(hwaddr addr)
{
    MemoryRegionSection s;
    MemoryRegion *mr = NULL;

    weft_rcu_read_lock();
    if (address_space_translate(&as, addr, false, A, &s) == MEMTX_OK) {
        mr = s.mr;
    }
    weft_rcu_read_unlock();
    return mr;
}

static Device *add(const char *opts)
{
    Error *err = NULL;
    Device *dev;

    bql_lock();
    dev = device_add(opts, &err);
    bql_unlock();
    if (!dev) {
        fprintf(stderr, "%s: %s\n", opts, error_get_pretty(err));
        CHECK(0);
    }
    return dev;
}

static PCIDevice *pci(Device *dev)
{
    CHECK(dev);
    return PCI_DEVICE(dev);
}

static Device *find(const char *id)
{
    Device *dev;

    bql_lock();
    dev = device_find_by_id(id);
    bql_unlock();
    return dev;
}

/* ---- tests */

static void test_config_rules(void)
{
    Device *dev = add("test-pci-dev,id=t1,addr=3");
    unsigned devfn = PCI_DEVFN(3, 0);

    /* The host bridge function at 00.0, as on QEMU. */
    CHECK_EQ(cfg_rd(0, 0, PCI_VENDOR_ID, 4), 0x00081b36);
    CHECK_EQ(cfg_rd(0, 0, PCI_CLASS_DEVICE, 2), PCI_CLASS_BRIDGE_HOST);
    /* Nothing there: all ones, whatever the size. */
    CHECK_EQ(cfg_rd(0, PCI_DEVFN(0x1f, 0), 0, 4), 0xffffffff);
    CHECK_EQ(cfg_rd(0, PCI_DEVFN(0x1f, 0), 2, 2), 0xffff);
    CHECK_EQ(cfg_rd(0, PCI_DEVFN(0x1f, 0), 1, 1), 0xff);
    CHECK_EQ(cfg_rd(7, 0, 0, 4), 0xffffffff);
    cfg_wr(0, PCI_DEVFN(0x1f, 0), PCI_COMMAND, 2, 0xffff);

    CHECK_EQ(cfg_rd(0, devfn, PCI_VENDOR_ID, 2), 0x1234);
    CHECK_EQ(cfg_rd(0, devfn, PCI_DEVICE_ID, 2), 0x5678);
    CHECK_EQ(cfg_rd(0, devfn, PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_NORMAL);
    /* Read-only: ids, class, header type, capability pointer. */
    cfg_wr(0, devfn, PCI_VENDOR_ID, 4, 0);
    cfg_wr(0, devfn, PCI_REVISION_ID, 4, 0);
    cfg_wr(0, devfn, PCI_CAPABILITY_LIST, 1, 0);
    CHECK_EQ(cfg_rd(0, devfn, PCI_VENDOR_ID, 4), 0x56781234);
    CHECK_EQ(cfg_rd(0, devfn, PCI_CLASS_DEVICE, 2), PCI_CLASS_OTHERS);
    CHECK(cfg_rd(0, devfn, PCI_CAPABILITY_LIST, 1) >= 0x40);
    /* Command: only the implemented bits stick. */
    cfg_wr(0, devfn, PCI_COMMAND, 2, 0xffff);
    CHECK_EQ(cfg_rd(0, devfn, PCI_COMMAND, 2), 0x0547);
    cfg_wr(0, devfn, PCI_COMMAND, 2, 0);
    /* Status: capability list read-only, error bits write-1-to-clear. */
    bql_lock();
    pci_set_word(pci(dev)->config + PCI_STATUS, PCI_STATUS_CAP_LIST |
                 PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR);
    bql_unlock();
    cfg_wr(0, devfn, PCI_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT);
    CHECK_EQ(cfg_rd(0, devfn, PCI_STATUS, 2),
             PCI_STATUS_CAP_LIST | PCI_STATUS_SIG_SYSTEM_ERROR);
    cfg_wr(0, devfn, PCI_STATUS, 2, 0xffff);
    CHECK_EQ(cfg_rd(0, devfn, PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
    /* Interrupt line is the OS's scratch byte; the pin is ours. */
    cfg_wr(0, devfn, PCI_INTERRUPT_LINE, 2, 0x0455);
    CHECK_EQ(cfg_rd(0, devfn, PCI_INTERRUPT_LINE, 2), 0x0155);
    /* Odd accesses: misaligned or 8 bytes read all ones, write nothing. */
    CHECK_EQ(cfg_rd(0, devfn, 1, 2), 0xffff);
    CHECK_EQ(cfg_rd(0, devfn, 2, 4), 0xffffffff);
    CHECK_EQ(address_space_ldq_le(&as, ecam(0, devfn, 0), A, NULL),
             0xffffffffffffffffull);
    cfg_wr(0, devfn, PCI_COMMAND + 1, 2, 0xffff);
    cfg_wr(0, devfn, PCI_COMMAND, 8, 0xffff);
    CHECK_EQ(cfg_rd(0, devfn, PCI_COMMAND, 2), 0);
    /* Extended space of an Express function without extended caps. */
    CHECK_EQ(cfg_rd(0, devfn, 0x100, 4), 0);
    CHECK_EQ(cfg_rd(0, devfn, 0xffc, 4), 0);
}

static void test_bar_sizing(void)
{
    unsigned devfn = PCI_DEVFN(3, 0);

    cfg_wr(0, devfn, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
    CHECK_EQ(cfg_rd(0, devfn, PCI_BASE_ADDRESS_0, 4), 0xfffff000);
    CHECK_EQ(cfg_rd(0, devfn, PCI_BASE_ADDRESS_0 + 4, 4), 0);   /* none */
    cfg_wr(0, devfn, PCI_BASE_ADDRESS_0 + 8, 4, 0xffffffff);
    cfg_wr(0, devfn, PCI_BASE_ADDRESS_0 + 12, 4, 0xffffffff);
    CHECK_EQ(cfg_rd(0, devfn, PCI_BASE_ADDRESS_0 + 8, 4), 0xffffc00c);
    CHECK_EQ(cfg_rd(0, devfn, PCI_BASE_ADDRESS_0 + 12, 4), 0xffffffff);
    cfg_wr(0, devfn, PCI_BASE_ADDRESS_0 + 16, 4, 0xffffffff);
    CHECK_EQ(cfg_rd(0, devfn, PCI_BASE_ADDRESS_0 + 16, 4), 0xffffff01);
    /* Sizing patterns with decoding on map nothing that could fault. */
    cfg_wr(0, devfn, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
    cfg_wr(0, devfn, PCI_COMMAND, 2, 0);
    for (unsigned n = 0; n < 6; n++) {
        cfg_wr(0, devfn, PCI_BASE_ADDRESS_0 + 4 * n, 4, 0);
    }
}

static void test_bar_mapping(void)
{
    unsigned devfn = PCI_DEVFN(3, 0);
    TestPci *t = TEST_PCI(pci(find("t1")));
    Device *other;

    cfg_wr(0, devfn, PCI_BASE_ADDRESS_0, 4, MMIO + 0x1000);
    cfg_wr(0, devfn, PCI_BASE_ADDRESS_0 + 8, 4, (uint32_t)MMIO64);
    cfg_wr(0, devfn, PCI_BASE_ADDRESS_0 + 12, 4, MMIO64 >> 32);
    cfg_wr(0, devfn, PCI_BASE_ADDRESS_0 + 16, 4, 0x100);
    CHECK(region_at(MMIO + 0x1000) != &t->bar0);
    CHECK(region_at(MMIO64 + 0x1000) != &t->parent.msix_table_mr);
    /* Memory decoding maps both memory BARs, not the I/O one. */
    cfg_wr(0, devfn, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    CHECK(region_at(MMIO + 0x1000) == &t->bar0);
    CHECK(region_at(MMIO + 0x1ffc) == &t->bar0);
    CHECK(region_at(MMIO64 + 0x1000) == &t->parent.msix_table_mr);
    CHECK(region_at(PIO + 0x100) != &t->bar4);
    address_space_stl_le(&as, MMIO + 0x1004, 0xabcd, A, NULL);
    CHECK_EQ(t->reg[1], 0xabcd);
    CHECK_EQ(address_space_ldl_le(&as, MMIO + 0x1004, A, NULL), 0xabcd);
    cfg_wr(0, devfn, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
    CHECK(region_at(PIO + 0x100) == &t->bar4);
    /* Moving a BAR while decoding moves the mapping. */
    cfg_wr(0, devfn, PCI_BASE_ADDRESS_0, 4, MMIO + 0x8000);
    CHECK(region_at(MMIO + 0x1000) != &t->bar0);
    CHECK(region_at(MMIO + 0x8000) == &t->bar0);
    /* A BAR "over RAM" lives in PCI space: RAM stays RAM for the CPU. */
    cfg_wr(0, devfn, PCI_BASE_ADDRESS_0, 4, RAM_BASE);
    CHECK(region_at(RAM_BASE) == &ram);
    /* Overlapping BARs of two devices: one wins, nothing breaks. */
    other = add("test-pci-dev,id=t2,addr=4");
    cfg_wr(0, devfn, PCI_BASE_ADDRESS_0, 4, MMIO + 0x8000);
    cfg_wr(0, PCI_DEVFN(4, 0), PCI_BASE_ADDRESS_0, 4, MMIO + 0x8000);
    cfg_wr(0, PCI_DEVFN(4, 0), PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    CHECK(region_at(MMIO + 0x8000) == &TEST_PCI(pci(other))->bar0 ||
          region_at(MMIO + 0x8000) == &t->bar0);
    cfg_wr(0, PCI_DEVFN(4, 0), PCI_COMMAND, 2, 0);
    CHECK(region_at(MMIO + 0x8000) == &t->bar0);
    /* Decoding off unmaps everything. */
    cfg_wr(0, devfn, PCI_COMMAND, 2, 0);
    CHECK(region_at(MMIO + 0x8000) != &t->bar0);
    CHECK(region_at(MMIO64 + 0x1000) != &t->parent.msix_table_mr);
    CHECK(region_at(PIO + 0x100) != &t->bar4);
}

static void test_cap_walk(void)
{
    unsigned devfn = PCI_DEVFN(3, 0);
    uint8_t want[] = { PCI_CAP_ID_MSI, PCI_CAP_ID_MSIX, PCI_CAP_ID_EXP };
    unsigned n = 0, off;

    CHECK(cfg_rd(0, devfn, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    for (off = cfg_rd(0, devfn, PCI_CAPABILITY_LIST, 1); off;
         off = cfg_rd(0, devfn, off + 1, 1)) {
        CHECK(off >= 0x40 && off < 0x100 && !(off & 3));
        CHECK(n < sizeof(want));
        CHECK_EQ(cfg_rd(0, devfn, off, 1), want[n]);
        n++;
    }
    CHECK_EQ(n, sizeof(want));
    off = pci_find_capability(pci(find("t1")), PCI_CAP_ID_EXP);
    /* Root-complex integrated endpoint on pcie.0. */
    CHECK_EQ((cfg_rd(0, devfn, off + PCI_EXP_FLAGS, 2) >> 4) & 0xf,
             PCI_EXP_TYPE_RC_END);
}

/* Root port rp1 at 00:02.0, secondary bus 1, with t3 at 01:00.0. */
static void test_bridge(void)
{
    unsigned rp = PCI_DEVFN(2, 0);
    TestPci *t3;

    add("pcie-root-port,id=rp1,chassis=1,slot=1,addr=2");
    t3 = TEST_PCI(pci(add("test-pci-dev,id=t3,bus=rp1")));
    CHECK_EQ(cfg_rd(0, rp, PCI_VENDOR_ID, 4), 0x000c1b36);
    CHECK_EQ(cfg_rd(0, rp, PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_BRIDGE);
    CHECK_EQ(cfg_rd(0, rp, PCI_CLASS_DEVICE, 2), PCI_CLASS_BRIDGE_PCI);
    CHECK_EQ(t3->parent.devfn, 0);
    /* Before bus numbers are set, bus 1 does not exist. */
    CHECK_EQ(cfg_rd(1, 0, PCI_VENDOR_ID, 4), 0xffffffff);
    cfg_wr(0, rp, PCI_PRIMARY_BUS, 4, 0x00010100);
    CHECK_EQ(cfg_rd(0, rp, PCI_PRIMARY_BUS, 4), 0x00010100);
    CHECK_EQ(cfg_rd(1, 0, PCI_VENDOR_ID, 4), 0x56781234);
    /* Behind a PCIe port only device 0 answers; bus 2 is nobody's. */
    CHECK_EQ(cfg_rd(1, PCI_DEVFN(1, 0), PCI_VENDOR_ID, 4), 0xffffffff);
    CHECK_EQ(cfg_rd(2, 0, PCI_VENDOR_ID, 4), 0xffffffff);
    cfg_wr(0, rp, PCI_SUBORDINATE_BUS, 1, 5);
    CHECK_EQ(cfg_rd(2, 0, PCI_VENDOR_ID, 4), 0xffffffff);
    cfg_wr(0, rp, PCI_SUBORDINATE_BUS, 1, 1);
    /* Device 0 behind the port is a plain endpoint. */
    CHECK_EQ((cfg_rd(1, 0, pci_find_capability(&t3->parent, PCI_CAP_ID_EXP)
                     + PCI_EXP_FLAGS, 2) >> 4) & 0xf, PCI_EXP_TYPE_ENDPOINT);

    /* Memory window 0x40100000-0x401fffff; t3's BAR 0 inside it. */
    cfg_wr(0, rp, PCI_MEMORY_BASE, 4, 0x40104010);
    cfg_wr(1, 0, PCI_BASE_ADDRESS_0, 4, MMIO + 0x100000);
    cfg_wr(1, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    CHECK(region_at(MMIO + 0x100000) != &t3->bar0);    /* port closed */
    cfg_wr(0, rp, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    CHECK(region_at(MMIO + 0x100000) == &t3->bar0);
    address_space_stl_le(&as, MMIO + 0x100008, 77, A, NULL);
    CHECK_EQ(t3->reg[2], 77);
    /* Outside the window it is invisible even while decoding. */
    cfg_wr(1, 0, PCI_BASE_ADDRESS_0, 4, MMIO + 0x300000);
    CHECK(region_at(MMIO + 0x300000) != &t3->bar0);
    cfg_wr(1, 0, PCI_BASE_ADDRESS_0, 4, MMIO + 0x100000);
    /* The 64-bit prefetchable window takes t3's BAR 2 up high. */
    CHECK_EQ(cfg_rd(0, rp, PCI_PREF_MEMORY_BASE, 2) & 0xf,
             PCI_PREF_RANGE_TYPE_64);
    cfg_wr(0, rp, PCI_PREF_MEMORY_BASE, 4, 0x00f10001);
    cfg_wr(0, rp, PCI_PREF_BASE_UPPER32, 4, MMIO64 >> 32);
    cfg_wr(0, rp, PCI_PREF_LIMIT_UPPER32, 4, MMIO64 >> 32);
    cfg_wr(1, 0, PCI_BASE_ADDRESS_0 + 8, 4, 0x200000);
    cfg_wr(1, 0, PCI_BASE_ADDRESS_0 + 12, 4, MMIO64 >> 32);
    CHECK(region_at(MMIO64 + 0x201000) == &t3->parent.msix_table_mr);
    /* The port's memory enable closes both windows. */
    cfg_wr(0, rp, PCI_COMMAND, 2, 0);
    CHECK(region_at(MMIO + 0x100000) != &t3->bar0);
    CHECK(region_at(MMIO64 + 0x201000) != &t3->parent.msix_table_mr);
    /* Secondary bus reset resets t3 (its BARs and Command). */
    cfg_wr(0, rp, PCI_BRIDGE_CONTROL, 2, PCI_BRIDGE_CTL_BUS_RESET);
    cfg_wr(0, rp, PCI_BRIDGE_CONTROL, 2, 0);
    CHECK_EQ(cfg_rd(1, 0, PCI_COMMAND, 2), 0);
    CHECK_EQ(cfg_rd(1, 0, PCI_BASE_ADDRESS_0, 4), 0);
}

static void test_intx_swizzle(void)
{
    PCIDevice *t1 = pci(find("t1"));       /* 00:03.0 */
    PCIDevice *t2 = pci(find("t2"));       /* 00:04.0 */
    PCIDevice *t3 = pci(find("t3"));       /* 01:00.0 */
    PCIDevice *t4;

    memset(line_level, 0, sizeof(line_level));
    pci_set_irq(t1, true);                  /* INTA of slot 3: line 3 */
    CHECK_EQ(line_level[3], 1);
    CHECK(cfg_rd(0, PCI_DEVFN(3, 0), PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    pci_set_irq(t1, false);
    CHECK_EQ(line_level[3], 0);
    CHECK(!(cfg_rd(0, PCI_DEVFN(3, 0), PCI_STATUS, 2) &
            PCI_STATUS_INTERRUPT));
    pci_set_irq(t2, true);                  /* slot 4: line 0 */
    CHECK_EQ(line_level[0], 1);
    pci_set_irq(t2, false);
    /* Behind rp1 (slot 2): 01:00.0 INTA -> rp1's INTA -> line 2. */
    pci_set_irq(t3, true);
    CHECK_EQ(line_level[2], 1);
    /* INTx Disable masks the line, the status bit still shows it. */
    cfg_wr(1, 0, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
    CHECK_EQ(line_level[2], 0);
    CHECK(cfg_rd(1, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    cfg_wr(1, 0, PCI_COMMAND, 2, 0);
    CHECK_EQ(line_level[2], 1);
    /* A shared line stays up until its last asserter lets go: a root
     * bus device at slot 6 (INTA -> line 2). */
    t4 = pci(add("test-pci-dev,id=t4,addr=6"));
    pci_set_irq(t4, true);
    pci_set_irq(t3, false);
    CHECK_EQ(line_level[2], 1);
    pci_set_irq(t4, false);
    CHECK_EQ(line_level[2], 0);
    /* Pin B behind rp1: swizzled to rp1's INTB -> line (2 + 1) % 4. */
    bql_lock();
    pci_set_intx_pin(t3, 2);
    bql_unlock();
    pci_set_irq(t3, true);
    CHECK_EQ(line_level[3], 1);
    pci_set_irq(t3, false);
    CHECK_EQ(line_level[3], 0);
    bql_lock();
    pci_set_intx_pin(t3, PCI_INTA);
    bql_unlock();
}

static void test_bus_master(void)
{
    PCIDevice *t1 = pci(find("t1"));
    PCIDevice *t3 = pci(find("t3"));
    uint32_t v = 0;

    memcpy(memory_region_get_ram_ptr(&ram), "ramz", 4);
    /* Without Bus Master Enable, DMA reaches nothing. */
    CHECK(address_space_read(pci_get_address_space(t1), RAM_BASE, A, &v, 4)
          != MEMTX_OK);
    cfg_wr(0, PCI_DEVFN(3, 0), PCI_COMMAND, 2, PCI_COMMAND_MASTER);
    CHECK_EQ(address_space_read(pci_get_address_space(t1), RAM_BASE, A, &v,
                                4), MEMTX_OK);
    CHECK(!memcmp(&v, "ramz", 4));
    /* Behind rp1, the port must master too. */
    cfg_wr(1, 0, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
    CHECK(address_space_read(pci_get_address_space(t3), RAM_BASE, A, &v, 4)
          != MEMTX_OK);
    cfg_wr(0, PCI_DEVFN(2, 0), PCI_COMMAND, 2, PCI_COMMAND_MASTER);
    CHECK_EQ(address_space_read(pci_get_address_space(t3), RAM_BASE, A, &v,
                                4), MEMTX_OK);
    cfg_wr(0, PCI_DEVFN(2, 0), PCI_COMMAND, 2, 0);
    CHECK(address_space_read(pci_get_address_space(t3), RAM_BASE, A, &v, 4)
          != MEMTX_OK);
    cfg_wr(0, PCI_DEVFN(3, 0), PCI_COMMAND, 2, 0);
    cfg_wr(1, 0, PCI_COMMAND, 2, 0);
}

/* ---- MSI and MSI-X, with a board hook that records messages */

static uint64_t msg_addr;
static uint32_t msg_data;
static unsigned msgs;

static void record_msi(PCIHost *h, PCIDevice *d, uint64_t addr,
                       uint32_t data)
{
    msg_addr = addr;
    msg_data = data;
    msgs++;
}

static void test_msix(void)
{
    PCIDevice *t1 = pci(find("t1"));
    unsigned devfn = PCI_DEVFN(3, 0), cap = t1->msix_cap;
    hwaddr table = MMIO64 + 0x1000, pba = MMIO64 + 0x1800;

    pci_host_ecam_root_bus(host)->host->msi_notify = record_msi;
    CHECK_EQ(cfg_rd(0, devfn, cap + PCI_MSIX_FLAGS, 2), 7);
    CHECK_EQ(cfg_rd(0, devfn, cap + PCI_MSIX_TABLE, 4), 0x1000 | 2);
    CHECK_EQ(cfg_rd(0, devfn, cap + PCI_MSIX_PBA, 4), 0x1800 | 2);
    cfg_wr(0, devfn, PCI_BASE_ADDRESS_0 + 8, 4, (uint32_t)MMIO64);
    cfg_wr(0, devfn, PCI_BASE_ADDRESS_0 + 12, 4, MMIO64 >> 32);
    cfg_wr(0, devfn, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    /* Vectors start masked. */
    CHECK_EQ(address_space_ldl_le(&as, table + 16 * 3 + 12, A, NULL), 1);
    address_space_stq_le(&as, table + 16 * 3, 0xfee01000ull, A, NULL);
    address_space_stl_le(&as, table + 16 * 3 + 8, 0x33, A, NULL);
    CHECK_EQ(address_space_ldq_le(&as, table + 16 * 3, A, NULL),
             0xfee01000ull);
    /* Disabled: nothing is sent or held. */
    msgs = 0;
    msix_notify(t1, 3);
    CHECK_EQ(msgs, 0);
    cfg_wr(0, devfn, cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    CHECK(msix_enabled(t1));
    /* Masked: pending in the PBA; unmasking sends it. */
    msix_notify(t1, 3);
    CHECK_EQ(msgs, 0);
    CHECK_EQ(address_space_ldq_le(&as, pba, A, NULL), 1u << 3);
    address_space_stl_le(&as, table + 16 * 3 + 12, 0, A, NULL);
    CHECK_EQ(msgs, 1);
    CHECK_EQ(msg_addr, 0xfee01000ull);
    CHECK_EQ(msg_data, 0x33);
    CHECK_EQ(address_space_ldq_le(&as, pba, A, NULL), 0);
    msix_notify(t1, 3);
    CHECK_EQ(msgs, 2);
    /* Function mask holds everything. */
    cfg_wr(0, devfn, cap + PCI_MSIX_FLAGS, 2,
           PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    msix_notify(t1, 3);
    CHECK_EQ(msgs, 2);
    cfg_wr(0, devfn, cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    CHECK_EQ(msgs, 3);
    /* MSI-X on: INTx is off. */
    memset(line_level, 0, sizeof(line_level));
    pci_set_irq(t1, true);
    CHECK_EQ(line_level[3], 0);
    pci_set_irq(t1, false);
    /* Bad vectors and table accesses are ignored. */
    msix_notify(t1, 8);
    msix_notify(t1, 1000);
    CHECK_EQ(msgs, 3);
    address_space_stl_le(&as, table + 16 * 8, 0xdead, A, NULL);
    address_space_stl_le(&as, table + 16 * 2 + 14, 0xdead, A, NULL);
    address_space_stl_le(&as, pba, 0xff, A, NULL);
    CHECK_EQ(address_space_ldq_le(&as, pba, A, NULL), 0);
    /* Vector Control keeps only its mask bit. */
    address_space_stl_le(&as, table + 16 * 2 + 12, 0xfffffffe, A, NULL);
    CHECK_EQ(address_space_ldl_le(&as, table + 16 * 2 + 12, A, NULL), 0);
    cfg_wr(0, devfn, cap + PCI_MSIX_FLAGS, 2, 0);
    CHECK(!msix_enabled(t1));

    /* MSI: one vector, 64-bit, maskable. */
    cap = t1->msi_cap;
    CHECK_EQ(cfg_rd(0, devfn, cap + PCI_MSI_FLAGS, 2),
             PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT);
    cfg_wr(0, devfn, cap + PCI_MSI_ADDRESS_LO, 4, 0x2800000);
    cfg_wr(0, devfn, cap + PCI_MSI_ADDRESS_HI, 4, 1);
    cfg_wr(0, devfn, cap + 0x0c, 2, 0x45);
    cfg_wr(0, devfn, cap + 0x10, 4, 1);         /* masked */
    cfg_wr(0, devfn, cap + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
    msgs = 0;
    msi_notify(t1);
    CHECK_EQ(msgs, 0);
    CHECK_EQ(cfg_rd(0, devfn, cap + 0x14, 4), 1);
    cfg_wr(0, devfn, cap + 0x10, 4, 0);
    CHECK_EQ(msgs, 1);
    CHECK_EQ(msg_addr, 0x102800000ull);
    CHECK_EQ(msg_data, 0x45);
    CHECK_EQ(cfg_rd(0, devfn, cap + 0x14, 4), 0);
    cfg_wr(0, devfn, cap + PCI_MSI_FLAGS, 2, 0);
    cfg_wr(0, devfn, PCI_COMMAND, 2, 0);
    pci_host_ecam_root_bus(host)->host->msi_notify = NULL;
}

static uint16_t rp_slot(unsigned reg)
{
    unsigned exp = pci_find_capability(pci(find("rp1")),
                                       PCI_CAP_ID_EXP);

    return cfg_rd(0, PCI_DEVFN(2, 0), exp + reg, 2);
}

static void rp_slot_wr(unsigned reg, uint16_t v)
{
    unsigned exp = pci_find_capability(pci(find("rp1")),
                                       PCI_CAP_ID_EXP);

    cfg_wr(0, PCI_DEVFN(2, 0), exp + reg, 2, v);
}

static bool unplugged(const char *id)
{
    for (int i = 0; i < 2000; i++) {
        bool gone;

        bql_lock();
        gone = !device_find_by_id(id);
        bql_unlock();
        if (gone) {
            return true;
        }
        event_loop_poll(main_loop(), false);
        usleep(500);
    }
    return false;
}

static void test_root_port_slot(void)
{
    PCIDevice *rp = pci(find("rp1"));
    unsigned exp = pci_find_capability(rp, PCI_CAP_ID_EXP);
    uint32_t cap = cfg_rd(0, PCI_DEVFN(2, 0), exp + PCI_EXP_SLTCAP, 4);
    Error *err = NULL;

    CHECK_EQ((cfg_rd(0, PCI_DEVFN(2, 0), exp + PCI_EXP_FLAGS, 2) >> 4) & 0xf,
             PCI_EXP_TYPE_ROOT_PORT);
    CHECK(cfg_rd(0, PCI_DEVFN(2, 0), exp + PCI_EXP_FLAGS, 2) &
          PCI_EXP_FLAGS_SLOT);
    CHECK((cap & PCI_EXP_SLTCAP_HPC) && (cap & PCI_EXP_SLTCAP_ABP) &&
          (cap & PCI_EXP_SLTCAP_PCP) && !(cap & PCI_EXP_SLTCAP_NCCS));
    CHECK_EQ(cap >> PCI_EXP_SLTCAP_PSN_SHIFT, 1);
    /* INTD: not the line its slot's INTA swizzles onto (line 2). */
    CHECK_EQ(cfg_rd(0, PCI_DEVFN(2, 0), PCI_INTERRUPT_PIN, 1), PCI_INTD);
    CHECK(cfg_rd(0, PCI_DEVFN(2, 0), exp + PCI_EXP_LNKCAP, 4) &
          PCI_EXP_LNKCAP_DLLLARC);
    /* t3 is there, but the slot is off (the port was reset empty and
     * no machine reset followed): presence, no link, and the attention
     * button asks the OS to power the slot on. */
    CHECK(rp_slot(PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_PDS);
    CHECK(rp_slot(PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_ABP);
    CHECK(rp_slot(PCI_EXP_SLTCTL) & PCI_EXP_SLTCTL_PCC);
    CHECK(!(rp_slot(PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_DLLLA));
    /* Clear stale events, then enable them and power on like pciehp:
     * the link comes up. */
    rp_slot_wr(PCI_EXP_SLTSTA, 0x1ff);
    CHECK_EQ(rp_slot(PCI_EXP_SLTSTA) & 0x11f, 0);
    memset(line_level, 0, sizeof(line_level));
    rp_slot_wr(PCI_EXP_SLTCTL, PCI_EXP_SLTCTL_ABPE | PCI_EXP_SLTCTL_PDCE |
               PCI_EXP_SLTCTL_CCIE | PCI_EXP_SLTCTL_HPIE |
               PCI_EXP_SLTCTL_DLLSCE | PCI_EXP_SLTCTL_PWR_IND_ON |
               PCI_EXP_SLTCTL_ATTN_IND_OFF);
    CHECK(rp_slot(PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_DLLLA);
    CHECK(rp_slot(PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_DLLSC);
    /* Command completed, and the port's INTD (slot 2: line 1) says so. */
    CHECK(rp_slot(PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_CC);
    CHECK_EQ(line_level[1], 1);
    rp_slot_wr(PCI_EXP_SLTSTA, PCI_EXP_SLTSTA_CC | PCI_EXP_SLTSTA_DLLSC);
    CHECK_EQ(line_level[1], 0);

    /* Unplug: the attention button, then the guest powers off. */
    bql_lock();
    CHECK(device_unplug_request(device_find_by_id("t3"), &err));
    bql_unlock();
    CHECK(rp_slot(PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_ABP);
    CHECK_EQ(line_level[1], 1);
    rp_slot_wr(PCI_EXP_SLTSTA, PCI_EXP_SLTSTA_ABP);
    CHECK(find("t3"));
    rp_slot_wr(PCI_EXP_SLTCTL, rp_slot(PCI_EXP_SLTCTL) | PCI_EXP_SLTCTL_PCC);
    CHECK(unplugged("t3"));
    CHECK(!(rp_slot(PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_PDS));
    CHECK(rp_slot(PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_PDC);
    CHECK(rp_slot(PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_DLLSC);
    CHECK(!(rp_slot(PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_DLLLA));
    CHECK_EQ(cfg_rd(1, 0, PCI_VENDOR_ID, 4), 0xffffffff);
    rp_slot_wr(PCI_EXP_SLTSTA, 0x1ff);
    CHECK_EQ(line_level[1], 0);

    /* Hot-plug into the slot the guest powered off: presence detect
     * changed and the attention button; the slot stays off, without a
     * link, until the guest powers it on. */
    bql_lock();
    device_set_hotplug_phase(true);
    bql_unlock();
    add("test-pci-dev,id=t5,bus=rp1");
    CHECK(rp_slot(PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_PDS);
    CHECK(rp_slot(PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_PDC);
    CHECK(rp_slot(PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_ABP);
    CHECK(!(rp_slot(PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_DLLSC));
    CHECK(rp_slot(PCI_EXP_SLTCTL) & PCI_EXP_SLTCTL_PCC);
    CHECK(!(rp_slot(PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_DLLLA));
    CHECK_EQ(line_level[1], 1);
    rp_slot_wr(PCI_EXP_SLTSTA, 0x1ff);
    rp_slot_wr(PCI_EXP_SLTCTL, rp_slot(PCI_EXP_SLTCTL) & ~PCI_EXP_SLTCTL_PCC);
    CHECK(rp_slot(PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_DLLLA);
    CHECK(rp_slot(PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_DLLSC);
    CHECK_EQ(cfg_rd(1, 0, PCI_VENDOR_ID, 4), 0x56781234);
    rp_slot_wr(PCI_EXP_SLTSTA, 0x1ff);
    /* Plugged into a powered slot, the link comes up at once. */
    bql_lock();
    CHECK(device_unplug_request(device_find_by_id("t5"), &err));
    bql_unlock();
    rp_slot_wr(PCI_EXP_SLTCTL, rp_slot(PCI_EXP_SLTCTL) | PCI_EXP_SLTCTL_PCC);
    CHECK(unplugged("t5"));
    rp_slot_wr(PCI_EXP_SLTCTL, rp_slot(PCI_EXP_SLTCTL) & ~PCI_EXP_SLTCTL_PCC);
    rp_slot_wr(PCI_EXP_SLTSTA, 0x1ff);
    add("test-pci-dev,id=t5,bus=rp1");
    CHECK(rp_slot(PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_PDC);
    CHECK(rp_slot(PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_DLLSC);
    CHECK(!(rp_slot(PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_ABP));
    CHECK(rp_slot(PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_DLLLA);
    CHECK_EQ(cfg_rd(1, 0, PCI_VENDOR_ID, 4), 0x56781234);
    rp_slot_wr(PCI_EXP_SLTSTA, 0x1ff);
    /* The root complex has no hot-plug controller. */
    bql_lock();
    CHECK(!device_add("test-pci-dev,id=t6,bus=pcie.0", &err));
    CHECK(strstr(error_get_pretty(err), "hot-plugging"));
    error_free(err);
    err = NULL;
    device_set_hotplug_phase(false);
    bql_unlock();
}

static void test_plug_errors(void)
{
    static const char *const bad[] = {
        "test-pci-dev,addr=3",                  /* taken by t1 */
        "test-pci-dev,addr=20",                 /* slot 0x20 */
        "test-pci-dev,addr=3.8",
        "test-pci-dev,addr=x",
        "test-pci-dev,addr=3.1",                /* t1 not multifunction */
        "test-pci-dev,bus=rp1,addr=1",          /* behind a port: slot 0 */
        "pcie-root-port,id=rp9,chassis=1,slot=1",   /* same slot as rp1 */
        "pcie-root-port,id=rp9,bus=rp1,chassis=9",  /* not on the root */
    };
    Error *err = NULL;

    bql_lock();
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        if (device_add(bad[i], &err)) {
            fprintf(stderr, "%s was accepted\n", bad[i]);
            CHECK(0);
        }
        CHECK(err);
        error_free(err);
        err = NULL;
    }
    /* Functions of one slot: 0 with multifunction=on first. */
    CHECK(device_add("test-pci-dev,id=m0,addr=8.0,multifunction=on", &err));
    CHECK(device_add("test-pci-dev,id=m1,addr=8.1", &err));
    bql_unlock();
    CHECK_EQ(cfg_rd(0, PCI_DEVFN(8, 0), PCI_HEADER_TYPE, 1),
             PCI_HEADER_TYPE_MULTI_FUNCTION);
    CHECK_EQ(cfg_rd(0, PCI_DEVFN(8, 1), PCI_VENDOR_ID, 2), 0x1234);
}

static void test_reset(void)
{
    unsigned devfn = PCI_DEVFN(3, 0);
    TestPci *t = TEST_PCI(pci(find("t1")));

    cfg_wr(0, devfn, PCI_BASE_ADDRESS_0, 4, MMIO + 0x1000);
    cfg_wr(0, devfn, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    cfg_wr(0, devfn, t->parent.msix_cap + PCI_MSIX_FLAGS, 2,
           PCI_MSIX_FLAGS_ENABLE);
    pci_set_irq(&t->parent, true);
    CHECK(region_at(MMIO + 0x1000) == &t->bar0);
    bql_lock();
    pci_host_ecam_reset(host);
    bql_unlock();
    CHECK(region_at(MMIO + 0x1000) != &t->bar0);
    CHECK_EQ(cfg_rd(0, devfn, PCI_COMMAND, 2), 0);
    CHECK_EQ(cfg_rd(0, devfn, PCI_BASE_ADDRESS_0, 4), 0);
    CHECK(!msix_enabled(&t->parent));
    CHECK(!(cfg_rd(0, devfn, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT));
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(line_level[i], 0);
    }
    /* Root port: slot populated (t5), so powered; bus numbers gone. */
    CHECK_EQ(cfg_rd(0, PCI_DEVFN(2, 0), PCI_SECONDARY_BUS, 1), 0);
    CHECK(!(rp_slot(PCI_EXP_SLTCTL) & PCI_EXP_SLTCTL_PCC));
    CHECK_EQ(rp_slot(PCI_EXP_SLTSTA) & 0x11f, 0);
}

static const BusInfo test_sysbus_info = { .type = "System" };

static void setup(void)
{
    PCIHostEcamConfig cfg = {
        .sysmem = &sysmem, .dma_root = &sysmem,
        .ecam_base = ECAM, .ecam_size = 0x10000000,
        .mmio_base = MMIO, .mmio_size = 0x40000000,
        .mmio64_base = MMIO64, .mmio64_size = 0x400000000ull,
        .pio_base = PIO, .pio_size = 0x10000,
    };
    Error *err = NULL;

    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    CHECK(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, &err));
    bql_lock();
    device_set_transaction_hooks(memory_region_transaction_begin,
                                 memory_region_transaction_commit);
    memory_region_add_subregion(&sysmem, RAM_BASE, &ram);
    address_space_init(&as, &sysmem, "memory");
    sysbus = bus_new(NULL, &test_sysbus_info, "test-sysbus");
    for (int i = 0; i < 4; i++) {
        irq_init_in(&lines[i], line_handler, NULL, i, NULL);
        cfg.irq[i] = &lines[i];
    }
    host = pci_host_ecam_create(sysbus, &cfg, &err);
    if (!host) {
        fprintf(stderr, "%s\n", error_get_pretty(err));
        CHECK(0);
    }
    bql_unlock();
}

int main(void)
{
    Error *err = NULL;

    /* Exercise the guest-error logging paths (output goes to stderr). */
    log_mask = LOG_GUEST_ERROR;
    weft_rcu_register_thread();
    CHECK(main_loop_init(&err));
    setup();

    RUN(test_config_rules);
    RUN(test_bar_sizing);
    RUN(test_bar_mapping);
    RUN(test_cap_walk);
    RUN(test_bridge);
    RUN(test_intx_swizzle);
    RUN(test_bus_master);
    RUN(test_msix);
    RUN(test_root_port_slot);
    RUN(test_plug_errors);
    RUN(test_reset);
    return 0;
}
