/*
 * A hostile virtio-mmio driver, bare-metal on -M virt -bios none -m 64M.
 *
 * It finds the virtio-rng and virtio-console devices in the eight
 * virtio-mmio slots and, for each queue, makes requests that break the
 * split-ring rules (loops, overlong chains, indexes and addresses out of
 * range, buffers in MMIO or past the end of RAM, lengths that wrap,
 * avail-index jumps, buffers of the wrong direction, bad indirect
 * tables).  After each one the device must set NEEDS_RESET, raise the
 * config-change interrupt (InterruptStatus bit 1, the PLIC line, a new
 * ConfigGeneration), complete nothing and stay stopped; then the driver
 * acknowledges, resets the device and checks that a sane request works
 * again.  Set-up mistakes (rings in MMIO, odd sizes) must be refused
 * without breaking the device.
 *
 * With a console, the runner feeds CONSOLE_INPUT on the console's
 * chardev: the driver reads it at the end through small receive buffers
 * offered one at a time (back-pressure: nothing may be lost), and every
 * sane transmit writes a "virtio-guest: console tx ..." line the runner
 * looks for.
 *
 * Results: "virtio-guest: ..." lines on the UART, then sifive_test: 0x5555
 * (pass) or (code << 16) | 0x3333 with code = 100 * case + step.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART            0x10000000UL
#define UART_LSR        5
#define UART_LSR_THRE   0x20
#define TEST_DEV        0x100000UL
#define TEST_PASS       0x5555
#define TEST_FAIL       0x3333
#define MTIME           0x200bff8UL
#define MTIME_HZ        10000000ULL
#define PLIC_PENDING    0x0c001000UL
#define VIRTIO_BASE     0x10001000UL
#define VIRTIO_STRIDE   0x1000UL
#define VIRTIO_SLOTS    8
#define VIRTIO_IRQ0     1               /* PLIC source of slot 0 */
#define RAM_END         0x84000000UL    /* -m 64M */
#define HOLE_ADDR       0x90000000UL    /* neither RAM nor a device */

/* virtio-mmio registers (virtio 1.2 §4.2.2) */
#define R_MAGIC         0x000
#define R_VERSION       0x004
#define R_DEVICE_ID     0x008
#define R_DEV_FEAT      0x010
#define R_DEV_FEAT_SEL  0x014
#define R_DRV_FEAT      0x020
#define R_DRV_FEAT_SEL  0x024
#define R_QUEUE_SEL     0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM     0x038
#define R_QUEUE_READY   0x044
#define R_QUEUE_NOTIFY  0x050
#define R_ISR           0x060
#define R_ISR_ACK       0x064
#define R_STATUS        0x070
#define R_DESC_LO       0x080
#define R_DESC_HI       0x084
#define R_AVAIL_LO      0x090
#define R_AVAIL_HI      0x094
#define R_USED_LO       0x0a0
#define R_USED_HI       0x0a4
#define R_CONFIG_GEN    0x0fc

#define S_ACK           1
#define S_DRIVER        2
#define S_DRIVER_OK     4
#define S_FEATURES_OK   8
#define S_NEEDS_RESET   0x40
#define ISR_CONFIG      2

#define F_INDIRECT      28
#define F_VERSION_1     32

#define D_NEXT          1
#define D_WRITE         2
#define D_INDIRECT      4
#define AVAIL_NO_INTERRUPT 1

#define ID_CONSOLE      3
#define ID_RNG          4

#define QSIZE           8
#define NR_QUEUES_MAX   2
#define BUF_SIZE        64

#define CONSOLE_INPUT   "virtio-guest-input: the quick brown fox 0123456789\n"
#define RX_CHUNK        5

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/* One queue's rings, indirect table and buffers, as §2.7 lays them out. */
struct vq_mem {
    struct desc desc[QSIZE];
    struct {
        uint16_t flags, idx, ring[QSIZE], used_event;
    } avail __attribute__((aligned(16)));
    struct {
        uint16_t flags, idx;
        struct {
            uint32_t id, len;
        } ring[QSIZE];
        uint16_t avail_event;
    } used __attribute__((aligned(16)));
    struct desc table[QSIZE] __attribute__((aligned(16)));
    uint8_t buf[QSIZE][BUF_SIZE];
};

struct vdev {
    const char *name;
    uintptr_t base;
    unsigned slot;
    unsigned nr_queues;
    uint64_t features;
    struct vq_mem *vq[NR_QUEUES_MAX];
    uint16_t avail_idx[NR_QUEUES_MAX];
    uint16_t used_seen[NR_QUEUES_MAX];
};

void hostile_main(void);

static struct vq_mem vq_mem[2 * NR_QUEUES_MAX] __attribute__((aligned(4096)));
static unsigned cur_case;               /* for failure codes */
static unsigned cases_passed;
static unsigned console_tx_count;

/* ---- output and the end */

static void putc_uart(char c)
{
    volatile uint8_t *uart = (volatile uint8_t *)UART;

    while (!(uart[UART_LSR] & UART_LSR_THRE)) {
    }
    uart[0] = (uint8_t)c;
}

static void puts_uart(const char *s)
{
    for (; *s; s++) {
        putc_uart(*s);
    }
}

static void put_dec(unsigned v)
{
    char buf[12];
    int n = 0;

    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) {
        putc_uart(buf[--n]);
    }
}

static void __attribute__((noreturn)) finish(uint32_t code)
{
    *(volatile uint32_t *)TEST_DEV = code;
    for (;;) {
    }
}

static void __attribute__((noreturn)) fail(unsigned step, const char *why)
{
    unsigned code = cur_case * 100 + step;

    puts_uart("virtio-guest: FAILED case ");
    put_dec(cur_case);
    puts_uart(" step ");
    put_dec(step);
    puts_uart(": ");
    puts_uart(why);
    putc_uart('\n');
    finish(((code & 0xffff) << 16) | TEST_FAIL);
}

#define CHECK(step, cond)                                               \
    do {                                                                \
        if (!(cond)) {                                                  \
            fail((step), #cond);                                        \
        }                                                               \
    } while (0)

/* ---- MMIO, memory, time */

static void fence(void)
{
    __asm__ volatile("fence iorw, iorw" ::: "memory");
}

static uint32_t rd(const struct vdev *d, unsigned off)
{
    uint32_t v;

    fence();
    v = *(volatile uint32_t *)(d->base + off);
    fence();
    return v;
}

static void wr(const struct vdev *d, unsigned off, uint32_t v)
{
    fence();
    *(volatile uint32_t *)(d->base + off) = v;
    fence();
}

static uint64_t now(void)
{
    return *(volatile uint64_t *)MTIME;
}

static void delay_ms(unsigned ms)
{
    uint64_t end = now() + MTIME_HZ / 1000 * ms;

    while (now() < end) {
    }
}

/* Polls until cond holds; fails the case after 10 s. */
#define WAIT_FOR(step, cond)                                            \
    do {                                                                \
        uint64_t deadline_ = now() + 10 * MTIME_HZ;                     \
        while (!(cond)) {                                               \
            if (now() > deadline_) {                                    \
                fail((step), "timeout waiting for " #cond);             \
            }                                                           \
        }                                                               \
    } while (0)

static void zero(void *p, size_t n)
{
    volatile uint8_t *b = p;

    while (n--) {
        *b++ = 0;
    }
}

static bool plic_pending(unsigned source)
{
    volatile uint32_t *p = (volatile uint32_t *)PLIC_PENDING;

    fence();
    return (p[source / 32] >> (source % 32)) & 1;
}

static uint16_t used_idx(const struct vdev *d, unsigned q)
{
    fence();
    return *(volatile uint16_t *)&d->vq[q]->used.idx;
}

/* ---- a minimal driver */

static void setup_queue(struct vdev *d, unsigned q)
{
    struct vq_mem *m = d->vq[q];

    zero(m, sizeof(*m));
    m->avail.flags = AVAIL_NO_INTERRUPT;     /* the driver polls */
    d->avail_idx[q] = d->used_seen[q] = 0;
    wr(d, R_QUEUE_SEL, q);
    CHECK(1, rd(d, R_QUEUE_READY) == 0);
    CHECK(2, rd(d, R_QUEUE_NUM_MAX) >= QSIZE);
    wr(d, R_QUEUE_NUM, QSIZE);
    wr(d, R_DESC_LO, (uint32_t)(uintptr_t)m->desc);
    wr(d, R_DESC_HI, 0);
    wr(d, R_AVAIL_LO, (uint32_t)(uintptr_t)&m->avail);
    wr(d, R_AVAIL_HI, 0);
    wr(d, R_USED_LO, (uint32_t)(uintptr_t)&m->used);
    wr(d, R_USED_HI, 0);
    wr(d, R_QUEUE_READY, 1);
    CHECK(3, rd(d, R_QUEUE_READY) == 1);
}

/* Reset, then negotiate up to FEATURES_OK. */
static void negotiate(struct vdev *d)
{
    uint64_t offered;

    wr(d, R_STATUS, 0);
    CHECK(4, rd(d, R_STATUS) == 0);
    CHECK(5, rd(d, R_ISR) == 0);
    wr(d, R_STATUS, S_ACK | S_DRIVER);
    wr(d, R_DEV_FEAT_SEL, 0);
    offered = rd(d, R_DEV_FEAT);
    wr(d, R_DEV_FEAT_SEL, 1);
    offered |= (uint64_t)rd(d, R_DEV_FEAT) << 32;
    CHECK(6, (offered >> F_VERSION_1) & 1);
    d->features = offered & ((1ull << F_VERSION_1) | (1ull << F_INDIRECT));
    wr(d, R_DRV_FEAT_SEL, 0);
    wr(d, R_DRV_FEAT, (uint32_t)d->features);
    wr(d, R_DRV_FEAT_SEL, 1);
    wr(d, R_DRV_FEAT, (uint32_t)(d->features >> 32));
    wr(d, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    CHECK(7, rd(d, R_STATUS) & S_FEATURES_OK);
}

static void driver_init(struct vdev *d)
{
    negotiate(d);
    for (unsigned q = 0; q < d->nr_queues; q++) {
        setup_queue(d, q);
    }
    wr(d, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    CHECK(8, rd(d, R_STATUS) ==
             (S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK));
}

static void set_desc(struct desc *t, unsigned i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    t[i].addr = addr;
    t[i].len = len;
    t[i].flags = flags;
    t[i].next = next;
}

/* Makes head available and notifies (without publishing an index jump). */
static void submit(struct vdev *d, unsigned q, uint16_t head)
{
    struct vq_mem *m = d->vq[q];

    m->avail.ring[d->avail_idx[q] % QSIZE] = head;
    fence();
    *(volatile uint16_t *)&m->avail.idx = ++d->avail_idx[q];
    wr(d, R_QUEUE_NOTIFY, q);
}

/* Waits for the next used entry; returns its length. */
static uint32_t wait_used(struct vdev *d, unsigned q, uint16_t head)
{
    struct vq_mem *m = d->vq[q];
    unsigned slot;

    WAIT_FOR(10, used_idx(d, q) != d->used_seen[q]);
    slot = d->used_seen[q]++ % QSIZE;
    CHECK(11, m->used.ring[slot].id == head);
    return m->used.ring[slot].len;
}

/* ---- sane requests */

static void rng_sane(struct vdev *d)
{
    struct vq_mem *m = d->vq[0];
    bool nonzero = false;

    zero(m->buf[0], 32);
    set_desc(m->desc, 0, (uintptr_t)m->buf[0], 32, D_WRITE, 0);
    submit(d, 0, 0);
    CHECK(12, wait_used(d, 0, 0) == 32);
    for (unsigned i = 0; i < 32; i++) {
        nonzero |= m->buf[0][i] != 0;
    }
    CHECK(13, nonzero);
}

static void console_tx_sane(struct vdev *d)
{
    static const char msg[] = "virtio-guest: console tx ";
    struct vq_mem *m = d->vq[1];
    uint8_t *p = m->buf[0];
    unsigned n = 0, v = ++console_tx_count;
    char digits[12];
    int nd = 0;

    for (const char *s = msg; *s; s++) {
        p[n++] = (uint8_t)*s;
    }
    do {
        digits[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (nd) {
        p[n++] = (uint8_t)digits[--nd];
    }
    p[n++] = '\n';
    set_desc(m->desc, 0, (uintptr_t)p, n, 0, 0);
    submit(d, 1, 0);
    CHECK(14, wait_used(d, 1, 0) == 0);    /* nothing device-written */
}

static void sane(struct vdev *d)
{
    if (d->nr_queues == 1) {
        rng_sane(d);
    } else {
        console_tx_sane(d);
    }
}

/* The console's input, through RX_CHUNK-byte buffers given one at a
 * time with a pause: the chardev must wait for each, losing nothing. */
static void console_rx_all(struct vdev *d)
{
    static const char want[] = CONSOLE_INPUT;
    struct vq_mem *m = d->vq[0];
    unsigned got = 0;

    while (got < sizeof(want) - 1) {
        uint32_t len;

        zero(m->buf[0], RX_CHUNK);
        set_desc(m->desc, 0, (uintptr_t)m->buf[0], RX_CHUNK, D_WRITE, 0);
        submit(d, 0, 0);
        len = wait_used(d, 0, 0);
        CHECK(20, len >= 1 && len <= RX_CHUNK);
        CHECK(21, got + len <= sizeof(want) - 1);
        for (uint32_t i = 0; i < len; i++) {
            CHECK(22, m->buf[0][i] == (uint8_t)want[got + i]);
        }
        got += len;
        delay_ms(2);
    }
}

/* ---- hostile requests.  w is the flag of the direction the queue
 * expects (D_WRITE or 0). */

typedef void HostileFn(struct vdev *d, unsigned q, uint16_t w);

static uintptr_t buf_addr(struct vdev *d, unsigned q, unsigned i)
{
    return (uintptr_t)d->vq[q]->buf[i];
}

static void h_loop(struct vdev *d, unsigned q, uint16_t w)
{
    set_desc(d->vq[q]->desc, 0, buf_addr(d, q, 0), 8, w | D_NEXT, 1);
    set_desc(d->vq[q]->desc, 1, buf_addr(d, q, 1), 8, w | D_NEXT, 0);
    submit(d, q, 0);
}

static void h_long_chain(struct vdev *d, unsigned q, uint16_t w)
{
    /* Every descriptor, the last pointing back to the first. */
    for (unsigned i = 0; i < QSIZE; i++) {
        set_desc(d->vq[q]->desc, i, buf_addr(d, q, i), 8, w | D_NEXT,
                 (uint16_t)((i + 1) % QSIZE));
    }
    submit(d, q, 0);
}

static void h_next_range(struct vdev *d, unsigned q, uint16_t w)
{
    set_desc(d->vq[q]->desc, 0, buf_addr(d, q, 0), 8, w | D_NEXT,
             QSIZE + 5);
    submit(d, q, 0);
}

static void h_head_range(struct vdev *d, unsigned q, uint16_t w)
{
    set_desc(d->vq[q]->desc, 0, buf_addr(d, q, 0), 8, w, 0);
    submit(d, q, QSIZE + 3);
}

static void h_hole(struct vdev *d, unsigned q, uint16_t w)
{
    set_desc(d->vq[q]->desc, 0, HOLE_ADDR, 16, w, 0);
    submit(d, q, 0);
}

/* sifive_test: a device that wrote there would end the run. */
static void h_mmio(struct vdev *d, unsigned q, uint16_t w)
{
    set_desc(d->vq[q]->desc, 0, TEST_DEV, 16, w, 0);
    submit(d, q, 0);
}

static void h_past_ram(struct vdev *d, unsigned q, uint16_t w)
{
    set_desc(d->vq[q]->desc, 0, RAM_END - 8, 64, w, 0);
    submit(d, q, 0);
}

static void h_wrap(struct vdev *d, unsigned q, uint16_t w)
{
    set_desc(d->vq[q]->desc, 0, 0xfffffffffffff000ull, 0x2000, w, 0);
    submit(d, q, 0);
}

static void h_avail_jump(struct vdev *d, unsigned q, uint16_t w)
{
    struct vq_mem *m = d->vq[q];

    set_desc(m->desc, 0, buf_addr(d, q, 0), 8, w, 0);
    d->avail_idx[q] += QSIZE + 1;
    fence();
    *(volatile uint16_t *)&m->avail.idx = d->avail_idx[q];
    wr(d, R_QUEUE_NOTIFY, q);
}

static void h_direction(struct vdev *d, unsigned q, uint16_t w)
{
    set_desc(d->vq[q]->desc, 0, buf_addr(d, q, 0), 16, w ^ D_WRITE, 0);
    submit(d, q, 0);
}

static void h_write_then_read(struct vdev *d, unsigned q, uint16_t w)
{
    set_desc(d->vq[q]->desc, 0, buf_addr(d, q, 0), 8, D_WRITE | D_NEXT, 1);
    set_desc(d->vq[q]->desc, 1, buf_addr(d, q, 1), 8, 0, 0);
    submit(d, q, 0);
}

static void h_ind_loop(struct vdev *d, unsigned q, uint16_t w)
{
    struct vq_mem *m = d->vq[q];

    set_desc(m->table, 0, buf_addr(d, q, 0), 8, w | D_NEXT, 1);
    set_desc(m->table, 1, buf_addr(d, q, 1), 8, w | D_NEXT, 0);
    set_desc(m->desc, 0, (uintptr_t)m->table, 2 * sizeof(struct desc),
             D_INDIRECT, 0);
    submit(d, q, 0);
}

static void h_ind_len(struct vdev *d, unsigned q, uint16_t w)
{
    struct vq_mem *m = d->vq[q];

    set_desc(m->table, 0, buf_addr(d, q, 0), 8, w, 0);
    set_desc(m->desc, 0, (uintptr_t)m->table, 24, D_INDIRECT, 0);
    submit(d, q, 0);
}

static void h_ind_nested(struct vdev *d, unsigned q, uint16_t w)
{
    struct vq_mem *m = d->vq[q];

    set_desc(m->table, 0, (uintptr_t)m->table, sizeof(struct desc),
             D_INDIRECT, 0);
    set_desc(m->desc, 0, (uintptr_t)m->table, sizeof(struct desc),
             D_INDIRECT, 0);
    submit(d, q, 0);
}

static void h_ind_hole(struct vdev *d, unsigned q, uint16_t w)
{
    set_desc(d->vq[q]->desc, 0, HOLE_ADDR, 4 * sizeof(struct desc),
             D_INDIRECT, 0);
    submit(d, q, 0);
}

static const struct hostile {
    const char *name;
    HostileFn *fn;
    bool indirect;              /* needs VIRTIO_RING_F_INDIRECT_DESC */
} hostile_cases[] = {
    { "descriptor loop", h_loop, false },
    { "chain longer than the queue", h_long_chain, false },
    { "next index out of range", h_next_range, false },
    { "head index out of range", h_head_range, false },
    { "buffer outside RAM", h_hole, false },
    { "buffer in MMIO", h_mmio, false },
    { "buffer running past RAM", h_past_ram, false },
    { "address + length wraps", h_wrap, false },
    { "avail index jumps past the queue size", h_avail_jump, false },
    { "buffer of the wrong direction", h_direction, false },
    { "device-readable after device-writable", h_write_then_read, false },
    { "loop in an indirect table", h_ind_loop, true },
    { "indirect table of a bad length", h_ind_len, true },
    { "nested indirect table", h_ind_nested, true },
    { "indirect table outside RAM", h_ind_hole, true },
};

#define RAM_TAIL_MAGIC 0x5afe5afe5afe5afeull

static void report(const struct vdev *d, const char *what, unsigned q)
{
    puts_uart("virtio-guest: ");
    puts_uart(d->name);
    puts_uart(" queue ");
    put_dec(q);
    puts_uart(": ");
    puts_uart(what);
    puts_uart(": ok\n");
}

/* The device noticed: NEEDS_RESET, config interrupt, nothing used, and
 * it stays stopped; then acknowledge, reset, and use it again. */
static void expect_broken(struct vdev *d, unsigned q, uint32_t gen)
{
    unsigned irq = VIRTIO_IRQ0 + d->slot;
    uint16_t used = d->used_seen[q];

    WAIT_FOR(30, rd(d, R_STATUS) & S_NEEDS_RESET);
    CHECK(31, rd(d, R_ISR) & ISR_CONFIG);
    CHECK(32, plic_pending(irq));
    CHECK(33, rd(d, R_CONFIG_GEN) != gen);
    CHECK(34, used_idx(d, q) == used);
    /* A broken device ignores further notifies. */
    wr(d, R_QUEUE_NOTIFY, q);
    delay_ms(20);
    CHECK(35, used_idx(d, q) == used);
    CHECK(36, rd(d, R_STATUS) & S_NEEDS_RESET);
    CHECK(37, *(volatile uint64_t *)(RAM_END - 8) == RAM_TAIL_MAGIC);
    wr(d, R_ISR_ACK, rd(d, R_ISR));
    CHECK(38, rd(d, R_ISR) == 0);
    CHECK(39, !plic_pending(irq));
    driver_init(d);
    CHECK(40, !(rd(d, R_STATUS) & S_NEEDS_RESET));
    sane(d);
}

static void run_hostile(struct vdev *d, unsigned q, uint16_t w)
{
    for (unsigned i = 0; i < sizeof(hostile_cases) /
                            sizeof(hostile_cases[0]); i++) {
        const struct hostile *h = &hostile_cases[i];

        uint32_t gen;

        cur_case++;
        if (h->indirect && !((d->features >> F_INDIRECT) & 1)) {
            continue;
        }
        gen = rd(d, R_CONFIG_GEN);
        *(volatile uint64_t *)(RAM_END - 8) = RAM_TAIL_MAGIC;
        h->fn(d, q, w);
        expect_broken(d, q, gen);
        report(d, h->name, q);
        cases_passed++;
    }
}

/* Mistakes in the set-up are refused, and do not break the device. */
static void run_setup_checks(struct vdev *d)
{
    struct vq_mem *m = d->vq[0];

    cur_case++;
    negotiate(d);
    wr(d, R_QUEUE_SEL, 0);
    wr(d, R_QUEUE_NUM, QSIZE);
    wr(d, R_DESC_LO, (uint32_t)UART);       /* ring in MMIO */
    wr(d, R_AVAIL_LO, (uint32_t)(uintptr_t)&m->avail);
    wr(d, R_USED_LO, (uint32_t)(uintptr_t)&m->used);
    wr(d, R_QUEUE_READY, 1);
    CHECK(1, rd(d, R_QUEUE_READY) == 0);
    wr(d, R_DESC_LO, (uint32_t)(uintptr_t)m->desc + 2);    /* misaligned */
    wr(d, R_QUEUE_READY, 1);
    CHECK(2, rd(d, R_QUEUE_READY) == 0);
    wr(d, R_DESC_LO, (uint32_t)(uintptr_t)m->desc);
    wr(d, R_QUEUE_NUM, 3);                  /* not a power of two */
    wr(d, R_QUEUE_READY, 1);
    CHECK(3, rd(d, R_QUEUE_READY) == 0);
    CHECK(4, !(rd(d, R_STATUS) & S_NEEDS_RESET));
    report(d, "refused queue set-ups", 0);

    /* DRIVER_OK without FEATURES_OK breaks the device (no interrupt:
     * the driver was not live yet). */
    cur_case++;
    wr(d, R_STATUS, 0);
    wr(d, R_STATUS, S_ACK | S_DRIVER);
    wr(d, R_STATUS, S_ACK | S_DRIVER | S_DRIVER_OK);
    CHECK(5, rd(d, R_STATUS) & S_NEEDS_RESET);
    report(d, "DRIVER_OK without FEATURES_OK", 0);

    /* A notify of a queue that does not exist is ignored. */
    cur_case++;
    driver_init(d);
    wr(d, R_QUEUE_NOTIFY, 77);
    sane(d);
    CHECK(6, !(rd(d, R_STATUS) & S_NEEDS_RESET));
    report(d, "sane after the set-up checks", 0);
    cases_passed += 3;
}

static unsigned find_devices(struct vdev *devs, unsigned max)
{
    unsigned n = 0, next_mem = 0;

    for (unsigned slot = 0; slot < VIRTIO_SLOTS && n < max; slot++) {
        struct vdev *d = &devs[n];
        uint32_t id;

        d->base = VIRTIO_BASE + slot * VIRTIO_STRIDE;
        d->slot = slot;
        cur_case = 1;
        CHECK(50, rd(d, R_MAGIC) == 0x74726976);
        CHECK(51, rd(d, R_VERSION) == 2);
        id = rd(d, R_DEVICE_ID);
        if (id != ID_RNG && id != ID_CONSOLE) {
            continue;
        }
        d->name = id == ID_RNG ? "rng" : "console";
        d->nr_queues = id == ID_RNG ? 1 : 2;
        for (unsigned q = 0; q < d->nr_queues; q++) {
            d->vq[q] = &vq_mem[next_mem++];
        }
        n++;
    }
    return n;
}

static void test_device(struct vdev *d)
{
    puts_uart("virtio-guest: ");
    puts_uart(d->name);
    puts_uart(" in slot ");
    put_dec(d->slot);
    putc_uart('\n');
    driver_init(d);
    sane(d);
    run_setup_checks(d);
    if (d->nr_queues == 1) {
        run_hostile(d, 0, D_WRITE);
        puts_uart("virtio-guest: rng ok\n");
        return;
    }
    /* The receive cases first: they need the chardev to still have
     * input to offer (it pops a buffer only when it has bytes). */
    run_hostile(d, 0, D_WRITE);
    run_hostile(d, 1, 0);
    console_rx_all(d);
    puts_uart("virtio-guest: console rx ok\n");
    puts_uart("virtio-guest: console ok\n");
}

void hostile_main(void)
{
    struct vdev devs[2] = { { 0 } };
    unsigned n = find_devices(devs, 2);

    cur_case = 2;
    CHECK(1, n > 0);
    for (unsigned i = 0; i < n; i++) {
        cur_case = 10 + 100 * i;
        test_device(&devs[i]);
    }
    puts_uart("virtio-guest: PASS (");
    put_dec(cases_passed);
    puts_uart(" cases)\n");
    finish(TEST_PASS);
}
