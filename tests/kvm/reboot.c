/* KVM test kernel "reboot": counts its boots in a RAM word outside its
 * image (a machine reset keeps RAM), prints the count and resets through
 * the i8042, as Linux's "reboot=k" does.  With -no-reboot the reset ends
 * the run after "boot 1".  Without it weft resets the machine, writes
 * the kernel again and the second boot prints "boot 2" and "done" and
 * stops in hlt; the runner ends weft then. */
#include "kvmtest.h"

#define BOOT_COUNTER_ADDR   0x1000000ull    /* 16 MiB, away from the image */
#define BOOT_MAGIC          0x5745465400000000ull   /* "WEFT" << 32 */

void kmain(const uint8_t *zero_page)
{
    (void)zero_page;
    volatile uint64_t *counter = (uint64_t *)(uintptr_t)BOOT_COUNTER_ADDR;
    uint64_t boots = 1;

    if ((*counter & 0xffffffff00000000ull) == BOOT_MAGIC) {
        boots = (*counter & 0xffffffff) + 1;
    }
    *counter = BOOT_MAGIC | boots;
    serial_puts("weft-kvm-test: reboot: boot ");
    serial_putc('0' + (char)(boots % 10));
    serial_puts("\n");
    if (boots >= 2) {
        serial_puts("weft-kvm-test: reboot: done\n");
        for (;;) {
            __asm__ volatile("cli; hlt");
        }
    }
    i8042_reset();
}
