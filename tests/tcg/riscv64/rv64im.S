/* RV64I and M edge values: shift amounts masked to 6 (5 for *W) bits,
 * sign extension of every W result, signed/unsigned compares around
 * INT_MIN, loads' extension, and M's divide-by-zero and overflow rules
 * and high-half products (spec ch. 2, 5 and 7). */
#include "test.h"
TEST_PROLOGUE
#define INT_MIN 0x8000000000000000
main:
    /* shifts: register amounts use the low 6 bits */
    li a1, 1
    li a2, 64
    sll a3, a1, a2
    CHECK(1, a3, 1)
    li a2, 63
    sll a3, a1, a2
    CHECK(2, a3, INT_MIN)
    srl a4, a3, a2
    CHECK(3, a4, 1)
    sra a4, a3, a2
    CHECK(4, a4, -1)
    li a2, 127                  /* masks to 63 */
    sra a4, a3, a2
    CHECK(5, a4, -1)
    slli a3, a1, 63
    srai a4, a3, 63
    CHECK(6, a4, -1)
    srli a4, a3, 63
    CHECK(7, a4, 1)
    /* W shifts: 5-bit amounts, results sign-extended from bit 31 */
    li a2, 32
    sllw a3, a1, a2
    CHECK(8, a3, 1)
    li a2, 31
    sllw a3, a1, a2
    CHECK(9, a3, 0xffffffff80000000)
    li a5, 0x80000000           /* upper half zero */
    srlw a3, a5, a2
    CHECK(10, a3, 1)
    srlw a3, a5, zero
    CHECK(11, a3, 0xffffffff80000000)
    sraw a3, a5, a2
    CHECK(12, a3, -1)
    li a6, 0x1234567880000000   /* upper half ignored */
    sraiw a3, a6, 4
    CHECK(13, a3, 0xfffffffff8000000)
    srliw a3, a6, 4
    CHECK(14, a3, 0x08000000)
    slliw a3, a6, 0
    CHECK(15, a3, 0xffffffff80000000)
    /* W arithmetic wraps at 32 bits and sign-extends */
    li a1, 0x7fffffff
    addiw a3, a1, 1
    CHECK(16, a3, 0xffffffff80000000)
    li a1, 0xffffffff
    addiw a3, a1, 0             /* sext.w */
    CHECK(17, a3, -1)
    li a2, 0x80000000
    subw a3, zero, a2
    CHECK(18, a3, 0xffffffff80000000)
    li a1, 0x100000001
    addw a3, a1, a1
    CHECK(19, a3, 2)
    /* compares around INT_MIN */
    li a1, INT_MIN
    slt a3, a1, zero
    CHECK(20, a3, 1)
    sltu a3, a1, zero
    CHECK(21, a3, 0)
    slt a3, zero, a1
    CHECK(22, a3, 0)
    sltu a3, zero, a1
    CHECK(23, a3, 1)
    slti a3, a1, -1
    CHECK(24, a3, 1)
    li a2, 5
    sltiu a3, a2, -1            /* immediate sign-extends to all ones */
    CHECK(25, a3, 1)
    li a2, -1
    sltiu a3, a2, -1
    CHECK(26, a3, 0)
    sltiu a3, zero, 1           /* seqz */
    CHECK(27, a3, 1)
    /* branches on INT_MIN */
    li a1, INT_MIN
    bge a1, zero, bad_branch
    bltu a1, zero, bad_branch
    /* lui and auipc sign-extend bit 31 */
    lui a3, 0x80000
    CHECK(28, a3, 0xffffffff80000000)
    /* load extension */
    la a1, data
    lb a3, 0(a1)
    CHECK(29, a3, -128)
    lbu a3, 0(a1)
    CHECK(30, a3, 0x80)
    lh a3, 0(a1)
    CHECK(31, a3, 0xffffffffffff8080)
    lhu a3, 0(a1)
    CHECK(32, a3, 0x8080)
    lw a3, 0(a1)
    CHECK(33, a3, 0xffffffff80808080)
    lwu a3, 0(a1)
    CHECK(34, a3, 0x80808080)
    ld a3, 0(a1)
    CHECK(35, a3, 0x0102030480808080)
    /* x0 ignores writes */
    li zero, 5
    addi zero, zero, 1
    bnez zero, bad_branch

    /* ---- M: division by zero and overflow (spec table 7.1) */
    li a1, 1234
    div a3, a1, zero
    CHECK(40, a3, -1)
    divu a3, a1, zero
    CHECK(41, a3, -1)
    rem a3, a1, zero
    CHECK(42, a3, 1234)
    remu a3, a1, zero
    CHECK(43, a3, 1234)
    li a1, INT_MIN
    li a2, -1
    div a3, a1, a2
    CHECK(44, a3, INT_MIN)
    rem a3, a1, a2
    CHECK(45, a3, 0)
    li a1, 0x80000000
    divw a3, a1, a2
    CHECK(46, a3, 0xffffffff80000000)
    remw a3, a1, a2
    CHECK(47, a3, 0)
    divw a3, a1, zero
    CHECK(48, a3, -1)
    divuw a3, a1, zero
    CHECK(49, a3, -1)
    remuw a3, a1, zero
    CHECK(50, a3, 0xffffffff80000000)
    remw a3, a1, zero
    CHECK(51, a3, 0xffffffff80000000)
    li a1, -7
    li a2, 2
    div a3, a1, a2              /* rounds toward zero */
    CHECK(52, a3, -3)
    rem a3, a1, a2              /* sign of the dividend */
    CHECK(53, a3, -1)
    divu a3, a1, a2
    CHECK(54, a3, 0x7ffffffffffffffc)
    li a1, 0xfffffff9           /* -7 in the low word */
    divuw a3, a1, a2
    CHECK(55, a3, 0x7ffffffc)
    /* high products */
    li a1, -1
    mulh a3, a1, a1
    CHECK(60, a3, 0)
    mulhu a3, a1, a1
    CHECK(61, a3, 0xfffffffffffffffe)
    mulhsu a3, a1, a1
    CHECK(62, a3, -1)
    mul a3, a1, a1
    CHECK(63, a3, 1)
    li a1, INT_MIN
    mulh a3, a1, a1
    CHECK(64, a3, 0x4000000000000000)
    li a2, -1
    mulhsu a3, a1, a2
    CHECK(65, a3, INT_MIN)
    mulh a3, a1, a2
    CHECK(66, a3, 0)
    li a1, 2
    mulhsu a3, a1, a2
    CHECK(67, a3, 1)
    li a1, 0x7fffffff
    li a2, 2
    mulw a3, a1, a2
    CHECK(68, a3, -2)
    li a1, 0x123456789
    li a2, 0x100000000
    mulhu a3, a1, a2
    CHECK(69, a3, 1)
    PASS
bad_branch:
    FAIL(90)

    .data
    .align 3
data:
    .dword 0x0102030480808080
