/* A: LR/SC (success, failure without reservation, after an
 * intervening store), AMOs with sign extension of .w results,
 * misaligned AMO trap. */
#include "rvtest.h"

main:
    la a0, data
    li a1, 100
    sd a1, 0(a0)
    lr.d a2, (a0)
    CHECK(1, a2, 100)
    li a3, 200
    sc.d a4, a3, (a0)
    CHECK(2, a4, 0)
    ld a2, 0(a0)
    CHECK(3, a2, 200)
    /* no reservation now: fails */
    sc.d a4, a1, (a0)
    CHECK(4, a4, 1)
    ld a2, 0(a0)
    CHECK(5, a2, 200)
    /* reservation broken by a store of another value */
    lr.d a2, (a0)
    li a3, 5
    sd a3, 0(a0)
    sc.d a4, a1, (a0)
    CHECK(6, a4, 1)
    /* lr.w sign-extends */
    li a1, 0x80000000
    sw a1, 8(a0)
    addi a5, a0, 8
    lr.w a2, (a5)
    CHECK(7, a2, 0xffffffff80000000)
    sc.w a4, zero, (a5)
    CHECK(8, a4, 0)
    lw a2, 8(a0)
    CHECK(9, a2, 0)
    /* AMOs return the old value */
    li a1, 10
    sd a1, 16(a0)
    addi a5, a0, 16
    li a3, 5
    amoadd.d a2, a3, (a5)
    CHECK(10, a2, 10)
    ld a2, 16(a0)
    CHECK(11, a2, 15)
    li a3, -1
    amomax.d a2, a3, (a5)
    ld a2, 16(a0)
    CHECK(12, a2, 15)
    amomaxu.d a2, a3, (a5)
    ld a2, 16(a0)
    CHECK(13, a2, -1)
    li a3, 0xf0
    amoand.d a2, a3, (a5)
    amoor.d a2, zero, (a5)
    CHECK(14, a2, 0xf0)
    li a3, 0xff
    amoxor.d a2, a3, (a5)
    ld a2, 16(a0)
    CHECK(15, a2, 0x0f)
    amoswap.d a2, zero, (a5)
    CHECK(16, a2, 0x0f)
    /* .w: 32-bit, old value sign-extended, upper word untouched */
    li a1, 0x7fffffff
    sw a1, 24(a0)
    li a1, 0x1234
    sw a1, 28(a0)
    addi a5, a0, 24
    li a3, 1
    amoadd.w a2, a3, (a5)
    CHECK(17, a2, 0x7fffffff)
    amominu.w a2, a3, (a5)
    CHECK(18, a2, 0xffffffff80000000)
    lw a2, 24(a0)
    CHECK(19, a2, 1)
    lw a2, 28(a0)
    CHECK(20, a2, 0x1234)
    li a3, -5
    amomin.w a2, a3, (a5)
    lw a2, 24(a0)
    CHECK(21, a2, -5)
    /* misaligned AMO: store/AMO misaligned, cause 6 */
    EXPECT_TRAPS
    addi a5, a0, 4
    amoadd.d a2, a3, (a5)
    CHECK(22, s10, 6)
    CHECKR(23, s11, a5)
    /* misaligned LR: load misaligned, cause 4 */
    lr.d a2, (a5)
    CHECK(24, s10, 4)
    j pass

    .data
    .align 3
data:
    .dword 0, 0, 0, 0, 0
