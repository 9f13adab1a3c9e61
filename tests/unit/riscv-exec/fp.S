/* F and D: arithmetic, conversions, NaN boxing, fflags, rounding modes,
 * FS state. */
#include "rvtest.h"

main:
    li t0, 1 << 13
    csrs mstatus, t0            /* FS = Initial */
    csrw fcsr, zero
    /* fadd.d 1.5 + 2.25 = 3.75, exact */
    li a0, 0x3ff8000000000000
    fmv.d.x fa0, a0
    li a0, 0x4002000000000000
    fmv.d.x fa1, a0
    fadd.d fa2, fa0, fa1
    fmv.x.d a1, fa2
    CHECK(1, a1, 0x400e000000000000)
    csrr a1, fflags
    CHECK(2, a1, 0)
    /* FS is Dirty now */
    csrr a1, mstatus
    srli a1, a1, 13
    andi a1, a1, 3
    CHECK(3, a1, 3)
    /* fdiv.s 1 / 0 = +inf, DZ */
    li a0, 0x3f800000
    fmv.w.x fa0, a0
    fmv.w.x fa1, zero
    fdiv.s fa2, fa0, fa1
    fmv.x.w a1, fa2
    CHECK(4, a1, 0x7f800000)
    csrrw a1, fflags, zero
    CHECK(5, a1, 0x08)
    /* fsqrt.d(-1) = canonical NaN, NV */
    li a0, 0xbff0000000000000
    fmv.d.x fa0, a0
    fsqrt.d fa2, fa0
    fmv.x.d a1, fa2
    CHECK(6, a1, 0x7ff8000000000000)
    csrrw a1, fflags, zero
    CHECK(7, a1, 0x10)
    /* fcvt.w.d 3.75: rtz -> 3, rne -> 4, both inexact */
    li a0, 0x400e000000000000
    fmv.d.x fa0, a0
    fcvt.w.d a1, fa0, rtz
    CHECK(8, a1, 3)
    fcvt.w.d a1, fa0
    CHECK(9, a1, 4)
    csrrw a1, fflags, zero
    CHECK(10, a1, 0x01)
    /* dynamic rounding through frm: rdn on -3.75 -> -4 */
    li a0, 0xc00e000000000000
    fmv.d.x fa0, a0
    li a1, 2
    csrw frm, a1
    fcvt.l.d a1, fa0
    CHECK(11, a1, -4)
    csrw frm, zero
    /* saturating conversion: 1e10 to int32 -> INT32_MAX, NV */
    li a0, 0x4202a05f20000000
    fmv.d.x fa0, a0
    csrw fflags, zero
    fcvt.w.d a1, fa0, rtz
    CHECK(12, a1, 0x7fffffff)
    csrr a1, fflags
    CHECK(13, a1, 0x10)
    /* NaN boxing: flw boxes, fmv.x.w sign-extends */
    la a0, data
    li a1, 0x80000001
    sw a1, 0(a0)
    flw fa3, 0(a0)
    fmv.x.d a1, fa3
    CHECK(14, a1, 0xffffffff80000001)
    fmv.x.w a1, fa3
    CHECK(15, a1, 0xffffffff80000001)
    /* unboxed single reads as the canonical NaN: fclass = quiet NaN */
    li a0, 0x3f800000
    fmv.d.x fa4, a0
    fclass.s a1, fa4
    CHECK(16, a1, 0x200)
    /* fmadd.d 2 * 3 + 1 = 7; fsd/fld round trip */
    li a0, 0x4000000000000000
    fmv.d.x fa0, a0
    li a0, 0x4008000000000000
    fmv.d.x fa1, a0
    li a0, 0x3ff0000000000000
    fmv.d.x fa2, a0
    fmadd.d fa5, fa0, fa1, fa2
    la a0, data
    fsd fa5, 8(a0)
    fld fa6, 8(a0)
    fmv.x.d a1, fa6
    CHECK(17, a1, 0x401c000000000000)
    /* compares, min/max, sign injection */
    flt.d a1, fa0, fa1
    CHECK(18, a1, 1)
    feq.d a1, fa0, fa1
    CHECK(19, a1, 0)
    fmax.d fa7, fa0, fa1
    fmv.x.d a1, fa7
    CHECK(20, a1, 0x4008000000000000)
    fsgnjn.d fa7, fa0, fa0
    fmv.x.d a1, fa7
    CHECK(21, a1, 0xc000000000000000)
    /* int -> float -> double */
    li a0, -7
    fcvt.s.w fa0, a0
    fcvt.d.s fa1, fa0
    fmv.x.d a1, fa1
    CHECK(22, a1, 0xc01c000000000000)
    /* reserved rounding mode in frm: dynamic-rm ops are illegal */
    EXPECT_TRAPS
    li a1, 5
    csrw frm, a1
    fadd.d fa2, fa0, fa1
    CHECK(23, s10, 2)
    csrw frm, zero
    /* FS = Off: illegal */
    li t0, 3 << 13
    csrc mstatus, t0
    li s10, -1
    fadd.d fa2, fa0, fa1
    CHECK(24, s10, 2)
    j pass

    .data
    .align 3
data:
    .dword 0, 0
