/* Integer ops: edge values, *w sign extension, shifts, M, Zb*, Zicond,
 * branches, jumps, compressed forms, loads/stores extension. */
#include "rvtest.h"

main:
    /* add/sub overflow wraps; addw sign-extends */
    li a0, 0x7fffffffffffffff
    addi a1, a0, 1
    CHECK(1, a1, 0x8000000000000000)
    li a0, 0x7fffffff
    addiw a1, a0, 1
    CHECK(2, a1, 0xffffffff80000000)
    li a0, 0x00000001ffffffff
    addw a1, a0, zero
    CHECK(3, a1, -1)
    subw a1, zero, a0
    CHECK(4, a1, 1)
    /* shifts: count mod 64 / mod 32, sra vs srl */
    li a0, -16
    li a2, 66
    sll a1, a0, a2
    CHECK(5, a1, -64)
    srl a1, a0, a2
    CHECK(6, a1, 0x3ffffffffffffffc)
    sra a1, a0, a2
    CHECK(7, a1, -4)
    li a0, 0x80000000
    srliw a1, a0, 0
    CHECK(8, a1, 0xffffffff80000000)
    srliw a1, a0, 4
    CHECK(9, a1, 0x08000000)
    sraiw a1, a0, 4
    CHECK(10, a1, 0xfffffffff8000000)
    li a2, 33
    sllw a1, a0, a2             /* count 33 & 31 = 1 */
    CHECK(11, a1, 0)
    li a0, 1
    slliw a1, a0, 31
    CHECK(12, a1, 0xffffffff80000000)
    /* slt/sltu */
    li a0, -1
    li a2, 1
    slt a1, a0, a2
    CHECK(13, a1, 1)
    sltu a1, a0, a2
    CHECK(14, a1, 0)
    sltiu a1, a2, -1
    CHECK(15, a1, 1)
    /* M: division edge cases */
    li a0, 42
    div a1, a0, zero
    CHECK(20, a1, -1)
    divu a1, a0, zero
    CHECK(21, a1, -1)
    rem a1, a0, zero
    CHECK(22, a1, 42)
    remu a1, a0, zero
    CHECK(23, a1, 42)
    li a0, 0x8000000000000000
    li a2, -1
    div a1, a0, a2
    CHECK(24, a1, 0x8000000000000000)
    rem a1, a0, a2
    CHECK(25, a1, 0)
    li a0, 0xffffffff80000000
    divw a1, a0, a2
    CHECK(26, a1, 0xffffffff80000000)
    remw a1, a0, a2
    CHECK(27, a1, 0)
    li a0, 7
    divuw a1, a0, zero
    CHECK(28, a1, -1)
    remuw a1, a0, zero
    CHECK(29, a1, 7)
    li a0, -7
    li a2, 2
    div a1, a0, a2
    CHECK(30, a1, -3)
    rem a1, a0, a2
    CHECK(31, a1, -1)
    /* mul high halves */
    li a0, -1
    li a2, -1
    mulh a1, a0, a2
    CHECK(32, a1, 0)
    mulhu a1, a0, a2
    CHECK(33, a1, -2)
    mulhsu a1, a0, a2
    CHECK(34, a1, -1)
    li a0, 0x10000
    mulw a1, a0, a0
    CHECK(35, a1, 0)
    li a0, 0x12345
    li a2, 0x10001
    mulw a1, a0, a2
    CHECK(36, a1, 0x23462345)
    /* lui/auipc */
    lui a1, 0x80000
    CHECK(37, a1, 0xffffffff80000000)
1:  auipc a1, 0
    la a2, 1b
    CHECKR(38, a1, a2)

    /* branches: taken and not taken, signed and unsigned */
    li a0, -1
    li a2, 1
    li gp, 40
    blt a2, a0, fail
    bge a0, a2, fail
    bltu a0, a2, fail
    bgeu a2, a0, fail
    beq a0, a2, fail
    bne a0, a0, fail
    blt a0, a2, 2f
    j fail
2:  bgeu a0, a2, 3f
    j fail
3:  /* jal/jalr link values, jalr clears bit 0 */
    jal ra, 4f
5:  j 6f
4:  la t0, 5b
    CHECKR(41, ra, t0)
    la t0, 7f
    addi t0, t0, 1
    jalr ra, 0(t0)
    j fail
7:  /* compressed forms */
6:  c.li a0, -3
    CHECK(42, a0, -3)
    c.addi a0, 5
    CHECK(43, a0, 2)
    c.slli a0, 62
    CHECK(44, a0, 0x8000000000000000)
    c.srai a0, 60
    CHECK(45, a0, -8)
    c.mv a1, a0
    c.add a1, a0
    CHECK(46, a1, -16)
    c.addiw a1, 0
    CHECK(47, a1, -16)
    c.li a0, 0
    li gp, 48
    c.bnez a0, fail
    c.beqz a0, 8f
    j fail
8:  la a0, 9f
    c.jr a0
    j fail
9:  la a0, 10f
    c.jalr a0
    j fail
10: /* loads and stores: sign/zero extension */
    la a0, data
    li a1, 0xfedcba9876543210
    sd a1, 0(a0)
    lb a2, 7(a0)
    CHECK(50, a2, 0xfffffffffffffffe)
    lbu a2, 7(a0)
    CHECK(51, a2, 0xfe)
    lh a2, 6(a0)
    CHECK(52, a2, 0xfffffffffffffedc)
    lhu a2, 6(a0)
    CHECK(53, a2, 0xfedc)
    lw a2, 4(a0)
    CHECK(54, a2, 0xfffffffffedcba98)
    lwu a2, 4(a0)
    CHECK(55, a2, 0xfedcba98)
    lw a2, 0(a0)
    CHECK(56, a2, 0x76543210)
    sb zero, 0(a0)
    sh zero, 2(a0)
    ld a2, 0(a0)
    CHECK(57, a2, 0xfedcba9800003200)
    sw a1, 4(a0)
    ld a2, 0(a0)
    CHECK(58, a2, 0x7654321000003200)
    c.ld a2, 0(a0)
    CHECK(59, a2, 0x7654321000003200)
    c.lw a2, 4(a0)
    CHECK(60, a2, 0x76543210)
    /* x0 stays zero */
    li zero, 5
    addi x0, x0, 1
    CHECK(61, zero, 0)
    /* Zba */
    li a0, 0xffffffff00000003
    li a1, 0x100
    add.uw a2, a0, a1
    CHECK(70, a2, 0x103)
    sh1add a2, a0, a1
    CHECK(71, a2, 0xfffffffe00000106)
    sh3add.uw a2, a0, a1
    CHECK(72, a2, 0x118)
    slli.uw a2, a0, 4
    CHECK(73, a2, 0x30)
    /* Zbb */
    li a0, 0x00f0
    clz a2, a0
    CHECK(74, a2, 56)
    ctz a2, a0
    CHECK(75, a2, 4)
    cpop a2, a0
    CHECK(76, a2, 4)
    clzw a2, a0
    CHECK(77, a2, 24)
    clz a2, zero
    CHECK(78, a2, 64)
    ctzw a2, zero
    CHECK(79, a2, 32)
    li a0, 0x001d000000000000
    ctzw a2, a0                 /* low word zero: 32, upper word ignored */
    CHECK(107, a2, 32)
    li a0, -5
    li a1, 3
    max a2, a0, a1
    CHECK(80, a2, 3)
    maxu a2, a0, a1
    CHECK(81, a2, -5)
    min a2, a0, a1
    CHECK(82, a2, -5)
    minu a2, a0, a1
    CHECK(83, a2, 3)
    li a0, 0x80
    sext.b a2, a0
    CHECK(84, a2, -128)
    li a0, 0x12348000
    sext.h a2, a0
    CHECK(85, a2, 0xffffffffffff8000)
    zext.h a2, a0
    CHECK(86, a2, 0x8000)
    li a0, 0x8000000000000001
    rori a2, a0, 1
    CHECK(87, a2, 0xc000000000000000)
    li a1, 1
    rol a2, a0, a1
    CHECK(88, a2, 3)
    li a0, 0x80000001
    roriw a2, a0, 1
    CHECK(89, a2, 0xffffffffc0000000)
    li a0, 0x0100000000ff0010
    orc.b a2, a0
    CHECK(90, a2, 0xff00000000ff00ff)
    li a0, 0x0102030405060708
    rev8 a2, a0
    CHECK(91, a2, 0x0807060504030201)
    li a0, 0xf0
    li a1, 0xff
    andn a2, a1, a0
    CHECK(92, a2, 0x0f)
    orn a2, zero, a0
    CHECK(93, a2, 0xffffffffffffff0f)
    xnor a2, a0, a1
    CHECK(94, a2, 0xfffffffffffffff0)
    /* Zbc */
    li a0, 0x5
    li a1, 0x3
    clmul a2, a0, a1
    CHECK(95, a2, 0xf)
    li a0, 0x8000000000000000
    li a1, 0x6
    clmulh a2, a0, a1
    CHECK(96, a2, 0x3)
    clmulr a2, a0, a1
    CHECK(97, a2, 0x6)
    /* Zbs */
    li a0, 0xff
    bclri a2, a0, 3
    CHECK(98, a2, 0xf7)
    li a1, 65
    bset a2, zero, a1
    CHECK(99, a2, 2)
    binvi a2, a0, 63
    CHECK(100, a2, 0x80000000000000ff)
    bexti a2, a0, 7
    CHECK(101, a2, 1)
    li a1, 8
    bext a2, a0, a1
    CHECK(102, a2, 0)
    /* Zicond */
    li a0, 42
    .insn r OP, 5, 7, a2, a0, zero
    CHECK(103, a2, 0)
    .insn r OP, 7, 7, a2, a0, zero
    CHECK(104, a2, 42)
    li a1, 1
    .insn r OP, 5, 7, a2, a0, a1
    CHECK(105, a2, 42)
    .insn r OP, 7, 7, a2, a0, a1
    CHECK(106, a2, 0)
    j pass

    .data
    .align 3
data:
    .dword 0, 0
