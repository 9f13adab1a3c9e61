/* SiFive test finisher ("sifive,test0"/"sifive,test1"): one 32-bit
 * register at offset 0 that powers the machine off, fails with an exit
 * code, or resets it.  OpenSBI and Linux (syscon-poweroff/-reboot) use it
 * on the virt board.
 *
 *   0x5555            power off, exit status 0
 *   (code << 16) | 0x3333   fail: exit status = code (see sifive-test.c)
 *   0x7777            machine reset (qemu_system_reset_request)
 *
 * The command is the low 32 bits of a 2-, 4- or 8-byte write at offset 0
 * (OpenSBI writes 16 bits: its code is then 0).  Other values, reads,
 * byte writes and other offsets do nothing (logged under
 * -d guest_errors); reads return 0.
 */
#ifndef HW_MISC_SIFIVE_TEST_H
#define HW_MISC_SIFIVE_TEST_H

#include <stdint.h>

#include "memory/memory.h"
#include "util/error.h"

#define SIFIVE_TEST_SIZE    0x1000
#define SIFIVE_TEST_FAIL    0x3333
#define SIFIVE_TEST_PASS    0x5555
#define SIFIVE_TEST_RESET   0x7777

typedef struct SifiveTestState SifiveTestState;

/* BQL.  Static device: lives with the machine. */
SifiveTestState *sifive_test_create(MemoryRegion *sysmem, hwaddr base,
                                    Error **errp);

/* The process exit status for a FAIL write carrying code: its low 8 bits,
 * except that a code whose low 8 bits are 0 gives 1 (a failure must never
 * look like success to the shell). */
int sifive_test_fail_status(uint32_t code);

#endif
