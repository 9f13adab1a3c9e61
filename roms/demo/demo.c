/*
 * weft demo guest: the default program of `make run`.  Runs bare-metal on
 * -M virt -bios none.  Every hart prints a greeting on the ns16550a UART,
 * taking turns through a spinlock; hart 0 waits until every hart the
 * device tree lists has spoken and powers the machine off through the
 * sifive_test device.
 */
#include <stdbool.h>
#include <stdint.h>

#define UART_BASE       0x10000000UL
#define UART_THR        0       /* transmit holding register */
#define UART_LSR        5       /* line status register */
#define UART_LSR_THRE   0x20    /* transmit holding register empty */
#define TEST_BASE       0x100000UL
#define TEST_PASS       0x5555  /* sifive_test: power off, status 0 */
#define MTIME_ADDR      0x200bff8UL
#define MTIME_HZ        10000000ULL
#define FDT_MAGIC       0xd00dfeedU

enum fdt_token {
    FDT_BEGIN_NODE = 1,
    FDT_END_NODE = 2,
    FDT_PROP = 3,
    FDT_NOP = 4,
    FDT_END = 9,
};

void demo_main(unsigned long hartid, const void *fdt);

/* Serialises whole lines on the UART, so harts do not interleave. */
static volatile uint32_t uart_lock;
/* Harts that have printed their line; hart 0 reads it to know when to stop. */
static volatile uint32_t harts_done;

static void uart_putc(char c)
{
    volatile uint8_t *uart = (volatile uint8_t *)UART_BASE;

    while (!(uart[UART_LSR] & UART_LSR_THRE))
        ;
    uart[UART_THR] = (uint8_t)c;
}

static void uart_puts(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            uart_putc('\r');
        uart_putc(*s);
    }
}

static void uart_putu(unsigned long v)
{
    char buf[24];
    int i = 0;

    do {
        buf[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (i)
        uart_putc(buf[--i]);
}

static void lock(volatile uint32_t *l)
{
    while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
        while (*l)
            ;
}

static void unlock(volatile uint32_t *l)
{
    __atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

static uint64_t mtime(void)
{
    return *(volatile uint64_t *)MTIME_ADDR;
}

static uint32_t be32(const void *p)
{
    const uint8_t *b = p;

    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
           (uint32_t)b[2] << 8 | b[3];
}

static bool has_prefix(const char *s, const char *prefix)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return false;
    return true;
}

static uint32_t str_len(const char *s)
{
    uint32_t n = 0;

    while (s[n])
        n++;
    return n;
}

static bool streq(const char *a, const char *b)
{
    return has_prefix(a, b) && a[str_len(b)] == '\0';
}

static uint32_t align4(uint32_t n)
{
    return (n + 3) & ~3U;
}

/*
 * Counts the /cpus/cpu@N nodes of a flattened device tree; 0 when the
 * blob is not a device tree.  Walks the structure block only, bounded by
 * its size, so a damaged blob cannot send the walk astray.
 */
static unsigned fdt_count_cpus(const uint8_t *fdt)
{
    uint32_t off, end, len, depth = 0;
    bool in_cpus = false;
    unsigned cpus = 0;

    if (!fdt || be32(fdt) != FDT_MAGIC)
        return 0;
    off = be32(fdt + 8);
    end = off + be32(fdt + 36);
    while (off + 4 <= end) {
        uint32_t token = be32(fdt + off);
        const char *name = (const char *)fdt + off + 4;

        off += 4;
        switch (token) {
        case FDT_BEGIN_NODE:
            depth++;
            if (depth == 2)
                in_cpus = streq(name, "cpus");
            else if (depth == 3 && in_cpus && has_prefix(name, "cpu@"))
                cpus++;
            off += align4(str_len(name) + 1);
            break;
        case FDT_END_NODE:
            depth--;
            break;
        case FDT_PROP:
            len = be32(fdt + off);
            off += 8 + align4(len);
            break;
        case FDT_NOP:
            break;
        default:        /* FDT_END or garbage */
            return cpus;
        }
    }
    return cpus;
}

static void say_hello(unsigned long hartid)
{
    lock(&uart_lock);
    uart_puts("weft: hello from hart ");
    uart_putu(hartid);
    uart_puts("\n");
    unlock(&uart_lock);
    __atomic_fetch_add(&harts_done, 1, __ATOMIC_RELEASE);
}

/*
 * Hart 0 waits for the others.  Without a device tree it cannot know how
 * many there are, so it waits one second of mtime after the last arrival.
 */
static void wait_for_harts(unsigned expected)
{
    uint32_t seen = __atomic_load_n(&harts_done, __ATOMIC_ACQUIRE);
    uint64_t deadline = mtime() + MTIME_HZ;

    for (;;) {
        uint32_t now = __atomic_load_n(&harts_done, __ATOMIC_ACQUIRE);

        if (expected && now >= expected)
            return;
        if (now != seen) {
            seen = now;
            deadline = mtime() + MTIME_HZ;
        }
        if (!expected && mtime() > deadline)
            return;
    }
}

void demo_main(unsigned long hartid, const void *fdt)
{
    unsigned expected;

    say_hello(hartid);
    if (hartid != 0)
        return;         /* start.S parks the hart */

    expected = fdt_count_cpus(fdt);
    if (expected > DEMO_MAX_HARTS)
        expected = DEMO_MAX_HARTS;
    wait_for_harts(expected);

    lock(&uart_lock);
    uart_puts("weft: ");
    uart_putu(__atomic_load_n(&harts_done, __ATOMIC_ACQUIRE));
    uart_puts(" hart(s) said hello, powering off\n");
    unlock(&uart_lock);
    *(volatile uint32_t *)TEST_BASE = TEST_PASS;
    for (;;)
        __asm__ volatile("wfi");
}
