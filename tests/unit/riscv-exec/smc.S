/* Self-modifying code: rewrite an instruction that already ran, fence.i,
 * run it again; and cbo.zero on data. */
#include "rvtest.h"

main:
    li s0, 0
    call patched                /* translate it once: a0 = 1 */
    CHECK(1, a0, 1)
    /* patch "li a0, 1" into "li a0, 2" (addi a0, zero, 2) */
    la t0, patched
    li t1, 0x00200513
    sw t1, 0(t0)
    fence.i
    call patched
    CHECK(2, a0, 2)
    /* again, inside a loop that runs the old translation many times */
    li s1, 0
1:  call patched
    add s1, s1, a0
    li t1, 0x00300513
    sw t1, 0(t0)
    fence.i
    call patched
    CHECK(3, a0, 3)
    /* cbo.zero clears the 64-byte block around the address */
    la a0, block
    li a1, -1
    sd a1, 0(a0)
    sd a1, 56(a0)
    sd a1, 64(a0)
    addi a2, a0, 20
    cbo.zero (a2)
    ld a3, 0(a0)
    CHECK(4, a3, 0)
    ld a3, 56(a0)
    CHECK(5, a3, 0)
    ld a3, 64(a0)
    CHECK(6, a3, -1)
    cbo.clean (a2)
    cbo.flush (a2)
    cbo.inval (a2)
    /* fences and hints: no effect to see, but they must not trap */
    fence
    fence rw, rw
    fence.tso
    .word 0x0100000f            /* pause */
    ori x0, a2, 1               /* prefetch.r 0(a2) */
    ori x0, a2, 3               /* prefetch.w 0(a2) */
    ld a3, 64(a0)
    CHECK(7, a3, -1)
    /* cbo.zero from U without menvcfg/senvcfg.CBZE: illegal */
    EXPECT_TRAPS
    li t0, 3 << 11
    csrc mstatus, t0            /* MPP = U */
    la t0, in_u
    csrw mepc, t0
    mret
in_u:
    cbo.zero (a2)
    CHECK(8, s10, 2)
    TO_M(pass)
    j fail

    .align 2
patched:
    .option push
    .option norvc
    li a0, 1
    .option pop
    ret

    .data
    .align 6
block:
    .fill 16, 8, 0
