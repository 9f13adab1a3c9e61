/* Self-modifying code: a store into a page holding translated code, then
 * fence.i, runs the new instruction (TLB_NOTDIRTY slow path and TB
 * invalidation). */
#include "test.h"
TEST_PROLOGUE
main:
    call patched
    CHECK(1, a0, 1)
    la t0, patched
    li t1, 0x00200513           /* addi a0, zero, 2 */
    sw t1, 0(t0)
    fence.i
    call patched
    CHECK(2, a0, 2)
    li t1, 0x00300513           /* addi a0, zero, 3 */
    sw t1, 0(t0)
    fence.i
    call patched
    CHECK(3, a0, 3)
    PASS

    /* aligned (sw into it must not be misaligned), 4-byte insns */
    .balign 16
    .option push
    .option norvc
    .option norelax
patched:
    addi a0, zero, 1
    ret
    .option pop
