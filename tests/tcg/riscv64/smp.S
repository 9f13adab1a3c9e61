/* NHARTS harts: amoadd and LR/SC counters on shared memory, then IPIs
 * through CLINT MSIP from hart 0 to every other hart. */
#include "test.h"
#ifndef NHARTS
#define NHARTS 2
#endif
#define ITERS 2000
#define CLINT_MSIP 0x2000000
TEST_PROLOGUE
main:
    li t0, NHARTS
    bgeu a0, t0, park
    /* amoadd counter */
    la a1, amo_counter
    li t1, ITERS
1:  li t2, 1
    amoadd.w zero, t2, (a1)
    addi t1, t1, -1
    bnez t1, 1b
    /* LR/SC counter */
    la a1, lrsc_counter
    li t1, ITERS
2:  lr.d t2, (a1)
    addi t2, t2, 1
    sc.d t3, t2, (a1)
    bnez t3, 2b
    addi t1, t1, -1
    bnez t1, 2b
    la a1, done
    li t2, 1
    amoadd.w zero, t2, (a1)
    bnez a0, secondary

    /* hart 0: wait for everyone, check the counters */
    la a1, done
3:  lw t2, 0(a1)
    li t0, NHARTS
    bne t2, t0, 3b
    la a1, amo_counter
    lw t2, 0(a1)
    CHECK(1, t2, NHARTS * ITERS)
    la a1, lrsc_counter
    ld t2, 0(a1)
    CHECK(2, t2, NHARTS * ITERS)
    /* IPI every other hart; each acknowledges */
    li t1, 1
    li a2, CLINT_MSIP
4:  li t0, NHARTS
    bgeu t1, t0, 5f
    slli t3, t1, 2
    add t3, t3, a2
    li t0, 1
    sw t0, 0(t3)
    addi t1, t1, 1
    j 4b
5:  la a1, acks
6:  lw t2, 0(a1)
    li t0, NHARTS - 1
    bne t2, t0, 6b
    PASS

secondary:
    /* sleep until our MSIP is pending (mstatus.MIE stays 0: wfi wakes
     * on a pending enabled interrupt without taking it) */
    li t0, 0x8                  /* MSIE */
    csrs mie, t0
7:  wfi
    csrr t0, mip
    andi t0, t0, 0x8
    beqz t0, 7b
    li a2, CLINT_MSIP
    slli t3, a0, 2
    add t3, t3, a2
    sw zero, 0(t3)              /* clear our MSIP */
    la a1, acks
    li t2, 1
    amoadd.w zero, t2, (a1)
park:
    wfi
    j park

    .data
    .align 6
amo_counter: .word 0
    .align 6
lrsc_counter: .dword 0
    .align 6
done: .word 0
    .align 6
acks: .word 0
