/* KVM test kernel "calibrate": how fast does this KVM run guest code?
 * Prints "start", then a tick line after every CALIBRATE_TICK_ITERS
 * iterations of a two-instruction loop (CALIBRATE_TICKS of them), then
 * "done", and resets through the i8042 (-no-reboot ends the run).  The
 * host times the lines (tests/kvm/linux-boot.py, tests/bench/
 * kvm-boot.sh): hardware KVM runs the whole loop in tens of
 * milliseconds; a software KVM (about 1000x slower) takes seconds per
 * tick, and the host stops it early. */
#include "kvmtest.h"

#define CALIBRATE_TICKS         16
#define CALIBRATE_TICK_ITERS    (1u << 20)

static void spin(uint32_t n)
{
    /* dec + jnz: the compiler may not fold the loop away. */
    __asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(n) : : "cc");
}

void kmain(const uint8_t *zero_page)
{
    (void)zero_page;
    serial_puts("weft-kvm-test: calibrate: start\n");
    for (int t = 1; t <= CALIBRATE_TICKS; t++) {
        spin(CALIBRATE_TICK_ITERS);
        serial_puts("weft-kvm-test: calibrate: tick ");
        serial_putc('a' + (char)(t - 1));
        serial_puts("\n");
    }
    serial_puts("weft-kvm-test: calibrate: done 16 ticks of 1048576\n");
    i8042_reset();
}
