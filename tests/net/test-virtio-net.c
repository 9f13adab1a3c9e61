/* virtio-net-device on a virtio-mmio slot, driven the way a guest driver
 * does it (registers through the address space, rings and buffers in
 * RAM), with a test backend in place of slirp or tap: it records what
 * the device transmits, and the test hands it frames to receive.  The
 * queues and the backend run in the main loop, which the test thread
 * owns and polls, so the test may call the backend side directly.
 *
 * Cases: config and features, transmit (split header, checksum offload),
 * receive into mergeable buffers (a frame's buffers published at once),
 * back-pressure and resume, one chain per
 * frame without MRG_RXBUF, hostile drivers (NEEDS_RESET or dropped frame,
 * then recovery after a reset), stashed buffers across a reset, unplug
 * with stashed buffers.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/core/irq.h"
#include "hw/core/props.h"
#include "hw/virtio/virtio-mmio.h"
#include "memory/memory.h"
#include "net/net.h"
#include "system/bql.h"
#include "system/event-loop.h"
#include "test.h"
#include "util/log.h"

#define A MEMTXATTRS_UNSPECIFIED
#define RAM_BASE 0x80000000ull
#define RAM_SIZE (8u << 20)
#define SLOT_BASE 0x10001000ull
#define QSIZE 16
#define HDR 12
#define RXQ 0
#define TXQ 1

#define F_CSUM       0
#define F_GUEST_CSUM 1
#define F_MAC        5
#define F_MRG        15
#define F_STATUS     16
#define ALL_NET ((1ull << F_CSUM) | (1ull << F_GUEST_CSUM) | \
                 (1ull << F_MAC) | (1ull << F_MRG) | (1ull << F_STATUS))

static MemoryRegion sysmem, ram;
static AddressSpace as;
static uint8_t *ram_host;
static IrqLine irq_in;
static unsigned deleted_events;
/* Rising edges of the card's line (main loop thread). */
static unsigned irq_raises;
static int irq_level;

static void irq_handler(void *opaque, int n, int level)
{
    if (level && !irq_level) {
        irq_raises++;
    }
    irq_level = level;
}

/* The card reaches guest memory through an identity IOMMU, which lets
 * the test count the device's stores to the receive queue's used index
 * (every device access translates afresh). */
#define RX_USED_IDX (RAM_BASE + 0x100000ull * (RXQ + 1) + 0x2000 + 2)

static MemoryRegion dma_root, iommu;
static AddressSpace dma_as;
static unsigned rx_used_idx_stores;

static IOMMUTLBEntry identity_translate(MemoryRegion *mr, void *opaque,
                                        hwaddr addr, IOMMUAccessFlags access)
{
    if (access == IOMMU_WO && addr == RX_USED_IDX) {
        __atomic_fetch_add(&rx_used_idx_stores, 1, __ATOMIC_RELAXED);
    }
    return (IOMMUTLBEntry) {
        .target_as = &as,
        .iova = addr & ~0xfffull,
        .translated_addr = addr & ~0xfffull,
        .addr_mask = 0xfff,
        .perm = IOMMU_RW,
    };
}

static const IOMMUMemoryRegionOps identity_iommu_ops = {
    .translate = identity_translate,
};

/* ---- the test backend */

#define MAX_SENT 16

typedef struct TestNet {
    NetBackend nb;
    /* Main loop thread (the test thread). */
    bool started;
    unsigned nr_sent, resumes;
    size_t lens[MAX_SENT];
    uint8_t frames[MAX_SENT][2048];
} TestNet;

static TestNet tn;

static void tn_start(NetBackend *nb)
{
    tn.started = true;
}

static void tn_stop(NetBackend *nb)
{
    tn.started = false;
}

static bool tn_send(NetBackend *nb, const uint8_t *frame, size_t len)
{
    CHECK(len <= sizeof(tn.frames[0]));
    if (tn.nr_sent < MAX_SENT) {
        memcpy(tn.frames[tn.nr_sent], frame, len);
        tn.lens[tn.nr_sent++] = len;
    }
    return true;
}

static void tn_rx_resume(NetBackend *nb)
{
    tn.resumes++;
}

static const NetBackendOps tn_ops = {
    .type = "test",
    .rx_csum_valid = true,
    .start = tn_start,
    .stop = tn_stop,
    .send = tn_send,
    .rx_resume = tn_rx_resume,
};

/* ---- guest memory and a two-queue virtio-mmio driver */

static uint8_t *host(hwaddr gpa)
{
    CHECK(gpa >= RAM_BASE && gpa < RAM_BASE + RAM_SIZE);
    return ram_host + (gpa - RAM_BASE);
}

static uint16_t ld16(hwaddr gpa)
{
    return __atomic_load_n((uint16_t *)host(gpa), __ATOMIC_ACQUIRE);
}

static void st16(hwaddr gpa, uint16_t v)
{
    __atomic_store_n((uint16_t *)host(gpa), v, __ATOMIC_SEQ_CST);
}

typedef struct Q {
    hwaddr desc, avail, used, bufs;
    uint16_t avail_idx;
} Q;

typedef struct Drv {
    uint64_t features;
    Q q[2];
} Drv;

static uint32_t rd(hwaddr off)
{
    return address_space_ldl_le(&as, SLOT_BASE + off, A, NULL);
}

static void wr(hwaddr off, uint32_t v)
{
    CHECK_EQ(address_space_store(&as, SLOT_BASE + off, 4,
                                 DEVICE_LITTLE_ENDIAN, A, v), MEMTX_OK);
}

static void setup_queue(Q *q, unsigned index)
{
    q->desc = RAM_BASE + 0x100000ull * (index + 1);
    q->avail = q->desc + 0x1000;
    q->used = q->desc + 0x2000;
    q->bufs = q->desc + 0x10000;
    q->avail_idx = 0;
    memset(host(q->desc), 0, 0x3000);
    wr(VIRTIO_MMIO_QUEUE_SEL, index);
    CHECK(rd(VIRTIO_MMIO_QUEUE_NUM_MAX) >= QSIZE);
    wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
    wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc);
    wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, q->desc >> 32);
    wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)q->avail);
    wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, q->avail >> 32);
    wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)q->used);
    wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, q->used >> 32);
    wr(VIRTIO_MMIO_QUEUE_READY, 1);
    CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 1);
}

static uint64_t offered_features(void)
{
    uint64_t f;

    wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    f = rd(VIRTIO_MMIO_DEVICE_FEATURES);
    wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    return f | (uint64_t)rd(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

/* Resets, negotiates `want` (plus VERSION_1), sets up both queues. */
static void drv_init(Drv *d, uint64_t want)
{
    memset(d, 0, sizeof(*d));
    CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
    wr(VIRTIO_MMIO_STATUS, 0);
    wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
                           VIRTIO_CONFIG_S_DRIVER);
    d->features = offered_features() & (want | 1ull << VIRTIO_F_VERSION_1);
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)d->features);
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, d->features >> 32);
    wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
       VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
    CHECK(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
    setup_queue(&d->q[RXQ], RXQ);
    setup_queue(&d->q[TXQ], TXQ);
    wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
       VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
       VIRTIO_CONFIG_S_DRIVER_OK);
}

static void set_desc(Q *q, unsigned i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    uint8_t *p = host(q->desc + 16 * i);

    memcpy(p, &addr, 8);
    memcpy(p + 8, &len, 4);
    memcpy(p + 12, &flags, 2);
    memcpy(p + 14, &next, 2);
}

static void post(Q *q, uint16_t head)
{
    uint16_t *ring = (uint16_t *)host(q->avail + 4);

    ring[q->avail_idx % QSIZE] = head;
    q->avail_idx++;
    st16(q->avail + 2, q->avail_idx);
}

static void notify(unsigned queue)
{
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, queue);
}

static void spin(void)
{
    event_loop_poll(main_loop(), false);
    usleep(100);
}

static void spin_n(int n)
{
    for (int i = 0; i < n; i++) {
        spin();
    }
}

static bool wait_used(Q *q, uint16_t idx)
{
    for (int i = 0; i < 50000; i++) {
        if (ld16(q->used + 2) == idx) {
            return true;
        }
        spin();
    }
    return false;
}

static void used_elem(Q *q, uint16_t i, uint32_t *id, uint32_t *len)
{
    uint8_t *p = host(q->used + 4 + 8 * (i % QSIZE));

    memcpy(id, p, 4);
    memcpy(len, p + 4, 4);
}

static bool needs_reset(void)
{
    return rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

/* A receive buffer of `len` bytes as chain `head`, at bufs + 0x1000*head. */
static hwaddr post_rx(Drv *d, uint16_t head, uint32_t len)
{
    Q *q = &d->q[RXQ];
    hwaddr buf = q->bufs + 0x1000ull * head;

    memset(host(buf), 0xee, len);
    set_desc(q, head, buf, len, VRING_DESC_F_WRITE, 0);
    post(q, head);
    return buf;
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++) {
        p[i] = (uint8_t)(seed + i * 7);
    }
}

/* Transmits hdr + frame as two descriptors (head, head + 1); waits for
 * the used entry. */
static void tx(Drv *d, uint16_t head, const uint8_t *hdr, uint32_t hdr_len,
               const uint8_t *frame, uint32_t len)
{
    Q *q = &d->q[TXQ];
    hwaddr h = q->bufs + 0x1000ull * head, f = h + 0x800;

    memcpy(host(h), hdr, hdr_len);
    memcpy(host(f), frame, len);
    set_desc(q, head, h, hdr_len, len ? VRING_DESC_F_NEXT : 0, head + 1);
    set_desc(q, head + 1, f, len, 0, 0);
    post(q, head);
    notify(TXQ);
}

/* ---- tests */

static void test_config(void)
{
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    uint64_t f = offered_features();

    CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
    CHECK_EQ(f & ALL_NET, ALL_NET);
    /* Nothing weft does not implement: no GSO, no control queue. */
    CHECK_EQ(f & 0xffffffffull & ~ALL_NET & ~(1ull << 28 | 1ull << 29), 0);
    for (int i = 0; i < 6; i++) {
        CHECK_EQ(address_space_ldub(&as, SLOT_BASE + VIRTIO_MMIO_CONFIG + i,
                                    A, NULL), mac[i]);
    }
    CHECK_EQ(address_space_lduw_le(&as, SLOT_BASE + VIRTIO_MMIO_CONFIG + 6,
                                   A, NULL), 1);  /* LINK_UP */
    CHECK(tn.started);
}

static void test_tx(void)
{
    Drv d;
    uint8_t hdr[HDR] = { 0 }, frame[60];
    uint32_t id, len;

    drv_init(&d, ALL_NET);
    tn.nr_sent = 0;
    fill(frame, sizeof(frame), 1);
    tx(&d, 0, hdr, HDR, frame, sizeof(frame));
    CHECK(wait_used(&d.q[TXQ], 1));
    used_elem(&d.q[TXQ], 0, &id, &len);
    CHECK_EQ(id, 0);
    CHECK_EQ(tn.nr_sent, 1);
    CHECK_EQ(tn.lens[0], sizeof(frame));
    CHECK(!memcmp(tn.frames[0], frame, sizeof(frame)));
    /* Header and frame in one descriptor work too (any layout). */
    memcpy(host(d.q[TXQ].bufs), hdr, HDR);
    memcpy(host(d.q[TXQ].bufs + HDR), frame, sizeof(frame));
    set_desc(&d.q[TXQ], 4, d.q[TXQ].bufs, HDR + sizeof(frame), 0, 0);
    post(&d.q[TXQ], 4);
    notify(TXQ);
    CHECK(wait_used(&d.q[TXQ], 2));
    CHECK_EQ(tn.nr_sent, 2);
    CHECK(!memcmp(tn.frames[1], frame, sizeof(frame)));
}

/* Big-endian 16-bit one's-complement sum, the textbook way. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    }
    if (len & 1) {
        sum += (uint32_t)p[len - 1] << 8;
    }
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return sum;
}

/* CSUM: the driver leaves the UDP checksum to the device. */
static void test_tx_csum(void)
{
    Drv d;
    uint8_t hdr[HDR] = { 0 }, f[14 + 20 + 8 + 33] = { 0 }, pseudo[12];
    uint16_t udp_len = 8 + 33, partial;

    drv_init(&d, ALL_NET);
    tn.nr_sent = 0;
    f[12] = 0x08;                               /* IPv4 */
    f[14] = 0x45;
    f[14 + 9] = 17;                             /* UDP */
    memcpy(f + 14 + 12, (uint8_t[]){ 10, 0, 2, 15 }, 4);
    memcpy(f + 14 + 16, (uint8_t[]){ 10, 0, 2, 2 }, 4);
    f[34] = 0x12, f[35] = 0x34, f[36] = 0x00, f[37] = 53;
    f[38] = udp_len >> 8, f[39] = udp_len & 0xff;
    fill(f + 42, 33, 9);
    memcpy(pseudo, f + 14 + 12, 8);
    pseudo[8] = 0, pseudo[9] = 17, pseudo[10] = udp_len >> 8;
    pseudo[11] = udp_len & 0xff;
    partial = fold(sum16(pseudo, 12, 0));       /* what Linux puts there */
    f[40] = partial >> 8, f[41] = partial & 0xff;
    hdr[0] = 1;                                 /* NEEDS_CSUM */
    hdr[6] = 34;                                /* csum_start */
    hdr[8] = 6;                                 /* csum_offset */
    tx(&d, 0, hdr, HDR, f, sizeof(f));
    CHECK(wait_used(&d.q[TXQ], 1));
    CHECK_EQ(tn.nr_sent, 1);
    CHECK(tn.frames[0][40] || tn.frames[0][41]);
    /* Pseudo-header + UDP with the stored checksum sums to 0xffff. */
    CHECK_EQ(fold(sum16(tn.frames[0] + 34, udp_len, sum16(pseudo, 12, 0))),
             0xffff);
}

/* MRG_RXBUF: a 150-byte frame over three 64-byte buffers. */
static void test_rx_mergeable(void)
{
    Drv d;
    uint8_t frame[150], got[HDR + 150];
    hwaddr b[3];
    uint32_t id, len, lens[3] = { 64, 64, HDR + 150 - 128 };

    drv_init(&d, ALL_NET);
    for (uint16_t i = 0; i < 3; i++) {
        b[i] = post_rx(&d, i, 64);
    }
    notify(RXQ);
    spin_n(10);
    fill(frame, sizeof(frame), 3);
    CHECK(net_backend_deliver(&tn.nb, frame, sizeof(frame)));
    CHECK(wait_used(&d.q[RXQ], 3));
    for (uint16_t i = 0; i < 3; i++) {
        used_elem(&d.q[RXQ], i, &id, &len);
        CHECK_EQ(id, i);
        CHECK_EQ(len, lens[i]);
        memcpy(got + 64 * i, host(b[i]), len);
    }
    CHECK_EQ(got[0], 2);                        /* DATA_VALID */
    CHECK_EQ(got[1], 0);                        /* GSO_NONE */
    CHECK_EQ(got[10] | got[11] << 8, 3);        /* num_buffers */
    CHECK(!memcmp(got + HDR, frame, sizeof(frame)));
    CHECK(!needs_reset());
}

/* Frames over several buffers are published whole: the used index moves
 * once per frame (one store of used->idx, after all its used entries),
 * and one interrupt tells the driver. */
static void test_rx_frame_published_once(void)
{
    Drv d;
    uint8_t frame[2][200], got[HDR + 200];
    uint32_t id, len, lens[4] = { 64, 64, 64, HDR + 200 - 192 };
    unsigned stores, raises;

    drv_init(&d, ALL_NET);
    CHECK_EQ(d.q[RXQ].used + 2, RX_USED_IDX);
    for (uint16_t i = 0; i < 8; i++) {
        post_rx(&d, i, 64);
    }
    notify(RXQ);
    spin_n(10);
    for (unsigned f = 0; f < 2; f++) {
        wr(VIRTIO_MMIO_INTERRUPT_ACK, rd(VIRTIO_MMIO_INTERRUPT_STATUS));
        CHECK_EQ(irq_level, 0);
        stores = __atomic_load_n(&rx_used_idx_stores, __ATOMIC_RELAXED);
        raises = irq_raises;
        fill(frame[f], sizeof(frame[f]), 20 + f);
        CHECK(net_backend_deliver(&tn.nb, frame[f], sizeof(frame[f])));
        CHECK(wait_used(&d.q[RXQ], 4 * (f + 1)));
        spin_n(5);
        CHECK_EQ(__atomic_load_n(&rx_used_idx_stores, __ATOMIC_RELAXED),
                 stores + 1);
        CHECK_EQ(irq_raises, raises + 1);
        for (uint16_t i = 0; i < 4; i++) {
            used_elem(&d.q[RXQ], 4 * f + i, &id, &len);
            CHECK_EQ(id, 4 * f + i);
            CHECK_EQ(len, lens[i]);
            memcpy(got + 64 * i, host(d.q[RXQ].bufs + 0x1000ull * id), len);
        }
        CHECK_EQ(got[10] | got[11] << 8, 4);    /* num_buffers */
        CHECK(!memcmp(got + HDR, frame[f], sizeof(frame[f])));
    }
    CHECK(!needs_reset());
}

/* No buffers: frames wait in order; buffers added later take them. */
static void test_rx_backpressure(void)
{
    Drv d;
    uint8_t f1[100], f2[80];
    hwaddr b;
    uint32_t id, len;
    unsigned resumes = tn.resumes;

    drv_init(&d, ALL_NET);
    fill(f1, sizeof(f1), 5);
    fill(f2, sizeof(f2), 6);
    CHECK(!net_backend_deliver(&tn.nb, f1, sizeof(f1)));
    CHECK(!net_backend_deliver(&tn.nb, f2, sizeof(f2)));
    b = post_rx(&d, 0, 2048);
    notify(RXQ);
    CHECK(wait_used(&d.q[RXQ], 1));
    used_elem(&d.q[RXQ], 0, &id, &len);
    CHECK_EQ(len, HDR + sizeof(f1));
    CHECK(!memcmp(host(b) + HDR, f1, sizeof(f1)));
    CHECK_EQ(tn.resumes, resumes);              /* f2 still waits */
    b = post_rx(&d, 1, 2048);
    notify(RXQ);
    CHECK(wait_used(&d.q[RXQ], 2));
    CHECK(!memcmp(host(b) + HDR, f2, sizeof(f2)));
    CHECK_EQ(tn.resumes, resumes + 1);
    /* With room, delivery is immediate again. */
    b = post_rx(&d, 2, 2048);
    notify(RXQ);
    spin_n(10);
    CHECK(net_backend_deliver(&tn.nb, f1, sizeof(f1)));
    CHECK(wait_used(&d.q[RXQ], 3));
}

/* Without MRG_RXBUF or GUEST_CSUM: one chain per frame, flags 0,
 * num_buffers 1; a chain too small drops that frame and stays. */
static void test_rx_plain(void)
{
    Drv d;
    uint8_t big[150], small[40];
    hwaddr b;
    uint32_t id, len;

    drv_init(&d, (1ull << F_MAC) | (1ull << F_STATUS));
    b = post_rx(&d, 0, 64);
    notify(RXQ);
    spin_n(10);
    fill(big, sizeof(big), 7);
    fill(small, sizeof(small), 8);
    CHECK(net_backend_deliver(&tn.nb, big, sizeof(big)));   /* dropped */
    spin_n(10);
    CHECK_EQ(ld16(d.q[RXQ].used + 2), 0);
    CHECK(net_backend_deliver(&tn.nb, small, sizeof(small)));
    CHECK(wait_used(&d.q[RXQ], 1));
    used_elem(&d.q[RXQ], 0, &id, &len);
    CHECK_EQ(len, HDR + sizeof(small));
    CHECK_EQ(host(b)[0], 0);
    CHECK_EQ(host(b)[10], 1);
    CHECK(!memcmp(host(b) + HDR, small, sizeof(small)));
    CHECK(!needs_reset());
}

/* ---- hostile drivers */

static void h_rx_readable(Drv *d)
{
    uint8_t f[60] = { 0 };

    set_desc(&d->q[RXQ], 0, d->q[RXQ].bufs, 2048, 0, 0);
    post(&d->q[RXQ], 0);
    notify(RXQ);
    spin_n(10);
    net_backend_deliver(&tn.nb, f, sizeof(f));
}

static void h_rx_tiny_mergeable(Drv *d)
{
    uint8_t f[60] = { 0 };

    post_rx(d, 0, 8);
    notify(RXQ);
    spin_n(10);
    net_backend_deliver(&tn.nb, f, sizeof(f));
}

static void h_tx_writable(Drv *d)
{
    set_desc(&d->q[TXQ], 0, d->q[TXQ].bufs, 100, VRING_DESC_F_WRITE, 0);
    post(&d->q[TXQ], 0);
    notify(TXQ);
}

static void h_tx_no_header(Drv *d)
{
    set_desc(&d->q[TXQ], 0, d->q[TXQ].bufs, HDR - 4, 0, 0);
    post(&d->q[TXQ], 0);
    notify(TXQ);
}

/* Breaks the device; it must say NEEDS_RESET and work after a reset. */
static void hostile_case(const char *name, void (*setup)(Drv *d))
{
    Drv d;
    uint8_t hdr[HDR] = { 0 }, frame[60];

    drv_init(&d, ALL_NET);
    setup(&d);
    for (int i = 0; i < 50000 && !needs_reset(); i++) {
        spin();
    }
    if (!needs_reset()) {
        fprintf(stderr, "hostile case %s: no NEEDS_RESET\n", name);
        CHECK(0);
    }
    drv_init(&d, ALL_NET);
    CHECK(!needs_reset());
    /* The frame the broken device could not take waited: it arrives. */
    for (uint16_t i = 0; i < 4; i++) {
        post_rx(&d, i, 2048);
    }
    notify(RXQ);
    for (int i = 0; i < 50000 && tn.nb.queued; i++) {
        spin();
    }
    CHECK_EQ(tn.nb.queued, 0);
    tn.nr_sent = 0;
    fill(frame, sizeof(frame), 4);
    tx(&d, 2, hdr, HDR, frame, sizeof(frame));
    CHECK(wait_used(&d.q[TXQ], 1));
    CHECK_EQ(tn.nr_sent, 1);
}

/* Bad frames, well-formed chains: dropped, the device goes on. */
static void dropped_case(const uint8_t *hdr, const uint8_t *frame,
                         uint32_t len)
{
    Drv d;

    drv_init(&d, ALL_NET);
    tn.nr_sent = 0;
    tx(&d, 0, hdr, HDR, frame, len);
    CHECK(wait_used(&d.q[TXQ], 1));
    spin_n(5);
    CHECK_EQ(tn.nr_sent, 0);
    CHECK(!needs_reset());
}

static void test_hostile(void)
{
    uint8_t hdr[HDR] = { 0 }, frame[60] = { 0 };

    hostile_case("rx readable", h_rx_readable);
    hostile_case("rx tiny mergeable", h_rx_tiny_mergeable);
    hostile_case("tx writable", h_tx_writable);
    hostile_case("tx no header", h_tx_no_header);
    hdr[1] = 1;                                 /* GSO_TCPV4 */
    dropped_case(hdr, frame, sizeof(frame));
    hdr[1] = 0;
    hdr[0] = 1;                                 /* NEEDS_CSUM ... */
    hdr[6] = 59;                                /* ... past the end */
    dropped_case(hdr, frame, sizeof(frame));
    hdr[0] = hdr[6] = 0;
    dropped_case(hdr, frame, 10);               /* no Ethernet header */
}

/* Buffers stashed for a frame, then a reset: the frame goes to the new
 * rings' buffers; the stale ones are not touched. */
static void test_reset_with_stash(void)
{
    Drv d;
    uint8_t frame[150], got[HDR + 150];
    hwaddr old, b[3];
    uint32_t id, len;

    drv_init(&d, ALL_NET);
    old = post_rx(&d, 0, 64);
    notify(RXQ);
    spin_n(10);
    fill(frame, sizeof(frame), 11);
    CHECK(!net_backend_deliver(&tn.nb, frame, sizeof(frame)));
    drv_init(&d, ALL_NET);
    memset(host(old), 0xee, 64);
    for (uint16_t i = 0; i < 3; i++) {
        b[i] = post_rx(&d, i + 4, 64);
    }
    notify(RXQ);
    CHECK(wait_used(&d.q[RXQ], 3));
    for (uint16_t i = 0; i < 3; i++) {
        used_elem(&d.q[RXQ], i, &id, &len);
        CHECK_EQ(id, i + 4);
        memcpy(got + 64 * i, host(b[i]), len);
    }
    CHECK(!memcmp(got + HDR, frame, sizeof(frame)));
    CHECK_EQ(host(old)[0], 0xee);
    CHECK(!needs_reset());
}

static void on_deleted(DeviceNotifier *n, const DeviceDeletedEvent *ev)
{
    deleted_events++;
}

static DeviceNotifier deleted_notifier = { .notify = on_deleted };

/* Unplug with stashed buffers: drain completes, the backend is
 * detached and free for another card. */
static void test_unplug(void)
{
    Drv d;
    Error *err = NULL;
    uint8_t frame[150];

    drv_init(&d, ALL_NET);
    post_rx(&d, 0, 64);
    notify(RXQ);
    spin_n(10);
    fill(frame, sizeof(frame), 12);
    CHECK(!net_backend_deliver(&tn.nb, frame, sizeof(frame)));
    bql_lock();
    device_add_deleted_notifier(&deleted_notifier);
    CHECK(device_unplug_request(device_find_by_id("net0"), &err));
    bql_unlock();
    for (int i = 0; i < 50000 && (!deleted_events ||
                                  atomic_load_acquire(&tn.nb.in_use)); i++) {
        spin();
        weft_rcu_quiescent_state();
    }
    CHECK_EQ(deleted_events, 1);
    CHECK(!atomic_load_acquire(&tn.nb.in_use));
    CHECK(!tn.started);
    CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_ID), 0);
    bql_lock();
    device_remove_deleted_notifier(&deleted_notifier);
    CHECK(device_add("virtio-net-device,id=net1,netdev=tb", &err));
    bql_unlock();
    spin_n(10);
    CHECK(tn.started);
    drv_init(&d, ALL_NET);
    tn.nr_sent = 0;
    tx(&d, 0, (uint8_t[HDR]){ 0 }, HDR, frame, 60);
    CHECK(wait_used(&d.q[TXQ], 1));
    CHECK_EQ(tn.nr_sent, 1);
}

static const BusInfo test_sysbus_info = { .type = "System" };

static void create_device(void)
{
    Error *err = NULL;
    Bus *sysbus;
    Device *vdev;

    bql_lock();
    net_backend_register(&tn.nb, &tn_ops, "tb");
    sysbus = bus_new(NULL, &test_sysbus_info, "test-sysbus");
    irq_init_in(&irq_in, irq_handler, NULL, 0, NULL);
    vdev = device_new("virtio-net-device", &err);
    CHECK(vdev);
    CHECK(device_set_id(vdev, "net0", &err));
    CHECK(device_set_prop_str(vdev, "netdev", "tb", &err));
    if (!virtio_mmio_create(sysbus, &sysmem, &dma_as, SLOT_BASE, &irq_in,
                            vdev, &err)) {
        fprintf(stderr, "%s\n", error_get_pretty(err));
        CHECK(0);
    }
    device_set_hotplug_phase(true);
    bql_unlock();
    spin_n(10);             /* the backend starts in the loop */
}

int main(int argc, char **argv)
{
    Error *err = NULL;

    log_mask = LOG_GUEST_ERROR;     /* exercise the logging paths */
    weft_rcu_register_thread();
    CHECK(main_loop_init(&err));
    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    CHECK(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, &err));
    ram_host = memory_region_get_ram_ptr(&ram);
    bql_lock();
    device_set_transaction_hooks(memory_region_transaction_begin,
                                 memory_region_transaction_commit);
    memory_region_add_subregion(&sysmem, RAM_BASE, &ram);
    address_space_init(&as, &sysmem, "memory");
    memory_region_init_iommu(&iommu, NULL, &identity_iommu_ops, NULL,
                             "identity-iommu", UINT64_MAX);
    memory_region_init(&dma_root, NULL, "dma", UINT64_MAX);
    memory_region_add_subregion(&dma_root, 0, &iommu);
    address_space_init(&dma_as, &dma_root, "dma");
    bql_unlock();
    create_device();

    RUN(test_config);
    RUN(test_tx);
    RUN(test_tx_csum);
    RUN(test_rx_mergeable);
    RUN(test_rx_frame_published_once);
    RUN(test_rx_backpressure);
    RUN(test_rx_plain);
    RUN(test_hostile);
    RUN(test_reset_with_stash);
    RUN(test_unplug);
    return 0;
}
