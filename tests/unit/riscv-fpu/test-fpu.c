/*
 * Directed edge cases for cpu/riscv/fpu.c, one group per operation.  Every
 * expectation is written out by hand from the RISC-V F/D chapters and IEEE
 * 754; operations with a host fast path are checked through the public
 * function and through the software core, so both must agree with it.
 * Needs nothing outside this repository and never skips.
 */
#include "test.h"
#include "cpu/riscv/fpu.h"
#include "cpu/riscv/fpu-internal.h"

enum { RNE = RISCV_RM_RNE, RTZ = RISCV_RM_RTZ, RDN = RISCV_RM_RDN,
       RUP = RISCV_RM_RUP, RMM = RISCV_RM_RMM };
enum { NX = RISCV_FFLAG_NX, UF = RISCV_FFLAG_UF, OF = RISCV_FFLAG_OF,
       DZ = RISCV_FFLAG_DZ, NV = RISCV_FFLAG_NV };

/* binary64 */
#define D_PZERO   0x0000000000000000ull
#define D_NZERO   0x8000000000000000ull
#define D_ONE     0x3ff0000000000000ull
#define D_MONE    0xbff0000000000000ull
#define D_TWO     0x4000000000000000ull
#define D_THREE   0x4008000000000000ull
#define D_HALF    0x3fe0000000000000ull
#define D_PINF    0x7ff0000000000000ull
#define D_NINF    0xfff0000000000000ull
#define D_CNAN    RISCV_CANON_NAN_D
#define D_QNAN    0xfff8000000001234ull     /* quiet, negative, payload */
#define D_SNAN    0x7ff0000000000001ull
#define D_MAX     0x7fefffffffffffffull
#define D_NMAX    0xffefffffffffffffull
#define D_MINN    0x0010000000000000ull
#define D_MINSUB  0x0000000000000001ull
#define D_MAXSUB  0x000fffffffffffffull
#define D_2M53    0x3ca0000000000000ull     /* 2^-53: half an ulp of 1 */
#define D_1P1U    0x3ff0000000000001ull     /* 1 + 2^-52 */

/* binary32 (raw; the public functions take and return boxed values) */
#define S_PZERO   0x00000000u
#define S_NZERO   0x80000000u
#define S_ONE     0x3f800000u
#define S_MONE    0xbf800000u
#define S_TWO     0x40000000u
#define S_HALF    0x3f000000u
#define S_PINF    0x7f800000u
#define S_NINF    0xff800000u
#define S_CNAN    RISCV_CANON_NAN_S
#define S_QNAN    0xffc01234u
#define S_SNAN    0x7f800001u
#define S_MAX     0x7f7fffffu
#define S_NMAX    0xff7fffffu
#define S_MINN    0x00800000u
#define S_MINSUB  0x00000001u
#define S_MAXSUB  0x007fffffu
#define S_2M24    0x33800000u               /* 2^-24: half an ulp of 1 */

#define BOX(x)    riscv_box_s(x)
#define UNBOXED_ONE 0x000000003f800000ull   /* upper half not all ones */

static void check_result(int line, const char *what, uint64_t got,
                         unsigned got_flags, uint64_t want, unsigned want_flags)
{
    if (got == want && got_flags == want_flags)
        return;
    fprintf(stderr, "line %d: %s: got 0x%016" PRIx64 " flags %02x, want "
            "0x%016" PRIx64 " flags %02x\n", line, what, got, got_flags,
            want, want_flags);
    exit(1);
}

/* Evaluates `expr`, which may use `fl`, and checks value and flags. */
#define EXPECT(expr, want, want_flags) do {                                \
        unsigned fl = 0;                                                   \
        uint64_t got_ = (expr);                                            \
        check_result(__LINE__, #expr, got_, fl, (want), (want_flags));     \
    } while (0)

enum arith { ADD, SUB, MUL, DIV, SQRT, MADD, MSUB, NMSUB, NMADD };

static uint64_t public_d(enum arith op, uint64_t a, uint64_t b, uint64_t c,
                         unsigned rm, unsigned *fl)
{
    switch (op) {
    case ADD: return riscv_fadd_d(a, b, rm, fl);
    case SUB: return riscv_fsub_d(a, b, rm, fl);
    case MUL: return riscv_fmul_d(a, b, rm, fl);
    case DIV: return riscv_fdiv_d(a, b, rm, fl);
    case SQRT: return riscv_fsqrt_d(a, rm, fl);
    case MADD: return riscv_fmadd_d(a, b, c, rm, fl);
    case MSUB: return riscv_fmsub_d(a, b, c, rm, fl);
    case NMSUB: return riscv_fnmsub_d(a, b, c, rm, fl);
    default: return riscv_fnmadd_d(a, b, c, rm, fl);
    }
}

static uint64_t public_s(enum arith op, uint64_t a, uint64_t b, uint64_t c,
                         unsigned rm, unsigned *fl)
{
    switch (op) {
    case ADD: return riscv_fadd_s(a, b, rm, fl);
    case SUB: return riscv_fsub_s(a, b, rm, fl);
    case MUL: return riscv_fmul_s(a, b, rm, fl);
    case DIV: return riscv_fdiv_s(a, b, rm, fl);
    case SQRT: return riscv_fsqrt_s(a, rm, fl);
    case MADD: return riscv_fmadd_s(a, b, c, rm, fl);
    case MSUB: return riscv_fmsub_s(a, b, c, rm, fl);
    case NMSUB: return riscv_fnmsub_s(a, b, c, rm, fl);
    default: return riscv_fnmadd_s(a, b, c, rm, fl);
    }
}

static uint64_t soft(enum fpsoft_fmt f, enum arith op, uint64_t a, uint64_t b,
                     uint64_t c, unsigned rm, unsigned *fl)
{
    uint64_t sign = f == FPSOFT_S ? 1ull << 31 : 1ull << 63;

    switch (op) {
    case ADD: return fpsoft_add(f, a, b, rm, fl);
    case SUB: return fpsoft_sub(f, a, b, rm, fl);
    case MUL: return fpsoft_mul(f, a, b, rm, fl);
    case DIV: return fpsoft_div(f, a, b, rm, fl);
    case SQRT: return fpsoft_sqrt(f, a, rm, fl);
    case MADD: return fpsoft_fma(f, a, b, c, rm, fl);
    case MSUB: return fpsoft_fma(f, a, b, c ^ sign, rm, fl);
    case NMSUB: return fpsoft_fma(f, a ^ sign, b, c, rm, fl);
    default: return fpsoft_fma(f, a ^ sign, b, c ^ sign, rm, fl);
    }
}

static const char *const arith_names[] = {
    "add", "sub", "mul", "div", "sqrt", "madd", "msub", "nmsub", "nmadd",
};

static void check_arith_d(int line, enum arith op, uint64_t a, uint64_t b,
                          uint64_t c, unsigned rm, uint64_t want,
                          unsigned want_flags)
{
    char what[64];
    unsigned fl = 0;
    uint64_t got = public_d(op, a, b, c, rm, &fl);

    snprintf(what, sizeof(what), "riscv_f%s_d rm=%u", arith_names[op], rm);
    check_result(line, what, got, fl, want, want_flags);
    fl = 0;
    got = soft(FPSOFT_D, op, a, b, c, rm, &fl);
    snprintf(what, sizeof(what), "fpsoft %s.d rm=%u", arith_names[op], rm);
    check_result(line, what, got, fl, want, want_flags);
}

/* Raw binary32 operands; the public path gets them boxed. */
static void check_arith_s(int line, enum arith op, uint32_t a, uint32_t b,
                          uint32_t c, unsigned rm, uint32_t want,
                          unsigned want_flags)
{
    char what[64];
    unsigned fl = 0;
    uint64_t got = public_s(op, BOX(a), BOX(b), BOX(c), rm, &fl);

    snprintf(what, sizeof(what), "riscv_f%s_s rm=%u", arith_names[op], rm);
    check_result(line, what, got, fl, BOX(want), want_flags);
    fl = 0;
    got = soft(FPSOFT_S, op, a, b, c, rm, &fl);
    snprintf(what, sizeof(what), "fpsoft %s.s rm=%u", arith_names[op], rm);
    check_result(line, what, got, fl, want, want_flags);
}

#define D2(op, a, b, rm, want, flags) \
    check_arith_d(__LINE__, op, a, b, 0, rm, want, flags)
#define D3(op, a, b, c, rm, want, flags) \
    check_arith_d(__LINE__, op, a, b, c, rm, want, flags)
#define S2(op, a, b, rm, want, flags) \
    check_arith_s(__LINE__, op, a, b, 0, rm, want, flags)
#define S3(op, a, b, c, rm, want, flags) \
    check_arith_s(__LINE__, op, a, b, c, rm, want, flags)

static void test_resolve_rm(void)
{
    for (unsigned rm = 0; rm <= 4; rm++) {
        CHECK_EQ(riscv_fpu_resolve_rm(rm, 7), rm);  /* frm is irrelevant */
        CHECK_EQ(riscv_fpu_resolve_rm(RISCV_RM_DYN, rm), rm);
    }
    CHECK_EQ(riscv_fpu_resolve_rm(5, 0), -1);
    CHECK_EQ(riscv_fpu_resolve_rm(6, 0), -1);
    CHECK_EQ(riscv_fpu_resolve_rm(RISCV_RM_DYN, 5), -1);
    CHECK_EQ(riscv_fpu_resolve_rm(RISCV_RM_DYN, 6), -1);
    CHECK_EQ(riscv_fpu_resolve_rm(RISCV_RM_DYN, 7), -1);
}

static void test_add_sub(void)
{
    for (unsigned rm = 0; rm <= 4; rm++) {
        D2(ADD, D_ONE, D_TWO, rm, D_THREE, 0);
        D2(ADD, D_NZERO, D_NZERO, rm, D_NZERO, 0);
        D2(ADD, D_PINF, D_ONE, rm, D_PINF, 0);
        D2(ADD, D_PINF, D_NINF, rm, D_CNAN, NV);
        D2(SUB, D_NINF, D_NINF, rm, D_CNAN, NV);
        D2(ADD, D_SNAN, D_ONE, rm, D_CNAN, NV);
        D2(ADD, D_QNAN, D_ONE, rm, D_CNAN, 0);      /* no payload */
        D2(SUB, D_QNAN, D_SNAN, rm, D_CNAN, NV);
        S2(ADD, S_QNAN, S_ONE, rm, S_CNAN, 0);
        S2(ADD, S_PINF, S_NINF, rm, S_CNAN, NV);
        /* subnormal sums are exact: no UF without NX */
        D2(ADD, D_MINSUB, D_MINSUB, rm, 2, 0);
        D2(SUB, D_MINN, D_MINSUB, rm, D_MAXSUB, 0);
        S2(SUB, S_MINN, S_MINSUB, rm, S_MAXSUB, 0);
        /* cancellation: (1 + 2^-52) - 1 = 2^-52 exactly */
        D2(SUB, D_1P1U, D_ONE, rm, 0x3cb0000000000000ull, 0);
    }
    /* exact zero sums: +0 except when rounding down */
    D2(ADD, D_PZERO, D_NZERO, RNE, D_PZERO, 0);
    D2(ADD, D_PZERO, D_NZERO, RTZ, D_PZERO, 0);
    D2(ADD, D_PZERO, D_NZERO, RUP, D_PZERO, 0);
    D2(ADD, D_PZERO, D_NZERO, RMM, D_PZERO, 0);
    D2(ADD, D_PZERO, D_NZERO, RDN, D_NZERO, 0);
    D2(SUB, D_ONE, D_ONE, RNE, D_PZERO, 0);
    D2(SUB, D_ONE, D_ONE, RDN, D_NZERO, 0);
    S2(SUB, S_ONE, S_ONE, RDN, S_NZERO, 0);
    S2(SUB, S_PZERO, S_PZERO, RDN, S_NZERO, 0);

    /* overflow per mode */
    D2(ADD, D_MAX, D_MAX, RNE, D_PINF, OF | NX);
    D2(ADD, D_MAX, D_MAX, RMM, D_PINF, OF | NX);
    D2(ADD, D_MAX, D_MAX, RUP, D_PINF, OF | NX);
    D2(ADD, D_MAX, D_MAX, RTZ, D_MAX, OF | NX);
    D2(ADD, D_MAX, D_MAX, RDN, D_MAX, OF | NX);
    D2(ADD, D_NMAX, D_NMAX, RDN, D_NINF, OF | NX);
    D2(ADD, D_NMAX, D_NMAX, RUP, D_NMAX, OF | NX);
    D2(ADD, D_NMAX, D_NMAX, RTZ, D_NMAX, OF | NX);
    S2(ADD, S_MAX, S_MAX, RNE, S_PINF, OF | NX);
    S2(ADD, S_MAX, S_MAX, RTZ, S_MAX, OF | NX);

    /* 1 + half an ulp: a tie; RNE keeps the even 1, RMM goes up */
    D2(ADD, D_ONE, D_2M53, RNE, D_ONE, NX);
    D2(ADD, D_ONE, D_2M53, RMM, D_1P1U, NX);
    D2(ADD, D_ONE, D_2M53, RUP, D_1P1U, NX);
    D2(ADD, D_ONE, D_2M53, RDN, D_ONE, NX);
    D2(ADD, D_ONE, D_2M53, RTZ, D_ONE, NX);
    /* odd significand: both nearest modes round up */
    D2(ADD, D_1P1U, D_2M53, RNE, 0x3ff0000000000002ull, NX);
    D2(ADD, D_1P1U, D_2M53, RMM, 0x3ff0000000000002ull, NX);
    /* negative tie: RMM goes away from zero, RDN too */
    D2(SUB, D_MONE, D_2M53, RMM, 0xbff0000000000001ull, NX);
    D2(SUB, D_MONE, D_2M53, RNE, D_MONE, NX);
    D2(SUB, D_MONE, D_2M53, RDN, 0xbff0000000000001ull, NX);
    D2(SUB, D_MONE, D_2M53, RUP, D_MONE, NX);
    /* just above / below a tie: only the sticky bit tells */
    D2(ADD, D_ONE, 0x3ca0000000000001ull, RNE, D_1P1U, NX);
    D2(SUB, D_ONE, 0x3c90000000000001ull, RNE, 0x3fefffffffffffffull, NX);
    D2(SUB, D_ONE, 0x3c90000000000001ull, RMM, 0x3fefffffffffffffull, NX);
    S2(ADD, S_ONE, 0x33800001u, RNE, 0x3f800001u, NX);
    S2(ADD, S_ONE, S_2M24, RNE, S_ONE, NX);
    S2(ADD, S_ONE, S_2M24, RMM, 0x3f800001u, NX);
    S2(ADD, S_ONE, S_2M24, RUP, 0x3f800001u, NX);
}

static void test_mul(void)
{
    for (unsigned rm = 0; rm <= 4; rm++) {
        D2(MUL, D_PINF, D_PZERO, rm, D_CNAN, NV);
        S2(MUL, S_NZERO, S_NINF, rm, S_CNAN, NV);
        D2(MUL, D_NINF, D_TWO, rm, D_NINF, 0);
        D2(MUL, D_NZERO, D_TWO, rm, D_NZERO, 0);
        D2(MUL, D_SNAN, D_PZERO, rm, D_CNAN, NV);
        /* an exact subnormal result raises nothing */
        D2(MUL, D_MINN, D_HALF, rm, 0x0008000000000000ull, 0);
        S2(MUL, S_MINN, S_HALF, rm, 0x00400000u, 0);
    }
    /* 2^-1075: halfway between 0 and the smallest subnormal */
    D2(MUL, D_MINSUB, D_HALF, RNE, D_PZERO, UF | NX);
    D2(MUL, D_MINSUB, D_HALF, RTZ, D_PZERO, UF | NX);
    D2(MUL, D_MINSUB, D_HALF, RDN, D_PZERO, UF | NX);
    D2(MUL, D_MINSUB, D_HALF, RUP, D_MINSUB, UF | NX);
    D2(MUL, D_MINSUB, D_HALF, RMM, D_MINSUB, UF | NX);
    D2(MUL, D_MINSUB | D_NZERO, D_HALF, RDN, D_MINSUB | D_NZERO, UF | NX);
    S2(MUL, S_MINSUB, S_HALF, RNE, S_PZERO, UF | NX);
    S2(MUL, S_MINSUB, S_HALF, RMM, S_MINSUB, UF | NX);

    /*
     * (1 - 2^-53) * 2^-1022 is exact with an unbounded exponent, so it is
     * tiny; in the format it is a tie that RNE rounds up to 2^-1022.
     * Rounding to the smallest normal does not make it "not tiny".
     */
    D2(MUL, 0x3fefffffffffffffull, D_MINN, RNE, D_MINN, UF | NX);
    D2(MUL, 0x3fefffffffffffffull, D_MINN, RTZ, D_MAXSUB, UF | NX);

    /*
     * Tininess after rounding: these products lie within a quarter ulp
     * below 2^emin.  Rounded to the format's precision with an unbounded
     * exponent they become 2^emin in RNE/RUP/RMM (not tiny: NX only) but
     * stay below it in RTZ/RDN (tiny: UF).  Tininess before rounding
     * would raise UF in every mode.
     */
    D2(MUL, 0x3fe91b752265b1f5ull, 0x0014647b9ca9550bull, RNE, D_MINN, NX);
    D2(MUL, 0x3fe91b752265b1f5ull, 0x0014647b9ca9550bull, RUP, D_MINN, NX);
    D2(MUL, 0x3fe91b752265b1f5ull, 0x0014647b9ca9550bull, RMM, D_MINN, NX);
    D2(MUL, 0x3fe91b752265b1f5ull, 0x0014647b9ca9550bull, RTZ, D_MAXSUB,
       UF | NX);
    D2(MUL, 0x3fe91b752265b1f5ull, 0x0014647b9ca9550bull, RDN, D_MAXSUB,
       UF | NX);
    S2(MUL, 0x3f1132d8u, 0x00e1ad56u, RNE, S_MINN, NX);
    S2(MUL, 0x3f1132d8u, 0x00e1ad56u, RMM, S_MINN, NX);
    S2(MUL, 0x3f1132d8u, 0x00e1ad56u, RTZ, S_MAXSUB, UF | NX);
    S2(MUL, 0x3f1132d8u, 0x00e1ad56u, RDN, S_MAXSUB, UF | NX);

    /* overflow */
    S2(MUL, S_MAX, S_TWO, RNE, S_PINF, OF | NX);
    S2(MUL, S_MAX, S_TWO, RDN, S_MAX, OF | NX);
    S2(MUL, S_NMAX, S_TWO, RUP, S_NMAX, OF | NX);
    S2(MUL, S_NMAX, S_TWO, RMM, S_NINF, OF | NX);
    D2(MUL, D_MAX, D_TWO, RUP, D_PINF, OF | NX);
}

static void test_div(void)
{
    for (unsigned rm = 0; rm <= 4; rm++) {
        D2(DIV, D_ONE, D_PZERO, rm, D_PINF, DZ);
        D2(DIV, D_ONE, D_NZERO, rm, D_NINF, DZ);
        D2(DIV, D_MONE, D_PZERO, rm, D_NINF, DZ);
        S2(DIV, S_MINSUB, S_PZERO, rm, S_PINF, DZ);
        D2(DIV, D_PZERO, D_PZERO, rm, D_CNAN, NV);
        D2(DIV, D_PINF, D_NINF, rm, D_CNAN, NV);
        D2(DIV, D_SNAN, D_PZERO, rm, D_CNAN, NV);   /* NV, not DZ */
        D2(DIV, D_QNAN, D_PZERO, rm, D_CNAN, 0);
        D2(DIV, D_PINF, D_PZERO, rm, D_PINF, 0);    /* inf/0 is exact */
        D2(DIV, D_ONE, D_NINF, rm, D_NZERO, 0);
        D2(DIV, D_PZERO, D_NINF, rm, D_NZERO, 0);
        /* 2^-1022 / 2^52 = 2^-1074 exactly */
        D2(DIV, D_MINN, 0x4330000000000000ull, rm, D_MINSUB, 0);
    }
    D2(DIV, D_ONE, D_THREE, RNE, 0x3fd5555555555555ull, NX);
    D2(DIV, D_ONE, D_THREE, RMM, 0x3fd5555555555555ull, NX);
    D2(DIV, D_ONE, D_THREE, RTZ, 0x3fd5555555555555ull, NX);
    D2(DIV, D_ONE, D_THREE, RUP, 0x3fd5555555555556ull, NX);
    D2(DIV, D_MONE, D_THREE, RDN, 0xbfd5555555555556ull, NX);
    S2(DIV, S_ONE, 0x40400000u, RNE, 0x3eaaaaabu, NX);
    S2(DIV, S_ONE, 0x40400000u, RTZ, 0x3eaaaaaau, NX);
    D2(DIV, D_MAX, D_HALF, RNE, D_PINF, OF | NX);
    D2(DIV, D_MAX, D_HALF, RTZ, D_MAX, OF | NX);
    /* 2^-1022 / 3: tiny and inexact */
    D2(DIV, D_MINN, D_THREE, RNE, 0x0005555555555555ull, UF | NX);
    D2(DIV, D_MINN, D_THREE, RUP, 0x0005555555555556ull, UF | NX);
}

static void test_sqrt(void)
{
    for (unsigned rm = 0; rm <= 4; rm++) {
        D2(SQRT, 0x4010000000000000ull, 0, rm, D_TWO, 0);
        D2(SQRT, D_NZERO, 0, rm, D_NZERO, 0);       /* sqrt(-0) = -0 */
        D2(SQRT, D_PZERO, 0, rm, D_PZERO, 0);
        D2(SQRT, D_MONE, 0, rm, D_CNAN, NV);
        D2(SQRT, D_MINSUB | D_NZERO, 0, rm, D_CNAN, NV);
        D2(SQRT, D_NINF, 0, rm, D_CNAN, NV);
        D2(SQRT, D_PINF, 0, rm, D_PINF, 0);
        D2(SQRT, D_SNAN, 0, rm, D_CNAN, NV);
        D2(SQRT, D_QNAN, 0, rm, D_CNAN, 0);
        D2(SQRT, D_MINSUB, 0, rm, 0x1e60000000000000ull, 0);  /* 2^-537 */
        S2(SQRT, S_NZERO, 0, rm, S_NZERO, 0);
        S2(SQRT, S_MONE, 0, rm, S_CNAN, NV);
        S2(SQRT, 0x40800000u, 0, rm, S_TWO, 0);
    }
    /* sqrt(2) = 1.41421356237309504880..., between ...bcc and ...bcd */
    D2(SQRT, D_TWO, 0, RNE, 0x3ff6a09e667f3bcdull, NX);
    D2(SQRT, D_TWO, 0, RMM, 0x3ff6a09e667f3bcdull, NX);
    D2(SQRT, D_TWO, 0, RUP, 0x3ff6a09e667f3bcdull, NX);
    D2(SQRT, D_TWO, 0, RDN, 0x3ff6a09e667f3bccull, NX);
    D2(SQRT, D_TWO, 0, RTZ, 0x3ff6a09e667f3bccull, NX);
    S2(SQRT, S_TWO, 0, RNE, 0x3fb504f3u, NX);
    S2(SQRT, S_TWO, 0, RTZ, 0x3fb504f3u, NX);
    S2(SQRT, S_TWO, 0, RUP, 0x3fb504f4u, NX);
}

static void test_fma(void)
{
    for (unsigned rm = 0; rm <= 4; rm++) {
        /* inf * 0 is invalid even with a quiet NaN addend (RISC-V) */
        D3(MADD, D_PINF, D_PZERO, D_QNAN, rm, D_CNAN, NV);
        D3(MADD, D_PZERO, D_NINF, D_ONE, rm, D_CNAN, NV);
        S3(NMADD, S_PZERO, S_PINF, S_CNAN, rm, S_CNAN, NV);
        D3(MADD, D_QNAN, D_ONE, D_ONE, rm, D_CNAN, 0);
        D3(MADD, D_ONE, D_ONE, D_SNAN, rm, D_CNAN, NV);
        D3(MADD, D_PINF, D_ONE, D_NINF, rm, D_CNAN, NV);
        D3(MSUB, D_PINF, D_ONE, D_PINF, rm, D_CNAN, NV);
        D3(NMSUB, D_PINF, D_ONE, D_PINF, rm, D_CNAN, NV); /* -inf + inf */
        D3(NMADD, D_PINF, D_ONE, D_NINF, rm, D_CNAN, NV); /* -inf + inf */
        D3(NMADD, D_PINF, D_ONE, D_PINF, rm, D_NINF, 0);
        D3(NMSUB, D_PINF, D_ONE, D_NINF, rm, D_NINF, 0);
        D3(MADD, D_PINF, D_ONE, D_PINF, rm, D_PINF, 0);
        D3(MADD, D_ONE, D_ONE, D_NINF, rm, D_NINF, 0);
        /* single rounding: (1+2^-52)^2 - (1+2^-51) = 2^-104 exactly */
        D3(MSUB, D_1P1U, D_1P1U, 0x3ff0000000000002ull, rm,
           0x3970000000000000ull, 0);
        /* no intermediate overflow: 2*MAX - MAX = MAX */
        D3(MADD, D_MAX, D_TWO, D_NMAX, rm, D_MAX, 0);
        D3(NMADD, D_ONE, D_ONE, D_ONE, rm, 0xc000000000000000ull, 0);
        D3(NMSUB, D_ONE, D_TWO, D_THREE, rm, D_ONE, 0);
        /* same-signed zeros keep their sign */
        D3(MADD, D_NZERO, D_ONE, D_NZERO, rm, D_NZERO, 0);
        D3(NMADD, D_PZERO, D_ONE, D_PZERO, rm, D_NZERO, 0);
        /* 0 * x + c is c, exactly */
        D3(MADD, D_PZERO, D_MAX, D_MINSUB, rm, D_MINSUB, 0);
    }
    /* exact zero sums of opposite signs: +0, or -0 when rounding down */
    D3(MADD, D_PZERO, D_ONE, D_NZERO, RNE, D_PZERO, 0);
    D3(MADD, D_PZERO, D_ONE, D_NZERO, RDN, D_NZERO, 0);
    D3(NMSUB, D_PZERO, D_ONE, D_PZERO, RNE, D_PZERO, 0);
    D3(NMSUB, D_PZERO, D_ONE, D_PZERO, RDN, D_NZERO, 0);
    D3(MADD, D_ONE, D_ONE, D_MONE, RNE, D_PZERO, 0);
    D3(MADD, D_ONE, D_ONE, D_MONE, RDN, D_NZERO, 0);
    S3(MSUB, S_ONE, S_ONE, S_ONE, RDN, S_NZERO, 0);
    /* tiny product plus zero: rounds like the product, keeps its sign */
    D3(MADD, D_MINSUB, D_HALF, D_NZERO, RNE, D_PZERO, UF | NX);
    D3(MADD, D_MINSUB, D_HALF, D_NZERO, RUP, D_MINSUB, UF | NX);
    D3(NMADD, D_MINSUB, D_HALF, D_PZERO, RDN, D_MINSUB | D_NZERO, UF | NX);
    /* a tie only visible with the full product: 1 + 2^-53 + 2^-105 */
    D3(MADD, 0x3ff0000000000001ull, 0x3ca0000000000000ull, D_ONE, RNE,
       D_1P1U, NX);
    D3(MADD, D_ONE, D_2M53, D_ONE, RNE, D_ONE, NX);
    D3(MADD, D_ONE, D_2M53, D_ONE, RMM, D_1P1U, NX);
    S3(MADD, S_ONE, S_2M24, S_ONE, RMM, 0x3f800001u, NX);
    S3(MADD, S_ONE, S_2M24, S_ONE, RNE, S_ONE, NX);
    /* overflow */
    D3(MADD, D_MAX, D_TWO, D_PZERO, RNE, D_PINF, OF | NX);
    D3(MADD, D_MAX, D_TWO, D_PZERO, RTZ, D_MAX, OF | NX);
    S3(NMADD, S_MAX, S_TWO, S_PZERO, RUP, S_NMAX, OF | NX);
}

static void test_min_max(void)
{
    EXPECT(riscv_fmin_d(D_NZERO, D_PZERO, &fl), D_NZERO, 0);
    EXPECT(riscv_fmin_d(D_PZERO, D_NZERO, &fl), D_NZERO, 0);
    EXPECT(riscv_fmax_d(D_NZERO, D_PZERO, &fl), D_PZERO, 0);
    EXPECT(riscv_fmax_d(D_PZERO, D_NZERO, &fl), D_PZERO, 0);
    EXPECT(riscv_fmin_d(D_ONE, D_TWO, &fl), D_ONE, 0);
    EXPECT(riscv_fmax_d(D_NINF, D_PINF, &fl), D_PINF, 0);
    EXPECT(riscv_fmin_d(D_NMAX, D_MINSUB, &fl), D_NMAX, 0);
    /* one NaN: the other operand; NV only for a signaling NaN */
    EXPECT(riscv_fmin_d(D_QNAN, D_ONE, &fl), D_ONE, 0);
    EXPECT(riscv_fmax_d(D_ONE, D_QNAN, &fl), D_ONE, 0);
    EXPECT(riscv_fmin_d(D_SNAN, D_ONE, &fl), D_ONE, NV);
    EXPECT(riscv_fmax_d(D_MONE, D_SNAN, &fl), D_MONE, NV);
    /* two NaNs: the canonical NaN */
    EXPECT(riscv_fmin_d(D_QNAN, D_QNAN, &fl), D_CNAN, 0);
    EXPECT(riscv_fmax_d(D_SNAN, D_QNAN, &fl), D_CNAN, NV);
    EXPECT(riscv_fmin_s(BOX(S_NZERO), BOX(S_PZERO), &fl), BOX(S_NZERO), 0);
    EXPECT(riscv_fmax_s(BOX(S_NZERO), BOX(S_PZERO), &fl), BOX(S_PZERO), 0);
    EXPECT(riscv_fmax_s(BOX(S_SNAN), BOX(S_TWO), &fl), BOX(S_TWO), NV);
    EXPECT(riscv_fmin_s(BOX(S_QNAN), BOX(S_CNAN), &fl), BOX(S_CNAN), 0);
    /* a badly boxed operand is a (quiet) canonical NaN */
    EXPECT(riscv_fmin_s(UNBOXED_ONE, BOX(S_TWO), &fl), BOX(S_TWO), 0);
}

static void test_compare(void)
{
    EXPECT(riscv_feq_d(D_NZERO, D_PZERO, &fl), 1, 0);
    EXPECT(riscv_flt_d(D_NZERO, D_PZERO, &fl), 0, 0);
    EXPECT(riscv_fle_d(D_PZERO, D_NZERO, &fl), 1, 0);
    EXPECT(riscv_flt_d(D_ONE, D_TWO, &fl), 1, 0);
    EXPECT(riscv_flt_d(D_TWO, D_ONE, &fl), 0, 0);
    EXPECT(riscv_flt_d(D_NINF, D_NMAX, &fl), 1, 0);
    EXPECT(riscv_fle_d(D_PINF, D_PINF, &fl), 1, 0);
    EXPECT(riscv_flt_d(D_MONE, D_MINSUB, &fl), 1, 0);
    EXPECT(riscv_feq_d(D_MINSUB, D_MINSUB, &fl), 1, 0);
    /* feq is quiet: only a signaling NaN is invalid */
    EXPECT(riscv_feq_d(D_QNAN, D_ONE, &fl), 0, 0);
    EXPECT(riscv_feq_d(D_CNAN, D_CNAN, &fl), 0, 0);
    EXPECT(riscv_feq_d(D_ONE, D_SNAN, &fl), 0, NV);
    /* flt/fle signal on any NaN */
    EXPECT(riscv_flt_d(D_QNAN, D_ONE, &fl), 0, NV);
    EXPECT(riscv_fle_d(D_ONE, D_QNAN, &fl), 0, NV);
    EXPECT(riscv_fle_d(D_SNAN, D_SNAN, &fl), 0, NV);
    EXPECT(riscv_feq_s(BOX(S_NZERO), BOX(S_PZERO), &fl), 1, 0);
    EXPECT(riscv_flt_s(BOX(S_MONE), BOX(S_ONE), &fl), 1, 0);
    EXPECT(riscv_feq_s(BOX(S_SNAN), BOX(S_ONE), &fl), 0, NV);
    EXPECT(riscv_fle_s(BOX(S_QNAN), BOX(S_ONE), &fl), 0, NV);
    /* unboxed operands compare as quiet NaNs */
    EXPECT(riscv_feq_s(UNBOXED_ONE, UNBOXED_ONE, &fl), 0, 0);
    EXPECT(riscv_flt_s(UNBOXED_ONE, BOX(S_TWO), &fl), 0, NV);
}

static void test_class(void)
{
    static const struct { uint64_t d; uint32_t s; unsigned bit; } cases[] = {
        { D_NINF, S_NINF, 0 },
        { D_MONE, S_MONE, 1 },
        { D_MAXSUB | D_NZERO, S_MAXSUB | S_NZERO, 2 },
        { D_NZERO, S_NZERO, 3 },
        { D_PZERO, S_PZERO, 4 },
        { D_MINSUB, S_MINSUB, 5 },
        { D_MINN, S_MINN, 6 },
        { D_PINF, S_PINF, 7 },
        { D_SNAN, S_SNAN, 8 },
        { D_SNAN | D_NZERO, S_SNAN | S_NZERO, 8 },
        { D_QNAN, S_QNAN, 9 },
        { D_CNAN, S_CNAN, 9 },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK_EQ(riscv_fclass_d(cases[i].d), 1u << cases[i].bit);
        CHECK_EQ(riscv_fclass_s(BOX(cases[i].s)), 1u << cases[i].bit);
    }
    CHECK_EQ(riscv_fclass_s(UNBOXED_ONE), 1u << 9);
    CHECK_EQ(riscv_fclass_s(0x7fffffff00000000ull), 1u << 9);
}

static void test_sign_injection(void)
{
    CHECK_EQ(riscv_fsgnj_d(D_ONE, 0xc000000000000000ull), D_MONE);
    CHECK_EQ(riscv_fsgnjn_d(D_ONE, 0xc000000000000000ull), D_ONE);
    CHECK_EQ(riscv_fsgnjx_d(D_MONE, 0xc000000000000000ull), D_ONE);
    CHECK_EQ(riscv_fsgnjx_d(D_MONE, D_TWO), D_MONE);
    /* bit operations: NaNs are not canonicalised */
    CHECK_EQ(riscv_fsgnj_d(D_SNAN, D_MONE), D_SNAN | D_NZERO);
    CHECK_EQ(riscv_fsgnjn_d(D_QNAN, D_QNAN), D_QNAN & ~D_NZERO);
    CHECK_EQ(riscv_fsgnj_s(BOX(S_ONE), BOX(S_MONE)), BOX(S_MONE));
    CHECK_EQ(riscv_fsgnjn_s(BOX(S_SNAN), BOX(S_SNAN)), BOX(S_SNAN | S_NZERO));
    CHECK_EQ(riscv_fsgnjx_s(BOX(S_MONE), BOX(S_MONE)), BOX(S_ONE));
    /* a badly boxed operand reads as the canonical NaN (positive) */
    CHECK_EQ(riscv_fsgnj_s(UNBOXED_ONE, BOX(S_MONE)), BOX(S_CNAN | S_NZERO));
    CHECK_EQ(riscv_fsgnjn_s(UNBOXED_ONE, BOX(S_ONE)), BOX(S_CNAN | S_NZERO));
    CHECK_EQ(riscv_fsgnjx_s(BOX(S_MONE), UNBOXED_ONE), BOX(S_MONE));
    CHECK_EQ(riscv_fsgnj_s(BOX(S_MONE), UNBOXED_ONE), BOX(S_ONE));
}

#define W_MAX     0x000000007fffffffull
#define W_MIN     0xffffffff80000000ull
#define WU_MAX    0xffffffffffffffffull     /* 2^32-1, sign-extended */
#define L_MAX     0x7fffffffffffffffull
#define L_MIN     0x8000000000000000ull

static void test_to_int_d(void)
{
    for (unsigned rm = 0; rm <= 4; rm++) {
        EXPECT(riscv_fcvt_w_d(D_CNAN, rm, &fl), W_MAX, NV);
        EXPECT(riscv_fcvt_w_d(D_QNAN, rm, &fl), W_MAX, NV);  /* -NaN too */
        EXPECT(riscv_fcvt_w_d(D_PINF, rm, &fl), W_MAX, NV);
        EXPECT(riscv_fcvt_w_d(D_NINF, rm, &fl), W_MIN, NV);
        EXPECT(riscv_fcvt_w_d(0x41e0000000000000ull, rm, &fl), W_MAX, NV);
        EXPECT(riscv_fcvt_w_d(0x41dfffffffc00000ull, rm, &fl), W_MAX, 0);
        EXPECT(riscv_fcvt_w_d(0xc1e0000000000000ull, rm, &fl), W_MIN, 0);
        EXPECT(riscv_fcvt_w_d(0xc1e0000000200000ull, rm, &fl), W_MIN, NV);
        EXPECT(riscv_fcvt_w_d(D_NZERO, rm, &fl), 0, 0);
        EXPECT(riscv_fcvt_w_d(D_MONE, rm, &fl), ~0ull, 0);

        EXPECT(riscv_fcvt_wu_d(D_CNAN, rm, &fl), WU_MAX, NV);
        EXPECT(riscv_fcvt_wu_d(D_PINF, rm, &fl), WU_MAX, NV);
        EXPECT(riscv_fcvt_wu_d(D_NINF, rm, &fl), 0, NV);
        EXPECT(riscv_fcvt_wu_d(D_MONE, rm, &fl), 0, NV);
        EXPECT(riscv_fcvt_wu_d(D_NZERO, rm, &fl), 0, 0);
        EXPECT(riscv_fcvt_wu_d(0x41efffffffe00000ull, rm, &fl), WU_MAX, 0);
        EXPECT(riscv_fcvt_wu_d(0x41f0000000000000ull, rm, &fl), WU_MAX, NV);
        EXPECT(riscv_fcvt_wu_d(0x41e0000000000000ull, rm, &fl), W_MIN, 0);

        EXPECT(riscv_fcvt_l_d(D_CNAN, rm, &fl), L_MAX, NV);
        EXPECT(riscv_fcvt_l_d(0x43e0000000000000ull, rm, &fl), L_MAX, NV);
        EXPECT(riscv_fcvt_l_d(0xc3e0000000000000ull, rm, &fl), L_MIN, 0);
        EXPECT(riscv_fcvt_l_d(0xc3e0000000000001ull, rm, &fl), L_MIN, NV);
        EXPECT(riscv_fcvt_l_d(0x43dfffffffffffffull, rm, &fl),
               0x7ffffffffffffc00ull, 0);
        EXPECT(riscv_fcvt_l_d(D_NINF, rm, &fl), L_MIN, NV);

        EXPECT(riscv_fcvt_lu_d(D_CNAN, rm, &fl), ~0ull, NV);
        EXPECT(riscv_fcvt_lu_d(0x43f0000000000000ull, rm, &fl), ~0ull, NV);
        EXPECT(riscv_fcvt_lu_d(0x43efffffffffffffull, rm, &fl),
               0xfffffffffffff800ull, 0);
        EXPECT(riscv_fcvt_lu_d(D_MONE, rm, &fl), 0, NV);
        EXPECT(riscv_fcvt_lu_d(D_NINF, rm, &fl), 0, NV);
    }
    /* 2^31 - 0.5 rounds to 2^31 (out of range) or stays below */
    EXPECT(riscv_fcvt_w_d(0x41dfffffffe00000ull, RNE, &fl), W_MAX, NV);
    EXPECT(riscv_fcvt_w_d(0x41dfffffffe00000ull, RMM, &fl), W_MAX, NV);
    EXPECT(riscv_fcvt_w_d(0x41dfffffffe00000ull, RUP, &fl), W_MAX, NV);
    EXPECT(riscv_fcvt_w_d(0x41dfffffffe00000ull, RTZ, &fl), W_MAX, NX);
    EXPECT(riscv_fcvt_w_d(0x41dfffffffe00000ull, RDN, &fl), W_MAX, NX);
    /* -2^31 - 0.5 */
    EXPECT(riscv_fcvt_w_d(0xc1e0000000100000ull, RNE, &fl), W_MIN, NX);
    EXPECT(riscv_fcvt_w_d(0xc1e0000000100000ull, RTZ, &fl), W_MIN, NX);
    EXPECT(riscv_fcvt_w_d(0xc1e0000000100000ull, RUP, &fl), W_MIN, NX);
    EXPECT(riscv_fcvt_w_d(0xc1e0000000100000ull, RMM, &fl), W_MIN, NV);
    EXPECT(riscv_fcvt_w_d(0xc1e0000000100000ull, RDN, &fl), W_MIN, NV);
    /* ties and fractions */
    EXPECT(riscv_fcvt_w_d(D_HALF, RNE, &fl), 0, NX);
    EXPECT(riscv_fcvt_w_d(D_HALF, RMM, &fl), 1, NX);
    EXPECT(riscv_fcvt_w_d(D_HALF, RUP, &fl), 1, NX);
    EXPECT(riscv_fcvt_w_d(D_HALF, RDN, &fl), 0, NX);
    EXPECT(riscv_fcvt_w_d(0x3ff8000000000000ull, RNE, &fl), 2, NX);
    EXPECT(riscv_fcvt_w_d(0x3ff8000000000000ull, RTZ, &fl), 1, NX);
    EXPECT(riscv_fcvt_w_d(0x4004000000000000ull, RNE, &fl), 2, NX);
    EXPECT(riscv_fcvt_w_d(0x4004000000000000ull, RMM, &fl), 3, NX);
    EXPECT(riscv_fcvt_w_d(0xbfe0000000000000ull, RNE, &fl), 0, NX);
    EXPECT(riscv_fcvt_w_d(0xbfe0000000000000ull, RDN, &fl), ~0ull, NX);
    EXPECT(riscv_fcvt_w_d(0xbfe0000000000000ull, RMM, &fl), ~0ull, NX);
    EXPECT(riscv_fcvt_w_d(D_MINSUB, RUP, &fl), 1, NX);
    EXPECT(riscv_fcvt_w_d(D_MINSUB, RNE, &fl), 0, NX);
    /* unsigned: a negative value that rounds to 0 is fine, -1 is not */
    EXPECT(riscv_fcvt_wu_d(0xbfe0000000000000ull, RNE, &fl), 0, NX);
    EXPECT(riscv_fcvt_wu_d(0xbfe0000000000000ull, RTZ, &fl), 0, NX);
    EXPECT(riscv_fcvt_wu_d(0xbfe0000000000000ull, RDN, &fl), 0, NV);
    EXPECT(riscv_fcvt_lu_d(0xbfe0000000000000ull, RMM, &fl), 0, NV);
    EXPECT(riscv_fcvt_lu_d(0xbfe0000000000000ull, RUP, &fl), 0, NX);
    EXPECT(riscv_fcvt_l_d(0xc3e0000000000000ull, RUP, &fl), L_MIN, 0);
}

static void test_to_int_s(void)
{
    for (unsigned rm = 0; rm <= 4; rm++) {
        EXPECT(riscv_fcvt_w_s(BOX(0x4f000000u), rm, &fl), W_MAX, NV);
        EXPECT(riscv_fcvt_w_s(BOX(0xcf000000u), rm, &fl), W_MIN, 0);
        EXPECT(riscv_fcvt_w_s(BOX(0x4effffffu), rm, &fl), 0x7fffff80, 0);
        EXPECT(riscv_fcvt_w_s(BOX(S_SNAN | S_NZERO), rm, &fl), W_MAX, NV);
        /* badly boxed: the canonical NaN, so max positive and NV */
        EXPECT(riscv_fcvt_w_s(UNBOXED_ONE, rm, &fl), W_MAX, NV);
        EXPECT(riscv_fcvt_wu_s(BOX(0x4f800000u), rm, &fl), WU_MAX, NV);
        EXPECT(riscv_fcvt_wu_s(BOX(0x4f7fffffu), rm, &fl),
               0xffffffffffffff00ull, 0);
        EXPECT(riscv_fcvt_l_s(BOX(0x5f000000u), rm, &fl), L_MAX, NV);
        EXPECT(riscv_fcvt_l_s(BOX(0xdf000000u), rm, &fl), L_MIN, 0);
        EXPECT(riscv_fcvt_l_s(BOX(S_NINF), rm, &fl), L_MIN, NV);
        EXPECT(riscv_fcvt_lu_s(BOX(0x5f800000u), rm, &fl), ~0ull, NV);
        EXPECT(riscv_fcvt_lu_s(BOX(0x5f7fffffu), rm, &fl),
               0xffffff0000000000ull, 0);
        EXPECT(riscv_fcvt_lu_s(UNBOXED_ONE, rm, &fl), ~0ull, NV);
    }
    EXPECT(riscv_fcvt_w_s(BOX(0x3fc00000u), RNE, &fl), 2, NX);   /* 1.5 */
    EXPECT(riscv_fcvt_w_s(BOX(0x40200000u), RNE, &fl), 2, NX);   /* 2.5 */
    EXPECT(riscv_fcvt_w_s(BOX(0x40200000u), RMM, &fl), 3, NX);
    EXPECT(riscv_fcvt_w_s(BOX(0xc0200000u), RMM, &fl), -3ull, NX);
    EXPECT(riscv_fcvt_w_s(BOX(0xc0200000u), RUP, &fl), -2ull, NX);
}

static void test_from_int(void)
{
    for (unsigned rm = 0; rm <= 4; rm++) {
        EXPECT(riscv_fcvt_d_w(0, rm, &fl), D_PZERO, 0);   /* never -0 */
        EXPECT(riscv_fcvt_d_w(0x00000000ffffffffull, rm, &fl), D_MONE, 0);
        EXPECT(riscv_fcvt_d_wu(0xffffffff00000000ull, rm, &fl), D_PZERO, 0);
        EXPECT(riscv_fcvt_d_wu(0x12345678ffffffffull, rm, &fl),
               0x41efffffffe00000ull, 0);
        EXPECT(riscv_fcvt_d_l(L_MIN, rm, &fl), 0xc3e0000000000000ull, 0);
        EXPECT(riscv_fcvt_s_w(0x12345678ffffffffull, rm, &fl), BOX(S_MONE),
               0);
        EXPECT(riscv_fcvt_s_w(0x80000000ull, rm, &fl), BOX(0xcf000000u), 0);
        EXPECT(riscv_fcvt_s_l(0x80000000ull, rm, &fl), BOX(0x4f000000u), 0);
        EXPECT(riscv_fcvt_s_lu(0, rm, &fl), BOX(S_PZERO), 0);
    }
    /* 2^24 + 1: a tie for binary32 */
    EXPECT(riscv_fcvt_s_w(0x1000001, RNE, &fl), BOX(0x4b800000u), NX);
    EXPECT(riscv_fcvt_s_w(0x1000001, RMM, &fl), BOX(0x4b800001u), NX);
    EXPECT(riscv_fcvt_s_w(0x1000001, RUP, &fl), BOX(0x4b800001u), NX);
    EXPECT(riscv_fcvt_s_w(0x1000001, RTZ, &fl), BOX(0x4b800000u), NX);
    EXPECT(riscv_fcvt_s_w(-0x1000001ull, RMM, &fl), BOX(0xcb800001u), NX);
    EXPECT(riscv_fcvt_s_w(-0x1000001ull, RUP, &fl), BOX(0xcb800000u), NX);
    EXPECT(riscv_fcvt_s_wu(0xffffffff, RNE, &fl), BOX(0x4f800000u), NX);
    EXPECT(riscv_fcvt_s_wu(0xffffffff, RTZ, &fl), BOX(0x4f7fffffu), NX);
    /* 2^53 + 1: a tie for binary64 */
    EXPECT(riscv_fcvt_d_l(0x20000000000001ull, RNE, &fl),
           0x4340000000000000ull, NX);
    EXPECT(riscv_fcvt_d_l(0x20000000000001ull, RMM, &fl),
           0x4340000000000001ull, NX);
    EXPECT(riscv_fcvt_d_lu(~0ull, RNE, &fl), 0x43f0000000000000ull, NX);
    EXPECT(riscv_fcvt_d_lu(~0ull, RTZ, &fl), 0x43efffffffffffffull, NX);
    EXPECT(riscv_fcvt_d_l(~0ull, RTZ, &fl), D_MONE, 0);
    EXPECT(riscv_fcvt_s_lu(~0ull, RUP, &fl), BOX(0x5f800000u), NX);
    EXPECT(riscv_fcvt_s_lu(~0ull, RDN, &fl), BOX(0x5f7fffffu), NX);
}

static void test_convert_formats(void)
{
    for (unsigned rm = 0; rm <= 4; rm++) {
        EXPECT(riscv_fcvt_s_d(D_ONE, rm, &fl), BOX(S_ONE), 0);
        EXPECT(riscv_fcvt_s_d(D_NZERO, rm, &fl), BOX(S_NZERO), 0);
        EXPECT(riscv_fcvt_s_d(D_NINF, rm, &fl), BOX(S_NINF), 0);
        EXPECT(riscv_fcvt_s_d(D_SNAN, rm, &fl), BOX(S_CNAN), NV);
        EXPECT(riscv_fcvt_s_d(D_QNAN, rm, &fl), BOX(S_CNAN), 0);
        /* 2^-149 is exactly binary32's smallest subnormal: no UF */
        EXPECT(riscv_fcvt_s_d(0x36a0000000000000ull, rm, &fl),
               BOX(S_MINSUB), 0);
        EXPECT(riscv_fcvt_d_s(BOX(S_ONE), rm, &fl), D_ONE, 0);
        EXPECT(riscv_fcvt_d_s(BOX(S_MINSUB), rm, &fl),
               0x36a0000000000000ull, 0);
        EXPECT(riscv_fcvt_d_s(BOX(S_SNAN), rm, &fl), D_CNAN, NV);
        EXPECT(riscv_fcvt_d_s(BOX(S_QNAN), rm, &fl), D_CNAN, 0);
        EXPECT(riscv_fcvt_d_s(UNBOXED_ONE, rm, &fl), D_CNAN, 0);
        EXPECT(riscv_fcvt_d_s(BOX(S_NINF), rm, &fl), D_NINF, 0);
    }
    EXPECT(riscv_fcvt_s_d(D_MAX, RNE, &fl), BOX(S_PINF), OF | NX);
    EXPECT(riscv_fcvt_s_d(D_MAX, RTZ, &fl), BOX(S_MAX), OF | NX);
    EXPECT(riscv_fcvt_s_d(D_NMAX, RUP, &fl), BOX(S_NMAX), OF | NX);
    EXPECT(riscv_fcvt_s_d(D_MINSUB, RNE, &fl), BOX(S_PZERO), UF | NX);
    EXPECT(riscv_fcvt_s_d(D_MINSUB, RUP, &fl), BOX(S_MINSUB), UF | NX);
    EXPECT(riscv_fcvt_s_d(D_MINSUB | D_NZERO, RDN, &fl),
           BOX(S_MINSUB | S_NZERO), UF | NX);
    /* 1 + 2^-24: a tie for binary32 */
    EXPECT(riscv_fcvt_s_d(0x3ff0000010000000ull, RNE, &fl), BOX(S_ONE), NX);
    EXPECT(riscv_fcvt_s_d(0x3ff0000010000000ull, RMM, &fl),
           BOX(0x3f800001u), NX);
    /* just under binary32's overflow threshold rounds to its max */
    EXPECT(riscv_fcvt_s_d(0x47efffffefffffffull, RNE, &fl), BOX(S_MAX), NX);
    EXPECT(riscv_fcvt_s_d(0x47effffff0000000ull, RNE, &fl), BOX(S_PINF),
           OF | NX);
}

static void test_nan_boxing(void)
{
    /* results are boxed */
    EXPECT(riscv_fadd_s(BOX(S_ONE), BOX(S_ONE), RNE, &fl), BOX(S_TWO), 0);
    /* any upper half other than all ones makes the canonical NaN */
    EXPECT(riscv_fadd_s(UNBOXED_ONE, BOX(S_ONE), RNE, &fl), BOX(S_CNAN), 0);
    EXPECT(riscv_fmul_s(BOX(S_ONE), 0xfffffffe3f800000ull, RNE, &fl),
           BOX(S_CNAN), 0);
    EXPECT(riscv_fsqrt_s(0x7fffffff3f800000ull, RNE, &fl), BOX(S_CNAN), 0);
    /* canonical NaN times 0 is NaN without NV; inf * unboxed-zero too */
    EXPECT(riscv_fmadd_s(BOX(S_PINF), 0x0000000000000000ull, BOX(S_ONE), RNE,
                         &fl), BOX(S_CNAN), 0);
    EXPECT(riscv_fmadd_s(BOX(S_ONE), BOX(S_ONE), UNBOXED_ONE, RMM, &fl),
           BOX(S_CNAN), 0);
    /* the moves do not check boxes */
    CHECK_EQ(riscv_fmv_x_w(0x1234567880000000ull), 0xffffffff80000000ull);
    CHECK_EQ(riscv_fmv_x_w(BOX(S_CNAN)), S_CNAN);
    CHECK_EQ(riscv_fmv_w_x(0x123456783f800000ull), BOX(S_ONE));
    CHECK_EQ(riscv_fmv_x_d(D_SNAN), D_SNAN);
    CHECK_EQ(riscv_fmv_d_x(UNBOXED_ONE), UNBOXED_ONE);
    CHECK_EQ(riscv_unbox_s(UNBOXED_ONE), S_CNAN);
    CHECK_EQ(riscv_unbox_s(BOX(S_SNAN)), S_SNAN);
}

/* Flags accumulate into *fflags; nothing is ever cleared. */
static void test_flags_accumulate(void)
{
    unsigned fl = NV;

    riscv_fdiv_d(D_ONE, D_THREE, RNE, &fl);
    CHECK_EQ(fl, NV | NX);
    riscv_fdiv_d(D_ONE, D_PZERO, RMM, &fl);
    CHECK_EQ(fl, NV | NX | DZ);
    riscv_fadd_d(D_ONE, D_ONE, RNE, &fl);
    CHECK_EQ(fl, NV | NX | DZ);
}

int main(void)
{
    RUN(test_resolve_rm);
    RUN(test_add_sub);
    RUN(test_mul);
    RUN(test_div);
    RUN(test_sqrt);
    RUN(test_fma);
    RUN(test_min_max);
    RUN(test_compare);
    RUN(test_class);
    RUN(test_sign_injection);
    RUN(test_to_int_d);
    RUN(test_to_int_s);
    RUN(test_from_int);
    RUN(test_convert_formats);
    RUN(test_nan_boxing);
    RUN(test_flags_accumulate);
    return 0;
}
