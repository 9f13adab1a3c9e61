/* Run with --smp 4: every hart adds to shared counters with amoadd.w,
 * amoadd.d and an lr.d/sc.d loop; hart 0 waits for all and checks the
 * sums (lost updates would show up as a short count). */
#include "rvtest.h"

#define ITERS   20000
#define NHARTS  4

main:
    la s0, counters
    li s1, ITERS
    li t2, 1
1:  amoadd.w zero, t2, 0(s0)
    addi t0, s0, 8
    amoadd.d zero, t2, (t0)
    addi t0, s0, 16
2:  lr.d t1, (t0)
    addi t1, t1, 1
    sc.d t3, t1, (t0)
    bnez t3, 2b
    addi s1, s1, -1
    bnez s1, 1b
    addi t0, s0, 24
    amoadd.d zero, t2, (t0)     /* this hart is done */
    bnez a0, idle
    /* Shared words are only read atomically (amoor with zero): the
     * harts race on them by design, and so TSan builds see atomics. */
    li t1, NHARTS
    addi t0, s0, 24
3:  amoor.d t3, zero, (t0)
    bne t3, t1, 3b
    li t1, NHARTS * ITERS
    amoor.w t3, zero, (s0)
    CHECKR(1, t3, t1)
    addi t0, s0, 8
    amoor.d t3, zero, (t0)
    CHECKR(2, t3, t1)
    addi t0, s0, 16
    amoor.d t3, zero, (t0)
    CHECKR(3, t3, t1)
    j pass
idle:
    j idle

    .data
    .align 6
counters:
    .dword 0, 0, 0, 0
