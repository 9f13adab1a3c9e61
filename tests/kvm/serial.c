/* KVM test kernel "serial": prints through the 16550 with port I/O,
 * checks the boot state weft promises (long mode, the zero page in rsi
 * with the command line pointer, a readable LSR), then asks for a
 * reset through the i8042; the runner passes -no-reboot, so the reset
 * ends the run with status 0. */
#include "kvmtest.h"

#define ZERO_PAGE_CMD_LINE_PTR  0x228
#define ZERO_PAGE_E820_ENTRIES  0x1e8

static uint64_t read_efer(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000080));
    return (uint64_t)hi << 32 | lo;
}

void kmain(const uint8_t *zero_page)
{
    const char *cmdline;
    uint32_t ptr = 0;

    serial_puts("weft-kvm-test: serial: hello\n");
    serial_puts("efer ");
    serial_puthex(read_efer());
    serial_puts("\n");
    for (int i = 0; i < 4; i++) {
        ptr |= (uint32_t)zero_page[ZERO_PAGE_CMD_LINE_PTR + i] << (8 * i);
    }
    cmdline = (const char *)(uintptr_t)ptr;
    serial_puts("cmdline: ");
    serial_puts(cmdline);
    serial_puts("\n");
    serial_puts("e820 entries ");
    serial_puthex(zero_page[ZERO_PAGE_E820_ENTRIES]);
    serial_puts("\n");
    serial_puts("weft-kvm-test: serial: done\n");
    i8042_reset();
}
