/* CLINT timer: mtimecmp = mtime + 1 ms, wfi until MTIP is taken. */
#include "test.h"
#define CLINT_MTIMECMP 0x2004000
#define CLINT_MTIME 0x200bff8
TEST_PROLOGUE
main:
    la t0, handler
    csrw mtvec, t0
    li s0, 0                    /* interrupts taken */
    li t1, CLINT_MTIME
    ld s1, 0(t1)
    li t0, 10000                /* 1 ms at 10 MHz */
    add s2, s1, t0              /* deadline */
    li t2, CLINT_MTIMECMP
    sd s2, 0(t2)
    li t0, 0x80                 /* MTIE */
    csrs mie, t0
    /* mstatus.MIE stays clear while sleeping: wfi wakes on a pending
     * enabled interrupt regardless of MIE, and opening the window only
     * after it means the interrupt cannot be taken just before a wfi
     * that would then sleep forever (as on real hardware). */
sleep:
    wfi
    csrsi mstatus, 0x8          /* take it */
    csrci mstatus, 0x8
    beqz s0, sleep
    CHECK(1, s0, 1)
    li t0, 0x8000000000000007
    bne s3, t0, bad_cause
    /* the interrupt came no earlier than the deadline */
    bltu s4, s2, early
    PASS
bad_cause:
    FAIL(2)
early:
    FAIL(3)

    .align 2
handler:
    csrr s3, mcause
    li t1, CLINT_MTIME
    ld s4, 0(t1)
    li t0, -1
    li t2, CLINT_MTIMECMP
    sd t0, 0(t2)                /* lowers MTIP */
    addi s0, s0, 1
    mret
