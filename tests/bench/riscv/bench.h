/* Shared by the CPU benchmark workloads: HTIF console and exit, the
 * instruction counter, and the report line the runner parses. */
#ifndef TESTS_BENCH_RISCV_BENCH_H
#define TESTS_BENCH_RISCV_BENCH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t bench_instret(void)
{
    uint64_t n;

    __asm__ volatile("csrr %0, minstret" : "=r"(n));
    return n;
}

void bench_putc(char c);
void bench_puts(const char *s);
void bench_put_u64(uint64_t v);
void bench_put_hex(uint64_t v);
void bench_exit(int code) __attribute__((noreturn));

/*
 * Prints "bench NAME instret N checksum 0xC\n".  N counts the
 * instructions retired by the work itself; the checksum lets the runner
 * check that both emulators computed the same thing.
 */
void bench_report(const char *name, uint64_t instret, uint64_t checksum);

/* The trap vector's C half (crt.S): prints the cause and exits 3. */
void bench_trap(uint64_t cause, uint64_t epc, uint64_t tval);

/* A small xorshift generator: the same inputs on every run. */
static inline uint32_t bench_rand(uint32_t *state)
{
    uint32_t x = *state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* gcc may emit calls to these for struct copies and array clears. */
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

#endif
