/* Freestanding helpers of the x86-64 KVM test kernels: port I/O, the
 * 16550 at 0x3f8 (polled: no interrupts), the i8042 reset. */
#ifndef TESTS_KVM_KVMTEST_H
#define TESTS_KVM_KVMTEST_H

#include <stdint.h>

#define COM1            0x3f8
#define UART_THR        0
#define UART_LSR        5
#define UART_LSR_THRE   0x20
#define I8042_CMD       0x64
#define I8042_RESET     0xfe

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;

    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void serial_putc(char c)
{
    /* Wait for the holding register; bounded, so a broken UART model
     * shows up as missing output rather than a hang. */
    for (int i = 0; i < 100000 && !(inb(COM1 + UART_LSR) & UART_LSR_THRE);
         i++) {
    }
    outb(COM1 + UART_THR, c);
}

static inline void serial_puts(const char *s)
{
    while (*s) {
        if (*s == '\n') {
            serial_putc('\r');
        }
        serial_putc(*s++);
    }
}

static inline void serial_puthex(uint64_t v)
{
    static const char digits[] = "0123456789abcdef";

    serial_puts("0x");
    for (int shift = 60; shift >= 0; shift -= 4) {
        serial_putc(digits[(v >> shift) & 0xf]);
    }
}

static inline void __attribute__((noreturn)) i8042_reset(void)
{
    outb(I8042_CMD, I8042_RESET);
    for (;;) {
        __asm__ volatile("hlt");
    }
}

#endif
