/* Console output and the trap record for the C guest tests (bare
 * metal on -M spike through HTIF), or the same calls on Linux when a
 * test is cross-checked under qemu-riscv64 (-DLINUX_USER). */
#ifndef TESTS_TCG_RISCV64_GUEST_LIB_H
#define TESTS_TCG_RISCV64_GUEST_LIB_H

#include <stdint.h>

#ifdef LINUX_USER
#include <stdio.h>
#define guest_printf printf
#else
extern volatile uint64_t tohost, fromhost;
extern volatile uint64_t mtrap_rec[6];

/* HTIF syscall 64 (write) to fd 1. */
static void guest_write(const char *s, unsigned long len)
{
    static volatile uint64_t args[8] __attribute__((aligned(64)));

    args[0] = 64;
    args[1] = 1;
    args[2] = (uintptr_t)s;
    args[3] = len;
    __sync_synchronize();
    tohost = (uintptr_t)args;
    while (!fromhost)
        ;
    fromhost = 0;
}

static void put_hex(char *buf, unsigned long *n, uint64_t v)
{
    for (int i = 60; i >= 0; i -= 4)
        buf[(*n)++] = "0123456789abcdef"[(v >> i) & 15];
}

/* Only what the tests print: %s, %d (non-negative), %x (as 16 digits). */
static void guest_printf(const char *fmt, ...)
{
    __builtin_va_list ap;
    char buf[256];
    unsigned long n = 0;

    __builtin_va_start(ap, fmt);
    for (; *fmt && n < sizeof(buf) - 40; fmt++) {
        if (*fmt != '%') {
            buf[n++] = *fmt;
            continue;
        }
        fmt++;
        if (*fmt == 's') {
            const char *s = __builtin_va_arg(ap, const char *);
            while (*s && n < sizeof(buf) - 40)
                buf[n++] = *s++;
        } else if (*fmt == 'd') {
            unsigned v = __builtin_va_arg(ap, unsigned);
            char tmp[12];
            int k = 0;
            do {
                tmp[k++] = '0' + v % 10;
                v /= 10;
            } while (v);
            while (k)
                buf[n++] = tmp[--k];
        } else {
            put_hex(buf, &n, __builtin_va_arg(ap, uint64_t));
            if (fmt[0] == 'l' && fmt[1] == 'x')
                fmt++;
        }
    }
    __builtin_va_end(ap);
    guest_write(buf, n);
}
#endif

#endif
