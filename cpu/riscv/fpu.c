/*
 * RISC-V F and D instructions at register level: NaN boxing, rounding-mode
 * resolution, and host-FPU fast paths in front of the software core
 * (fpu-soft.c), which defines the semantics and handles everything else.
 *
 * x86-64 hosts, operands all finite:
 *
 * - RNE add/sub/mul/div/sqrt: a plain SSE instruction under the thread's
 *   default MXCSR, exactness from an error-free transformation; no MXCSR
 *   access at all (see rne_arith_d()).  Results near the underflow
 *   threshold or overflowing fall through to the next path.
 *
 * - RNE/RTZ/RDN/RUP add/sub/mul/div/sqrt/fma (FMA3 when the host has it):
 *   MXCSR is loaded with the mode, all exceptions masked, DAZ/FTZ off and
 *   flags clear, and restored after.  x86 then gives what RISC-V asks for:
 *   IEEE results, tininess detected after rounding (SDM vol. 1, 4.9.1.5),
 *   UE only when tiny and inexact with UE masked (11.5.2.5).  With finite
 *   operands the only NaN it can produce is the default NaN of 0/0 or
 *   sqrt(negative), which is replaced by the canonical NaN.
 *
 * RMM (no MXCSR equivalent; sqrt excepted, see sqrt_rm()), NaN and
 * infinite operands, and every other instruction go to the software core.
 *
 * The SSE instructions are inline asm, issued together with the MXCSR
 * accesses where the mode changes, so the compiler can neither move them
 * across the mode switch nor constant-fold them: no -frounding-math or
 * FENV_ACCESS is needed.  The RNE path's C arithmetic only assumes the
 * default MXCSR every weft thread runs with.
 */
#include "cpu/riscv/fpu.h"
#include "cpu/riscv/fpu-internal.h"
#include "util/compiler.h"

#include <string.h>

int riscv_fpu_resolve_rm(unsigned insn_rm, unsigned frm)
{
    unsigned rm = insn_rm == RISCV_RM_DYN ? (frm & 7) : insn_rm;

    return rm <= RISCV_RM_RMM ? (int)rm : -1;
}

enum arith_op { OP_ADD, OP_SUB, OP_MUL, OP_DIV };

static inline bool finite_s(uint32_t v)
{
    return (v & 0x7f800000u) != 0x7f800000u;
}

static inline bool finite_d(uint64_t v)
{
    return (v & 0x7ff0000000000000ull) != 0x7ff0000000000000ull;
}

static inline bool is_nan_s(uint32_t v)
{
    return (v & 0x7fffffffu) > 0x7f800000u;
}

static inline bool is_nan_d(uint64_t v)
{
    return (v & ~(1ull << 63)) > 0x7ff0000000000000ull;
}

#if defined(__x86_64__) && !defined(WEFT_FPU_SOFT_ONLY)

#define MXCSR_MASK_ALL 0x1f80u  /* all exceptions masked, RNE, no DAZ/FTZ */
#define MXCSR_IE 0x01u
#define MXCSR_ZE 0x04u
#define MXCSR_OE 0x08u
#define MXCSR_UE 0x10u
#define MXCSR_PE 0x20u

/* MXCSR.RC encodings (bits 14:13) of RNE, RTZ, RDN, RUP. */
static const uint32_t mxcsr_of_rm[4] = {
    [RISCV_RM_RNE] = MXCSR_MASK_ALL | 0u << 13,
    [RISCV_RM_RTZ] = MXCSR_MASK_ALL | 3u << 13,
    [RISCV_RM_RDN] = MXCSR_MASK_ALL | 1u << 13,
    [RISCV_RM_RUP] = MXCSR_MASK_ALL | 2u << 13,
};

static inline bool host_can_round(unsigned rm)
{
    return rm < RISCV_RM_RMM;
}

static inline bool host_has_fma(void)
{
    return __builtin_cpu_supports("fma");
}

/* DE (denormal operand) has no RISC-V counterpart and is ignored. */
static inline unsigned fflags_of_mxcsr(uint32_t status)
{
    return (status & MXCSR_IE ? RISCV_FFLAG_NV : 0) |
           (status & MXCSR_ZE ? RISCV_FFLAG_DZ : 0) |
           (status & MXCSR_OE ? RISCV_FFLAG_OF : 0) |
           (status & MXCSR_UE ? RISCV_FFLAG_UF : 0) |
           (status & MXCSR_PE ? RISCV_FFLAG_NX : 0);
}

/* Runs one instruction under MXCSR `csr`, leaving its flags in `status`. */
#define UNDER_MXCSR(insn)                                                   \
    "stmxcsr %[saved]\n\t"                                                  \
    "ldmxcsr %[csr]\n\t"                                                    \
    insn "\n\t"                                                             \
    "stmxcsr %[status]\n\t"                                                 \
    "ldmxcsr %[saved]"

/* dst = dst op src */
#define HOST_BINARY(insn, dst_var, src_var)                                 \
    __asm__ volatile(UNDER_MXCSR(insn " %[src], %[dst]")                    \
                     : [dst] "+x"(dst_var), [saved] "=m"(saved),            \
                       [status] "=m"(status)                                \
                     : [src] "x"(src_var), [csr] "m"(csr))

/* var = op(var) */
#define HOST_UNARY(insn, var)                                               \
    __asm__ volatile(UNDER_MXCSR(insn " %[val], %[val]")                    \
                     : [val] "+x"(var), [saved] "=m"(saved),                \
                       [status] "=m"(status)                                \
                     : [csr] "m"(csr))

/* acc = mul1 * mul2 + acc, rounded once */
#define HOST_FMA(insn, mul1_var, mul2_var, acc_var)                         \
    __asm__ volatile(UNDER_MXCSR(insn " %[mul2], %[mul1], %[acc]")          \
                     : [acc] "+x"(acc_var), [saved] "=m"(saved),            \
                       [status] "=m"(status)                                \
                     : [mul1] "x"(mul1_var), [mul2] "x"(mul2_var),          \
                       [csr] "m"(csr))

static inline float float_of(uint32_t bits)
{
    float f;

    memcpy(&f, &bits, sizeof(f));
    return f;
}

static inline uint32_t bits_of_float(float f)
{
    uint32_t bits;

    memcpy(&bits, &f, sizeof(bits));
    return bits;
}

static inline double double_of(uint64_t bits)
{
    double d;

    memcpy(&d, &bits, sizeof(d));
    return d;
}

static inline uint64_t bits_of_double(double d)
{
    uint64_t bits;

    memcpy(&bits, &d, sizeof(bits));
    return bits;
}

static inline uint32_t host_arith_s(enum arith_op op, uint32_t x, uint32_t y,
                                    unsigned rm, unsigned *fflags)
{
    float a = float_of(x), b = float_of(y);
    uint32_t csr = mxcsr_of_rm[rm], saved, status, r;

    switch (op) {
    case OP_ADD:
        HOST_BINARY("addss", a, b);
        break;
    case OP_SUB:
        HOST_BINARY("subss", a, b);
        break;
    case OP_MUL:
        HOST_BINARY("mulss", a, b);
        break;
    case OP_DIV:
        HOST_BINARY("divss", a, b);
        break;
    }
    *fflags |= fflags_of_mxcsr(status);
    r = bits_of_float(a);
    return is_nan_s(r) ? RISCV_CANON_NAN_S : r;
}

static inline uint64_t host_arith_d(enum arith_op op, uint64_t x, uint64_t y,
                                    unsigned rm, unsigned *fflags)
{
    double a = double_of(x), b = double_of(y);
    uint32_t csr = mxcsr_of_rm[rm], saved, status;
    uint64_t r;

    switch (op) {
    case OP_ADD:
        HOST_BINARY("addsd", a, b);
        break;
    case OP_SUB:
        HOST_BINARY("subsd", a, b);
        break;
    case OP_MUL:
        HOST_BINARY("mulsd", a, b);
        break;
    case OP_DIV:
        HOST_BINARY("divsd", a, b);
        break;
    }
    *fflags |= fflags_of_mxcsr(status);
    r = bits_of_double(a);
    return is_nan_d(r) ? RISCV_CANON_NAN_D : r;
}

static inline uint32_t host_sqrt_s(uint32_t x, unsigned rm, unsigned *fflags)
{
    float a = float_of(x);
    uint32_t csr = mxcsr_of_rm[rm], saved, status, r;

    HOST_UNARY("sqrtss", a);
    *fflags |= fflags_of_mxcsr(status);
    r = bits_of_float(a);
    return is_nan_s(r) ? RISCV_CANON_NAN_S : r;
}

static inline uint64_t host_sqrt_d(uint64_t x, unsigned rm, unsigned *fflags)
{
    double a = double_of(x);
    uint32_t csr = mxcsr_of_rm[rm], saved, status;
    uint64_t r;

    HOST_UNARY("sqrtsd", a);
    *fflags |= fflags_of_mxcsr(status);
    r = bits_of_double(a);
    return is_nan_d(r) ? RISCV_CANON_NAN_D : r;
}

/* Finite operands: a fused multiply-add cannot produce a NaN. */
static inline uint32_t host_fma_s(uint32_t x, uint32_t y, uint32_t z,
                                  unsigned rm, unsigned *fflags)
{
    float a = float_of(x), b = float_of(y), c = float_of(z);
    uint32_t csr = mxcsr_of_rm[rm], saved, status;

    HOST_FMA("vfmadd231ss", a, b, c);
    *fflags |= fflags_of_mxcsr(status);
    return bits_of_float(c);
}

static inline uint64_t host_fma_d(uint64_t x, uint64_t y, uint64_t z,
                                  unsigned rm, unsigned *fflags)
{
    double a = double_of(x), b = double_of(y), c = double_of(z);
    uint32_t csr = mxcsr_of_rm[rm], saved, status;

    HOST_FMA("vfmadd231sd", a, b, c);
    *fflags |= fflags_of_mxcsr(status);
    return bits_of_double(c);
}

/*
 * RNE without touching MXCSR.  LDMXCSR is slow (tens of cycles on some
 * hosts), and RNE is the mode guest code runs in nearly all the time.
 * Every weft thread keeps the default MXCSR (RNE, masked, no DAZ/FTZ), so
 * a plain SSE operation already yields the RISC-V result; what is missing
 * is the flags, and they come from an error-free transformation instead:
 * the exact error of the rounded result (TwoSum for add, an FMA residual
 * for mul/div/sqrt, a binary64 recomputation for binary32) is non-zero
 * iff the result is inexact.  Results are only accepted far enough from
 * the underflow threshold that the residual itself is exact and UF cannot
 * arise, and when finite, so NX is the only flag possible; otherwise the
 * function returns false and the MXCSR path runs.
 *
 * Binary32 is computed in binary64 and rounded again: with 53 >= 2*24 + 2
 * bits the second rounding cannot change the result for +, -, *, / and
 * sqrt (Figueroa, "When is double rounding innocuous?", 1995).
 */
#define D_SAFE_MIN 0x1p-968     /* 2^(emin + p + 1): residuals are exact */
#define D_MAX 0x1.fffffffffffffp1023
#define S_MIN_NORMAL 0x1p-126
#define S_MAX 0x1.fffffep127

/* Pure functions of their inputs: not volatile, the compiler may CSE. */
static inline double fma_d(double a, double b, double c)
{
    __asm__("vfmadd231sd %[b], %[a], %[c]" : [c] "+x"(c) : [a] "x"(a),
            [b] "x"(b));
    return c;
}

static inline double sqrt_d(double a)
{
    __asm__("sqrtsd %[a], %[a]" : [a] "+x"(a));
    return a;
}

static inline bool rne_arith_d(enum arith_op op, uint64_t x, uint64_t y,
                               uint64_t *result, unsigned *fflags)
{
    double a = double_of(x), b = double_of(y), r, err;

    switch (op) {
    case OP_ADD:
    case OP_SUB:
        if (op == OP_SUB)
            b = -b;
        r = a + b;
        if (!(__builtin_fabs(r) <= D_MAX))
            return false;                       /* overflow */
        /* TwoSum (Knuth): exact for any finite sum, subnormals too */
        double b_part = r - a;
        err = (a - (r - b_part)) + (b - b_part);
        break;
    case OP_MUL:
        r = a * b;
        if (!(__builtin_fabs(r) >= D_SAFE_MIN && __builtin_fabs(r) <= D_MAX)
            || !host_has_fma())
            return false;
        err = fma_d(a, b, -r);
        break;
    default:
        r = a / b;
        if (!(__builtin_fabs(r) >= D_SAFE_MIN && __builtin_fabs(r) <= D_MAX &&
              __builtin_fabs(a) >= D_SAFE_MIN) || !host_has_fma())
            return false;
        err = fma_d(-r, b, a);                  /* a - r*b */
        break;
    }
    if (err != 0)
        *fflags |= RISCV_FFLAG_NX;
    *result = bits_of_double(r);
    return true;
}

static inline bool rne_sqrt_d(uint64_t x, uint64_t *result, unsigned *fflags)
{
    double a = double_of(x), r;

    if (!(a >= D_SAFE_MIN) || !host_has_fma())
        return false;                   /* negative, zero, tiny */
    r = sqrt_d(a);
    if (fma_d(-r, r, a) != 0)
        *fflags |= RISCV_FFLAG_NX;
    *result = bits_of_double(r);
    return true;
}

static inline bool rne_arith_s(enum arith_op op, uint32_t x, uint32_t y,
                               uint32_t *result, unsigned *fflags)
{
    double a = float_of(x), b = float_of(y), wide, err = 0;
    float r;

    switch (op) {
    case OP_ADD:
    case OP_SUB:
        if (op == OP_SUB)
            b = -b;
        wide = a + b;                   /* a tiny sum is exact: no UF */
        double b_part = wide - a;
        err = (a - (wide - b_part)) + (b - b_part);
        break;
    case OP_MUL:
        wide = a * b;                   /* exact: 24 + 24 bits */
        if (!(__builtin_fabs(wide) >= S_MIN_NORMAL))
            return false;
        break;
    default:
        wide = a / b;
        /* > 2^-126 after rounding means >= 2^-126 before: not tiny */
        if (!(__builtin_fabs(wide) > S_MIN_NORMAL))
            return false;
        break;
    }
    r = (float)wide;
    if (!(__builtin_fabsf(r) <= S_MAX))
        return false;                   /* overflow (or 0/0, x/0) */
    /*
     * For div a quotient that is not exact differs from every binary32 by
     * more than 2^-48 relative, far beyond binary64 rounding, so it is
     * exact iff it survives the round trip.
     */
    if (err != 0 || (double)r != wide)
        *fflags |= RISCV_FFLAG_NX;
    *result = bits_of_float(r);
    return true;
}

static inline bool rne_sqrt_s(uint32_t x, uint32_t *result, unsigned *fflags)
{
    double a = float_of(x), wide;
    float r;

    if (!(a > 0))
        return false;
    wide = sqrt_d(a);                   /* >= 2^-75: never tiny */
    r = (float)wide;
    if ((double)r != wide)
        *fflags |= RISCV_FFLAG_NX;
    *result = bits_of_float(r);
    return true;
}

#define HOST_FPU 1
#else
#define HOST_FPU 0
/* Never called: HOST_FPU == 0 makes the fast-path branches dead. */
static inline bool host_can_round(unsigned rm) { return false; }
static inline bool host_has_fma(void) { return false; }
static inline uint32_t host_arith_s(enum arith_op op, uint32_t x, uint32_t y,
                                    unsigned rm, unsigned *fflags)
{
    return 0;
}
static inline bool rne_arith_s(enum arith_op op, uint32_t x, uint32_t y,
                               uint32_t *result, unsigned *fflags)
{
    return false;
}
static inline bool rne_arith_d(enum arith_op op, uint64_t x, uint64_t y,
                               uint64_t *result, unsigned *fflags)
{
    return false;
}
static inline bool rne_sqrt_s(uint32_t x, uint32_t *result, unsigned *fflags)
{
    return false;
}
static inline bool rne_sqrt_d(uint64_t x, uint64_t *result, unsigned *fflags)
{
    return false;
}
static inline uint64_t host_arith_d(enum arith_op op, uint64_t x, uint64_t y,
                                    unsigned rm, unsigned *fflags)
{
    return 0;
}
static inline uint32_t host_sqrt_s(uint32_t x, unsigned rm, unsigned *fflags)
{
    return 0;
}
static inline uint64_t host_sqrt_d(uint64_t x, unsigned rm, unsigned *fflags)
{
    return 0;
}
static inline uint32_t host_fma_s(uint32_t x, uint32_t y, uint32_t z,
                                  unsigned rm, unsigned *fflags)
{
    return 0;
}
static inline uint64_t host_fma_d(uint64_t x, uint64_t y, uint64_t z,
                                  unsigned rm, unsigned *fflags)
{
    return 0;
}
#endif

static inline uint64_t soft_arith(enum fpsoft_fmt f, enum arith_op op,
                                  uint64_t x, uint64_t y, unsigned rm,
                                  unsigned *fflags)
{
    switch (op) {
    case OP_ADD:
        return fpsoft_add(f, x, y, rm, fflags);
    case OP_SUB:
        return fpsoft_sub(f, x, y, rm, fflags);
    case OP_MUL:
        return fpsoft_mul(f, x, y, rm, fflags);
    default:
        return fpsoft_div(f, x, y, rm, fflags);
    }
}

static inline uint64_t arith_s(enum arith_op op, uint64_t a, uint64_t b,
                               unsigned rm, unsigned *fflags)
{
    uint32_t x = riscv_unbox_s(a), y = riscv_unbox_s(b);

    uint32_t r;

    if (HOST_FPU && likely(host_can_round(rm) && finite_s(x) && finite_s(y))) {
        if (rm == RISCV_RM_RNE && rne_arith_s(op, x, y, &r, fflags))
            return riscv_box_s(r);
        return riscv_box_s(host_arith_s(op, x, y, rm, fflags));
    }
    return riscv_box_s(soft_arith(FPSOFT_S, op, x, y, rm, fflags));
}

static inline uint64_t arith_d(enum arith_op op, uint64_t a, uint64_t b,
                               unsigned rm, unsigned *fflags)
{
    uint64_t r;

    if (HOST_FPU && likely(host_can_round(rm) && finite_d(a) && finite_d(b))) {
        if (rm == RISCV_RM_RNE && rne_arith_d(op, a, b, &r, fflags))
            return r;
        return host_arith_d(op, a, b, rm, fflags);
    }
    return soft_arith(FPSOFT_D, op, a, b, rm, fflags);
}

uint64_t riscv_fadd_s(uint64_t a, uint64_t b, unsigned rm, unsigned *fflags)
{
    return arith_s(OP_ADD, a, b, rm, fflags);
}

uint64_t riscv_fsub_s(uint64_t a, uint64_t b, unsigned rm, unsigned *fflags)
{
    return arith_s(OP_SUB, a, b, rm, fflags);
}

uint64_t riscv_fmul_s(uint64_t a, uint64_t b, unsigned rm, unsigned *fflags)
{
    return arith_s(OP_MUL, a, b, rm, fflags);
}

uint64_t riscv_fdiv_s(uint64_t a, uint64_t b, unsigned rm, unsigned *fflags)
{
    return arith_s(OP_DIV, a, b, rm, fflags);
}

uint64_t riscv_fadd_d(uint64_t a, uint64_t b, unsigned rm, unsigned *fflags)
{
    return arith_d(OP_ADD, a, b, rm, fflags);
}

uint64_t riscv_fsub_d(uint64_t a, uint64_t b, unsigned rm, unsigned *fflags)
{
    return arith_d(OP_SUB, a, b, rm, fflags);
}

uint64_t riscv_fmul_d(uint64_t a, uint64_t b, unsigned rm, unsigned *fflags)
{
    return arith_d(OP_MUL, a, b, rm, fflags);
}

uint64_t riscv_fdiv_d(uint64_t a, uint64_t b, unsigned rm, unsigned *fflags)
{
    return arith_d(OP_DIV, a, b, rm, fflags);
}

/*
 * A square root is never exactly halfway between two floats (the square
 * of a (p+1)-bit odd significand needs more than p bits) and never
 * subnormal, so RMM gives the same result and flags as RNE.
 */
static inline unsigned sqrt_rm(unsigned rm)
{
    return rm == RISCV_RM_RMM ? RISCV_RM_RNE : rm;
}

uint64_t riscv_fsqrt_s(uint64_t a, unsigned rm, unsigned *fflags)
{
    uint32_t x = riscv_unbox_s(a), r;

    if (HOST_FPU && likely(host_can_round(sqrt_rm(rm)) && finite_s(x))) {
        if (sqrt_rm(rm) == RISCV_RM_RNE && rne_sqrt_s(x, &r, fflags))
            return riscv_box_s(r);
        return riscv_box_s(host_sqrt_s(x, sqrt_rm(rm), fflags));
    }
    return riscv_box_s(fpsoft_sqrt(FPSOFT_S, x, rm, fflags));
}

uint64_t riscv_fsqrt_d(uint64_t a, unsigned rm, unsigned *fflags)
{
    uint64_t r;

    if (HOST_FPU && likely(host_can_round(sqrt_rm(rm)) && finite_d(a))) {
        if (sqrt_rm(rm) == RISCV_RM_RNE && rne_sqrt_d(a, &r, fflags))
            return r;
        return host_sqrt_d(a, sqrt_rm(rm), fflags);
    }
    return fpsoft_sqrt(FPSOFT_D, a, rm, fflags);
}

/*
 * The four fused forms negate the product and/or the addend.  Flipping the
 * sign bit of an operand first is exact, keeps the zero-sign rules of the
 * final addition right, and cannot matter for NaNs (results are canonical).
 */
static inline uint64_t fused_s(uint64_t a, uint64_t b, uint64_t c,
                               bool negate_product, bool negate_addend,
                               unsigned rm, unsigned *fflags)
{
    uint32_t x = riscv_unbox_s(a), y = riscv_unbox_s(b), z = riscv_unbox_s(c);

    x ^= (uint32_t)negate_product << 31;
    z ^= (uint32_t)negate_addend << 31;
    if (HOST_FPU && likely(host_can_round(rm) && finite_s(x) &&
                           finite_s(y) && finite_s(z)) && host_has_fma())
        return riscv_box_s(host_fma_s(x, y, z, rm, fflags));
    return riscv_box_s(fpsoft_fma(FPSOFT_S, x, y, z, rm, fflags));
}

static inline uint64_t fused_d(uint64_t x, uint64_t y, uint64_t z,
                               bool negate_product, bool negate_addend,
                               unsigned rm, unsigned *fflags)
{
    x ^= (uint64_t)negate_product << 63;
    z ^= (uint64_t)negate_addend << 63;
    if (HOST_FPU && likely(host_can_round(rm) && finite_d(x) &&
                           finite_d(y) && finite_d(z)) && host_has_fma())
        return host_fma_d(x, y, z, rm, fflags);
    return fpsoft_fma(FPSOFT_D, x, y, z, rm, fflags);
}

uint64_t riscv_fmadd_s(uint64_t a, uint64_t b, uint64_t c, unsigned rm,
                       unsigned *fflags)
{
    return fused_s(a, b, c, false, false, rm, fflags);
}

uint64_t riscv_fmsub_s(uint64_t a, uint64_t b, uint64_t c, unsigned rm,
                       unsigned *fflags)
{
    return fused_s(a, b, c, false, true, rm, fflags);
}

uint64_t riscv_fnmsub_s(uint64_t a, uint64_t b, uint64_t c, unsigned rm,
                        unsigned *fflags)
{
    return fused_s(a, b, c, true, false, rm, fflags);
}

uint64_t riscv_fnmadd_s(uint64_t a, uint64_t b, uint64_t c, unsigned rm,
                        unsigned *fflags)
{
    return fused_s(a, b, c, true, true, rm, fflags);
}

uint64_t riscv_fmadd_d(uint64_t a, uint64_t b, uint64_t c, unsigned rm,
                       unsigned *fflags)
{
    return fused_d(a, b, c, false, false, rm, fflags);
}

uint64_t riscv_fmsub_d(uint64_t a, uint64_t b, uint64_t c, unsigned rm,
                       unsigned *fflags)
{
    return fused_d(a, b, c, false, true, rm, fflags);
}

uint64_t riscv_fnmsub_d(uint64_t a, uint64_t b, uint64_t c, unsigned rm,
                        unsigned *fflags)
{
    return fused_d(a, b, c, true, false, rm, fflags);
}

uint64_t riscv_fnmadd_d(uint64_t a, uint64_t b, uint64_t c, unsigned rm,
                        unsigned *fflags)
{
    return fused_d(a, b, c, true, true, rm, fflags);
}

uint64_t riscv_fmin_s(uint64_t a, uint64_t b, unsigned *fflags)
{
    return riscv_box_s(fpsoft_min(FPSOFT_S, riscv_unbox_s(a),
                                  riscv_unbox_s(b), fflags));
}

uint64_t riscv_fmax_s(uint64_t a, uint64_t b, unsigned *fflags)
{
    return riscv_box_s(fpsoft_max(FPSOFT_S, riscv_unbox_s(a),
                                  riscv_unbox_s(b), fflags));
}

uint64_t riscv_fmin_d(uint64_t a, uint64_t b, unsigned *fflags)
{
    return fpsoft_min(FPSOFT_D, a, b, fflags);
}

uint64_t riscv_fmax_d(uint64_t a, uint64_t b, unsigned *fflags)
{
    return fpsoft_max(FPSOFT_D, a, b, fflags);
}

uint64_t riscv_feq_s(uint64_t a, uint64_t b, unsigned *fflags)
{
    return fpsoft_eq(FPSOFT_S, riscv_unbox_s(a), riscv_unbox_s(b), fflags);
}

uint64_t riscv_flt_s(uint64_t a, uint64_t b, unsigned *fflags)
{
    return fpsoft_lt(FPSOFT_S, riscv_unbox_s(a), riscv_unbox_s(b), fflags);
}

uint64_t riscv_fle_s(uint64_t a, uint64_t b, unsigned *fflags)
{
    return fpsoft_le(FPSOFT_S, riscv_unbox_s(a), riscv_unbox_s(b), fflags);
}

uint64_t riscv_feq_d(uint64_t a, uint64_t b, unsigned *fflags)
{
    return fpsoft_eq(FPSOFT_D, a, b, fflags);
}

uint64_t riscv_flt_d(uint64_t a, uint64_t b, unsigned *fflags)
{
    return fpsoft_lt(FPSOFT_D, a, b, fflags);
}

uint64_t riscv_fle_d(uint64_t a, uint64_t b, unsigned *fflags)
{
    return fpsoft_le(FPSOFT_D, a, b, fflags);
}

uint64_t riscv_fclass_s(uint64_t a)
{
    return fpsoft_class(FPSOFT_S, riscv_unbox_s(a));
}

uint64_t riscv_fclass_d(uint64_t a)
{
    return fpsoft_class(FPSOFT_D, a);
}

/* Sign injection works on the (unboxed) bits; it never canonicalises. */
#define SIGN_S (1u << 31)
#define SIGN_D (1ull << 63)

uint64_t riscv_fsgnj_s(uint64_t a, uint64_t b)
{
    uint32_t x = riscv_unbox_s(a), y = riscv_unbox_s(b);

    return riscv_box_s((x & ~SIGN_S) | (y & SIGN_S));
}

uint64_t riscv_fsgnjn_s(uint64_t a, uint64_t b)
{
    uint32_t x = riscv_unbox_s(a), y = riscv_unbox_s(b);

    return riscv_box_s((x & ~SIGN_S) | (~y & SIGN_S));
}

uint64_t riscv_fsgnjx_s(uint64_t a, uint64_t b)
{
    uint32_t x = riscv_unbox_s(a), y = riscv_unbox_s(b);

    return riscv_box_s(x ^ (y & SIGN_S));
}

uint64_t riscv_fsgnj_d(uint64_t a, uint64_t b)
{
    return (a & ~SIGN_D) | (b & SIGN_D);
}

uint64_t riscv_fsgnjn_d(uint64_t a, uint64_t b)
{
    return (a & ~SIGN_D) | (~b & SIGN_D);
}

uint64_t riscv_fsgnjx_d(uint64_t a, uint64_t b)
{
    return a ^ (b & SIGN_D);
}

uint64_t riscv_fcvt_w_s(uint64_t a, unsigned rm, unsigned *fflags)
{
    return fpsoft_to_int(FPSOFT_S, riscv_unbox_s(a), 32, true, rm, fflags);
}

uint64_t riscv_fcvt_wu_s(uint64_t a, unsigned rm, unsigned *fflags)
{
    return fpsoft_to_int(FPSOFT_S, riscv_unbox_s(a), 32, false, rm, fflags);
}

uint64_t riscv_fcvt_l_s(uint64_t a, unsigned rm, unsigned *fflags)
{
    return fpsoft_to_int(FPSOFT_S, riscv_unbox_s(a), 64, true, rm, fflags);
}

uint64_t riscv_fcvt_lu_s(uint64_t a, unsigned rm, unsigned *fflags)
{
    return fpsoft_to_int(FPSOFT_S, riscv_unbox_s(a), 64, false, rm, fflags);
}

uint64_t riscv_fcvt_w_d(uint64_t a, unsigned rm, unsigned *fflags)
{
    return fpsoft_to_int(FPSOFT_D, a, 32, true, rm, fflags);
}

uint64_t riscv_fcvt_wu_d(uint64_t a, unsigned rm, unsigned *fflags)
{
    return fpsoft_to_int(FPSOFT_D, a, 32, false, rm, fflags);
}

uint64_t riscv_fcvt_l_d(uint64_t a, unsigned rm, unsigned *fflags)
{
    return fpsoft_to_int(FPSOFT_D, a, 64, true, rm, fflags);
}

uint64_t riscv_fcvt_lu_d(uint64_t a, unsigned rm, unsigned *fflags)
{
    return fpsoft_to_int(FPSOFT_D, a, 64, false, rm, fflags);
}

uint64_t riscv_fcvt_s_w(uint64_t x, unsigned rm, unsigned *fflags)
{
    return riscv_box_s(fpsoft_from_int(FPSOFT_S, x, 32, true, rm, fflags));
}

uint64_t riscv_fcvt_s_wu(uint64_t x, unsigned rm, unsigned *fflags)
{
    return riscv_box_s(fpsoft_from_int(FPSOFT_S, x, 32, false, rm, fflags));
}

uint64_t riscv_fcvt_s_l(uint64_t x, unsigned rm, unsigned *fflags)
{
    return riscv_box_s(fpsoft_from_int(FPSOFT_S, x, 64, true, rm, fflags));
}

uint64_t riscv_fcvt_s_lu(uint64_t x, unsigned rm, unsigned *fflags)
{
    return riscv_box_s(fpsoft_from_int(FPSOFT_S, x, 64, false, rm, fflags));
}

uint64_t riscv_fcvt_d_w(uint64_t x, unsigned rm, unsigned *fflags)
{
    return fpsoft_from_int(FPSOFT_D, x, 32, true, rm, fflags);
}

uint64_t riscv_fcvt_d_wu(uint64_t x, unsigned rm, unsigned *fflags)
{
    return fpsoft_from_int(FPSOFT_D, x, 32, false, rm, fflags);
}

uint64_t riscv_fcvt_d_l(uint64_t x, unsigned rm, unsigned *fflags)
{
    return fpsoft_from_int(FPSOFT_D, x, 64, true, rm, fflags);
}

uint64_t riscv_fcvt_d_lu(uint64_t x, unsigned rm, unsigned *fflags)
{
    return fpsoft_from_int(FPSOFT_D, x, 64, false, rm, fflags);
}

uint64_t riscv_fcvt_s_d(uint64_t a, unsigned rm, unsigned *fflags)
{
    return riscv_box_s(fpsoft_d_to_s(a, rm, fflags));
}

/* Exact: rm is accepted for the encoding but cannot change the result. */
uint64_t riscv_fcvt_d_s(uint64_t a, unsigned rm, unsigned *fflags)
{
    return fpsoft_s_to_d(riscv_unbox_s(a), fflags);
}
