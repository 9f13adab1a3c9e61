/* virtio-blk driven like a guest driver: registers through the address
 * space, rings and buffers in a RAM region, notifies as MMIO writes.
 * Checks the config space and features, every request type, the status
 * byte of every malformed request, read-only drives, the bounce budget
 * with more data in flight than it allows, several queues, reset with
 * requests in flight, and unplug (drain) with requests in flight: a
 * -drive is deleted with its device (its file closed), a -blockdev node
 * stays, is plugged again, and is closed by blockdev_del().
 *
 * Without arguments the queues run in the main loop (polled by the test
 * while it waits); with --iothread they run in iothread "io0".  Both
 * runs also check that no queue handler ran with the BQL.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/drive.h"
#include "hw/core/irq.h"
#include "hw/core/props.h"
#include "hw/virtio/virtio-mmio.h"
#include "memory/memory.h"
#include "system/bql.h"
#include "system/event-loop.h"
#include "test.h"
#include "util/log.h"

#define A MEMTXATTRS_UNSPECIFIED
#define RAM_BASE 0x80000000ull
#define RAM_SIZE (64u << 20)
#define DATA_BASE (RAM_BASE + (16u << 20))   /* 48 MiB of data buffers */
#define SLOT_BASE(i) (0x10001000ull + 0x1000ull * (i))
#define NR_SLOTS 4
#define QSIZE 128
#define DISK_SIZE (32u << 20)
#define DISK_SECTORS (DISK_SIZE / 512)

/* virtio-blk constants (virtio 1.2 §5.2). */
#define F_SIZE_MAX 1
#define F_SEG_MAX 2
#define F_RO 5
#define F_BLK_SIZE 6
#define F_FLUSH 9
#define F_MQ 12
#define F_DISCARD 13
#define F_WRITE_ZEROES 14
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WRITE_ZEROES 13
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2
#define NO_STATUS 0xee          /* what the test puts before a request */

static MemoryRegion sysmem, ram;
static AddressSpace as;
static uint8_t *ram_host;
static Bus *sysbus;
static IrqLine irq_in[NR_SLOTS];
static bool use_iothread;
static unsigned deleted_events;
static char disk_path[2][64];   /* read-write, read-only */
static char stats_path[64];     /* the -d stats log */
static int disk_fd[2];

static void irq_handler(void *opaque, int n, int level)
{
}

/* ---- guest RAM as the "CPU" sees it */

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

/* ---- a minimal virtio-mmio driver with several queues */

#define MAX_Q 4

typedef struct DrvQueue {
    hwaddr desc, avail, used, hdrs;     /* hdrs: headers + status bytes */
    uint16_t avail_idx;
} DrvQueue;

typedef struct Drv {
    unsigned slot;
    hwaddr base;
    uint64_t features;
    unsigned nq;
    DrvQueue q[MAX_Q];
} Drv;

static uint32_t rd(Drv *d, hwaddr off)
{
    return address_space_ldl_le(&as, d->base + off, A, NULL);
}

static void wr(Drv *d, hwaddr off, uint32_t v)
{
    CHECK_EQ(address_space_store(&as, d->base + off, 4, DEVICE_LITTLE_ENDIAN,
                                 A, v), MEMTX_OK);
}

static uint32_t cfg32(Drv *d, unsigned off)
{
    return rd(d, VIRTIO_MMIO_CONFIG + off);
}

static uint64_t offered_features(Drv *d)
{
    uint64_t f;

    wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    f = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
    wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    return f | (uint64_t)rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

static void drv_setup_queue(Drv *d, unsigned i)
{
    DrvQueue *q = &d->q[i];

    q->desc = RAM_BASE + 0x100000ull * (1 + d->slot * MAX_Q + i);
    q->avail = q->desc + 0x1000;
    q->used = q->desc + 0x2000;
    q->hdrs = q->desc + 0x4000;
    q->avail_idx = 0;
    memset(host(q->desc), 0, 0x8000);
    wr(d, VIRTIO_MMIO_QUEUE_SEL, i);
    CHECK(rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX) >= QSIZE);
    wr(d, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
    wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc);
    wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, q->desc >> 32);
    wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)q->avail);
    wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, q->avail >> 32);
    wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)q->used);
    wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, q->used >> 32);
    wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
    CHECK_EQ(rd(d, VIRTIO_MMIO_QUEUE_READY), 1);
}

/* Negotiates everything offered and sets up nq queues. */
static void drv_init(Drv *d, unsigned slot, unsigned nq)
{
    memset(d, 0, sizeof(*d));
    d->slot = slot;
    d->base = SLOT_BASE(slot);
    d->nq = nq;
    CHECK_EQ(rd(d, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
    CHECK_EQ(rd(d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
    wr(d, VIRTIO_MMIO_STATUS, 0);
    wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
                              VIRTIO_CONFIG_S_DRIVER);
    d->features = offered_features(d);
    CHECK(virtio_has_feature(d->features, VIRTIO_F_VERSION_1));
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)d->features);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES, d->features >> 32);
    wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
       VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
    CHECK(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
    for (unsigned i = 0; i < nq; i++) {
        drv_setup_queue(d, i);
    }
    wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
       VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
       VIRTIO_CONFIG_S_DRIVER_OK);
}

static void set_desc(hwaddr table, unsigned i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    uint8_t *p = host(table + 16 * i);

    memcpy(p, &addr, 8);
    memcpy(p + 8, &len, 4);
    memcpy(p + 12, &flags, 2);
    memcpy(p + 14, &next, 2);
}

static void drv_post(DrvQueue *q, uint16_t head)
{
    uint16_t *ring = (uint16_t *)host(q->avail + 4);

    ring[q->avail_idx % QSIZE] = head;
    q->avail_idx++;
    st16(q->avail + 2, q->avail_idx);
}

static void drv_notify(Drv *d, unsigned qi)
{
    wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, qi);
}

static void spin(void)
{
    event_loop_poll(main_loop(), false);
    usleep(100);
}

/* Waits until the used index of queue qi reaches the avail index. */
static bool wait_all_used(Drv *d, unsigned qi)
{
    for (int i = 0; i < 100000; i++) {
        if (ld16(d->q[qi].used + 2) == d->q[qi].avail_idx) {
            return true;
        }
        spin();
    }
    return false;
}

/* ---- requests */

/* Header for slot `n` of queue q (0..QSIZE/3), and its status byte. */
static hwaddr hdr_addr(DrvQueue *q, unsigned n)
{
    return q->hdrs + 32 * n;
}

static hwaddr status_addr(DrvQueue *q, unsigned n)
{
    return hdr_addr(q, n) + 24;
}

static void put_hdr(hwaddr a, uint32_t type, uint64_t sector)
{
    uint8_t *p = host(a);

    memset(p, 0, 16);
    memcpy(p, &type, 4);
    memcpy(p + 8, &sector, 8);
}

/* Builds request n of queue qi (descriptors 3n..3n+2): header, optional
 * data (device-writable if data_in), status; posts it, no notify. */
static void post_req(Drv *d, unsigned qi, unsigned n, uint32_t type,
                     uint64_t sector, hwaddr data, uint32_t len,
                     bool data_in)
{
    DrvQueue *q = &d->q[qi];
    unsigned i = 3 * n;

    CHECK(i + 2 < QSIZE);
    put_hdr(hdr_addr(q, n), type, sector);
    *host(status_addr(q, n)) = NO_STATUS;
    if (len) {
        set_desc(q->desc, i, hdr_addr(q, n), 16, VRING_DESC_F_NEXT, i + 1);
        set_desc(q->desc, i + 1, data, len, VRING_DESC_F_NEXT |
                 (data_in ? VRING_DESC_F_WRITE : 0), i + 2);
    } else {
        set_desc(q->desc, i, hdr_addr(q, n), 16, VRING_DESC_F_NEXT, i + 2);
    }
    set_desc(q->desc, i + 2, status_addr(q, n), 1, VRING_DESC_F_WRITE, 0);
    drv_post(q, i);
}

static uint8_t req_status(Drv *d, unsigned qi, unsigned n)
{
    return *host(status_addr(&d->q[qi], n));
}

/* One request on queue qi, waited for; returns its status byte. */
static uint8_t do_req(Drv *d, unsigned qi, uint32_t type, uint64_t sector,
                      hwaddr data, uint32_t len, bool data_in)
{
    post_req(d, qi, 0, type, sector, data, len, data_in);
    drv_notify(d, qi);
    CHECK(wait_all_used(d, qi));
    return req_status(d, qi, 0);
}

/* ---- the host side of the disk */

static void fill_pattern(uint8_t *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(i * 7 + seed + (i >> 9));
    }
}

static void disk_read(int which, uint64_t off, void *buf, size_t len)
{
    CHECK_EQ(pread(disk_fd[which], buf, len, off), len);
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

/* ---- tests */

static void test_config(void)
{
    Drv d, r;

    drv_init(&d, 0, 2);
    CHECK_EQ(cfg32(&d, 0), DISK_SECTORS);           /* capacity, low */
    CHECK_EQ(cfg32(&d, 4), 0);
    CHECK_EQ(cfg32(&d, 8), 64 * 1024);              /* size_max */
    CHECK_EQ(cfg32(&d, 12), QSIZE - 2);             /* seg_max */
    CHECK_EQ(cfg32(&d, 20), 512);                   /* blk_size */
    CHECK_EQ(address_space_lduw_le(&as, d.base + VIRTIO_MMIO_CONFIG + 34,
                                   A, NULL), 2);    /* num_queues */
    CHECK_EQ(cfg32(&d, 40), 1);                     /* max_discard_seg */
    CHECK(virtio_has_feature(d.features, F_SIZE_MAX));
    CHECK(virtio_has_feature(d.features, F_SEG_MAX));
    CHECK(virtio_has_feature(d.features, F_BLK_SIZE));
    CHECK(virtio_has_feature(d.features, F_FLUSH));
    CHECK(virtio_has_feature(d.features, F_MQ));
    CHECK(virtio_has_feature(d.features, F_DISCARD));
    CHECK(virtio_has_feature(d.features, F_WRITE_ZEROES));
    CHECK(!virtio_has_feature(d.features, F_RO));
    /* A config write is dropped: the capacity reads back unchanged. */
    wr(&d, VIRTIO_MMIO_CONFIG, 5);
    CHECK_EQ(cfg32(&d, 0), DISK_SECTORS);

    drv_init(&r, 1, 1);
    CHECK(virtio_has_feature(r.features, F_RO));
    CHECK(!virtio_has_feature(r.features, F_DISCARD));
    CHECK(!virtio_has_feature(r.features, F_WRITE_ZEROES));
    CHECK_EQ(cfg32(&r, 0), DISK_SECTORS);
}

static void test_read_write(void)
{
    static uint8_t want[256 * 1024], got[256 * 1024];
    hwaddr buf = DATA_BASE;
    Drv d;

    drv_init(&d, 0, 2);
    /* Write 256 KiB at sector 100, check the file, read it back. */
    fill_pattern(host(buf), sizeof(want), 1);
    memcpy(want, host(buf), sizeof(want));
    CHECK_EQ(do_req(&d, 0, T_OUT, 100, buf, sizeof(want), false), S_OK);
    disk_read(0, 100 * 512, got, sizeof(got));
    CHECK(!memcmp(want, got, sizeof(got)));
    memset(host(buf), 0, sizeof(want));
    CHECK_EQ(do_req(&d, 0, T_IN, 100, buf, sizeof(want), true), S_OK);
    CHECK(!memcmp(want, host(buf), sizeof(want)));
    /* The used length covers the device-writable bytes. */
    CHECK_EQ(*(uint32_t *)host(d.q[0].used + 4 +
                               8 * ((d.q[0].avail_idx - 1) % QSIZE) + 4),
             sizeof(want) + 1);

    /* The last sector, on the second queue. */
    fill_pattern(host(buf), 512, 9);
    CHECK_EQ(do_req(&d, 1, T_OUT, DISK_SECTORS - 1, buf, 512, false), S_OK);
    disk_read(0, DISK_SIZE - 512, got, 512);
    CHECK(!memcmp(host(buf), got, 512));

    /* Data spread over three descriptors of odd sizes. */
    put_hdr(hdr_addr(&d.q[0], 0), T_IN, 100);
    *host(status_addr(&d.q[0], 0)) = NO_STATUS;
    memset(host(buf), 0, 4096);
    set_desc(d.q[0].desc, 0, hdr_addr(&d.q[0], 0), 16, VRING_DESC_F_NEXT, 1);
    set_desc(d.q[0].desc, 1, buf, 100,
             VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
    set_desc(d.q[0].desc, 2, buf + 1000, 900,
             VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 3);
    set_desc(d.q[0].desc, 3, buf + 3000, 24,
             VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 4);
    set_desc(d.q[0].desc, 4, status_addr(&d.q[0], 0), 1,
             VRING_DESC_F_WRITE, 0);
    drv_post(&d.q[0], 0);
    drv_notify(&d, 0);
    CHECK(wait_all_used(&d, 0));
    CHECK_EQ(req_status(&d, 0, 0), S_OK);
    CHECK(!memcmp(host(buf), want, 100));
    CHECK(!memcmp(host(buf + 1000), want + 100, 900));
    CHECK(!memcmp(host(buf + 3000), want + 1000, 24));

    /* Zero-length read and write: nothing to do, OK. */
    CHECK_EQ(do_req(&d, 0, T_IN, 0, 0, 0, true), S_OK);
}

static void test_flush_get_id(void)
{
    hwaddr buf = DATA_BASE;
    Drv d;

    drv_init(&d, 0, 1);
    CHECK_EQ(do_req(&d, 0, T_FLUSH, 0, 0, 0, false), S_OK);
    memset(host(buf), 0xff, 20);
    CHECK_EQ(do_req(&d, 0, T_GET_ID, 0, buf, 20, true), S_OK);
    CHECK(!memcmp(host(buf), "disk-serial\0\0\0\0\0\0\0\0\0", 20));
}

/* One discard/write-zeroes segment at a. */
static void put_seg(hwaddr a, uint64_t sector, uint32_t n, uint32_t flags)
{
    memcpy(host(a), &sector, 8);
    memcpy(host(a + 8), &n, 4);
    memcpy(host(a + 12), &flags, 4);
}

static void test_discard_write_zeroes(void)
{
    static uint8_t got[64 * 1024];
    hwaddr seg = DATA_BASE, buf = DATA_BASE + 4096;
    Drv d;

    drv_init(&d, 0, 1);
    fill_pattern(host(buf), sizeof(got), 3);
    CHECK_EQ(do_req(&d, 0, T_OUT, 2048, buf, sizeof(got), false), S_OK);
    CHECK_EQ(do_req(&d, 0, T_OUT, 4096, buf, sizeof(got), false), S_OK);

    put_seg(seg, 2048, sizeof(got) / 512, 0);
    CHECK_EQ(do_req(&d, 0, T_WRITE_ZEROES, 0, seg, 16, false), S_OK);
    disk_read(0, 2048 * 512, got, sizeof(got));
    CHECK(all_zero(got, sizeof(got)));

    put_seg(seg, 4096, 8, 1);   /* unmap is allowed on write zeroes */
    CHECK_EQ(do_req(&d, 0, T_WRITE_ZEROES, 0, seg, 16, false), S_OK);
    disk_read(0, 4096 * 512, got, 4096);
    CHECK(all_zero(got, 4096));

    /* Discard: reads of the range return zeros afterwards (punch hole). */
    put_seg(seg, 4096, sizeof(got) / 512, 0);
    CHECK_EQ(do_req(&d, 0, T_DISCARD, 0, seg, 16, false), S_OK);

    /* §5.2.6.2: unmap on a discard, or unknown flags: UNSUPP. */
    put_seg(seg, 4096, 8, 1);
    CHECK_EQ(do_req(&d, 0, T_DISCARD, 0, seg, 16, false), S_UNSUPP);
    put_seg(seg, 4096, 8, 2);
    CHECK_EQ(do_req(&d, 0, T_WRITE_ZEROES, 0, seg, 16, false), S_UNSUPP);
    /* Out of range, two segments (max is 1), a partial segment. */
    put_seg(seg, DISK_SECTORS - 4, 8, 0);
    CHECK_EQ(do_req(&d, 0, T_WRITE_ZEROES, 0, seg, 16, false), S_IOERR);
    put_seg(seg, 0, 8, 0);
    put_seg(seg + 16, 64, 8, 0);
    CHECK_EQ(do_req(&d, 0, T_DISCARD, 0, seg, 32, false), S_IOERR);
    CHECK_EQ(do_req(&d, 0, T_DISCARD, 0, seg, 8, false), S_IOERR);
}

/* Malformed requests: a status byte, never a crash or a broken device. */
static void test_bad_requests(void)
{
    static uint8_t before[4096], after[4096];
    hwaddr buf = DATA_BASE;
    Drv d;

    drv_init(&d, 0, 1);
    CHECK_EQ(do_req(&d, 0, T_IN, DISK_SECTORS, buf, 512, true), S_IOERR);
    CHECK_EQ(do_req(&d, 0, T_IN, DISK_SECTORS - 1, buf, 1024, true),
             S_IOERR);
    CHECK_EQ(do_req(&d, 0, T_IN, UINT64_MAX - 1, buf, 1024, true), S_IOERR);
    CHECK_EQ(do_req(&d, 0, T_OUT, 1ull << 55, buf, 512, false), S_IOERR);
    /* Not a multiple of 512 bytes. */
    disk_read(0, 0, before, sizeof(before));
    CHECK_EQ(do_req(&d, 0, T_OUT, 0, buf, 700, false), S_IOERR);
    CHECK_EQ(do_req(&d, 0, T_IN, 0, buf, 100, true), S_IOERR);
    disk_read(0, 0, after, sizeof(after));
    CHECK(!memcmp(before, after, sizeof(before)));
    /* Unknown and unsupported types. */
    CHECK_EQ(do_req(&d, 0, 99, 0, 0, 0, false), S_UNSUPP);
    CHECK_EQ(do_req(&d, 0, 10, 0, buf, 8, true), S_UNSUPP); /* lifetime */
    CHECK_EQ(do_req(&d, 0, 14, 0, buf, 16, false), S_UNSUPP); /* erase */
    /* More data than seg_max * size_max. */
    CHECK_EQ(do_req(&d, 0, T_IN, 0, buf, 254u * 65536 + 512, true),
             S_IOERR);

    /* A header of 8 bytes. */
    put_hdr(hdr_addr(&d.q[0], 0), T_IN, 0);
    *host(status_addr(&d.q[0], 0)) = NO_STATUS;
    set_desc(d.q[0].desc, 0, hdr_addr(&d.q[0], 0), 8, VRING_DESC_F_NEXT, 1);
    set_desc(d.q[0].desc, 1, status_addr(&d.q[0], 0), 1,
             VRING_DESC_F_WRITE, 0);
    drv_post(&d.q[0], 0);
    drv_notify(&d, 0);
    CHECK(wait_all_used(&d, 0));
    CHECK_EQ(req_status(&d, 0, 0), S_IOERR);
    CHECK(!(rd(&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));

    /* The device still works. */
    CHECK_EQ(do_req(&d, 0, T_IN, 0, buf, 512, true), S_OK);

    /* No device-writable byte for the status: only NEEDS_RESET can tell
     * the driver. */
    set_desc(d.q[0].desc, 0, hdr_addr(&d.q[0], 0), 16, 0, 0);
    drv_post(&d.q[0], 0);
    drv_notify(&d, 0);
    for (int i = 0; i < 100000 &&
         !(rd(&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET); i++) {
        spin();
    }
    CHECK(rd(&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
    /* A reset recovers. */
    drv_init(&d, 0, 1);
    CHECK_EQ(do_req(&d, 0, T_IN, 0, buf, 512, true), S_OK);
}

/* read-only=on on a raw node over a writable file node: only the
 * device stands between the guest and the file. */
static void test_read_only_node(void)
{
    static uint8_t before[4096], after[4096];
    hwaddr buf = DATA_BASE;
    Drv r;

    drv_init(&r, 3, 1);
    CHECK(virtio_has_feature(r.features, F_RO));
    disk_read(0, 0, before, sizeof(before));
    memset(host(buf), 0xa5, 4096);
    CHECK_EQ(do_req(&r, 0, T_OUT, 0, buf, 4096, false), S_IOERR);
    disk_read(0, 0, after, sizeof(after));
    CHECK(!memcmp(before, after, sizeof(before)));
    CHECK_EQ(do_req(&r, 0, T_IN, 0, buf, 4096, true), S_OK);
    CHECK(!memcmp(before, host(buf), sizeof(before)));
}

static void test_read_only(void)
{
    static uint8_t before[4096], after[4096];
    hwaddr buf = DATA_BASE, seg = DATA_BASE + 0x10000;
    Drv r;

    drv_init(&r, 1, 1);
    disk_read(1, 0, before, sizeof(before));
    memset(host(buf), 0x5a, 4096);
    CHECK_EQ(do_req(&r, 0, T_OUT, 0, buf, 4096, false), S_IOERR);
    put_seg(seg, 0, 8, 0);
    CHECK_EQ(do_req(&r, 0, T_WRITE_ZEROES, 0, seg, 16, false), S_IOERR);
    CHECK_EQ(do_req(&r, 0, T_DISCARD, 0, seg, 16, false), S_IOERR);
    disk_read(1, 0, after, sizeof(after));
    CHECK(!memcmp(before, after, sizeof(before)));
    CHECK_EQ(do_req(&r, 0, T_IN, 0, buf, 4096, true), S_OK);
    CHECK(!memcmp(before, host(buf), sizeof(before)));
    CHECK_EQ(do_req(&r, 0, T_FLUSH, 0, 0, 0, false), S_OK);
}

/* 40 reads of 4 MiB in flight: 160 MiB, more than the 64 MiB bounce
 * budget, so most of them wait their turn; all complete, in any order. */
static void test_budget(void)
{
    const uint32_t len = 4u << 20;
    const unsigned n = 40;
    Drv d;

    drv_init(&d, 0, 1);
    for (unsigned i = 0; i < n; i++) {
        /* All into the same 4 MiB of guest RAM: only the count matters. */
        post_req(&d, 0, i, T_IN, 0, DATA_BASE, len, true);
    }
    drv_notify(&d, 0);
    CHECK(wait_all_used(&d, 0));
    for (unsigned i = 0; i < n; i++) {
        CHECK_EQ(req_status(&d, 0, i), S_OK);
    }
}

/* Reset while requests are in flight: nothing crashes, nothing is
 * written after the reset, and the device works again. */
static void test_reset_inflight(void)
{
    Drv d;

    drv_init(&d, 0, 2);
    for (unsigned i = 0; i < 40; i++) {
        post_req(&d, i % 2, i / 2, T_IN, 0, DATA_BASE, 1u << 20, true);
    }
    drv_notify(&d, 0);
    drv_notify(&d, 1);
    event_loop_poll(main_loop(), false);
    wr(&d, VIRTIO_MMIO_STATUS, 0);
    for (int i = 0; i < 200; i++) {
        spin();
    }
    drv_init(&d, 0, 2);
    CHECK_EQ(do_req(&d, 1, T_IN, 0, DATA_BASE, 4096, true), S_OK);
}

/* ---- device_add, unplug */

static Device *plugged;

static void on_deleted(DeviceNotifier *n, const DeviceDeletedEvent *ev)
{
    atomic_store_release(&deleted_events, deleted_events + 1);
}

static DeviceNotifier deleted_notifier = { .notify = on_deleted };

/* How many of our file descriptors are open on disk `which`. */
static unsigned fds_on_disk(int which)
{
    char want[PATH_MAX], link[PATH_MAX + 32], got[PATH_MAX];
    unsigned n = 0;
    struct dirent *e;
    DIR *dir;

    CHECK(realpath(disk_path[which], want));
    dir = opendir("/proc/self/fd");
    CHECK(dir);
    while ((e = readdir(dir))) {
        ssize_t len;

        snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
        len = readlink(link, got, sizeof(got) - 1);
        if (len > 0) {
            got[len] = '\0';
            n += !strcmp(got, want);
        }
    }
    closedir(dir);
    return n;
}

/* Unplugs `plugged` (which drives may have requests in flight) and
 * waits for DEVICE_DELETED. */
static void unplug_and_wait(void)
{
    Error *err = NULL;

    atomic_store_release(&deleted_events, 0);
    bql_lock();
    device_add_deleted_notifier(&deleted_notifier);
    CHECK(device_unplug_request(plugged, &err));
    bql_unlock();
    for (int i = 0; i < 100000 && !atomic_load_acquire(&deleted_events);
         i++) {
        spin();
        weft_rcu_quiescent_state();
    }
    CHECK_EQ(atomic_load_acquire(&deleted_events), 1);
    bql_lock();
    device_remove_deleted_notifier(&deleted_notifier);
    bql_unlock();
    plugged = NULL;
}

/* After DEVICE_DELETED: of the n requests posted on queue qi, those the
 * device popped before the unplug were completed successfully (so their
 * I/O finished before the backend went away), the others never will be:
 * the used ring counts exactly the successful ones. */
static void check_answered(Drv *d, unsigned qi, unsigned n)
{
    unsigned ok = 0;

    for (unsigned k = 0; k < n; k++) {
        uint8_t st = req_status(d, qi, k);

        CHECK(st == S_OK || st == NO_STATUS);
        ok += st == S_OK;
    }
    CHECK_EQ(ld16(d->q[qi].used + 2), ok);
}

/* blockdev_del() fails with err containing want. */
static void check_del_fails(const char *node, const char *want)
{
    Error *err = NULL;

    CHECK(!blockdev_del(node, &err));
    if (!strstr(error_get_pretty(err), want)) {
        fprintf(stderr, "blockdev_del(%s): %s\n", node,
                error_get_pretty(err));
        CHECK(0);
    }
    error_free(err);
}

static void test_drive_in_use(void)
{
    Error *err = NULL;
    char opts[96];

    snprintf(opts, sizeof(opts), "virtio-blk-device,id=hot,drive=d0%s",
             use_iothread ? ",iothread=io0" : "");
    bql_lock();
    CHECK(!device_add(opts, &err));
    CHECK(strstr(error_get_pretty(err), "already in use"));
    error_free(err);
    err = NULL;
    CHECK(!device_add("virtio-blk-device,drive=nope", &err));
    CHECK(strstr(error_get_pretty(err), "not found"));
    error_free(err);
    err = NULL;
    CHECK(!device_add("virtio-blk-device", &err));
    error_free(err);
    err = NULL;
    CHECK(!device_add("virtio-blk-device,drive=d2,num-queues=0", &err));
    error_free(err);
    err = NULL;
    opts[0] = '\0';
    snprintf(opts, sizeof(opts), "virtio-blk-device,id=hot,drive=d2%s",
             use_iothread ? ",iothread=io0" : "");
    plugged = device_add(opts, &err);
    CHECK(plugged);
    bql_unlock();
}

/* Unplug with requests in flight: they finish first (drain), then the
 * -drive d2 goes with its device and its file is closed. */
static void test_unplug_inflight(void)
{
    unsigned fds = fds_on_disk(0);
    Error *err = NULL;
    char opts[160];
    Drv d;

    drv_init(&d, 2, 1);
    for (unsigned i = 0; i < 40; i++) {
        post_req(&d, 0, i, i % 2 ? T_IN : T_OUT, 8 * i, DATA_BASE,
                 256 * 1024, i % 2);
    }
    drv_notify(&d, 0);
    event_loop_poll(main_loop(), false);
    unplug_and_wait();
    CHECK_EQ(rd(&d, VIRTIO_MMIO_DEVICE_ID), 0);
    check_answered(&d, 0, 40);
    CHECK_EQ(fds_on_disk(0), fds - 1);
    bql_lock();
    CHECK(!drive_find("d2"));
    CHECK(!device_add("virtio-blk-device,id=hot2,drive=d2", &err));
    CHECK(strstr(error_get_pretty(err), "not found"));
    error_free(err);
    err = NULL;
    /* A -blockdev node on the same file takes the id's place. */
    snprintf(opts, sizeof(opts), "driver=file,node-name=f4,filename=%s",
             disk_path[0]);
    CHECK(blockdev_add(opts, &err));
    plugged = device_add("virtio-blk-device,id=hot2,drive=f4,"
                         "queue-size=1024", &err);
    CHECK(plugged);
    check_del_fails("f4", "in use by device");
    bql_unlock();
    CHECK_EQ(fds_on_disk(0), fds);
    drv_init(&d, 2, 1);
    CHECK_EQ(do_req(&d, 0, T_IN, 0, DATA_BASE, 4096, true), S_OK);
    /* seg_max stays at 254 with big queues: requests under 16 MiB. */
    CHECK_EQ(cfg32(&d, 12), 254);
    CHECK_EQ(do_req(&d, 0, T_IN, 0, DATA_BASE, 254u * 65536, true), S_OK);
    CHECK_EQ(do_req(&d, 0, T_IN, 0, DATA_BASE, 254u * 65536 + 512, true),
             S_IOERR);
}

/* A -blockdev node outlives its device, is plugged again, and
 * blockdev_del() closes it; the errors of blockdev_del(). */
static void test_unplug_node(void)
{
    unsigned fds = fds_on_disk(0);
    Error *err = NULL;
    Drv d;

    bql_lock();
    check_del_fails("nope", "Failed to find node with node-name='nope'");
    check_del_fails("d0", "not owned by the monitor");
    check_del_fails("f3", "in use by raw node 'r3'");
    check_del_fails("r3", "in use by device");
    bql_unlock();
    /* In flight at the unplug: the node's file must stay usable. */
    drv_init(&d, 2, 1);
    for (unsigned i = 0; i < 8; i++) {
        post_req(&d, 0, i, T_IN, 8 * i, DATA_BASE + i * 65536, 65536,
                 true);
    }
    drv_notify(&d, 0);
    unplug_and_wait();
    check_answered(&d, 0, 8);
    CHECK_EQ(fds_on_disk(0), fds);
    bql_lock();
    CHECK(drive_find("f4"));
    plugged = device_add("virtio-blk-device,id=hot3,drive=f4", &err);
    CHECK(plugged);
    bql_unlock();
    drv_init(&d, 2, 1);
    CHECK_EQ(do_req(&d, 0, T_IN, 0, DATA_BASE, 4096, true), S_OK);
    unplug_and_wait();
    bql_lock();
    CHECK(blockdev_del("f4", &err));
    CHECK(!drive_find("f4"));
    check_del_fails("f4", "Failed to find node");
    bql_unlock();
    CHECK_EQ(fds_on_disk(0), fds - 1);
}

/* ---- set-up */

static void make_disk(int which, bool read_only)
{
    static uint8_t chunk[64 * 1024];

    snprintf(disk_path[which], sizeof(disk_path[which]),
             "test-virtio-blk-%d-XXXXXX", which);
    disk_fd[which] = mkstemp(disk_path[which]);
    CHECK(disk_fd[which] >= 0);
    for (unsigned off = 0; off < DISK_SIZE; off += sizeof(chunk)) {
        fill_pattern(chunk, sizeof(chunk), off >> 16);
        CHECK_EQ(pwrite(disk_fd[which], chunk, sizeof(chunk), off),
                 sizeof(chunk));
    }
    if (read_only) {
        CHECK_EQ(fchmod(disk_fd[which], 0444), 0);
    }
}

static void add_drive(const char *id, int which, const char *extra)
{
    Error *err = NULL;
    char opts[256];

    snprintf(opts, sizeof(opts), "file=%s,if=none,id=%s%s", disk_path[which],
             id, extra);
    if (!drive_add(opts, &err)) {
        fprintf(stderr, "%s\n", error_get_pretty(err));
        CHECK(0);
    }
}

static const BusInfo test_sysbus_info = { .type = "System" };

static Device *new_blk(const char *drive, const char *queues,
                       const char *serial)
{
    Error *err = NULL;
    Device *dev = device_new("virtio-blk-device", &err);

    CHECK(dev);
    CHECK(device_set_prop_str(dev, "drive", drive, &err));
    CHECK(device_set_prop_str(dev, "num-queues", queues, &err));
    CHECK(device_set_prop_str(dev, "queue-size", "128", &err));
    if (serial) {
        CHECK(device_set_prop_str(dev, "serial", serial, &err));
    }
    if (use_iothread) {
        CHECK(device_set_prop_str(dev, "iothread", "io0", &err));
    }
    return dev;
}

static void create_slots(void)
{
    Error *err = NULL;
    char opts[128];

    bql_lock();
    add_drive("d0", 0, "");
    add_drive("ro", 1, ",readonly=on");
    add_drive("d2", 0, ",aio=threads");
    snprintf(opts, sizeof(opts), "driver=file,node-name=f3,filename=%s",
             disk_path[0]);
    CHECK(blockdev_add(opts, &err));
    CHECK(blockdev_add("driver=raw,node-name=r3,file=f3,read-only=on",
                       &err));
    sysbus = bus_new(NULL, &test_sysbus_info, "test-sysbus");
    for (unsigned i = 0; i < NR_SLOTS; i++) {
        Device *vdev = NULL;

        irq_init_in(&irq_in[i], irq_handler, NULL, i, NULL);
        if (i == 0) {
            vdev = new_blk("d0", "2", "disk-serial");
        } else if (i == 1) {
            vdev = new_blk("ro", "1", NULL);
        } else if (i == 3) {
            vdev = new_blk("r3", "1", NULL);
        }
        if (!virtio_mmio_create(sysbus, &sysmem, &as, SLOT_BASE(i),
                                &irq_in[i], vdev, &err)) {
            fprintf(stderr, "%s\n", error_get_pretty(err));
            CHECK(0);
        }
    }
    device_set_hotplug_phase(true);
    bql_unlock();
}

/* Every queue handler and completion ran without the BQL. */
static void check_stats(void)
{
    char line[512];
    FILE *f;
    bool seen = false;

    fflush(stderr);
    f = fopen(stats_path, "r");
    CHECK(f);
    while (fgets(line, sizeof(line), f)) {
        if (strstr(line, "virtio-blk drive=d0:")) {
            seen = true;
            CHECK(!strstr(line, "handler-calls=0 "));
            CHECK(strstr(line, "handler-calls-bql=0 "));
            CHECK(strstr(line, "completions-bql=0 "));
        }
    }
    fclose(f);
    CHECK(seen);
}

/* Also after a failed CHECK (exit(1)). */
static void remove_files(void)
{
    for (int i = 0; i < 2; i++) {
        if (disk_path[i][0]) {
            unlink(disk_path[i]);
        }
    }
    if (stats_path[0]) {
        unlink(stats_path);
    }
}

int main(int argc, char **argv)
{
    Error *err = NULL;

    use_iothread = argc > 1 && !strcmp(argv[1], "--iothread");
    atexit(remove_files);
    log_mask = LOG_GUEST_ERROR | LOG_STATS;
    snprintf(stats_path, sizeof(stats_path), "test-virtio-blk-%d.stats",
             (int)getpid());
    CHECK(log_set_file(stats_path, &err));
    weft_rcu_register_thread();
    CHECK(main_loop_init(&err));
    if (use_iothread) {
        CHECK(iothread_create("io0", &err));
    }
    make_disk(0, false);
    make_disk(1, true);
    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    CHECK(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, &err));
    ram_host = memory_region_get_ram_ptr(&ram);
    bql_lock();
    device_set_transaction_hooks(memory_region_transaction_begin,
                                 memory_region_transaction_commit);
    memory_region_add_subregion(&sysmem, RAM_BASE, &ram);
    address_space_init(&as, &sysmem, "memory");
    bql_unlock();
    create_slots();

    RUN(test_config);
    RUN(test_read_write);
    RUN(test_flush_get_id);
    RUN(test_discard_write_zeroes);
    RUN(test_bad_requests);
    RUN(test_read_only);
    RUN(test_read_only_node);
    RUN(test_budget);
    RUN(test_reset_inflight);
    RUN(test_drive_in_use);
    RUN(test_unplug_inflight);
    RUN(test_unplug_node);

    drive_exit();
    log_close();
    check_stats();
    return 0;
}
