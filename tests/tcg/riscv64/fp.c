/*
 * F and D: results and fflags of single instructions on edge operands,
 * in every static rounding mode and the dynamic one (frm).  Each case
 * names an instruction template (assembled below with rm = dyn), the
 * rounding mode patched into it, the raw 64-bit register operands (so
 * singles can be improperly NaN-boxed), the expected raw result and the
 * expected fflags.  The instruction is written into a buffer and run
 * there (after fence.i), which keeps one table for all rounding modes.
 *
 * Expected values follow the ISA manual (ch. 11-13: canonical NaN, no
 * payload propagation, NaN-boxing, saturating conversions, tininess
 * after rounding); the same file builds for Linux (-DLINUX_USER) so the
 * table can be cross-checked under qemu-riscv64.
 */
#include <stdint.h>

#include "guest-lib.h"

/* Templates: fa0 = op(fa0, fa1, fa2) or a0 = op(fa0, fa1) or
 * fa0 = op(a0). */
#define TEMPLATES(X)                                    \
    X(fadd_d, "fadd.d fa0, fa0, fa1, dyn")              \
    X(fsub_d, "fsub.d fa0, fa0, fa1, dyn")              \
    X(fmul_d, "fmul.d fa0, fa0, fa1, dyn")              \
    X(fdiv_d, "fdiv.d fa0, fa0, fa1, dyn")              \
    X(fsqrt_d, "fsqrt.d fa0, fa0, dyn")                 \
    X(fmadd_d, "fmadd.d fa0, fa0, fa1, fa2, dyn")       \
    X(fmsub_d, "fmsub.d fa0, fa0, fa1, fa2, dyn")       \
    X(fnmadd_d, "fnmadd.d fa0, fa0, fa1, fa2, dyn")     \
    X(fnmsub_d, "fnmsub.d fa0, fa0, fa1, fa2, dyn")     \
    X(fmin_d, "fmin.d fa0, fa0, fa1")                   \
    X(fmax_d, "fmax.d fa0, fa0, fa1")                   \
    X(fsgnj_d, "fsgnj.d fa0, fa0, fa1")                 \
    X(fsgnjn_d, "fsgnjn.d fa0, fa0, fa1")               \
    X(fsgnjx_d, "fsgnjx.d fa0, fa0, fa1")               \
    X(feq_d, "feq.d a0, fa0, fa1")                      \
    X(flt_d, "flt.d a0, fa0, fa1")                      \
    X(fle_d, "fle.d a0, fa0, fa1")                      \
    X(fclass_d, "fclass.d a0, fa0")                     \
    X(fcvt_w_d, "fcvt.w.d a0, fa0, dyn")                \
    X(fcvt_wu_d, "fcvt.wu.d a0, fa0, dyn")              \
    X(fcvt_l_d, "fcvt.l.d a0, fa0, dyn")                \
    X(fcvt_lu_d, "fcvt.lu.d a0, fa0, dyn")              \
    X(fcvt_d_l, "fcvt.d.l fa0, a0, dyn")                \
    X(fcvt_d_lu, "fcvt.d.lu fa0, a0, dyn")              \
    X(fcvt_s_d, "fcvt.s.d fa0, fa0, dyn")               \
    X(fcvt_d_s, "fcvt.d.s fa0, fa0")                    \
    X(fadd_s, "fadd.s fa0, fa0, fa1, dyn")              \
    X(fmul_s, "fmul.s fa0, fa0, fa1, dyn")              \
    X(fdiv_s, "fdiv.s fa0, fa0, fa1, dyn")              \
    X(fmadd_s, "fmadd.s fa0, fa0, fa1, fa2, dyn")       \
    X(fsgnj_s, "fsgnj.s fa0, fa0, fa1")                 \
    X(fsgnjx_s, "fsgnjx.s fa0, fa0, fa1")               \
    X(fmin_s, "fmin.s fa0, fa0, fa1")                   \
    X(fmax_s, "fmax.s fa0, fa0, fa1")                   \
    X(feq_s, "feq.s a0, fa0, fa1")                      \
    X(fclass_s, "fclass.s a0, fa0")                     \
    X(fcvt_w_s, "fcvt.w.s a0, fa0, dyn")                \
    X(fcvt_lu_s, "fcvt.lu.s a0, fa0, dyn")              \
    X(fcvt_s_w, "fcvt.s.w fa0, a0, dyn")                \
    X(fcvt_s_lu, "fcvt.s.lu fa0, a0, dyn")              \
    X(fmv_x_w, "fmv.x.w a0, fa0")                       \
    X(fmv_w_x, "fmv.w.x fa0, a0")

#define DECLARE(name, text) extern const uint32_t T_##name;
TEMPLATES(DECLARE)

#define EMIT(name, text) "T_" #name ": " text "\n"
__asm__(".pushsection .rodata\n.option norvc\n.balign 4\n"
        TEMPLATES(EMIT) ".popsection\n");

enum { RNE, RTZ, RDN, RUP, RMM, DYN = 7 };
enum { NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16 };
/* result kinds: fa0 bits, or a0 */
enum { F, X };

struct fp_case {
    const uint32_t *insn;
    const char *name;
    uint8_t rm;         /* patched into bits 14:12 unless NORM */
    uint8_t frm;        /* frm before the instruction */
    uint8_t result;     /* F or X */
    uint8_t flags;
    uint64_t a, b, c, want;
};

#define NORM 0xff
#define C(op, rm, res, a, b, c, want, flags) \
    { &T_##op, #op, rm, RNE, res, flags, a, b, c, want }
/* dynamic rounding with frm = mode */
#define CD(op, mode, res, a, b, c, want, flags) \
    { &T_##op, #op, DYN, mode, res, flags, a, b, c, want }

#define BOX(x)  (0xffffffff00000000ull | (x))
#define D1      0x3ff0000000000000ull
#define D2      0x4000000000000000ull
#define D3      0x4008000000000000ull
#define DM1     0xbff0000000000000ull
#define DHALF   0x3fe0000000000000ull
#define DINF    0x7ff0000000000000ull
#define DNINF   0xfff0000000000000ull
#define DQNAN   0x7ff8000000000000ull
#define DSNAN   0x7ff0000000000001ull
#define DMAX    0x7fefffffffffffffull
#define DNMAX   0xffefffffffffffffull
#define DMINN   0x0010000000000000ull
#define DDEN    0x0000000000000001ull
#define DNZ     0x8000000000000000ull
#define DEPS53  0x3ca0000000000000ull   /* 2^-53 */
#define S1      BOX(0x3f800000)
#define S2      BOX(0x40000000)
#define S3      BOX(0x40400000)
#define SINF    BOX(0x7f800000)
#define SQNAN   BOX(0x7fc00000)
#define SSNAN   BOX(0x7f800001)

static const struct fp_case cases[] = {
    /* rounding: 1/3 and -1/3 */
    C(fdiv_d, RNE, F, D1, D3, 0, 0x3fd5555555555555, NX),
    C(fdiv_d, RTZ, F, D1, D3, 0, 0x3fd5555555555555, NX),
    C(fdiv_d, RDN, F, D1, D3, 0, 0x3fd5555555555555, NX),
    C(fdiv_d, RUP, F, D1, D3, 0, 0x3fd5555555555556, NX),
    C(fdiv_d, RMM, F, D1, D3, 0, 0x3fd5555555555555, NX),
    C(fdiv_d, RDN, F, DM1, D3, 0, 0xbfd5555555555556, NX),
    C(fdiv_d, RUP, F, DM1, D3, 0, 0xbfd5555555555555, NX),
    C(fdiv_d, RTZ, F, DM1, D3, 0, 0xbfd5555555555555, NX),
    /* exact ties: 1 + 2^-53 and (1 + 2^-52) + 2^-53 */
    C(fadd_d, RNE, F, D1, DEPS53, 0, D1, NX),
    C(fadd_d, RMM, F, D1, DEPS53, 0, 0x3ff0000000000001, NX),
    C(fadd_d, RUP, F, D1, DEPS53, 0, 0x3ff0000000000001, NX),
    C(fadd_d, RDN, F, D1, DEPS53, 0, D1, NX),
    C(fadd_d, RTZ, F, D1, DEPS53, 0, D1, NX),
    C(fadd_d, RNE, F, 0x3ff0000000000001, DEPS53, 0, 0x3ff0000000000002, NX),
    C(fadd_d, RMM, F, 0x3ff0000000000001, DEPS53, 0, 0x3ff0000000000002, NX),
    C(fadd_d, RTZ, F, 0x3ff0000000000001, DEPS53, 0, 0x3ff0000000000001, NX),
    C(fsub_d, RNE, F, DM1, DEPS53, 0, DM1, NX),
    C(fsub_d, RMM, F, DM1, DEPS53, 0, 0xbff0000000000001, NX),
    C(fsub_d, RDN, F, DM1, DEPS53, 0, 0xbff0000000000001, NX),
    C(fsub_d, RUP, F, DM1, DEPS53, 0, DM1, NX),
    /* the same through frm */
    CD(fadd_d, RNE, F, D1, DEPS53, 0, D1, NX),
    CD(fadd_d, RMM, F, D1, DEPS53, 0, 0x3ff0000000000001, NX),
    CD(fadd_d, RUP, F, D1, DEPS53, 0, 0x3ff0000000000001, NX),
    CD(fadd_d, RDN, F, DM1, 0xbca0000000000000, 0, 0xbff0000000000001, NX),
    CD(fadd_d, RTZ, F, 0x3ff0000000000001, DEPS53, 0, 0x3ff0000000000001, NX),
    CD(fdiv_d, RUP, F, D1, D3, 0, 0x3fd5555555555556, NX),
    /* exact results raise nothing */
    C(fadd_d, RNE, F, D1, D2, 0, D3, 0),
    C(fmul_d, RNE, F, DMINN, DHALF, 0, 0x0008000000000000, 0),
    /* overflow */
    C(fmul_d, RNE, F, DMAX, D2, 0, DINF, OF | NX),
    C(fmul_d, RTZ, F, DMAX, D2, 0, DMAX, OF | NX),
    C(fmul_d, RDN, F, DMAX, D2, 0, DMAX, OF | NX),
    C(fmul_d, RUP, F, DMAX, D2, 0, DINF, OF | NX),
    C(fmul_d, RMM, F, DMAX, D2, 0, DINF, OF | NX),
    C(fmul_d, RDN, F, DNMAX, D2, 0, DNINF, OF | NX),
    C(fmul_d, RUP, F, DNMAX, D2, 0, DNMAX, OF | NX),
    /* underflow: 2^-1075 is a tie between 0 and the smallest subnormal */
    C(fmul_d, RNE, F, DDEN, DHALF, 0, 0, UF | NX),
    C(fmul_d, RUP, F, DDEN, DHALF, 0, DDEN, UF | NX),
    C(fmul_d, RMM, F, DDEN, DHALF, 0, DDEN, UF | NX),
    C(fmul_d, RTZ, F, DDEN, DHALF, 0, 0, UF | NX),
    /* 2^-1022 - 2^-1075 is tiny even with an unbounded exponent */
    C(fmul_d, RNE, F, DMINN, 0x3fefffffffffffff, 0, DMINN, UF | NX),
    /* 2^-1022 (1 - 2^-104) rounds to 2^-1022 with an unbounded exponent:
     * tininess is detected after rounding, so NX alone */
    C(fmul_d, RNE, F, 0x0010000000000001, 0x3feffffffffffffe, 0, DMINN, NX),
    /* divide by zero and invalid */
    C(fdiv_d, RNE, F, D1, 0, 0, DINF, DZ),
    C(fdiv_d, RNE, F, DM1, 0, 0, DNINF, DZ),
    C(fdiv_d, RNE, F, 0, 0, 0, DQNAN, NV),
    C(fsub_d, RNE, F, DINF, DINF, 0, DQNAN, NV),
    C(fmul_d, RNE, F, DINF, 0, 0, DQNAN, NV),
    C(fsqrt_d, RNE, F, DM1, 0, 0, DQNAN, NV),
    C(fsqrt_d, RNE, F, DNZ, 0, 0, DNZ, 0),
    C(fsqrt_d, RNE, F, 0x4010000000000000, 0, 0, D2, 0),
    C(fsqrt_d, RNE, F, D2, 0, 0, 0x3ff6a09e667f3bcd, NX),
    C(fsqrt_d, RUP, F, D2, 0, 0, 0x3ff6a09e667f3bcd, NX),
    C(fsqrt_d, RDN, F, D2, 0, 0, 0x3ff6a09e667f3bcc, NX),
    /* canonical NaNs, no payload propagation */
    C(fadd_d, RNE, F, DSNAN, D1, 0, DQNAN, NV),
    C(fadd_d, RNE, F, 0x7ff8000000000123, D1, 0, DQNAN, 0),
    C(fmul_d, RNE, F, 0xfff8000000000000, D1, 0, DQNAN, 0),
    /* fused multiply-add */
    C(fmadd_d, RNE, F, D2, D3, D1, 0x401c000000000000, 0),
    C(fmsub_d, RNE, F, D2, D3, D1, 0x4014000000000000, 0),
    C(fnmsub_d, RNE, F, D2, D3, D1, 0xc014000000000000, 0),
    C(fnmadd_d, RNE, F, D2, D3, D1, 0xc01c000000000000, 0),
    C(fmadd_d, RNE, F, DINF, 0, D1, DQNAN, NV),
    C(fmadd_d, RNE, F, DINF, 0, DQNAN, DQNAN, NV),
    C(fmadd_d, RNE, F, 0, DNINF, DQNAN, DQNAN, NV),
    C(fmadd_d, RNE, F, D1, D1, DQNAN, DQNAN, 0),
    C(fmadd_d, RNE, F, DINF, D1, DNINF, DQNAN, NV),
    /* exact zero sums: +0 except when rounding down */
    C(fmadd_d, RNE, F, D1, D1, DM1, 0, 0),
    C(fmadd_d, RDN, F, D1, D1, DM1, DNZ, 0),
    C(fnmadd_d, RNE, F, D1, D1, DM1, 0, 0),
    C(fmsub_d, RNE, F, D1, D1, D1, 0, 0),
    /* one rounding only: (1 + 2^-30)^2 - 1 = 2^-29 + 2^-60, exact */
    C(fmsub_d, RNE, F, 0x3ff0000000400000, 0x3ff0000000400000, D1,
      0x3e20000000200000, 0),
    /* (1 + 2^-52)^2 - 1 = 2^-51 + 2^-104 needs 54 bits: a tie */
    C(fmsub_d, RNE, F, 0x3ff0000000000001, 0x3ff0000000000001, D1,
      0x3cc0000000000000, NX),
    /* min/max */
    C(fmin_d, RNE, F, DSNAN, D1, 0, D1, NV),
    C(fmin_d, RNE, F, DQNAN, D1, 0, D1, 0),
    C(fmax_d, RNE, F, D1, DQNAN, 0, D1, 0),
    C(fmin_d, RNE, F, DQNAN, DQNAN, 0, DQNAN, 0),
    C(fmax_d, RNE, F, DSNAN, DSNAN, 0, DQNAN, NV),
    C(fmin_d, RNE, F, DNZ, 0, 0, DNZ, 0),
    C(fmin_d, RNE, F, 0, DNZ, 0, DNZ, 0),
    C(fmax_d, RNE, F, DNZ, 0, 0, 0, 0),
    C(fmax_d, RNE, F, 0, DNZ, 0, 0, 0),
    C(fmax_d, RNE, F, DNINF, DM1, 0, DM1, 0),
    C(fmin_s, RNE, F, SSNAN, S2, 0, S2, NV),
    C(fmax_s, RNE, F, BOX(0x80000000), BOX(0), 0, BOX(0), 0),
    C(fmin_s, RNE, F, BOX(0x80000000), BOX(0), 0, BOX(0x80000000), 0),
    /* sign injection never canonicalises */
    C(fsgnj_d, RNE, F, D1, 0xc000000000000000, 0, DM1, 0),
    C(fsgnjn_d, RNE, F, D1, 0xc000000000000000, 0, D1, 0),
    C(fsgnjx_d, RNE, F, DM1, 0xc000000000000000, 0, D1, 0),
    C(fsgnjx_d, RNE, F, DM1, D2, 0, DM1, 0),
    C(fsgnj_d, RNE, F, DSNAN, DM1, 0, 0xfff0000000000001, 0),
    C(fsgnjn_d, RNE, F, DQNAN, DQNAN, 0, 0xfff8000000000000, 0),
    C(fsgnjx_s, RNE, F, BOX(0xbf800000), BOX(0xc0000000), 0, S1, 0),
    /* comparisons: feq is quiet, flt/fle signal on any NaN */
    C(feq_d, RNE, X, DQNAN, D1, 0, 0, 0),
    C(feq_d, RNE, X, DSNAN, D1, 0, 0, NV),
    C(flt_d, RNE, X, DQNAN, D1, 0, 0, NV),
    C(fle_d, RNE, X, D1, DQNAN, 0, 0, NV),
    C(feq_d, RNE, X, DNZ, 0, 0, 1, 0),
    C(flt_d, RNE, X, DNZ, 0, 0, 0, 0),
    C(fle_d, RNE, X, DNZ, 0, 0, 1, 0),
    C(flt_d, RNE, X, DNINF, DNMAX, 0, 1, 0),
    C(feq_s, RNE, X, S1, S1, 0, 1, 0),
    /* fclass: every class */
    C(fclass_d, RNE, X, DNINF, 0, 0, 1 << 0, 0),
    C(fclass_d, RNE, X, DM1, 0, 0, 1 << 1, 0),
    C(fclass_d, RNE, X, 0x8000000000000001, 0, 0, 1 << 2, 0),
    C(fclass_d, RNE, X, DNZ, 0, 0, 1 << 3, 0),
    C(fclass_d, RNE, X, 0, 0, 0, 1 << 4, 0),
    C(fclass_d, RNE, X, 0x000fffffffffffff, 0, 0, 1 << 5, 0),
    C(fclass_d, RNE, X, DMINN, 0, 0, 1 << 6, 0),
    C(fclass_d, RNE, X, DINF, 0, 0, 1 << 7, 0),
    C(fclass_d, RNE, X, DSNAN, 0, 0, 1 << 8, 0),
    C(fclass_d, RNE, X, 0xfff8000000000000, 0, 0, 1 << 9, 0),
    C(fclass_s, RNE, X, BOX(0xff800000), 0, 0, 1 << 0, 0),
    C(fclass_s, RNE, X, BOX(0xbf800000), 0, 0, 1 << 1, 0),
    C(fclass_s, RNE, X, BOX(0x80000001), 0, 0, 1 << 2, 0),
    C(fclass_s, RNE, X, BOX(0x80000000), 0, 0, 1 << 3, 0),
    C(fclass_s, RNE, X, BOX(0), 0, 0, 1 << 4, 0),
    C(fclass_s, RNE, X, BOX(0x007fffff), 0, 0, 1 << 5, 0),
    C(fclass_s, RNE, X, S1, 0, 0, 1 << 6, 0),
    C(fclass_s, RNE, X, SINF, 0, 0, 1 << 7, 0),
    C(fclass_s, RNE, X, SSNAN, 0, 0, 1 << 8, 0),
    C(fclass_s, RNE, X, SQNAN, 0, 0, 1 << 9, 0),
    /* NaN boxing: an improperly boxed single is the canonical NaN */
    C(fclass_s, RNE, X, 0x000000003f800000, 0, 0, 1 << 9, 0),
    C(fclass_s, RNE, X, 0xfffffffe3f800000, 0, 0, 1 << 9, 0),
    C(fadd_s, RNE, F, 0x000000003f800000, S1, 0, SQNAN, 0),
    C(fsgnj_s, RNE, F, 0x000000003f800000, S1, 0, SQNAN, 0),
    C(fcvt_d_s, RNE, F, 0x00000000bf800000, 0, 0, DQNAN, 0),
    C(fmv_x_w, RNE, X, 0x00000000bf800000, 0, 0, 0xffffffffbf800000, 0),
    C(fmv_w_x, RNE, F, 0x123456787f800001, 0, 0, SSNAN, 0),
    /* single results are boxed */
    C(fadd_s, RNE, F, S1, S2, 0, S3, 0),
    C(fmul_s, RNE, F, SSNAN, S1, 0, SQNAN, NV),
    C(fdiv_s, RNE, F, S1, BOX(0), 0, SINF, DZ),
    C(fmadd_s, RNE, F, SINF, BOX(0), SQNAN, SQNAN, NV),
    C(fdiv_s, RUP, F, S1, S3, 0, BOX(0x3eaaaaab), NX),
    C(fdiv_s, RDN, F, S1, S3, 0, BOX(0x3eaaaaaa), NX),
    C(fcvt_s_d, RNE, F, DMAX, 0, 0, SINF, OF | NX),
    C(fcvt_s_d, RTZ, F, DMAX, 0, 0, BOX(0x7f7fffff), OF | NX),
    C(fcvt_s_d, RNE, F, DSNAN, 0, 0, SQNAN, NV),
    C(fcvt_s_d, RNE, F, 0x3ff0000010000000, 0, 0, S1, NX),
    C(fcvt_s_d, RUP, F, 0x3ff0000010000000, 0, 0, BOX(0x3f800001), NX),
    C(fcvt_d_s, RNE, F, SSNAN, 0, 0, DQNAN, NV),
    C(fcvt_d_s, RNE, F, BOX(0x00000001), 0, 0, 0x36a0000000000000, 0),
    /* conversions to integers: saturation, NV, rounding */
    C(fcvt_w_d, RNE, X, DQNAN, 0, 0, 0x7fffffff, NV),
    C(fcvt_w_d, RNE, X, DINF, 0, 0, 0x7fffffff, NV),
    C(fcvt_w_d, RNE, X, DNINF, 0, 0, 0xffffffff80000000, NV),
    C(fcvt_w_d, RNE, X, 0x41e65a0bc0000000, 0, 0, 0x7fffffff, NV),
    C(fcvt_w_d, RNE, X, 0xc1e65a0bc0000000, 0, 0, 0xffffffff80000000, NV),
    C(fcvt_w_d, RNE, X, 0xc1e0000000000000, 0, 0, 0xffffffff80000000, 0),
    C(fcvt_w_d, RTZ, X, 0xc1e0000000100000, 0, 0, 0xffffffff80000000, NX),
    C(fcvt_w_d, RTZ, X, 0xc1e0000000200000, 0, 0, 0xffffffff80000000, NV),
    C(fcvt_w_d, RNE, X, 0x3ff8000000000000, 0, 0, 2, NX),
    C(fcvt_w_d, RNE, X, 0x4004000000000000, 0, 0, 2, NX),
    C(fcvt_w_d, RMM, X, 0x4004000000000000, 0, 0, 3, NX),
    C(fcvt_w_d, RTZ, X, 0xc004000000000000, 0, 0, -2, NX),
    C(fcvt_w_d, RDN, X, 0xc004000000000000, 0, 0, -3, NX),
    C(fcvt_w_d, RUP, X, 0xc004000000000000, 0, 0, -2, NX),
    C(fcvt_w_d, RMM, X, 0xc004000000000000, 0, 0, -3, NX),
    CD(fcvt_w_d, RDN, X, 0xc004000000000000, 0, 0, -3, NX),
    C(fcvt_wu_d, RNE, X, DQNAN, 0, 0, 0xffffffffffffffff, NV),
    C(fcvt_wu_d, RNE, X, DINF, 0, 0, 0xffffffffffffffff, NV),
    C(fcvt_wu_d, RNE, X, DNINF, 0, 0, 0, NV),
    C(fcvt_wu_d, RNE, X, DM1, 0, 0, 0, NV),
    C(fcvt_wu_d, RNE, X, 0x41efffffffe00000, 0, 0, 0xffffffffffffffff, 0),
    C(fcvt_wu_d, RTZ, X, 0xbfe0000000000000, 0, 0, 0, NX),
    C(fcvt_wu_d, RDN, X, 0xbfe0000000000000, 0, 0, 0, NV),
    C(fcvt_l_d, RNE, X, DQNAN, 0, 0, 0x7fffffffffffffff, NV),
    C(fcvt_l_d, RNE, X, DNINF, 0, 0, 0x8000000000000000, NV),
    C(fcvt_l_d, RNE, X, 0x43e0000000000000, 0, 0, 0x7fffffffffffffff, NV),
    C(fcvt_l_d, RNE, X, 0xc3e0000000000000, 0, 0, 0x8000000000000000, 0),
    C(fcvt_l_d, RNE, X, DNZ, 0, 0, 0, 0),
    C(fcvt_lu_d, RNE, X, DSNAN, 0, 0, 0xffffffffffffffff, NV),
    C(fcvt_lu_d, RNE, X, DM1, 0, 0, 0, NV),
    C(fcvt_lu_d, RNE, X, 0x43f0000000000000, 0, 0, 0xffffffffffffffff, NV),
    C(fcvt_lu_d, RNE, X, 0x43efffffffffffff, 0, 0, 0xfffffffffffff800, 0),
    C(fcvt_lu_d, RNE, X, DNZ, 0, 0, 0, 0),
    C(fcvt_w_s, RNE, X, SQNAN, 0, 0, 0x7fffffff, NV),
    C(fcvt_w_s, RNE, X, 0x000000003f800000, 0, 0, 0x7fffffff, NV),
    C(fcvt_w_s, RNE, X, BOX(0xcf000000), 0, 0, 0xffffffff80000000, 0),
    C(fcvt_lu_s, RNE, X, BOX(0xbf800000), 0, 0, 0, NV),
    C(fcvt_lu_s, RNE, X, SINF, 0, 0, 0xffffffffffffffff, NV),
    /* integers to FP */
    C(fcvt_d_l, RNE, F, 0x7fffffffffffffff, 0, 0, 0x43e0000000000000, NX),
    C(fcvt_d_l, RTZ, F, 0x7fffffffffffffff, 0, 0, 0x43dfffffffffffff, NX),
    C(fcvt_d_l, RNE, F, 0x8000000000000000, 0, 0, 0xc3e0000000000000, 0),
    C(fcvt_d_lu, RNE, F, 0xffffffffffffffff, 0, 0, 0x43f0000000000000, NX),
    C(fcvt_d_lu, RDN, F, 0xffffffffffffffff, 0, 0, 0x43efffffffffffff, NX),
    C(fcvt_s_w, RNE, F, 0x7fffffff, 0, 0, BOX(0x4f000000), NX),
    C(fcvt_s_w, RTZ, F, 0x7fffffff, 0, 0, BOX(0x4effffff), NX),
    C(fcvt_s_w, RNE, F, 0xffffffff00000001, 0, 0, S1, 0),
    C(fcvt_s_lu, RNE, F, 0xffffffffffffffff, 0, 0, BOX(0x5f800000), NX),
    C(fcvt_s_w, RNE, F, 0, 0, 0, BOX(0), 0),
};

#define NR_CASES (sizeof(cases) / sizeof(cases[0]))

struct fp_out {
    uint64_t f, x, flags;
};

/* The generated code: the instruction under test, then ret. */
static uint32_t *exec_buf;

extern void fp_run(uint64_t a, uint64_t b, uint64_t c, struct fp_out *out,
                   unsigned frm, void *code);
__asm__(".text\n.balign 4\nfp_run:\n"
        "  addi sp, sp, -16\n"
        "  sd ra, 0(sp)\n"
        "  sd a3, 8(sp)\n"
        "  fmv.d.x fa0, a0\n"
        "  fmv.d.x fa1, a1\n"
        "  fmv.d.x fa2, a2\n"
        "  fsrm a4\n"
        "  csrw fflags, zero\n"
        "  jalr a5\n"
        "  ld a3, 8(sp)\n"
        "  fmv.x.d t0, fa0\n"
        "  sd t0, 0(a3)\n"
        "  sd a0, 8(a3)\n"
        "  frflags t0\n"
        "  sd t0, 16(a3)\n"
        "  ld ra, 0(sp)\n"
        "  addi sp, sp, 16\n"
        "  ret\n");

static int run_case(unsigned i)
{
    const struct fp_case *c = &cases[i];
    uint32_t insn = *c->insn;
    struct fp_out out;
    uint64_t got;

    if (c->rm != NORM && ((insn >> 12) & 7) == DYN)
        insn = (insn & ~(7u << 12)) | ((uint32_t)c->rm << 12);
    exec_buf[0] = insn;
    exec_buf[1] = 0x00008067;               /* ret */
    __asm__ volatile("fence.i" ::: "memory");
    fp_run(c->a, c->b, c->c, &out, c->frm, exec_buf);
    got = c->result == F ? out.f : out.x;
    if (got == c->want && out.flags == c->flags)
        return 0;
    guest_printf("fp case %d %s rm %d: a %lx b %lx c %lx\n"
                 "  want %lx flags %lx\n  got  %lx flags %lx\n",
                 i, c->name, c->rm == DYN ? 8 + c->frm : c->rm,
                 c->a, c->b, c->c, c->want, (uint64_t)c->flags,
                 got, out.flags);
    return 1;
}

#ifdef LINUX_USER
#include <sys/mman.h>
int main(void)
{
    exec_buf = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#else
static uint32_t code_page[2] __attribute__((aligned(8)));
int cmain(void)
{
    exec_buf = code_page;
#endif
    unsigned failed = 0, first = 0;

    for (unsigned i = 0; i < NR_CASES; i++) {
        if (run_case(i) && !failed++)
            first = i + 1;
    }
    guest_printf("fp: %d cases, %d failed\n", (unsigned)NR_CASES, failed);
    /* the exit status names the first failing case (1-based, mod 255) */
    return failed ? (int)(first % 255 ? first % 255 : 255) : 0;
}
