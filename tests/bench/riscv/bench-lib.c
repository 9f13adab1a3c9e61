/* HTIF console and exit for the benchmark workloads (bare metal, no
 * libc).  tohost = device << 56 | command << 48 | payload; the host
 * acknowledges a console write by setting fromhost, which we clear. */
#include "bench.h"

extern volatile uint64_t tohost;
extern volatile uint64_t fromhost;

#define HTIF_CONSOLE_PUTC ((1ull << 56) | (1ull << 48))

void bench_putc(char c)
{
    tohost = HTIF_CONSOLE_PUTC | (uint8_t)c;
    while (!fromhost) {
        /* wait for the host to take the character */
    }
    fromhost = 0;
}

void bench_puts(const char *s)
{
    while (*s) {
        bench_putc(*s++);
    }
}

void bench_put_u64(uint64_t v)
{
    char buf[21];
    int i = sizeof(buf) - 1;

    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    bench_puts(&buf[i]);
}

void bench_put_hex(uint64_t v)
{
    static const char digits[] = "0123456789abcdef";

    bench_puts("0x");
    for (int shift = 60; shift >= 0; shift -= 4) {
        bench_putc(digits[(v >> shift) & 15]);
    }
}

void bench_exit(int code)
{
    /* device 0: bit 0 set means exit with code payload >> 1 */
    tohost = ((uint64_t)code << 1) | 1;
    for (;;) {
        /* the host stops us */
    }
}

void bench_report(const char *name, uint64_t instret, uint64_t checksum)
{
    bench_puts("bench ");
    bench_puts(name);
    bench_puts(" instret ");
    bench_put_u64(instret);
    bench_puts(" checksum ");
    bench_put_hex(checksum);
    bench_putc('\n');
}

/* Called from the trap vector in crt.S: no workload should trap. */
void bench_trap(uint64_t cause, uint64_t epc, uint64_t tval)
{
    bench_puts("bench: unexpected trap, mcause ");
    bench_put_hex(cause);
    bench_puts(" mepc ");
    bench_put_hex(epc);
    bench_puts(" mtval ");
    bench_put_hex(tval);
    bench_putc('\n');
    bench_exit(3);
}

void *memset(void *s, int c, size_t n)
{
    volatile uint8_t *p = s;    /* volatile: not turned back into memset */

    while (n--) {
        *p++ = (uint8_t)c;
    }
    return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
    volatile uint8_t *dp = d;
    const uint8_t *sp = s;

    while (n--) {
        *dp++ = *sp++;
    }
    return d;
}
