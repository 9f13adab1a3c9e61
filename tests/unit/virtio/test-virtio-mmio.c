/* virtio core + virtio-mmio + virtio-rng, driven the way a guest driver
 * does it: registers through the address space, rings and buffers in a
 * RAM region, notifies as MMIO writes (which the transport's ioeventfds
 * turn into event-notifier signals), interrupts on a test IRQ sink.
 *
 * Without arguments the queues run in the main loop, which the test
 * polls while it waits; with --iothread they run in iothread "io0".
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/core/irq.h"
#include "hw/core/props.h"
#include "hw/virtio/virtio-mmio.h"
#include "memory/memory.h"
#include "system/bql.h"
#include "system/event-loop.h"
#include "test.h"
#include "util/host-mem.h"
#include "util/log.h"

#define A MEMTXATTRS_UNSPECIFIED
#define RAM_BASE 0x80000000ull
#define RAM_SIZE (8u << 20)
#define SLOT_BASE(i) (0x10001000ull + 0x1000ull * (i))
#define NR_SLOTS 3
#define QSIZE 16

static MemoryRegion sysmem, ram;
static AddressSpace as;
static uint8_t *ram_host;
static Bus *sysbus;
static IrqLine irq_in[NR_SLOTS];
static unsigned irq_level[NR_SLOTS], irq_raises[NR_SLOTS];
static bool use_iothread;
static unsigned deleted_events;

/* ---- the interrupt controller of the test: level and rising edges */

static void irq_handler(void *opaque, int n, int level)
{
    if (level && !atomic_load_acquire(&irq_level[n])) {
        __atomic_fetch_add(&irq_raises[n], 1, __ATOMIC_RELEASE);
    }
    atomic_store_release(&irq_level[n], (unsigned)level);
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

/* ---- a minimal virtio-mmio driver */

typedef struct Drv {
    unsigned slot;
    hwaddr base;
    hwaddr desc, avail, used, bufs, tables;
    uint64_t features;
    uint16_t avail_idx;
    uint16_t used_seen;
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

static void drv_setup_queue(Drv *d)
{
    memset(host(d->desc), 0, 0x3000);
    d->avail_idx = d->used_seen = 0;
    wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
    CHECK(rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX) >= QSIZE);
    CHECK_EQ(rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
    wr(d, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
    wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d->desc);
    wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, d->desc >> 32);
    wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)d->avail);
    wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, d->avail >> 32);
    wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)d->used);
    wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, d->used >> 32);
    wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
    CHECK_EQ(rd(d, VIRTIO_MMIO_QUEUE_READY), 1);
}

/* Negotiates `want` (VERSION_1 is added) and sets up queue 0. */
static void drv_init(Drv *d, unsigned slot, uint64_t want)
{
    uint64_t offered;

    memset(d, 0, sizeof(*d));
    d->slot = slot;
    d->base = SLOT_BASE(slot);
    d->desc = RAM_BASE + 0x100000ull * (slot + 1);
    d->avail = d->desc + 0x1000;
    d->used = d->desc + 0x2000;
    d->tables = d->desc + 0x8000;
    d->bufs = d->desc + 0x10000;
    CHECK_EQ(rd(d, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
    CHECK_EQ(rd(d, VIRTIO_MMIO_VERSION), 2);
    CHECK_EQ(rd(d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
    wr(d, VIRTIO_MMIO_STATUS, 0);
    CHECK_EQ(rd(d, VIRTIO_MMIO_STATUS), 0);
    wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
                              VIRTIO_CONFIG_S_DRIVER);
    wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    offered = rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
    wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    offered |= (uint64_t)rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    CHECK(virtio_has_feature(offered, VIRTIO_F_VERSION_1));
    d->features = offered & (want | (1ull << VIRTIO_F_VERSION_1));
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)d->features);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES, d->features >> 32);
    wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
       VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
    CHECK(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
    drv_setup_queue(d);
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

/* Makes the chain at head available (without notifying). */
static void drv_post(Drv *d, uint16_t head)
{
    uint16_t *ring = (uint16_t *)host(d->avail + 4);

    ring[d->avail_idx % QSIZE] = head;
    d->avail_idx++;
    st16(d->avail + 2, d->avail_idx);
}

static void drv_notify(Drv *d)
{
    wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

/* Lets the main loop run (queue handlers, completions, finalize). */
static void spin(void)
{
    event_loop_poll(main_loop(), false);
    usleep(200);
}

/* Waits until the used index reaches `idx`; true if it did in 10 s. */
static bool wait_used(Drv *d, uint16_t idx)
{
    for (int i = 0; i < 50000; i++) {
        if (ld16(d->used + 2) == idx) {
            return true;
        }
        spin();
    }
    return false;
}

static bool wait_irq(unsigned slot)
{
    for (int i = 0; i < 50000; i++) {
        if (atomic_load_acquire(&irq_level[slot])) {
            return true;
        }
        spin();
    }
    return false;
}

static void used_elem(Drv *d, uint16_t i, uint32_t *id, uint32_t *len)
{
    uint8_t *p = host(d->used + 4 + 8 * (i % QSIZE));

    memcpy(id, p, 4);
    memcpy(len, p + 4, 4);
}

static void ack_irq(Drv *d)
{
    uint32_t isr = rd(d, VIRTIO_MMIO_INTERRUPT_STATUS);

    wr(d, VIRTIO_MMIO_INTERRUPT_ACK, isr);
    CHECK_EQ(rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    CHECK_EQ(atomic_load_acquire(&irq_level[d->slot]), 0);
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

/* One request of `len` bytes in a single writable buffer, checked. */
static void drv_request_ok(Drv *d, uint32_t len)
{
    uint32_t id, got;

    memset(host(d->bufs), 0, len);
    set_desc(d->desc, 0, d->bufs, len, VRING_DESC_F_WRITE, 0);
    drv_post(d, 0);
    drv_notify(d);
    CHECK(wait_irq(d->slot));
    CHECK(rd(d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_ISR_QUEUE);
    CHECK_EQ(ld16(d->used + 2), d->avail_idx);
    used_elem(d, d->avail_idx - 1, &id, &got);
    CHECK_EQ(id, 0);
    CHECK_EQ(got, len);
    CHECK(!all_zero(host(d->bufs), len));
    ack_irq(d);
}

/* ---- tests */

static unsigned eventfd_adds;

static void count_eventfd_add(MemoryListener *l, MemoryRegionSection *s,
                              bool match_data, uint64_t data,
                              EventNotifier *e)
{
    if (s->offset_within_address_space == SLOT_BASE(0) +
        VIRTIO_MMIO_QUEUE_NOTIFY && match_data && data == 0) {
        eventfd_adds++;
    }
}

/* The notify register is an ioeventfd with the memory core. */
static void test_notify_is_ioeventfd(void)
{
    MemoryListener l = { .eventfd_add = count_eventfd_add, .name = "t" };

    bql_lock();
    memory_listener_register(&l, &as);
    memory_listener_unregister(&l);
    bql_unlock();
    CHECK_EQ(eventfd_adds, 1);
}

static void test_rng_basic(void)
{
    Drv d;
    uint32_t id, len;
    uint8_t before[64];

    drv_init(&d, 0, 0);
    drv_request_ok(&d, 64);
    memcpy(before, host(d.bufs), 64);
    drv_request_ok(&d, 64);
    CHECK(memcmp(before, host(d.bufs), 64));

    /* A chain of three writable buffers is filled across all of them. */
    memset(host(d.bufs), 0, 0x1000);
    set_desc(d.desc, 3, d.bufs, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
             7);
    set_desc(d.desc, 7, d.bufs + 0x100, 8,
             VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
    set_desc(d.desc, 1, d.bufs + 0x200, 40, VRING_DESC_F_WRITE, 0);
    drv_post(&d, 3);
    drv_notify(&d);
    CHECK(wait_irq(0));
    used_elem(&d, d.avail_idx - 1, &id, &len);
    CHECK_EQ(id, 3);
    CHECK_EQ(len, 64);
    CHECK(!all_zero(host(d.bufs), 16));
    CHECK(!all_zero(host(d.bufs + 0x100), 8));
    CHECK(!all_zero(host(d.bufs + 0x200), 40));
    CHECK(all_zero(host(d.bufs + 16), 0x100 - 16));
    ack_irq(&d);

    /* Many requests at once, all completed. */
    for (unsigned i = 0; i < QSIZE; i++) {
        set_desc(d.desc, i, d.bufs + 0x100 * i, 32, VRING_DESC_F_WRITE, 0);
        drv_post(&d, i);
    }
    drv_notify(&d);
    CHECK(wait_used(&d, d.avail_idx));
    CHECK(wait_irq(0));
    ack_irq(&d);
}

static void test_event_idx(void)
{
    Drv d;
    unsigned raises;

    drv_init(&d, 0, 1ull << VIRTIO_RING_F_EVENT_IDX);
    CHECK(virtio_has_feature(d.features, VIRTIO_RING_F_EVENT_IDX));
    /* used_event = 2: interrupt only when the used index passes 2. */
    st16(d.avail + 4 + 2 * QSIZE, 2);
    raises = atomic_load_acquire(&irq_raises[0]);
    set_desc(d.desc, 0, d.bufs, 8, VRING_DESC_F_WRITE, 0);
    drv_post(&d, 0);
    drv_notify(&d);
    CHECK(wait_used(&d, 1));
    set_desc(d.desc, 1, d.bufs + 8, 8, VRING_DESC_F_WRITE, 0);
    drv_post(&d, 1);
    drv_notify(&d);
    CHECK(wait_used(&d, 2));
    for (int i = 0; i < 100; i++) {
        spin();
    }
    CHECK_EQ(atomic_load_acquire(&irq_raises[0]), raises);
    /* The device published how far it read (avail_event). */
    CHECK_EQ(ld16(d.used + 4 + 8 * QSIZE), 2);
    set_desc(d.desc, 2, d.bufs + 16, 8, VRING_DESC_F_WRITE, 0);
    drv_post(&d, 2);
    drv_notify(&d);
    CHECK(wait_irq(0));
    CHECK_EQ(ld16(d.used + 2), 3);
    ack_irq(&d);

    /* Without EVENT_IDX, VRING_AVAIL_F_NO_INTERRUPT suppresses. */
    drv_init(&d, 0, 0);
    st16(d.avail, VRING_AVAIL_F_NO_INTERRUPT);
    raises = atomic_load_acquire(&irq_raises[0]);
    set_desc(d.desc, 0, d.bufs, 8, VRING_DESC_F_WRITE, 0);
    drv_post(&d, 0);
    drv_notify(&d);
    CHECK(wait_used(&d, 1));
    for (int i = 0; i < 100; i++) {
        spin();
    }
    CHECK_EQ(atomic_load_acquire(&irq_raises[0]), raises);
    st16(d.avail, 0);
    drv_request_ok(&d, 8);
}

static void test_indirect(void)
{
    Drv d;
    uint32_t id, len;

    drv_init(&d, 0, 1ull << VIRTIO_RING_F_INDIRECT_DESC);
    CHECK(virtio_has_feature(d.features, VIRTIO_RING_F_INDIRECT_DESC));
    memset(host(d.bufs), 0, 0x400);
    set_desc(d.tables, 0, d.bufs, 100, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
             2);
    set_desc(d.tables, 2, d.bufs + 0x200, 28,
             VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
    set_desc(d.tables, 1, d.bufs + 0x300, 4, VRING_DESC_F_WRITE, 0);
    set_desc(d.desc, 5, d.tables, 3 * 16, VRING_DESC_F_INDIRECT, 0);
    drv_post(&d, 5);
    drv_notify(&d);
    CHECK(wait_irq(0));
    used_elem(&d, 0, &id, &len);
    CHECK_EQ(id, 5);
    CHECK_EQ(len, 132);
    CHECK(!all_zero(host(d.bufs), 100));
    CHECK(!all_zero(host(d.bufs + 0x200), 28));
    CHECK(!all_zero(host(d.bufs + 0x300), 4));
    ack_irq(&d);
}

/* ---- hostile guests: slot 1 misbehaves, slot 0 must keep working */

typedef void HostileSetup(Drv *d);

static void h_loop(Drv *d)
{
    set_desc(d->desc, 0, d->bufs, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
             1);
    set_desc(d->desc, 1, d->bufs, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
             0);
    drv_post(d, 0);
}

static void h_next_out_of_range(Drv *d)
{
    set_desc(d->desc, 0, d->bufs, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
             999);
    drv_post(d, 0);
}

static void h_head_out_of_range(Drv *d)
{
    drv_post(d, QSIZE + 3);
}

static void h_indirect_loop(Drv *d)
{
    for (unsigned i = 0; i < 4; i++) {
        set_desc(d->tables, i, d->bufs, 8,
                 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, (i + 1) % 4);
    }
    set_desc(d->desc, 0, d->tables, 64, VRING_DESC_F_INDIRECT, 0);
    drv_post(d, 0);
}

static void h_nested_indirect(Drv *d)
{
    set_desc(d->tables, 0, d->tables + 0x100, 16, VRING_DESC_F_INDIRECT, 0);
    set_desc(d->desc, 0, d->tables, 16, VRING_DESC_F_INDIRECT, 0);
    drv_post(d, 0);
}

static void h_bad_indirect_len(Drv *d)
{
    set_desc(d->desc, 0, d->tables, 17, VRING_DESC_F_INDIRECT, 0);
    drv_post(d, 0);
}

static void h_outside_ram(Drv *d)
{
    set_desc(d->desc, 0, 0x40000000, 64, VRING_DESC_F_WRITE, 0);
    drv_post(d, 0);
}

static void h_in_mmio(Drv *d)
{
    set_desc(d->desc, 0, SLOT_BASE(0), 0x100, VRING_DESC_F_WRITE, 0);
    drv_post(d, 0);
}

static void h_runs_past_ram(Drv *d)
{
    set_desc(d->desc, 0, RAM_BASE + RAM_SIZE - 16, 64, VRING_DESC_F_WRITE, 0);
    drv_post(d, 0);
}

static void h_len_overflow(Drv *d)
{
    set_desc(d->desc, 0, 0xfffffffffffff000ull, 0x2000, VRING_DESC_F_WRITE,
             0);
    drv_post(d, 0);
}

static void h_avail_jump(Drv *d)
{
    set_desc(d->desc, 0, d->bufs, 8, VRING_DESC_F_WRITE, 0);
    drv_post(d, 0);
    d->avail_idx += 1000;
    st16(d->avail + 2, d->avail_idx);
}

static void h_readable_after_writable(Drv *d)
{
    set_desc(d->desc, 0, d->bufs, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
             1);
    set_desc(d->desc, 1, d->bufs + 8, 8, 0, 0);
    drv_post(d, 0);
}

static void h_readable_only(Drv *d)
{
    set_desc(d->desc, 0, d->bufs, 8, 0, 0);
    drv_post(d, 0);
}

static void run_hostile(const char *name, HostileSetup *setup,
                        uint64_t features)
{
    Drv bad, good;
    uint32_t gen;

    drv_init(&bad, 1, features);
    gen = rd(&bad, VIRTIO_MMIO_CONFIG_GENERATION);
    setup(&bad);
    drv_notify(&bad);
    if (!wait_irq(1)) {
        fprintf(stderr, "hostile case %s: no interrupt\n", name);
        CHECK(0);
    }
    if (!(rd(&bad, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET)) {
        fprintf(stderr, "hostile case %s: no NEEDS_RESET\n", name);
        CHECK(0);
    }
    CHECK(rd(&bad, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_ISR_CONFIG);
    CHECK(rd(&bad, VIRTIO_MMIO_CONFIG_GENERATION) != gen);
    ack_irq(&bad);
    /* The other device is unaffected... */
    drv_init(&good, 0, 0);
    drv_request_ok(&good, 32);
    /* ...and a reset brings the broken one back. */
    drv_init(&bad, 1, 0);
    CHECK(!(rd(&bad, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
    drv_request_ok(&bad, 32);
}

static void test_hostile(void)
{
    uint64_t ind = 1ull << VIRTIO_RING_F_INDIRECT_DESC;

    run_hostile("descriptor loop", h_loop, 0);
    run_hostile("next out of range", h_next_out_of_range, 0);
    run_hostile("head out of range", h_head_out_of_range, 0);
    run_hostile("indirect loop", h_indirect_loop, ind);
    run_hostile("nested indirect", h_nested_indirect, ind);
    run_hostile("indirect length", h_bad_indirect_len, ind);
    run_hostile("indirect not negotiated", h_indirect_loop, 0);
    run_hostile("outside RAM", h_outside_ram, 0);
    run_hostile("in MMIO", h_in_mmio, 0);
    run_hostile("past the end of RAM", h_runs_past_ram, 0);
    run_hostile("length overflow", h_len_overflow, 0);
    run_hostile("avail index jump", h_avail_jump, 0);
    run_hostile("readable after writable", h_readable_after_writable, 0);
    run_hostile("device-readable buffer", h_readable_only, 0);
}

/* Set-up errors the device refuses without breaking. */
static void test_bad_setup(void)
{
    Drv d;

    drv_init(&d, 1, 0);
    wr(&d, VIRTIO_MMIO_STATUS, 0);
    wr(&d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
                               VIRTIO_CONFIG_S_DRIVER);
    /* No VERSION_1: FEATURES_OK does not stick. */
    wr(&d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(&d, VIRTIO_MMIO_DRIVER_FEATURES, 0);
    wr(&d, VIRTIO_MMIO_STATUS, 0xb);
    CHECK(!(rd(&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK));
    /* Features that were not offered: refused too. */
    wr(&d, VIRTIO_MMIO_DRIVER_FEATURES, 1 | (1u << 31));
    wr(&d, VIRTIO_MMIO_STATUS, 0xb);
    CHECK(!(rd(&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK));
    wr(&d, VIRTIO_MMIO_DRIVER_FEATURES, 1);
    wr(&d, VIRTIO_MMIO_STATUS, 0xb);
    CHECK(rd(&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
    /* Queues: not a power of two, too big, misaligned, not RAM. */
    wr(&d, VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(&d, VIRTIO_MMIO_QUEUE_NUM, 12);
    wr(&d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d.desc);
    wr(&d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)d.avail);
    wr(&d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)d.used);
    wr(&d, VIRTIO_MMIO_QUEUE_READY, 1);
    CHECK_EQ(rd(&d, VIRTIO_MMIO_QUEUE_READY), 0);
    wr(&d, VIRTIO_MMIO_QUEUE_NUM, 1u << 20);
    wr(&d, VIRTIO_MMIO_QUEUE_READY, 1);
    CHECK_EQ(rd(&d, VIRTIO_MMIO_QUEUE_READY), 0);
    wr(&d, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
    wr(&d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d.desc + 8);
    wr(&d, VIRTIO_MMIO_QUEUE_READY, 1);
    CHECK_EQ(rd(&d, VIRTIO_MMIO_QUEUE_READY), 0);
    wr(&d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)SLOT_BASE(0));
    wr(&d, VIRTIO_MMIO_QUEUE_READY, 1);
    CHECK_EQ(rd(&d, VIRTIO_MMIO_QUEUE_READY), 0);
    wr(&d, VIRTIO_MMIO_QUEUE_DESC_LOW, 0xfffff000);
    wr(&d, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0xffffffff);
    wr(&d, VIRTIO_MMIO_QUEUE_READY, 1);
    CHECK_EQ(rd(&d, VIRTIO_MMIO_QUEUE_READY), 0);
    /* Odd register accesses: ignored, the bus refuses 8 bytes. */
    CHECK_EQ(address_space_ldub(&as, d.base + VIRTIO_MMIO_STATUS, A, NULL),
             0);
    CHECK(address_space_store(&as, d.base + VIRTIO_MMIO_STATUS, 8,
                              DEVICE_LITTLE_ENDIAN, A, 0) != MEMTX_OK);
    CHECK_EQ(rd(&d, 0x0f0), 0);
    wr(&d, VIRTIO_MMIO_MAGIC_VALUE, 0);
    CHECK_EQ(rd(&d, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
    /* rng has no config space: reads 0, writes dropped. */
    CHECK_EQ(rd(&d, VIRTIO_MMIO_CONFIG), 0);
    wr(&d, VIRTIO_MMIO_CONFIG, 5);
    CHECK_EQ(rd(&d, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
    /* DRIVER_OK without FEATURES_OK is a guest error. */
    wr(&d, VIRTIO_MMIO_STATUS, 0);
    wr(&d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
       VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
    CHECK(rd(&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
    CHECK(!(rd(&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK));
    drv_init(&d, 1, 0);
    drv_request_ok(&d, 16);
}

static void test_queue_reset(void)
{
    Drv d;

    /* Not negotiated: the write is ignored. */
    drv_init(&d, 0, 0);
    wr(&d, VIRTIO_MMIO_QUEUE_RESET, 1);
    CHECK_EQ(rd(&d, VIRTIO_MMIO_QUEUE_READY), 1);

    drv_init(&d, 0, 1ull << VIRTIO_F_RING_RESET);
    CHECK(virtio_has_feature(d.features, VIRTIO_F_RING_RESET));
    drv_request_ok(&d, 16);
    drv_request_ok(&d, 16);
    wr(&d, VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(&d, VIRTIO_MMIO_QUEUE_RESET, 1);
    CHECK_EQ(rd(&d, VIRTIO_MMIO_QUEUE_RESET), 0);
    CHECK_EQ(rd(&d, VIRTIO_MMIO_QUEUE_READY), 0);
    /* Set up afresh (indexes from 0) while the device stays DRIVER_OK. */
    CHECK(rd(&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK);
    drv_setup_queue(&d);
    drv_request_ok(&d, 16);
    CHECK_EQ(ld16(d.used + 2), 1);
}

/* A "vCPU" storing to guest RAM the way TCG does (util/host-mem.h)
 * while the device reads descriptors and writes buffers there.  Guest
 * RAM is shared by design; the core's copies must be defined behaviour
 * for that (word-wise relaxed atomics), which TSan checks: with plain
 * memcpy in the core, a TSan build reports a data race here. */
typedef struct GuestStorer {
    uint8_t *desc, *buf;        /* host view of what it stores to */
    size_t buf_len;
    unsigned stop;
    unsigned long rounds;
} GuestStorer;

static void *guest_storer(void *opaque)
{
    GuestStorer *g = opaque;
    uint64_t d0, d1;

    /* Descriptor 0 is rewritten with its own value (harmless for the
     * device, still a store); the buffer gets new bytes, word by word. */
    d0 = ldn_le_p(g->desc, 8);
    d1 = ldn_le_p(g->desc + 8, 8);
    while (!atomic_load_acquire(&g->stop)) {
        stn_le_p(g->desc, 8, d0);
        stn_le_p(g->desc + 8, 8, d1);
        for (size_t off = 0; off + 8 <= g->buf_len; off += 8) {
            stn_le_p(g->buf + off, 8, g->rounds + off);
        }
        /* Narrower, naturally aligned stores too (a misaligned guest
         * store is not single-copy atomic on the TCG side either). */
        stn_le_p(g->buf + 2, 2, (uint16_t)g->rounds);
        stn_le_p(g->buf + g->buf_len - 4, 4, (uint32_t)g->rounds);
        __atomic_fetch_add(&g->rounds, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void test_guest_stores_during_dma(void)
{
    GuestStorer g = { 0 };
    pthread_t t;
    uint32_t id, len;
    Drv d;

    drv_init(&d, 0, 0);
    /* An unaligned start and odd length exercise the copy's edges. */
    set_desc(d.desc, 0, d.bufs + 1, 203, VRING_DESC_F_WRITE, 0);
    g.desc = host(d.desc);
    g.buf = host(d.bufs);
    g.buf_len = 208;
    CHECK_EQ(pthread_create(&t, NULL, guest_storer, &g), 0);
    while (!__atomic_load_n(&g.rounds, __ATOMIC_RELAXED)) {
        usleep(100);
    }
    for (unsigned i = 0; i < 200; i++) {
        drv_post(&d, 0);
        drv_notify(&d);
        CHECK(wait_used(&d, d.avail_idx));
        used_elem(&d, d.avail_idx - 1, &id, &len);
        CHECK_EQ(id, 0);
        CHECK_EQ(len, 203);
    }
    atomic_store_release(&g.stop, 1);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK(!(rd(&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
    if (atomic_load_acquire(&irq_level[0])) {
        ack_irq(&d);
    }
}

/* -device virtio-rng-device lands in the first free slot. */
static Device *plugged;

static void test_device_add(void)
{
    Error *err = NULL;
    Drv d;
    char opts[64];

    snprintf(opts, sizeof(opts), "virtio-rng-device,id=rng2%s",
             use_iothread ? ",iothread=io0" : "");
    bql_lock();
    plugged = device_add(opts, &err);
    CHECK(plugged);
    CHECK(!device_add("virtio-rng-device", &err));
    CHECK(err);
    error_free(err);
    err = NULL;
    CHECK(!device_add("virtio-rng-device,iothread=nope,bus=virtio-mmio-bus.0",
                      &err));
    error_free(err);
    bql_unlock();
    drv_init(&d, 2, 0);
    drv_request_ok(&d, 48);
}

static void on_deleted(DeviceNotifier *n, const DeviceDeletedEvent *ev)
{
    atomic_store_release(&deleted_events, deleted_events + 1);
}

static DeviceNotifier deleted_notifier = { .notify = on_deleted };

/* Unplug while requests are in flight: drain waits for them, the slot
 * empties, the other devices go on. */
static void test_unplug_inflight(void)
{
    Error *err = NULL;
    Drv d, good;
    unsigned long live = object_count_live();

    drv_init(&d, 2, 0);
    for (unsigned i = 0; i < QSIZE; i++) {
        set_desc(d.desc, i, d.bufs + 0x4000 * i, 0x4000, VRING_DESC_F_WRITE,
                 0);
        drv_post(&d, i);
    }
    drv_notify(&d);
    /* Let the queue handler pop (main loop) or race it (iothread). */
    event_loop_poll(main_loop(), false);
    bql_lock();
    device_add_deleted_notifier(&deleted_notifier);
    CHECK(device_unplug_request(plugged, &err));
    bql_unlock();
    CHECK_EQ(rd(&d, VIRTIO_MMIO_DEVICE_ID), 0);
    wr(&d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);    /* goes nowhere */
    for (int i = 0; i < 50000 && !atomic_load_acquire(&deleted_events);
         i++) {
        spin();
        weft_rcu_quiescent_state();
    }
    CHECK_EQ(atomic_load_acquire(&deleted_events), 1);
    CHECK(object_count_live() < live);
    bql_lock();
    device_remove_deleted_notifier(&deleted_notifier);
    CHECK(!device_find_by_id("rng2"));
    /* The slot is free again. */
    plugged = device_add("virtio-rng-device,id=rng2", &err);
    CHECK(plugged);
    bql_unlock();
    drv_init(&d, 2, 0);
    drv_request_ok(&d, 8);
    drv_init(&good, 0, 0);
    drv_request_ok(&good, 8);
}

static const BusInfo test_sysbus_info = { .type = "System" };

static void create_slots(void)
{
    Error *err = NULL;

    bql_lock();
    sysbus = bus_new(NULL, &test_sysbus_info, "test-sysbus");
    for (unsigned i = 0; i < NR_SLOTS; i++) {
        Device *vdev = NULL;

        irq_init_in(&irq_in[i], irq_handler, NULL, i, NULL);
        if (i < 2) {
            vdev = device_new("virtio-rng-device", &err);
            CHECK(vdev);
            if (use_iothread) {
                CHECK(device_set_prop_str(vdev, "iothread", "io0", &err));
            }
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

    RUN(test_notify_is_ioeventfd);
    RUN(test_rng_basic);
    RUN(test_event_idx);
    RUN(test_indirect);
    RUN(test_hostile);
    RUN(test_bad_setup);
    RUN(test_queue_reset);
    RUN(test_guest_stores_during_dma);
    RUN(test_device_add);
    RUN(test_unplug_inflight);
    return 0;
}
