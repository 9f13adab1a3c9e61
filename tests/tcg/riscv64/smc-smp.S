/* Cross-modifying code on two harts (priv spec / Zifencei recipe):
 * hart 1 stores a new instruction, then (fence w,w) a flag; hart 0
 * sees the flag, executes fence.i, and must run the new instruction,
 * ITERS times per phase.  Hart 0 keeps executing the old code while
 * hart 1 writes it, so its blocks for that code are translated, cached
 * and chained when the write lands:
 *  1. the patched instruction is in a function hart 0 keeps calling;
 *  2. it is inside hart 0's own polling loop (the running block).
 * The patched instruction is "addi a0, zero, k"; its low 16 bits are the
 * same for every k, so a fetch torn between its halves still decodes. */
#include "test.h"
#define ITERS 100
#define BURST 8
#define ADDI_A0(k) (0x00000513 | ((k) << 20))

TEST_PROLOGUE
    .size tohost, 8             /* QEMU's HTIF wants the sizes */
    .size fromhost, 8
    .option norvc
main:
    li t0, 1
    beq a0, t0, writer
    bnez a0, park

    /* ---- hart 0 */
    li s1, 1
11: call patched                /* until the flag says k */
    la t0, flag1
    lw t1, 0(t0)
    bne t1, s1, 11b
    fence r, rw
    fence.i
    call patched
    beq a0, s1, 12f
    FAIL(1)
12: la t0, ack1
    sw s1, 0(t0)
    addi s1, s1, 1
    li t0, ITERS
    ble s1, t0, 11b

    li s1, 1
13: li s2, 0                    /* 1 once fence.i has run */
14: la t0, flag2
    lw t1, 0(t0)
slot:
    addi a0, zero, 0            /* patched */
    bnez s2, 15f
    bne t1, s1, 14b
    fence r, rw
    fence.i
    li s2, 1
    j 14b
15: beq a0, s1, 16f
    FAIL(2)
16: la t0, ack2
    sw s1, 0(t0)
    addi s1, s1, 1
    li t0, ITERS
    ble s1, t0, 13b
    PASS

    /* ---- hart 1: patch, publish, wait for the ack */
writer:
    la a1, patched
    la a2, flag1
    la a3, ack1
    call patch_loop
    la a1, slot
    la a2, flag2
    la a3, ack2
    call patch_loop
park:
    wfi
    j park

/* For k = 1..ITERS: *a1 = addi a0, zero, k; fence; *a2 = k; wait until
 * *a3 == k.  Before that, a burst of stores alternating 0 and k keeps
 * hart 0 translating the code while it changes. */
patch_loop:
    li s1, 1
11: slli t0, s1, 20
    li t1, ADDI_A0(0)
    or t0, t0, t1
    li t2, BURST
13: sw t1, 0(a1)
    sw t0, 0(a1)
    addi t2, t2, -1
    bnez t2, 13b
    fence w, w
    sw s1, 0(a2)
12: lw t0, 0(a3)
    bne t0, s1, 12b
    addi s1, s1, 1
    li t0, ITERS
    ble s1, t0, 11b
    ret

    .balign 16
patched:
    addi a0, zero, 0            /* patched */
    ret

    .data
    .align 6
flag1:  .word 0
    .align 6
ack1:   .word 0
    .align 6
flag2:  .word 0
    .align 6
ack2:   .word 0
