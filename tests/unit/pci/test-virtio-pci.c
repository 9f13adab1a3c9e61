/* virtio-pci (modern) with virtio-rng, driven the way a guest driver does
 * it: find the virtio capabilities by walking config space through ECAM,
 * program the BARs, negotiate through the common configuration, set up
 * a queue in RAM, notify through the notify capability (an ioeventfd),
 * take INTx through the host's line and acknowledge by reading the ISR;
 * then MSI-X (with virtio-net-pci: one vector per queue), the PCI config
 * access window, resets, bad driver input and hot-plug behind a root
 * port.
 *
 * Without arguments the queues run in the main loop; with --iothread in
 * iothread "io0" (both are threaded: suite 'concurrency' too).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/core/irq.h"
#include "hw/core/props.h"
#include "hw/pci/pci-host-ecam.h"
#include "hw/virtio/virtio-pci.h"
#include "memory/memory.h"
#include "system/bql.h"
#include "system/event-loop.h"
#include "test.h"
#include "util/log.h"

#define A MEMTXATTRS_UNSPECIFIED
#define RAM_BASE 0x80000000ull
#define RAM_SIZE (4u << 20)
#define ECAM 0x30000000ull
#define MMIO 0x40000000ull
#define MMIO64 0x400000000ull
#define QSIZE 16
#define DEVFN PCI_DEVFN(1, 0)   /* rng0: INTA of slot 1 is line 1 */

static MemoryRegion sysmem, ram;
static AddressSpace as;
static uint8_t *ram_host;
static Bus *sysbus;
static PCIHostEcam *host;
static IrqLine lines[4];
static unsigned line_level[4];
static bool use_iothread;

static void line_handler(void *opaque, int n, int level)
{
    atomic_store_release(&line_level[n], (unsigned)level);
}

static uint8_t *host_ptr(hwaddr gpa)
{
    CHECK(gpa >= RAM_BASE && gpa < RAM_BASE + RAM_SIZE);
    return ram_host + (gpa - RAM_BASE);
}

/* ---- config space */

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

/* The first virtio capability of cfg_type, or 0. */
static unsigned find_vcap(unsigned bus, unsigned devfn, unsigned type)
{
    for (unsigned off = cfg_rd(bus, devfn, PCI_CAPABILITY_LIST, 1); off;
         off = cfg_rd(bus, devfn, off + 1, 1)) {
        if (cfg_rd(bus, devfn, off, 1) == PCI_CAP_ID_VNDR &&
            cfg_rd(bus, devfn, off + VIRTIO_PCI_CAP_CFG_TYPE, 1) == type) {
            return off;
        }
    }
    return 0;
}

static unsigned find_cap(unsigned bus, unsigned devfn, unsigned id)
{
    for (unsigned off = cfg_rd(bus, devfn, PCI_CAPABILITY_LIST, 1); off;
         off = cfg_rd(bus, devfn, off + 1, 1)) {
        if (cfg_rd(bus, devfn, off, 1) == id) {
            return off;
        }
    }
    return 0;
}

/* ---- a minimal modern virtio-pci driver */

typedef struct Drv {
    unsigned bus, devfn, line;
    hwaddr bar4, bar1;                  /* where the driver put them */
    hwaddr common, isr, notify;         /* from the capabilities */
    uint32_t notify_mult;
    hwaddr desc, avail, used, bufs;
    uint16_t avail_idx;
} Drv;

static uint32_t crd(Drv *d, unsigned off, unsigned size)
{
    uint64_t v;

    CHECK_EQ(address_space_load(&as, d->common + off, size,
                                DEVICE_LITTLE_ENDIAN, A, &v), MEMTX_OK);
    return v;
}

static void cwr(Drv *d, unsigned off, unsigned size, uint32_t v)
{
    CHECK_EQ(address_space_store(&as, d->common + off, size,
                                 DEVICE_LITTLE_ENDIAN, A, v), MEMTX_OK);
}

static hwaddr vcap_addr(Drv *d, unsigned type)
{
    unsigned cap = find_vcap(d->bus, d->devfn, type);

    CHECK(cap);
    CHECK_EQ(cfg_rd(d->bus, d->devfn, cap + VIRTIO_PCI_CAP_BAR, 1),
             VIRTIO_PCI_MODERN_BAR);
    return d->bar4 + cfg_rd(d->bus, d->devfn, cap + VIRTIO_PCI_CAP_OFFSET, 4);
}

/* Programs the BARs and enables decoding and bus mastering. */
static void drv_map(Drv *d, unsigned bus, unsigned devfn, hwaddr bar4,
                    hwaddr bar1, unsigned line)
{
    memset(d, 0, sizeof(*d));
    d->bus = bus;
    d->devfn = devfn;
    d->line = line;
    d->bar4 = bar4;
    d->bar1 = bar1;
    cfg_wr(bus, devfn, PCI_BASE_ADDRESS_0 + 4 * 4, 4, (uint32_t)bar4);
    cfg_wr(bus, devfn, PCI_BASE_ADDRESS_0 + 4 * 5, 4, bar4 >> 32);
    cfg_wr(bus, devfn, PCI_BASE_ADDRESS_0 + 4 * 1, 4, (uint32_t)bar1);
    cfg_wr(bus, devfn, PCI_COMMAND, 2, PCI_COMMAND_MEMORY |
           PCI_COMMAND_MASTER);
    d->common = vcap_addr(d, VIRTIO_PCI_CAP_COMMON_CFG);
    d->isr = vcap_addr(d, VIRTIO_PCI_CAP_ISR_CFG);
    d->notify = vcap_addr(d, VIRTIO_PCI_CAP_NOTIFY_CFG);
    d->notify_mult = cfg_rd(bus, devfn, find_vcap(bus, devfn,
                            VIRTIO_PCI_CAP_NOTIFY_CFG) +
                            VIRTIO_PCI_NOTIFY_MULTIPLIER, 4);
    d->desc = RAM_BASE + 0x100000ull * (bus * 32 + PCI_SLOT(devfn) + 1) %
              (RAM_SIZE - 0x100000);
    d->avail = d->desc + 0x1000;
    d->used = d->desc + 0x2000;
    d->bufs = d->desc + 0x4000;
}

static void drv_queue(Drv *d)
{
    memset(host_ptr(d->desc), 0, 0x4000);
    d->avail_idx = 0;
    cwr(d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
    CHECK_EQ(crd(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
    CHECK(crd(d, VIRTIO_PCI_COMMON_Q_SIZE, 2) >= QSIZE);
    cwr(d, VIRTIO_PCI_COMMON_Q_SIZE, 2, QSIZE);
    cwr(d, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)d->desc);
    cwr(d, VIRTIO_PCI_COMMON_Q_DESCHI, 4, d->desc >> 32);
    /* The 64-bit fields also take one 8-byte access (split in two). */
    CHECK_EQ(address_space_store(&as, d->common + VIRTIO_PCI_COMMON_Q_AVAILLO,
                                 8, DEVICE_LITTLE_ENDIAN, A, d->avail),
             MEMTX_OK);
    cwr(d, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)d->used);
    cwr(d, VIRTIO_PCI_COMMON_Q_USEDHI, 4, d->used >> 32);
    CHECK_EQ(crd(d, VIRTIO_PCI_COMMON_Q_AVAILLO, 4), (uint32_t)d->avail);
    cwr(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    CHECK_EQ(crd(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
}

static void drv_init(Drv *d)
{
    uint64_t f;

    cwr(d, VIRTIO_PCI_COMMON_STATUS, 1, 0);
    CHECK_EQ(crd(d, VIRTIO_PCI_COMMON_STATUS, 1), 0);
    cwr(d, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE |
        VIRTIO_CONFIG_S_DRIVER);
    cwr(d, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
    f = (uint64_t)crd(d, VIRTIO_PCI_COMMON_DF, 4) << 32;
    CHECK(virtio_has_feature(f, VIRTIO_F_VERSION_1));
    cwr(d, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
    cwr(d, VIRTIO_PCI_COMMON_GF, 4, 1);     /* VERSION_1 only */
    cwr(d, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
    cwr(d, VIRTIO_PCI_COMMON_GF, 4, 0);
    cwr(d, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE |
        VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
    CHECK(crd(d, VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
    drv_queue(d);
    cwr(d, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE |
        VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
        VIRTIO_CONFIG_S_DRIVER_OK);
}

static void spin(void)
{
    event_loop_poll(main_loop(), false);
    usleep(200);
}

static bool wait_line(Drv *d, unsigned level)
{
    for (int i = 0; i < 50000; i++) {
        if (atomic_load_acquire(&line_level[d->line]) == level) {
            return true;
        }
        spin();
    }
    return false;
}

static bool wait_used(Drv *d, uint16_t idx)
{
    for (int i = 0; i < 50000; i++) {
        uint16_t used = __atomic_load_n((uint16_t *)host_ptr(d->used + 2),
                                        __ATOMIC_ACQUIRE);

        if (used == idx) {
            return true;
        }
        spin();
    }
    return false;
}

/* Posts one device-writable buffer of len bytes and notifies. */
static void drv_post(Drv *d, uint32_t len)
{
    uint8_t *desc = host_ptr(d->desc);
    uint64_t addr = d->bufs;
    uint16_t flags = VRING_DESC_F_WRITE, zero = 0;
    uint16_t *ring = (uint16_t *)host_ptr(d->avail + 4);

    memset(host_ptr(d->bufs), 0, len);
    memcpy(desc, &addr, 8);
    memcpy(desc + 8, &len, 4);
    memcpy(desc + 12, &flags, 2);
    memcpy(desc + 14, &zero, 2);
    ring[d->avail_idx % QSIZE] = 0;
    d->avail_idx++;
    __atomic_store_n((uint16_t *)host_ptr(d->avail + 2), d->avail_idx,
                     __ATOMIC_SEQ_CST);
    /* Queue 0's notify address: notify_off 0 times the multiplier. */
    CHECK_EQ(crd(d, VIRTIO_PCI_COMMON_Q_NOFF, 2), 0);
    CHECK_EQ(address_space_store(&as, d->notify, 2, DEVICE_LITTLE_ENDIAN,
                                 A, 0), MEMTX_OK);
}

static bool buf_filled(Drv *d, uint32_t len)
{
    const uint8_t *p = host_ptr(d->bufs);

    for (uint32_t i = 0; i < len; i++) {
        if (p[i]) {
            return true;
        }
    }
    return false;
}

/* One request completed with INTx, acknowledged through the ISR. */
static void drv_request_intx(Drv *d)
{
    uint32_t used_len;

    drv_post(d, 64);
    CHECK(wait_line(d, 1));
    CHECK(wait_used(d, d->avail_idx));
    memcpy(&used_len, host_ptr(d->used + 4 + 8 * ((d->avail_idx - 1) %
                                                   QSIZE) + 4), 4);
    CHECK_EQ(used_len, 64);
    CHECK(buf_filled(d, 64));
    CHECK(cfg_rd(d->bus, d->devfn, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    /* Reading the ISR acknowledges it and drops the line. */
    CHECK_EQ(address_space_ldub(&as, d->isr, A, NULL), VIRTIO_ISR_QUEUE);
    CHECK_EQ(atomic_load_acquire(&line_level[d->line]), 0);
    CHECK_EQ(address_space_ldub(&as, d->isr, A, NULL), 0);
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

/* ---- tests */

static void test_ids_and_caps(void)
{
    unsigned cap;

    CHECK_EQ(cfg_rd(0, DEVFN, PCI_VENDOR_ID, 4), 0x10441af4);
    CHECK_EQ(cfg_rd(0, DEVFN, PCI_REVISION_ID, 1), 1);
    CHECK_EQ(cfg_rd(0, DEVFN, PCI_CLASS_DEVICE, 2), PCI_CLASS_OTHERS);
    CHECK_EQ(cfg_rd(0, DEVFN, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x11001af4);
    CHECK_EQ(cfg_rd(0, DEVFN, PCI_INTERRUPT_PIN, 1), PCI_INTA);
    cap = find_vcap(0, DEVFN, VIRTIO_PCI_CAP_COMMON_CFG);
    CHECK(cap);
    CHECK_EQ(cfg_rd(0, DEVFN, cap + VIRTIO_PCI_CAP_LEN, 1),
             VIRTIO_PCI_CAP_SIZE);
    CHECK_EQ(cfg_rd(0, DEVFN, cap + VIRTIO_PCI_CAP_OFFSET, 4), 0);
    CHECK_EQ(cfg_rd(0, DEVFN, cap + VIRTIO_PCI_CAP_LENGTH, 4),
             VIRTIO_PCI_COMMON_SIZE);
    cap = find_vcap(0, DEVFN, VIRTIO_PCI_CAP_ISR_CFG);
    CHECK_EQ(cfg_rd(0, DEVFN, cap + VIRTIO_PCI_CAP_OFFSET, 4),
             VIRTIO_PCI_ISR_OFFSET);
    cap = find_vcap(0, DEVFN, VIRTIO_PCI_CAP_NOTIFY_CFG);
    CHECK_EQ(cfg_rd(0, DEVFN, cap + VIRTIO_PCI_CAP_LEN, 1),
             VIRTIO_PCI_NOTIFY_CAP_SIZE);
    CHECK_EQ(cfg_rd(0, DEVFN, cap + VIRTIO_PCI_NOTIFY_MULTIPLIER, 4), 4);
    CHECK(find_vcap(0, DEVFN, VIRTIO_PCI_CAP_PCI_CFG));
    /* virtio-rng has no device configuration: no capability for it. */
    CHECK(!find_vcap(0, DEVFN, VIRTIO_PCI_CAP_DEVICE_CFG));
    /* MSI-X: one vector per queue plus config, in BAR 1. */
    cap = find_cap(0, DEVFN, PCI_CAP_ID_MSIX);
    CHECK_EQ(cfg_rd(0, DEVFN, cap + PCI_MSIX_FLAGS, 2), 1);
    CHECK_EQ(cfg_rd(0, DEVFN, cap + PCI_MSIX_TABLE, 4), VIRTIO_PCI_MSIX_BAR);
    CHECK(find_cap(0, DEVFN, PCI_CAP_ID_EXP));
    /* BAR 4: 64-bit prefetchable, 16 KiB; BAR 1: 4 KiB. */
    cfg_wr(0, DEVFN, PCI_BASE_ADDRESS_0 + 16, 4, 0xffffffff);
    CHECK_EQ(cfg_rd(0, DEVFN, PCI_BASE_ADDRESS_0 + 16, 4), 0xffffc00c);
    cfg_wr(0, DEVFN, PCI_BASE_ADDRESS_0 + 4, 4, 0xffffffff);
    CHECK_EQ(cfg_rd(0, DEVFN, PCI_BASE_ADDRESS_0 + 4, 4), 0xfffff000);
    cfg_wr(0, DEVFN, PCI_BASE_ADDRESS_0 + 16, 4, 0);
    cfg_wr(0, DEVFN, PCI_BASE_ADDRESS_0 + 4, 4, 0);
}

static unsigned eventfd_adds;

static void count_eventfd_add(MemoryListener *l, MemoryRegionSection *s,
                              bool match_data, uint64_t data,
                              EventNotifier *e)
{
    if (s->offset_within_address_space == MMIO64 + VIRTIO_PCI_NOTIFY_OFFSET) {
        eventfd_adds++;
    }
}

static void test_driver_intx(void)
{
    MemoryListener l = { .eventfd_add = count_eventfd_add, .name = "t" };
    Drv d;

    drv_map(&d, 0, DEVFN, MMIO64, MMIO, 1);
    /* Queue 0's notify address is an ioeventfd of the memory core. */
    bql_lock();
    memory_listener_register(&l, &as);
    memory_listener_unregister(&l);
    bql_unlock();
    CHECK_EQ(eventfd_adds, 1);
    drv_init(&d);
    CHECK_EQ(crd(&d, VIRTIO_PCI_COMMON_NUMQ, 2), 1);
    for (int i = 0; i < 3; i++) {
        drv_request_intx(&d);
    }
    /* INTx Disable: the completion shows in the ISR, not on the line. */
    cfg_wr(0, DEVFN, PCI_COMMAND, 2, PCI_COMMAND_MEMORY |
           PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
    drv_post(&d, 32);
    CHECK(wait_used(&d, d.avail_idx));
    for (int i = 0; i < 100 && !address_space_ldub(&as, d.isr, A, NULL);
         i++) {
        spin();
    }
    CHECK_EQ(atomic_load_acquire(&line_level[1]), 0);
    cfg_wr(0, DEVFN, PCI_COMMAND, 2, PCI_COMMAND_MEMORY |
           PCI_COMMAND_MASTER);
}

/* Without Bus Master Enable the device reaches no memory: the queue
 * cannot be enabled. */
static void test_bus_master_off(void)
{
    Drv d;

    drv_map(&d, 0, DEVFN, MMIO64, MMIO, 1);
    cfg_wr(0, DEVFN, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    cwr(&d, VIRTIO_PCI_COMMON_STATUS, 1, 0);
    cwr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
    cwr(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2, QSIZE);
    cwr(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)d.desc);
    cwr(&d, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)d.avail);
    cwr(&d, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)d.used);
    cwr(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    CHECK_EQ(crd(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
    cfg_wr(0, DEVFN, PCI_COMMAND, 2, PCI_COMMAND_MEMORY |
           PCI_COMMAND_MASTER);
    cwr(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    CHECK_EQ(crd(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
}

static uint64_t msg_addr;
static uint32_t msg_data;
static unsigned msgs;

static void record_msi(PCIHost *h, PCIDevice *dev, uint64_t addr,
                       uint32_t data)
{
    __atomic_store_n(&msg_addr, addr, __ATOMIC_RELAXED);
    __atomic_store_n(&msg_data, data, __ATOMIC_RELAXED);
    __atomic_fetch_add(&msgs, 1, __ATOMIC_RELEASE);
}

static void test_msix(void)
{
    unsigned cap = find_cap(0, DEVFN, PCI_CAP_ID_MSIX);
    hwaddr table = MMIO;
    unsigned before;
    Drv d;

    pci_host_ecam_root_bus(host)->host->msi_notify = record_msi;
    drv_map(&d, 0, DEVFN, MMIO64, MMIO, 1);
    /* Entry 1 of the table: the queue's message. */
    address_space_stq_le(&as, table + 16, 0xfee00000ull, A, NULL);
    address_space_stl_le(&as, table + 16 + 8, 0x51, A, NULL);
    address_space_stl_le(&as, table + 16 + 12, 0, A, NULL);
    cfg_wr(0, DEVFN, cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    drv_init(&d);
    cwr(&d, VIRTIO_PCI_COMMON_MSIX, 2, 0);
    CHECK_EQ(crd(&d, VIRTIO_PCI_COMMON_MSIX, 2), 0);
    cwr(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2, 5);       /* no such vector */
    CHECK_EQ(crd(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
    cwr(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2, 1);
    CHECK_EQ(crd(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2), 1);
    before = __atomic_load_n(&msgs, __ATOMIC_ACQUIRE);
    drv_post(&d, 48);
    CHECK(wait_used(&d, d.avail_idx));
    for (int i = 0; i < 50000 &&
         __atomic_load_n(&msgs, __ATOMIC_ACQUIRE) == before; i++) {
        spin();
    }
    CHECK_EQ(__atomic_load_n(&msgs, __ATOMIC_ACQUIRE), before + 1);
    CHECK_EQ(msg_addr, 0xfee00000ull);
    CHECK_EQ(msg_data, 0x51);
    CHECK_EQ(atomic_load_acquire(&line_level[1]), 0);
    CHECK(buf_filled(&d, 48));
    /* A masked vector holds its message in the PBA. */
    address_space_stl_le(&as, table + 16 + 12, 1, A, NULL);
    drv_post(&d, 16);
    CHECK(wait_used(&d, d.avail_idx));
    for (int i = 0; i < 50000 &&
         !(address_space_ldl_le(&as, MMIO + VIRTIO_PCI_MSIX_PBA_OFFSET, A,
                                NULL) & 2); i++) {
        spin();
    }
    CHECK_EQ(__atomic_load_n(&msgs, __ATOMIC_ACQUIRE), before + 1);
    address_space_stl_le(&as, table + 16 + 12, 0, A, NULL);
    CHECK_EQ(__atomic_load_n(&msgs, __ATOMIC_ACQUIRE), before + 2);
    /* Status 0 resets the vectors. */
    cwr(&d, VIRTIO_PCI_COMMON_STATUS, 1, 0);
    CHECK_EQ(crd(&d, VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
    CHECK_EQ(crd(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
    cfg_wr(0, DEVFN, cap + PCI_MSIX_FLAGS, 2, 0);
    pci_host_ecam_root_bus(host)->host->msi_notify = NULL;
}

/* ---- one MSI-X vector per queue: virtio-net-pci (two queues) */

#define NET_DEVFN PCI_DEVFN(3, 0)   /* INTA of slot 3 is line 3 */
#define NET_BAR4 (MMIO64 + 0x10000000ull)
#define NET_BAR1 (MMIO + 0x10000000ull)
#define VEC_CONFIG 0
#define VEC_RX 1
#define VEC_TX 2
#define NR_VECS 3
#define VEC_DATA 0x60           /* message data: VEC_DATA + vector */
#define NET_HDR_LEN 12

static unsigned vec_msgs[NR_VECS];

static void count_msi(PCIHost *h, PCIDevice *dev, uint64_t addr,
                      uint32_t data)
{
    CHECK(data >= VEC_DATA && data < VEC_DATA + NR_VECS);
    __atomic_fetch_add(&vec_msgs[data - VEC_DATA], 1, __ATOMIC_RELEASE);
}

static unsigned vec_count(unsigned v)
{
    return __atomic_load_n(&vec_msgs[v], __ATOMIC_ACQUIRE);
}

/* Rings of queue q: 64 KiB apart from the driver's base. */
static hwaddr net_ring(Drv *d, unsigned q)
{
    return d->desc + 0x10000ull * q;
}

static void net_queue(Drv *d, unsigned q, uint16_t vector)
{
    hwaddr base = net_ring(d, q);

    memset(host_ptr(base), 0, 0x3000);
    cwr(d, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
    cwr(d, VIRTIO_PCI_COMMON_Q_SIZE, 2, QSIZE);
    cwr(d, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)base);
    cwr(d, VIRTIO_PCI_COMMON_Q_DESCHI, 4, base >> 32);
    cwr(d, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)(base + 0x1000));
    cwr(d, VIRTIO_PCI_COMMON_Q_AVAILHI, 4, (base + 0x1000) >> 32);
    cwr(d, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)(base + 0x2000));
    cwr(d, VIRTIO_PCI_COMMON_Q_USEDHI, 4, (base + 0x2000) >> 32);
    cwr(d, VIRTIO_PCI_COMMON_Q_MSIX, 2, vector);
    CHECK_EQ(crd(d, VIRTIO_PCI_COMMON_Q_MSIX, 2), vector);
    cwr(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    CHECK_EQ(crd(d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
}

/* VERSION_1 only; config vector VEC_CONFIG, both queues with theirs. */
static void net_init(Drv *d)
{
    cwr(d, VIRTIO_PCI_COMMON_STATUS, 1, 0);
    cwr(d, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE |
        VIRTIO_CONFIG_S_DRIVER);
    cwr(d, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
    cwr(d, VIRTIO_PCI_COMMON_GF, 4, 1);
    cwr(d, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
    cwr(d, VIRTIO_PCI_COMMON_GF, 4, 0);
    cwr(d, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE |
        VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
    CHECK(crd(d, VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
    CHECK_EQ(crd(d, VIRTIO_PCI_COMMON_NUMQ, 2), 2);
    cwr(d, VIRTIO_PCI_COMMON_MSIX, 2, VEC_CONFIG);
    CHECK_EQ(crd(d, VIRTIO_PCI_COMMON_MSIX, 2), VEC_CONFIG);
    net_queue(d, 0, VEC_RX);
    net_queue(d, 1, VEC_TX);
    d->avail_idx = 0;           /* counts queue 1's entries */
    cwr(d, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE |
        VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
        VIRTIO_CONFIG_S_DRIVER_OK);
}

/* Transmits a header and a 60-byte frame in one buffer on queue 1 and
 * notifies; extra_flags VRING_DESC_F_WRITE makes the chain illegal. */
static void net_tx(Drv *d, uint16_t extra_flags)
{
    hwaddr base = net_ring(d, 1), buf = base + 0x4000;
    uint8_t *desc = host_ptr(base);
    uint64_t addr = buf;
    uint32_t len = NET_HDR_LEN + 60;
    uint16_t zero = 0, noff;
    uint16_t *ring = (uint16_t *)host_ptr(base + 0x1000 + 4);

    memset(host_ptr(buf), 0, len);
    host_ptr(buf)[NET_HDR_LEN + 12] = 0x08;         /* IPv4 EtherType */
    memcpy(desc, &addr, 8);
    memcpy(desc + 8, &len, 4);
    memcpy(desc + 12, &extra_flags, 2);
    memcpy(desc + 14, &zero, 2);
    ring[d->avail_idx % QSIZE] = 0;
    d->avail_idx++;
    __atomic_store_n((uint16_t *)host_ptr(base + 0x1000 + 2), d->avail_idx,
                     __ATOMIC_SEQ_CST);
    cwr(d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
    noff = crd(d, VIRTIO_PCI_COMMON_Q_NOFF, 2);
    CHECK_EQ(address_space_store(&as, d->notify + noff * d->notify_mult, 2,
                                 DEVICE_LITTLE_ENDIAN, A, 1), MEMTX_OK);
}

static bool wait_tx_used(Drv *d)
{
    hwaddr idx = net_ring(d, 1) + 0x2000 + 2;

    for (int i = 0; i < 50000; i++) {
        if (__atomic_load_n((uint16_t *)host_ptr(idx), __ATOMIC_ACQUIRE) ==
            d->avail_idx) {
            return true;
        }
        spin();
    }
    return false;
}

static bool wait_vec(unsigned v, unsigned count)
{
    for (int i = 0; i < 50000 && vec_count(v) < count; i++) {
        spin();
    }
    return vec_count(v) == count;
}

/* A completion on queue 1 sends queue 1's vector and no other; a config
 * change sends the config vector and no other; a queue whose vector is
 * NO_VECTOR sends nothing (and leaves no ISR bit or INTx behind). */
static void test_msix_per_queue(void)
{
    unsigned cap;
    Drv d;

    add(use_iothread ? "virtio-net-pci,id=net0,addr=3,iothread=io0"
                     : "virtio-net-pci,id=net0,addr=3");
    cap = find_cap(0, NET_DEVFN, PCI_CAP_ID_MSIX);
    CHECK(cap);
    CHECK_EQ(cfg_rd(0, NET_DEVFN, cap + PCI_MSIX_FLAGS, 2) &
             PCI_MSIX_FLAGS_QSIZE, NR_VECS - 1);
    memset(vec_msgs, 0, sizeof(vec_msgs));
    pci_host_ecam_root_bus(host)->host->msi_notify = count_msi;
    drv_map(&d, 0, NET_DEVFN, NET_BAR4, NET_BAR1, 3);
    for (unsigned v = 0; v < NR_VECS; v++) {
        hwaddr e = d.bar1 + PCI_MSIX_ENTRY_SIZE * v;

        address_space_stq_le(&as, e, 0xfee00000ull, A, NULL);
        address_space_stl_le(&as, e + PCI_MSIX_ENTRY_DATA, VEC_DATA + v, A,
                             NULL);
        address_space_stl_le(&as, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, A,
                             NULL);
    }
    cfg_wr(0, NET_DEVFN, cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    net_init(&d);

    for (unsigned i = 1; i <= 3; i++) {
        net_tx(&d, 0);
        CHECK(wait_tx_used(&d));
        CHECK(wait_vec(VEC_TX, i));
    }
    CHECK_EQ(vec_count(VEC_RX), 0);
    CHECK_EQ(vec_count(VEC_CONFIG), 0);

    /* Queue 1 without a vector: its completion sends nothing.  The queue
     * runs in one thread, so once the next completion (vector back) has
     * sent its message, the first one's would have come before it. */
    cwr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
    cwr(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2, VIRTIO_MSI_NO_VECTOR);
    net_tx(&d, 0);
    CHECK(wait_tx_used(&d));
    cwr(&d, VIRTIO_PCI_COMMON_Q_MSIX, 2, VEC_TX);
    net_tx(&d, 0);
    CHECK(wait_tx_used(&d));
    CHECK(wait_vec(VEC_TX, 4));
    CHECK_EQ(vec_count(VEC_RX), 0);
    CHECK_EQ(vec_count(VEC_CONFIG), 0);
    CHECK_EQ(address_space_ldub(&as, d.isr, A, NULL), 0);
    CHECK_EQ(atomic_load_acquire(&line_level[3]), 0);

    /* A config change (NEEDS_RESET for a writable transmit buffer). */
    net_tx(&d, VRING_DESC_F_WRITE);
    CHECK(wait_vec(VEC_CONFIG, 1));
    CHECK(crd(&d, VIRTIO_PCI_COMMON_STATUS, 1) &
          VIRTIO_CONFIG_S_NEEDS_RESET);
    spin();
    CHECK_EQ(vec_count(VEC_TX), 4);
    CHECK_EQ(vec_count(VEC_RX), 0);
    CHECK_EQ(vec_count(VEC_CONFIG), 1);
    CHECK_EQ(atomic_load_acquire(&line_level[3]), 0);

    cwr(&d, VIRTIO_PCI_COMMON_STATUS, 1, 0);
    cfg_wr(0, NET_DEVFN, cap + PCI_MSIX_FLAGS, 2, 0);
    cfg_wr(0, NET_DEVFN, PCI_COMMAND, 2, 0);
    pci_host_ecam_root_bus(host)->host->msi_notify = NULL;
}

/* VIRTIO_PCI_CAP_PCI_CFG: BAR accesses through config space. */
static void test_cfg_window(void)
{
    unsigned cap = find_vcap(0, DEVFN, VIRTIO_PCI_CAP_PCI_CFG);
    Drv d;

    drv_map(&d, 0, DEVFN, MMIO64, MMIO, 1);
    cfg_wr(0, DEVFN, cap + VIRTIO_PCI_CAP_BAR, 1, VIRTIO_PCI_MODERN_BAR);
    cfg_wr(0, DEVFN, cap + VIRTIO_PCI_CAP_OFFSET, 4,
           VIRTIO_PCI_COMMON_NUMQ);
    cfg_wr(0, DEVFN, cap + VIRTIO_PCI_CAP_LENGTH, 4, 2);
    CHECK_EQ(cfg_rd(0, DEVFN, cap + VIRTIO_PCI_CFG_DATA, 4), 1);
    /* A write through the window: queue_select. */
    cfg_wr(0, DEVFN, cap + VIRTIO_PCI_CAP_OFFSET, 4,
           VIRTIO_PCI_COMMON_Q_SELECT);
    cfg_wr(0, DEVFN, cap + VIRTIO_PCI_CFG_DATA, 4, 7);
    CHECK_EQ(crd(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2), 7);
    cwr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
    /* Nonsense windows are refused (logged), nothing happens. */
    cfg_wr(0, DEVFN, cap + VIRTIO_PCI_CAP_LENGTH, 4, 3);
    cfg_wr(0, DEVFN, cap + VIRTIO_PCI_CFG_DATA, 4, 9);
    cfg_wr(0, DEVFN, cap + VIRTIO_PCI_CAP_BAR, 1, 0);
    cfg_wr(0, DEVFN, cap + VIRTIO_PCI_CAP_LENGTH, 4, 2);
    cfg_wr(0, DEVFN, cap + VIRTIO_PCI_CFG_DATA, 4, 9);
    cfg_wr(0, DEVFN, cap + VIRTIO_PCI_CAP_BAR, 1, VIRTIO_PCI_MODERN_BAR);
    cfg_wr(0, DEVFN, cap + VIRTIO_PCI_CAP_OFFSET, 4, 0xfffffffe);
    cfg_wr(0, DEVFN, cap + VIRTIO_PCI_CFG_DATA, 4, 9);
    CHECK_EQ(crd(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2), 0);
}

/* A driver doing everything wrong gets logged, ignored writes, never a
 * crash. */
static void test_hostile(void)
{
    Drv d;

    drv_map(&d, 0, DEVFN, MMIO64, MMIO, 1);
    drv_init(&d);
    /* Wrong widths, read-only fields, beyond the structure. */
    cwr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 1, 5);
    cwr(&d, VIRTIO_PCI_COMMON_STATUS, 2, 0);
    cwr(&d, VIRTIO_PCI_COMMON_NUMQ, 2, 9);
    cwr(&d, VIRTIO_PCI_COMMON_CFGGENERATION, 1, 9);
    cwr(&d, 0x100, 4, 1);
    CHECK_EQ(crd(&d, 0x100, 4), 0);
    CHECK_EQ(crd(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2), 0);
    CHECK_EQ(crd(&d, VIRTIO_PCI_COMMON_NUMQ, 2), 1);
    CHECK(crd(&d, VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_CONFIG_S_DRIVER_OK);
    /* Queue registers of a queue that does not exist. */
    cwr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 40);
    CHECK_EQ(crd(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
    cwr(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2, 8);
    cwr(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    cwr(&d, VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x1000);
    cwr(&d, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
    /* Changing a live queue, writing 0 to queue_enable, queue_reset
     * without the feature: all refused. */
    cwr(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2, 4);
    CHECK_EQ(crd(&d, VIRTIO_PCI_COMMON_Q_SIZE, 2), QSIZE);
    cwr(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 0);
    cwr(&d, VIRTIO_PCI_COMMON_Q_RESET, 2, 1);
    CHECK_EQ(crd(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
    /* ISR writes, device config that does not exist, stray notifies. */
    address_space_stb(&as, d.isr, 0xff, A, NULL);
    CHECK_EQ(address_space_ldl_le(&as, d.bar4 + VIRTIO_PCI_DEVICE_OFFSET, A,
                                  NULL), 0);
    address_space_stl_le(&as, d.bar4 + VIRTIO_PCI_DEVICE_OFFSET, 1, A, NULL);
    address_space_stw_le(&as, d.notify + 4 * 9, 9, A, NULL);
    address_space_stw_le(&as, d.notify + 1, 0, A, NULL);
    address_space_stq_le(&as, d.notify + 8, 0, A, NULL);
    /* The device still works. */
    drv_request_intx(&d);
}

static void test_reset(void)
{
    Drv d;

    drv_map(&d, 0, DEVFN, MMIO64, MMIO, 1);
    drv_init(&d);
    CHECK(crd(&d, VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_CONFIG_S_DRIVER_OK);
    bql_lock();
    pci_host_ecam_reset(host);
    bql_unlock();
    /* BARs are gone; mapped again, the device reads reset. */
    CHECK_EQ(cfg_rd(0, DEVFN, PCI_COMMAND, 2), 0);
    drv_map(&d, 0, DEVFN, MMIO64, MMIO, 1);
    CHECK_EQ(crd(&d, VIRTIO_PCI_COMMON_STATUS, 1), 0);
    CHECK_EQ(crd(&d, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
    drv_init(&d);
    drv_request_intx(&d);
}

/* Behind a root port, hot-plugged: rng1 at 01:00.0 (root port at slot
 * 2, so INTA comes out on line 2), in the iothread when asked. */
static void test_hotplug_behind_port(void)
{
    Drv d;
    unsigned rp = PCI_DEVFN(2, 0);

    add("pcie-root-port,id=rp1,chassis=1,slot=1,addr=2");
    cfg_wr(0, rp, PCI_PRIMARY_BUS, 4, 0x00010100);
    cfg_wr(0, rp, PCI_MEMORY_BASE, 4, 0x40f04010);     /* 0x40100000.. */
    cfg_wr(0, rp, PCI_PREF_MEMORY_BASE, 4, 0x00f10001);
    cfg_wr(0, rp, PCI_PREF_BASE_UPPER32, 4, MMIO64 >> 32);
    cfg_wr(0, rp, PCI_PREF_LIMIT_UPPER32, 4, MMIO64 >> 32);
    cfg_wr(0, rp, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    bql_lock();
    device_set_hotplug_phase(true);
    bql_unlock();
    add(use_iothread ? "virtio-rng-pci,id=rng1,bus=rp1,iothread=io0"
                     : "virtio-rng-pci,id=rng1,bus=rp1");
    CHECK_EQ(cfg_rd(1, 0, PCI_VENDOR_ID, 4), 0x10441af4);
    drv_map(&d, 1, 0, MMIO64 + 0x100000, MMIO + 0x100000, 2);
    drv_init(&d);
    drv_request_intx(&d);
    drv_request_intx(&d);
    bql_lock();
    device_set_hotplug_phase(false);
    bql_unlock();
}

/* ---- unplug of the function while threads keep accessing it ----
 *
 * Like vCPUs, four registered RCU readers access the function behind
 * the root port (rng1): num_queues in the common configuration (BAR 4,
 * lockless), the MSI-X table (BAR 1, lockless), queue notifies (the
 * ioeventfd) and, one of them, the vendor id through ECAM (a BQL
 * region).  Before each access a reader notes whether isolate had
 * completed (device_is_isolated() on the function, which turns true only
 * after the memory transaction committed); an access that started after
 * that must not reach the function: the BARs must decode to nothing and
 * config space must read all ones.  Meanwhile the main thread unplugs
 * the function through the slot protocol, as pciehp does, and plugs a
 * new one, UNPLUG_ROUNDS times; each time the virtio device inside must
 * be finalized before the function, and nothing may be left over. */

#define UNPLUG_ROUNDS 20
#define UNPLUG_READERS 4

typedef struct UnplugReader {
    pthread_t thread;
    unsigned id;
    Drv drv;                    /* where the current function is */
    unsigned long before, after; /* atomic: accesses that found it, or
                                  * that started after isolate */
} UnplugReader;

static Device *unplug_target;           /* atomic; we hold a reference */
static unsigned unplug_stop;            /* atomic */
static unsigned long unplug_violations; /* atomic */

static void *unplug_reader(void *arg)
{
    UnplugReader *r = arg;
    Drv *d = &r->drv;
    unsigned n = 0;

    weft_rcu_register_thread();
    while (!atomic_load_acquire(&unplug_stop)) {
        bool isolated = device_is_isolated(unplug_target);
        uint64_t v = 0;
        MemTxResult res;
        bool reached;

        switch (n++ % 4) {
        case 0:
            res = address_space_load(&as, d->common + VIRTIO_PCI_COMMON_NUMQ,
                                     2, DEVICE_LITTLE_ENDIAN, A, &v);
            reached = res == MEMTX_OK && v == 1;
            break;
        case 1:                 /* vector control of entry 0: masked */
            res = address_space_load(&as, d->bar1 + 12, 4,
                                     DEVICE_LITTLE_ENDIAN, A, &v);
            reached = res == MEMTX_OK;
            break;
        case 2:
            res = address_space_store(&as, d->notify, 2,
                                      DEVICE_LITTLE_ENDIAN, A, 0);
            reached = res == MEMTX_OK;
            break;
        default:
            if (r->id) {
                continue;
            }
            v = cfg_rd(d->bus, d->devfn, PCI_VENDOR_ID, 4);
            reached = v != 0xffffffff;
            break;
        }
        if (isolated) {
            atomic_fetch_inc(&r->after);
            if (reached) {
                atomic_fetch_inc(&unplug_violations);
            }
        } else if (reached) {
            atomic_fetch_inc(&r->before);
        }
        if (weft_rcu_quiescent_state_wanted()) {
            weft_rcu_quiescent_state();
        }
    }
    weft_rcu_unregister_thread();
    return NULL;
}

static unsigned long deleted_child, deleted_fn;  /* order of the events */
static unsigned long deleted_seq;

static void note_deleted(DeviceNotifier *n, const DeviceDeletedEvent *ev)
{
    if (ev->id && !strcmp(ev->id, "rng1")) {
        deleted_fn = ++deleted_seq;
    } else if (!ev->id) {
        deleted_child = ++deleted_seq;
    }
}

static DeviceNotifier deleted_notifier = { .notify = note_deleted };

/* Slot Control of rp1 (00:02.0), as pciehp writes it. */
static void rp_power(bool on)
{
    unsigned exp = find_cap(0, PCI_DEVFN(2, 0), PCI_CAP_ID_EXP);
    uint16_t ctl = cfg_rd(0, PCI_DEVFN(2, 0), exp + PCI_EXP_SLTCTL, 2);

    ctl = on ? ctl & ~PCI_EXP_SLTCTL_PCC : ctl | PCI_EXP_SLTCTL_PCC;
    cfg_wr(0, PCI_DEVFN(2, 0), exp + PCI_EXP_SLTCTL, 2, ctl);
    /* Events are the guest's to clear. */
    cfg_wr(0, PCI_DEVFN(2, 0), exp + PCI_EXP_SLTSTA, 2, 0x1ff);
}

static void unplug_one_round(unsigned round)
{
    UnplugReader r[UNPLUG_READERS];
    unsigned long live;
    Error *err = NULL;
    Device *fn;
    Drv d;

    drv_map(&d, 1, 0, MMIO64 + 0x100000, MMIO + 0x100000, 2);
    drv_init(&d);
    drv_request_intx(&d);
    bql_lock();
    fn = device_find_by_id("rng1");
    CHECK(fn);
    atomic_store_release(&unplug_target, device_ref(fn));
    bql_unlock();
    live = object_count_live();
    deleted_child = deleted_fn = 0;
    atomic_store_release(&unplug_stop, 0);
    for (unsigned i = 0; i < UNPLUG_READERS; i++) {
        r[i] = (UnplugReader) { .id = i, .drv = d };
        CHECK(!pthread_create(&r[i].thread, NULL, unplug_reader, &r[i]));
    }
    /* Every reader reaches the function before the unplug starts. */
    for (unsigned i = 0; i < UNPLUG_READERS; i++) {
        for (int n = 0; !atomic_read(&r[i].before); n++) {
            CHECK(n < 20000);
            usleep(500);
        }
    }

    /* device_del: the button; the guest powers the slot off. */
    bql_lock();
    CHECK(device_unplug_request(fn, &err));
    CHECK(device_unplug_pending(fn));
    bql_unlock();
    usleep(1000);
    rp_power(false);
    /* Off its bus; the virtio device is finalized, the function waits
     * for our reference. */
    for (int i = 0; i < 20000 && (device_state(fn) != DEVICE_UNPLUGGED ||
                                  !deleted_child); i++) {
        spin();
    }
    CHECK(device_state(fn) == DEVICE_UNPLUGGED && deleted_child);
    /* ...and keeps trying the empty slot for a while. */
    for (unsigned i = 0; i < UNPLUG_READERS; i++) {
        for (int n = 0; atomic_read(&r[i].after) < 100; n++) {
            CHECK(n < 20000);
            usleep(500);
        }
    }
    atomic_store_release(&unplug_stop, 1);
    for (unsigned i = 0; i < UNPLUG_READERS; i++) {
        pthread_join(r[i].thread, NULL);
    }
    CHECK_EQ(atomic_read(&unplug_violations), 0);
    CHECK(!deleted_fn);
    atomic_store_release(&unplug_target, NULL);
    device_unref(fn);           /* ours: the last one */
    for (int i = 0; i < 20000 && !deleted_fn; i++) {
        spin();
    }
    /* The virtio device went first, then the function, and nothing
     * else is left of them. */
    CHECK(deleted_fn && deleted_child < deleted_fn);
    CHECK_EQ(object_count_live(), live - 2);

    /* The next one: the slot is off, the guest powers it on. */
    if (round + 1 < UNPLUG_ROUNDS) {
        bql_lock();
        device_set_hotplug_phase(true);
        bql_unlock();
        add(use_iothread ? "virtio-rng-pci,id=rng1,bus=rp1,iothread=io0"
                         : "virtio-rng-pci,id=rng1,bus=rp1");
        bql_lock();
        device_set_hotplug_phase(false);
        bql_unlock();
        rp_power(true);
    }
}

static void test_unplug_under_load(void)
{
    uint32_t saved_mask = log_mask;

    /* Every access to the empty slot would log a line. */
    log_mask = 0;
    bql_lock();
    device_add_deleted_notifier(&deleted_notifier);
    bql_unlock();
    /* rng1 is behind rp1 from test_hotplug_behind_port, which never
     * powered the slot on (config cycles reach it anyway): do it now, or
     * the unplug request would complete at once. */
    rp_power(true);
    for (unsigned round = 0; round < UNPLUG_ROUNDS; round++) {
        unplug_one_round(round);
    }
    CHECK_EQ(cfg_rd(1, 0, PCI_VENDOR_ID, 4), 0xffffffff);
    bql_lock();
    device_remove_deleted_notifier(&deleted_notifier);
    bql_unlock();
    log_mask = saved_mask;
}

static const BusInfo test_sysbus_info = { .type = "System" };

static void setup(void)
{
    PCIHostEcamConfig cfg = {
        .sysmem = &sysmem, .dma_root = &sysmem,
        .ecam_base = ECAM, .ecam_size = 0x10000000,
        .mmio_base = MMIO, .mmio_size = 0x40000000,
        .mmio64_base = MMIO64, .mmio64_size = 0x400000000ull,
        .pio_base = 0x3000000, .pio_size = 0x10000,
    };
    Error *err = NULL;

    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    CHECK(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, &err));
    ram_host = memory_region_get_ram_ptr(&ram);
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
    CHECK(host);
    bql_unlock();
    add(use_iothread ? "virtio-rng-pci,id=rng0,addr=1,iothread=io0"
                     : "virtio-rng-pci,id=rng0,addr=1");
}

int main(int argc, char **argv)
{
    Error *err = NULL;

    use_iothread = argc > 1 && !strcmp(argv[1], "--iothread");
    /* Exercise the guest-error logging paths (output goes to stderr). */
    log_mask = LOG_GUEST_ERROR;
    weft_rcu_register_thread();
    CHECK(main_loop_init(&err));
    if (use_iothread) {
        CHECK(iothread_create("io0", &err));
    }
    setup();

    RUN(test_ids_and_caps);
    RUN(test_driver_intx);
    RUN(test_bus_master_off);
    RUN(test_msix);
    RUN(test_msix_per_queue);
    RUN(test_cfg_window);
    RUN(test_hostile);
    RUN(test_reset);
    RUN(test_hotplug_behind_port);
    RUN(test_unplug_under_load);
    return 0;
}
