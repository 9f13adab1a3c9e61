/* virtio-console on the socket and stdio chardevs, driven like a guest
 * driver through the address space (the pattern of
 * tests/unit/virtio/test-virtio-mmio.c): transmit chains reach the
 * socket client; input waits for receive buffers and arrives whole when
 * they come one small buffer at a time (back-pressure); a client may leave
 * and another connect; a device reset and an unplug with a receive buffer
 * held by the device both work, and the chardev can then serve a new
 * console.
 *
 * The test thread polls the main loop; with --iothread the queue handlers
 * run in iothread "io0" instead.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hw/core/props.h"
#include "hw/virtio/virtio-mmio.h"
#include "memory/memory.h"
#include "system/bql.h"
#include "system/chardev.h"
#include "system/event-loop.h"
#include "test.h"
#include "util/log.h"

#define A MEMTXATTRS_UNSPECIFIED
#define RAM_BASE 0x80000000ull
#define RAM_SIZE (8u << 20)
#define SLOT_BASE(i) (0x10001000ull + 0x1000ull * (i))
#define NR_SLOTS 2
#define QSIZE 16
#define RXQ 0
#define TXQ 1

static MemoryRegion sysmem, ram;
static AddressSpace as;
static uint8_t *ram_host;
static bool use_iothread;
static char sock_path[108];
static int client = -1;
static unsigned deleted_events;

/* ---- guest memory and a two-queue driver */

static uint8_t *host(hwaddr gpa)
{
    CHECK(gpa >= RAM_BASE && gpa + 1 <= RAM_BASE + RAM_SIZE);
    return ram_host + (gpa - RAM_BASE);
}

typedef struct Queue {
    hwaddr desc, avail, used, bufs;
    uint16_t avail_idx, used_seen;
} Queue;

typedef struct Drv {
    hwaddr base;
    Queue q[2];
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

static uint16_t used_idx(Queue *q)
{
    return __atomic_load_n((uint16_t *)host(q->used + 2), __ATOMIC_ACQUIRE);
}

static void setup_queue(Drv *d, unsigned n, hwaddr mem)
{
    Queue *q = &d->q[n];

    *q = (Queue) { .desc = mem, .avail = mem + 0x1000,
                   .used = mem + 0x2000, .bufs = mem + 0x10000 };
    memset(host(mem), 0, 0x3000);
    wr(d, VIRTIO_MMIO_QUEUE_SEL, n);
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

/* Reset, VERSION_1 only, both queues, DRIVER_OK. */
static void drv_init(Drv *d, unsigned slot)
{
    hwaddr mem = RAM_BASE + 0x200000ull * (slot + 1);

    d->base = SLOT_BASE(slot);
    CHECK_EQ(rd(d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_CONSOLE);
    wr(d, VIRTIO_MMIO_STATUS, 0);
    wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
                              VIRTIO_CONFIG_S_DRIVER);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 1u << (VIRTIO_F_VERSION_1 - 32));
    wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
       VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
    setup_queue(d, RXQ, mem);
    setup_queue(d, TXQ, mem + 0x100000);
    wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
       VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
       VIRTIO_CONFIG_S_DRIVER_OK);
}

static void set_desc(Queue *q, unsigned i, hwaddr addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    uint8_t *p = host(q->desc + 16 * i);

    memcpy(p, &addr, 8);
    memcpy(p + 8, &len, 4);
    memcpy(p + 12, &flags, 2);
    memcpy(p + 14, &next, 2);
}

static void post(Drv *d, unsigned n, uint16_t head)
{
    Queue *q = &d->q[n];

    ((uint16_t *)host(q->avail + 4))[q->avail_idx % QSIZE] = head;
    q->avail_idx++;
    __atomic_store_n((uint16_t *)host(q->avail + 2), q->avail_idx,
                     __ATOMIC_SEQ_CST);
    wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, n);
}

/* Lets the main loop run (chardev input, handlers, completions). */
static void spin(void)
{
    event_loop_poll(main_loop(), false);
    usleep(100);
}

/* Waits (10 s at most) for the next used entry of queue n. */
static bool next_used(Drv *d, unsigned n, uint32_t *id, uint32_t *len)
{
    Queue *q = &d->q[n];
    uint8_t *e;

    for (int i = 0; i < 100000 && used_idx(q) == q->used_seen; i++) {
        spin();
    }
    if (used_idx(q) == q->used_seen) {
        return false;
    }
    e = host(q->used + 4 + 8 * (q->used_seen++ % QSIZE));
    memcpy(id, e, 4);
    memcpy(len, e + 4, 4);
    return true;
}

/* ---- the socket client */

static void client_connect(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    strcpy(sa.sun_path, sock_path);
    client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(client >= 0);
    CHECK(connect(client, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    /* connect() returns once queued; output before the main loop
     * accepts it would be dropped. */
    for (int i = 0; i < 300; i++) {
        spin();
    }
}

/* Reads exactly len bytes from the client, running the main loop. */
static void client_expect(const uint8_t *want, size_t len)
{
    uint8_t *got = malloc(len);
    size_t have = 0;

    CHECK(got);
    for (int i = 0; i < 100000 && have < len; i++) {
        struct pollfd pfd = { .fd = client, .events = POLLIN };
        ssize_t n;

        spin();
        if (poll(&pfd, 1, 0) == 1) {
            n = read(client, got + have, len - have);
            CHECK(n > 0);
            have += n;
        }
    }
    CHECK_EQ(have, len);
    CHECK(!memcmp(got, want, len));
    free(got);
}

static void client_send(const void *buf, size_t len)
{
    CHECK_EQ(write(client, buf, len), len);
}

/* Nothing more arrives at the client for a while. */
static void client_expect_quiet(void)
{
    struct pollfd pfd = { .fd = client, .events = POLLIN };

    for (int i = 0; i < 200; i++) {
        spin();
    }
    CHECK_EQ(poll(&pfd, 1, 0), 0);
}

static void pattern(uint8_t *p, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++) {
        p[i] = (uint8_t)(i * 7 + seed + (i >> 8));
    }
}

/* The guest transmits buf as one chain of `parts` buffers. */
static void guest_tx(Drv *d, const uint8_t *buf, size_t len, unsigned parts)
{
    Queue *q = &d->q[TXQ];
    size_t off = 0;
    uint32_t id, used_len;

    memcpy(host(q->bufs), buf, len);
    for (unsigned i = 0; i < parts; i++) {
        size_t n = i + 1 < parts ? len / parts : len - off;

        set_desc(q, i, q->bufs + off, n,
                 i + 1 < parts ? VRING_DESC_F_NEXT : 0, i + 1);
        off += n;
    }
    post(d, TXQ, 0);
    CHECK(next_used(d, TXQ, &id, &used_len));
    CHECK_EQ(id, 0);
    CHECK_EQ(used_len, 0);
}

/* The guest collects len bytes of input through `size`-byte buffers,
 * offered one at a time. */
static void guest_rx(Drv *d, uint8_t *out, size_t len, uint32_t size)
{
    Queue *q = &d->q[RXQ];
    size_t have = 0;

    while (have < len) {
        uint32_t id, n;

        memset(host(q->bufs), 0, size);
        set_desc(q, 0, q->bufs, size, VRING_DESC_F_WRITE, 0);
        post(d, RXQ, 0);
        CHECK(next_used(d, RXQ, &id, &n));
        CHECK_EQ(id, 0);
        CHECK(n > 0 && n <= size && have + n <= len);
        memcpy(out + have, host(q->bufs), n);
        have += n;
    }
}

/* ---- tests */

static Device *console;
static Drv drv;

static void test_plug(void)
{
    Error *err = NULL;
    char opts[200];

    snprintf(opts, sizeof(opts), "socket,id=c0,path=%s,server=on,wait=off",
             sock_path);
    bql_lock();
    CHECK(chardev_new_from_opts(opts, &err));
    CHECK(chardev_find("c0"));
    console = device_add(use_iothread ? "virtio-console-device,id=con0,"
                                        "chardev=c0,iothread=io0"
                                      : "virtio-console-device,id=con0,"
                                        "chardev=c0", &err);
    CHECK(console);
    /* One frontend per chardev. */
    CHECK(!device_add("virtio-console-device,chardev=c0", &err));
    error_free(err);
    bql_unlock();
    client_connect();
    drv_init(&drv, 0);
}

static void test_tx(void)
{
    static const char msg[] = "hello, virtio console\n";
    static uint8_t big[60000];

    guest_tx(&drv, (const uint8_t *)msg, strlen(msg), 3);
    client_expect((const uint8_t *)msg, strlen(msg));
    /* Bigger than the device's copy chunk, in two buffers. */
    pattern(big, sizeof(big), 1);
    guest_tx(&drv, big, sizeof(big), 2);
    client_expect(big, sizeof(big));
}

static void test_rx_backpressure(void)
{
    static uint8_t in[3000], got[3000];
    uint32_t id, n;

    /* Input before any buffer waits in the socket. */
    pattern(in, sizeof(in), 2);
    client_send(in, sizeof(in));
    for (int i = 0; i < 200; i++) {
        spin();
    }
    CHECK_EQ(used_idx(&drv.q[RXQ]), 0);
    guest_rx(&drv, got, sizeof(got), 7);
    CHECK(!memcmp(in, got, sizeof(in)));

    /* Several buffers at once; the input fills them in order. */
    for (unsigned i = 0; i < 4; i++) {
        set_desc(&drv.q[RXQ], i, drv.q[RXQ].bufs + 0x100 * i, 16,
                 VRING_DESC_F_WRITE, 0);
        post(&drv, RXQ, i);
    }
    client_send("0123456789abcdef0123456789ABCDEF", 32);
    CHECK(next_used(&drv, RXQ, &id, &n) && id == 0 && n == 16);
    CHECK(!memcmp(host(drv.q[RXQ].bufs), "0123456789abcdef", 16));
    CHECK(next_used(&drv, RXQ, &id, &n) && id == 1 && n == 16);
    CHECK(!memcmp(host(drv.q[RXQ].bufs + 0x100), "0123456789ABCDEF", 16));
}

/* Buffers 2 and 3 of the previous test are still posted: the chardev
 * reads, so it sees the client leave. */
static void test_reconnect(void)
{
    static const char lost[] = "nobody hears this\n";
    static const char heard[] = "the next client does\n";
    uint32_t id, n;

    close(client);
    for (int i = 0; i < 500; i++) {
        spin();
    }
    /* Output without a client is dropped, not waited for. */
    guest_tx(&drv, (const uint8_t *)lost, strlen(lost), 1);
    client_connect();
    guest_tx(&drv, (const uint8_t *)heard, strlen(heard), 1);
    client_expect((const uint8_t *)heard, strlen(heard));
    client_send("hi", 2);
    CHECK(next_used(&drv, RXQ, &id, &n) && id == 2 && n == 2);
    CHECK(!memcmp(host(drv.q[RXQ].bufs + 0x200), "hi", 2));
    client_expect_quiet();
}

/* A reset drops the buffers the device holds; input goes on after. */
static void test_reset(void)
{
    static uint8_t got[5];

    drv_init(&drv, 0);
    client_send("after", 5);
    guest_rx(&drv, got, sizeof(got), 3);
    CHECK(!memcmp(got, "after", 5));
}

static void on_deleted(DeviceNotifier *n, const DeviceDeletedEvent *ev)
{
    atomic_store_release(&deleted_events, deleted_events + 1);
}

static DeviceNotifier deleted_notifier = { .notify = on_deleted };

static void unplug(Device *dev)
{
    Error *err = NULL;
    unsigned before = atomic_load_acquire(&deleted_events);

    bql_lock();
    CHECK(device_unplug_request(dev, &err));
    bql_unlock();
    for (int i = 0; i < 100000 &&
         atomic_load_acquire(&deleted_events) == before; i++) {
        spin();
        weft_rcu_quiescent_state();
    }
    CHECK_EQ(atomic_load_acquire(&deleted_events), before + 1);
}

/* stdin at end of file: the chardev pops a receive buffer, reads EOF and
 * never fills it, so the device holds the buffer when it is unplugged. */
static void test_unplug_holding_rx(void)
{
    static const char msg[] = "virtio-console: a new console on stdio\n";
    Error *err = NULL;
    Drv d;

    bql_lock();
    device_add_deleted_notifier(&deleted_notifier);
    CHECK(chardev_new_from_opts("stdio,id=s0", &err));
    CHECK(device_add("virtio-console-device,chardev=s0,id=held", &err));
    bql_unlock();
    drv_init(&d, 1);
    set_desc(&d.q[RXQ], 0, d.q[RXQ].bufs, 8, VRING_DESC_F_WRITE, 0);
    post(&d, RXQ, 0);
    for (int i = 0; i < 500; i++) {
        spin();
    }
    CHECK_EQ(used_idx(&d.q[RXQ]), 0);
    /* A reset with the buffer held, then the unplug. */
    drv_init(&d, 1);
    bql_lock();
    console = device_find_by_id("held");
    CHECK(console);
    bql_unlock();
    unplug(console);
    CHECK_EQ(rd(&d, VIRTIO_MMIO_DEVICE_ID), 0);

    /* The chardev is free for a new console in the same slot. */
    bql_lock();
    CHECK(device_add("virtio-console-device,chardev=s0", &err));
    bql_unlock();
    drv_init(&d, 1);
    guest_tx(&d, (const uint8_t *)msg, strlen(msg), 1);
}

/* The socket console unplugs too, and its chardev serves the next one. */
static void test_unplug_socket(void)
{
    Error *err = NULL;
    static const char msg[] = "second console\n";

    bql_lock();
    console = device_find_by_id("con0");
    bql_unlock();
    CHECK(console);
    unplug(console);
    bql_lock();
    CHECK(device_add("virtio-console-device,chardev=c0,bus=virtio-mmio-bus.0",
                     &err));
    device_remove_deleted_notifier(&deleted_notifier);
    bql_unlock();
    drv_init(&drv, 0);
    guest_tx(&drv, (const uint8_t *)msg, strlen(msg), 1);
    client_expect((const uint8_t *)msg, strlen(msg));
}

static const BusInfo test_sysbus_info = { .type = "System" };

static void create_machine(void)
{
    Error *err = NULL;
    Bus *sysbus;

    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    CHECK(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, &err));
    ram_host = memory_region_get_ram_ptr(&ram);
    bql_lock();
    device_set_transaction_hooks(memory_region_transaction_begin,
                                 memory_region_transaction_commit);
    memory_region_add_subregion(&sysmem, RAM_BASE, &ram);
    address_space_init(&as, &sysmem, "memory");
    sysbus = bus_new(NULL, &test_sysbus_info, "test-sysbus");
    for (unsigned i = 0; i < NR_SLOTS; i++) {
        /* No interrupt line: the driver polls the used rings. */
        CHECK(virtio_mmio_create(sysbus, &sysmem, &as, SLOT_BASE(i), NULL,
                                 NULL, &err));
    }
    device_set_hotplug_phase(true);
    bql_unlock();
}

int main(int argc, char **argv)
{
    Error *err = NULL;
    char dir[] = "/tmp/weft-vcon-XXXXXX";
    FILE *empty;

    use_iothread = argc > 1 && !strcmp(argv[1], "--iothread");
    CHECK(mkdtemp(dir));
    snprintf(sock_path, sizeof(sock_path), "%s/c0.sock", dir);
    /* stdin: an empty regular file (see test_unplug_holding_rx). */
    empty = tmpfile();
    CHECK(empty && dup2(fileno(empty), STDIN_FILENO) == STDIN_FILENO);
    fclose(empty);
    log_mask = LOG_GUEST_ERROR;
    weft_rcu_register_thread();
    CHECK(main_loop_init(&err));
    if (use_iothread) {
        CHECK(iothread_create("io0", &err));
    }
    create_machine();

    RUN(test_plug);
    RUN(test_tx);
    RUN(test_rx_backpressure);
    RUN(test_reconnect);
    RUN(test_reset);
    RUN(test_unplug_holding_rx);
    RUN(test_unplug_socket);
    close(client);
    chardev_cleanup_all();
    CHECK(access(sock_path, F_OK) != 0);    /* the socket file is gone */
    rmdir(dir);
    return 0;
}
