/* Zba, Zbb, Zbc, Zbs and Zicond at their edges: counts of 0 and all
 * ones, the W forms' 32-bit views, rotations by 0/63/masked amounts,
 * byte reversal and OR-combine, the three carry-less products of all
 * ones, single-bit ops at bit 63 and masked indexes, and czero. */
#include "test.h"
TEST_PROLOGUE
#define INT_MIN 0x8000000000000000
/* Zicond is newer than our binutils: raw encodings. */
#define CZERO_EQZ(rd, rs1, rs2) .insn r 0x33, 5, 7, rd, rs1, rs2
#define CZERO_NEZ(rd, rs1, rs2) .insn r 0x33, 7, 7, rd, rs1, rs2
main:
    /* ---- Zba */
    li a1, 0xffffffff80000000
    li a2, 1
    add.uw a3, a1, a2
    CHECK(1, a3, 0x80000001)
    li a1, 0xffffffff00000001
    sh3add.uw a3, a1, zero
    CHECK(2, a3, 8)
    sh2add.uw a3, a1, a2
    CHECK(3, a3, 5)
    sh1add.uw a3, a1, a2
    CHECK(4, a3, 3)
    li a1, -1
    sh1add a3, a1, a2
    CHECK(5, a3, -1)
    sh2add a3, a1, a2
    CHECK(6, a3, -3)
    sh3add a3, a1, a2
    CHECK(7, a3, -7)
    li a1, 0xffffffff80000000
    slli.uw a3, a1, 4
    CHECK(8, a3, 0x800000000)
    slli.uw a3, a1, 0           /* zext.w */
    CHECK(9, a3, 0x80000000)

    /* ---- Zbb counts */
    clz a3, zero
    CHECK(10, a3, 64)
    li a1, -1
    clz a3, a1
    CHECK(11, a3, 0)
    li a1, 1
    clz a3, a1
    CHECK(12, a3, 63)
    clzw a3, zero
    CHECK(13, a3, 32)
    li a1, 0xffffffff00000000
    clzw a3, a1
    CHECK(14, a3, 32)
    li a1, 0x0000000180000000
    clzw a3, a1
    CHECK(15, a3, 0)
    ctz a3, zero
    CHECK(16, a3, 64)
    li a1, INT_MIN
    ctz a3, a1
    CHECK(17, a3, 63)
    li a1, -1
    ctz a3, a1
    CHECK(18, a3, 0)
    ctzw a3, zero
    CHECK(19, a3, 32)
    li a1, 0x100000000
    ctzw a3, a1
    CHECK(20, a3, 32)
    li a1, 0x80000000
    ctzw a3, a1
    CHECK(21, a3, 31)
    cpop a3, zero
    CHECK(22, a3, 0)
    li a1, -1
    cpop a3, a1
    CHECK(23, a3, 64)
    cpopw a3, a1
    CHECK(24, a3, 32)
    li a1, 0xf0000000f
    cpopw a3, a1
    CHECK(25, a3, 4)
    /* logic with negation */
    li a1, 0xff
    li a2, 0x0f
    andn a3, a1, a2
    CHECK(26, a3, 0xf0)
    orn a3, a1, a2
    CHECK(27, a3, 0xfffffffffffffff0 | 0xff)
    xnor a3, a1, a2
    CHECK(28, a3, 0xffffffffffffff0f)
    /* min/max */
    li a1, INT_MIN
    max a3, a1, zero
    CHECK(29, a3, 0)
    maxu a3, a1, zero
    CHECK(30, a3, INT_MIN)
    min a3, a1, zero
    CHECK(31, a3, INT_MIN)
    minu a3, a1, zero
    CHECK(32, a3, 0)
    /* extension */
    li a1, 0x1234567890abcd80
    sext.b a3, a1
    CHECK(33, a3, -128)
    sext.h a3, a1
    CHECK(34, a3, 0xffffffffffffcd80)
    zext.h a3, a1
    CHECK(35, a3, 0xcd80)
    /* byte ops */
    li a1, 0x0102030405060708
    rev8 a3, a1
    CHECK(36, a3, 0x0807060504030201)
    li a1, 0x0001000000ff0010
    orc.b a3, a1
    CHECK(37, a3, 0x00ff000000ff00ff)
    orc.b a3, zero
    CHECK(38, a3, 0)
    /* rotations */
    li a1, 0x8000000000000001
    rol a3, a1, zero
    CHECK(40, a3, 0x8000000000000001)
    li a2, 63
    rol a3, a1, a2
    CHECK(41, a3, 0xc000000000000000)
    ror a3, a1, a2
    CHECK(42, a3, 3)
    li a2, 64                   /* masks to 0 */
    ror a3, a1, a2
    CHECK(43, a3, 0x8000000000000001)
    rori a3, a1, 63
    CHECK(44, a3, 3)
    rori a3, a1, 0
    CHECK(45, a3, 0x8000000000000001)
    li a1, 0x80000001
    li a2, 1
    rolw a3, a1, a2
    CHECK(46, a3, 3)
    li a1, 0xffffffff00000001
    rorw a3, a1, a2
    CHECK(47, a3, 0xffffffff80000000)
    roriw a3, a1, 31
    CHECK(48, a3, 2)
    li a2, 33                   /* masks to 1 */
    rorw a3, a1, a2
    CHECK(49, a3, 0xffffffff80000000)

    /* ---- Zbc: all ones by all ones */
    li a1, -1
    clmul a3, a1, a1
    CHECK(50, a3, 0x5555555555555555)
    clmulh a3, a1, a1
    CHECK(51, a3, 0x5555555555555555)
    clmulr a3, a1, a1
    CHECK(52, a3, 0xaaaaaaaaaaaaaaaa)
    li a1, 3
    clmul a3, a1, a1
    CHECK(53, a3, 5)
    li a1, INT_MIN
    li a2, 2
    clmul a3, a1, a2
    CHECK(54, a3, 0)
    clmulh a3, a1, a2
    CHECK(55, a3, 1)
    clmulr a3, a1, a2
    CHECK(56, a3, 2)
    li a1, 0x123456789abcdef0
    clmul a3, a1, zero
    CHECK(57, a3, 0)

    /* ---- Zbs */
    bseti a3, zero, 63
    CHECK(60, a3, INT_MIN)
    li a2, 64                   /* masks to 0 */
    bset a3, zero, a2
    CHECK(61, a3, 1)
    li a1, -1
    bclri a3, a1, 63
    CHECK(62, a3, 0x7fffffffffffffff)
    li a2, 127
    bclr a3, a1, a2
    CHECK(63, a3, 0x7fffffffffffffff)
    binvi a3, zero, 0
    CHECK(64, a3, 1)
    binvi a3, a3, 0
    CHECK(65, a3, 0)
    li a2, 63
    binv a3, a1, a2
    CHECK(66, a3, 0x7fffffffffffffff)
    li a1, INT_MIN
    bexti a3, a1, 63
    CHECK(67, a3, 1)
    bexti a3, a1, 62
    CHECK(68, a3, 0)
    li a1, 0x10
    li a2, 68                   /* masks to 4 */
    bext a3, a1, a2
    CHECK(69, a3, 1)

    /* ---- Zicond */
    li a1, 0x1234
    li a2, 7
    CZERO_EQZ(a3, a1, a2)
    CHECK(70, a3, 0x1234)
    CZERO_EQZ(a3, a1, zero)
    CHECK(71, a3, 0)
    CZERO_NEZ(a3, a1, a2)
    CHECK(72, a3, 0)
    CZERO_NEZ(a3, a1, zero)
    CHECK(73, a3, 0x1234)
    li a2, INT_MIN              /* any set bit counts as nonzero */
    CZERO_EQZ(a3, a1, a2)
    CHECK(74, a3, 0x1234)
    CZERO_NEZ(a3, a1, a2)
    CHECK(75, a3, 0)
    PASS
