/*
 * Software IEEE 754 binary32/binary64 with RISC-V semantics.
 *
 * A finite non-zero value is unpacked into a sign, an unbiased exponent
 * and a 64-bit significand whose leading one sits at bit 62: value =
 * sig * 2^(exp - 62).  Bit 63 is headroom for a carry; the bits below the
 * target precision are guard bits, and shifts right "jam" what they drop
 * into bit 0 so rounding still sees a non-zero remainder.  With at least 10
 * guard bits the jammed bit can never land on a rounding boundary, which
 * is what makes the results exact in every mode.
 *
 * Only integer arithmetic is used, so the host's rounding mode and
 * compiler floating-point optimisations cannot affect the results.
 */
#include "cpu/riscv/fpu-internal.h"

#include <stddef.h>

typedef unsigned __int128 u128;

/*
 * The generic code takes a format descriptor; forcing it inline into the
 * per-format entry points lets the compiler fold every format constant.
 */
#define SOFT_INLINE static inline __attribute__((always_inline))

struct fpfmt {
    int frac_bits;      /* stored fraction bits: 23 or 52 */
    int exp_bits;       /* exponent field bits: 8 or 11 */
};

static const struct fpfmt fmt_s = { 23, 8 };
static const struct fpfmt fmt_d = { 52, 11 };

static inline int exp_max_field(const struct fpfmt *f)
{
    return (1 << f->exp_bits) - 1;
}

static inline int bias(const struct fpfmt *f)
{
    return (1 << (f->exp_bits - 1)) - 1;
}

static inline int emin(const struct fpfmt *f)
{
    return 1 - bias(f);
}

/* Guard bits below the precision when the leading one is at bit 62. */
static inline int guard_bits(const struct fpfmt *f)
{
    return 62 - f->frac_bits;
}

static inline uint64_t frac_mask(const struct fpfmt *f)
{
    return (1ull << f->frac_bits) - 1;
}

static inline uint64_t pack(const struct fpfmt *f, bool sign, uint64_t exp,
                            uint64_t frac)
{
    return (uint64_t)sign << (f->frac_bits + f->exp_bits) |
           exp << f->frac_bits | frac;
}

static inline uint64_t canon_nan(const struct fpfmt *f)
{
    return pack(f, false, exp_max_field(f), 1ull << (f->frac_bits - 1));
}

static inline uint64_t infinity(const struct fpfmt *f, bool sign)
{
    return pack(f, sign, exp_max_field(f), 0);
}

static inline uint64_t zero(const struct fpfmt *f, bool sign)
{
    return pack(f, sign, 0, 0);
}

static inline uint64_t shift_right_jam64(uint64_t x, int n)
{
    if (n <= 0)
        return x;
    if (n >= 64)
        return x != 0;
    return x >> n | (x << (64 - n) != 0);
}

static inline u128 shift_right_jam128(u128 x, int n)
{
    if (n <= 0)
        return x;
    if (n >= 128)
        return x != 0;
    return x >> n | (x << (128 - n) != 0);
}

static inline int clz128(u128 x)
{
    uint64_t hi = x >> 64;

    return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((uint64_t)x);
}

enum fpkind { FP_ZERO, FP_FINITE, FP_INF, FP_QNAN, FP_SNAN };

struct fpval {
    enum fpkind kind;
    bool sign;
    int exp;            /* unbiased; FP_FINITE only */
    uint64_t sig;       /* leading one at bit 62; FP_FINITE only */
};

static inline bool is_nan(const struct fpval *v)
{
    return v->kind == FP_QNAN || v->kind == FP_SNAN;
}

SOFT_INLINE struct fpval unpack(const struct fpfmt *f, uint64_t bits)
{
    struct fpval v = { .sign = bits >> (f->frac_bits + f->exp_bits) & 1 };
    uint64_t frac = bits & frac_mask(f);
    int exp_field = bits >> f->frac_bits & exp_max_field(f);

    if (exp_field == exp_max_field(f)) {
        if (!frac)
            v.kind = FP_INF;
        else if (frac >> (f->frac_bits - 1))
            v.kind = FP_QNAN;
        else
            v.kind = FP_SNAN;
    } else if (exp_field == 0) {
        if (!frac) {
            v.kind = FP_ZERO;
        } else {
            /* subnormal: normalise so every finite value looks alike */
            int shift = __builtin_clzll(frac) - 1;

            v.kind = FP_FINITE;
            v.sig = frac << shift;
            v.exp = emin(f) - f->frac_bits - shift + 62;
        }
    } else {
        v.kind = FP_FINITE;
        v.sig = (frac | 1ull << f->frac_bits) << guard_bits(f);
        v.exp = exp_field - bias(f);
    }
    return v;
}

/* 1 if rounding must add one unit at bit `shift` of sig, else 0. */
static inline uint64_t round_increment(unsigned rm, bool sign, uint64_t sig,
                                       int shift)
{
    uint64_t half = 1ull << (shift - 1);
    uint64_t rest = sig & ((half << 1) - 1);

    switch (rm) {
    case RISCV_RM_RNE:
        return rest > half || (rest == half && (sig >> shift & 1));
    case RISCV_RM_RMM:
        return rest >= half;
    case RISCV_RM_RDN:
        return sign && rest;
    case RISCV_RM_RUP:
        return !sign && rest;
    default:            /* RTZ */
        return 0;
    }
}

SOFT_INLINE uint64_t overflow_result(const struct fpfmt *f, bool sign,
                                     unsigned rm)
{
    bool to_inf = rm == RISCV_RM_RNE || rm == RISCV_RM_RMM ||
                  (rm == RISCV_RM_RDN && sign) ||
                  (rm == RISCV_RM_RUP && !sign);

    if (to_inf)
        return infinity(f, sign);
    return pack(f, sign, exp_max_field(f) - 1, frac_mask(f));
}

/*
 * Rounds sig * 2^(exp - 62) (leading one at bit 62, sticky in bit 0) to the
 * format and packs it, raising OF, UF and NX.  Underflow follows RISC-V:
 * tiny means "below 2^emin after rounding to the format's precision with an
 * unbounded exponent", and UF is raised only when tiny and inexact.
 */
static uint64_t round_pack(const struct fpfmt *f, bool sign, int exp,
                           uint64_t sig, unsigned rm, unsigned *flags)
{
    int shift = guard_bits(f);
    uint64_t implicit = 1ull << f->frac_bits;
    bool tiny = false;
    uint64_t mant;

    if (exp < emin(f)) {
        /* only a carry out of the top bit can lift it to 2^emin */
        tiny = exp < emin(f) - 1 ||
               (sig >> shift) + round_increment(rm, sign, sig, shift) <
               implicit << 1;
        sig = shift_right_jam64(sig, emin(f) - exp);
        exp = emin(f);
    }
    bool inexact = sig & ((1ull << shift) - 1);
    mant = (sig >> shift) + round_increment(rm, sign, sig, shift);
    if (mant >= implicit << 1) {
        mant >>= 1;     /* carried to the next power of two: low bit is 0 */
        exp++;
    }
    if (exp > bias(f)) {
        *flags |= RISCV_FFLAG_OF | RISCV_FFLAG_NX;
        return overflow_result(f, sign, rm);
    }
    if (inexact) {
        *flags |= RISCV_FFLAG_NX;
        if (tiny)
            *flags |= RISCV_FFLAG_UF;
    }
    if (mant < implicit)        /* subnormal or zero */
        return pack(f, sign, 0, mant);
    return pack(f, sign, exp + bias(f), mant - implicit);
}

/* As round_pack() for any non-zero sig (value sig * 2^(exp - 62)). */
static uint64_t norm_round_pack(const struct fpfmt *f, bool sign, int exp,
                                uint64_t sig, unsigned rm, unsigned *flags)
{
    if (sig >> 63) {
        sig = shift_right_jam64(sig, 1);
        exp++;
    } else {
        int shift = __builtin_clzll(sig) - 1;

        sig <<= shift;
        exp -= shift;
    }
    return round_pack(f, sign, exp, sig, rm, flags);
}

/* As round_pack() for a non-zero 128-bit sig: value sig * 2^(exp - 124). */
static uint64_t norm_round_pack128(const struct fpfmt *f, bool sign, int exp,
                                   u128 sig, unsigned rm, unsigned *flags)
{
    int top = 127 - clz128(sig);
    uint64_t sig64;

    if (top > 62)
        sig64 = shift_right_jam128(sig, top - 62);
    else
        sig64 = (uint64_t)sig << (62 - top);
    return round_pack(f, sign, exp + top - 124, sig64, rm, flags);
}

/* NaN operand(s): NV for a signaling one, result is always canonical. */
SOFT_INLINE uint64_t nan_result(const struct fpfmt *f, const struct fpval *a,
                           const struct fpval *b, unsigned *flags)
{
    if (a->kind == FP_SNAN || (b && b->kind == FP_SNAN))
        *flags |= RISCV_FFLAG_NV;
    return canon_nan(f);
}

SOFT_INLINE uint64_t invalid_result(const struct fpfmt *f, unsigned *flags)
{
    *flags |= RISCV_FFLAG_NV;
    return canon_nan(f);
}

/* Exact zero sum of operands with these signs (IEEE 754 6.3). */
SOFT_INLINE uint64_t zero_sum(const struct fpfmt *f, bool sign_a, bool sign_b,
                         unsigned rm)
{
    if (sign_a == sign_b)
        return zero(f, sign_a);
    return zero(f, rm == RISCV_RM_RDN);
}

SOFT_INLINE uint64_t add_finite(const struct fpfmt *f, struct fpval a,
                           struct fpval b, unsigned rm, unsigned *flags)
{
    if (a.exp < b.exp || (a.exp == b.exp && a.sig < b.sig)) {
        struct fpval t = a;

        a = b;
        b = t;
    }
    /* now |a| >= |b| */
    b.sig = shift_right_jam64(b.sig, a.exp - b.exp);
    if (a.sign == b.sign)
        return norm_round_pack(f, a.sign, a.exp, a.sig + b.sig, rm, flags);
    if (a.sig == b.sig)
        return zero_sum(f, a.sign, b.sign, rm);
    return norm_round_pack(f, a.sign, a.exp, a.sig - b.sig, rm, flags);
}

SOFT_INLINE uint64_t add_values(const struct fpfmt *f, uint64_t a_bits,
                           uint64_t b_bits, bool negate_b, unsigned rm,
                           unsigned *flags)
{
    struct fpval a = unpack(f, a_bits);
    struct fpval b = unpack(f, b_bits);

    b.sign ^= negate_b;
    if (is_nan(&a) || is_nan(&b))
        return nan_result(f, &a, &b, flags);
    if (a.kind == FP_INF) {
        if (b.kind == FP_INF && a.sign != b.sign)
            return invalid_result(f, flags);
        return infinity(f, a.sign);
    }
    if (b.kind == FP_INF)
        return infinity(f, b.sign);
    if (a.kind == FP_ZERO && b.kind == FP_ZERO)
        return zero_sum(f, a.sign, b.sign, rm);
    if (b.kind == FP_ZERO)
        return a_bits;
    if (a.kind == FP_ZERO)
        return b_bits ^ (uint64_t)negate_b << (f->frac_bits + f->exp_bits);
    return add_finite(f, a, b, rm, flags);
}

uint64_t fpsoft_add(enum fpsoft_fmt f, uint64_t a, uint64_t b, unsigned rm,
                    unsigned *flags)
{
    if (f == FPSOFT_S)
        return add_values(&fmt_s, a, b, false, rm, flags);
    return add_values(&fmt_d, a, b, false, rm, flags);
}

uint64_t fpsoft_sub(enum fpsoft_fmt f, uint64_t a, uint64_t b, unsigned rm,
                    unsigned *flags)
{
    if (f == FPSOFT_S)
        return add_values(&fmt_s, a, b, true, rm, flags);
    return add_values(&fmt_d, a, b, true, rm, flags);
}

SOFT_INLINE uint64_t mul_values(const struct fpfmt *f, uint64_t a_bits,
                           uint64_t b_bits, unsigned rm, unsigned *flags)
{
    struct fpval a = unpack(f, a_bits);
    struct fpval b = unpack(f, b_bits);
    bool sign = a.sign ^ b.sign;

    if (is_nan(&a) || is_nan(&b))
        return nan_result(f, &a, &b, flags);
    if (a.kind == FP_INF || b.kind == FP_INF) {
        if (a.kind == FP_ZERO || b.kind == FP_ZERO)
            return invalid_result(f, flags);
        return infinity(f, sign);
    }
    if (a.kind == FP_ZERO || b.kind == FP_ZERO)
        return zero(f, sign);
    /* product of two [2^62, 2^63) significands: [2^124, 2^126) */
    return norm_round_pack128(f, sign, a.exp + b.exp,
                              (u128)a.sig * b.sig, rm, flags);
}

uint64_t fpsoft_mul(enum fpsoft_fmt f, uint64_t a, uint64_t b, unsigned rm,
                    unsigned *flags)
{
    if (f == FPSOFT_S)
        return mul_values(&fmt_s, a, b, rm, flags);
    return mul_values(&fmt_d, a, b, rm, flags);
}

SOFT_INLINE uint64_t div_values(const struct fpfmt *f, uint64_t a_bits,
                           uint64_t b_bits, unsigned rm, unsigned *flags)
{
    struct fpval a = unpack(f, a_bits);
    struct fpval b = unpack(f, b_bits);
    bool sign = a.sign ^ b.sign;

    if (is_nan(&a) || is_nan(&b))
        return nan_result(f, &a, &b, flags);
    if (a.kind == FP_INF) {
        if (b.kind == FP_INF)
            return invalid_result(f, flags);
        return infinity(f, sign);
    }
    if (b.kind == FP_INF)
        return zero(f, sign);
    if (b.kind == FP_ZERO) {
        if (a.kind == FP_ZERO)
            return invalid_result(f, flags);
        *flags |= RISCV_FFLAG_DZ;
        return infinity(f, sign);
    }
    if (a.kind == FP_ZERO)
        return zero(f, sign);

    /* a.sig * 2^63 / b.sig lies in (2^62, 2^64): 63+ quotient bits */
    u128 num = (u128)a.sig << 63;
    uint64_t quot = num / b.sig;
    bool rest = num % b.sig != 0;

    return norm_round_pack(f, sign, a.exp - b.exp - 1, quot | rest, rm,
                           flags);
}

uint64_t fpsoft_div(enum fpsoft_fmt f, uint64_t a, uint64_t b, unsigned rm,
                    unsigned *flags)
{
    if (f == FPSOFT_S)
        return div_values(&fmt_s, a, b, rm, flags);
    return div_values(&fmt_d, a, b, rm, flags);
}

/* floor(sqrt(x)) for any 64-bit x, digit by digit. */
static uint64_t isqrt64(uint64_t x)
{
    uint64_t rem = 0, root = 0;

    for (int i = 0; i < 32; i++) {
        rem = rem << 2 | x >> 62;
        x <<= 2;
        root <<= 1;
        if (rem >= (root << 1 | 1)) {
            rem -= root << 1 | 1;
            root |= 1;
        }
    }
    return root;
}

/*
 * floor(sqrt(x)) for x in [2^124, 2^126); *inexact if not exact.  The
 * root of the top half is within 2^32 below; one Newton step brings it
 * within 2 above, and the last steps are taken one by one.
 */
static uint64_t isqrt128(u128 x, bool *inexact)
{
    uint64_t root = isqrt64(x >> 64) << 32;

    root = ((u128)root + (uint64_t)(x / root)) >> 1;
    while ((u128)root * root > x)
        root--;
    while ((u128)(root + 1) * (root + 1) <= x)
        root++;
    *inexact = (u128)root * root != x;
    return root;
}

SOFT_INLINE uint64_t sqrt_value(const struct fpfmt *f, uint64_t a_bits,
                           unsigned rm, unsigned *flags)
{
    struct fpval a = unpack(f, a_bits);

    if (is_nan(&a))
        return nan_result(f, &a, NULL, flags);
    if (a.kind == FP_ZERO)
        return a_bits;          /* sqrt(-0) = -0 */
    if (a.sign)
        return invalid_result(f, flags);
    if (a.kind == FP_INF)
        return a_bits;

    /* make the exponent even so it halves exactly */
    uint64_t sig = a.sig;
    int exp = a.exp;
    if (exp & 1) {
        sig <<= 1;
        exp--;
    }
    /* sqrt(sig * 2^62) lies in [2^62, 2^63.5) */
    bool inexact;
    uint64_t root = isqrt128((u128)sig << 62, &inexact);

    return norm_round_pack(f, false, exp / 2, root | inexact, rm, flags);
}

uint64_t fpsoft_sqrt(enum fpsoft_fmt f, uint64_t a, unsigned rm,
                     unsigned *flags)
{
    if (f == FPSOFT_S)
        return sqrt_value(&fmt_s, a, rm, flags);
    return sqrt_value(&fmt_d, a, rm, flags);
}

/* a*b + c for finite non-zero a, b, c. */
static uint64_t fma_finite(const struct fpfmt *f, const struct fpval *a,
                           const struct fpval *b, const struct fpval *c,
                           unsigned rm, unsigned *flags)
{
    /* both terms as X * 2^(E - 124), leading one at bit 124 or 125 */
    bool prod_sign = a->sign ^ b->sign;
    int prod_exp = a->exp + b->exp;
    u128 prod = (u128)a->sig * b->sig;
    int add_exp = c->exp;
    u128 addend = (u128)c->sig << 62;
    int exp;

    if (prod_exp >= add_exp) {
        addend = shift_right_jam128(addend, prod_exp - add_exp);
        exp = prod_exp;
    } else {
        prod = shift_right_jam128(prod, add_exp - prod_exp);
        exp = add_exp;
    }
    if (prod_sign == c->sign)
        return norm_round_pack128(f, prod_sign, exp, prod + addend, rm,
                                  flags);
    if (prod == addend)
        return zero_sum(f, prod_sign, c->sign, rm);
    if (prod > addend)
        return norm_round_pack128(f, prod_sign, exp, prod - addend, rm,
                                  flags);
    return norm_round_pack128(f, c->sign, exp, addend - prod, rm, flags);
}

SOFT_INLINE uint64_t fma_values(const struct fpfmt *f, uint64_t a_bits,
                           uint64_t b_bits, uint64_t c_bits, unsigned rm,
                           unsigned *flags)
{
    struct fpval a = unpack(f, a_bits);
    struct fpval b = unpack(f, b_bits);
    struct fpval c = unpack(f, c_bits);
    bool prod_sign = a.sign ^ b.sign;

    /* RISC-V: inf * 0 is invalid even when the addend is a quiet NaN */
    if ((a.kind == FP_INF && b.kind == FP_ZERO) ||
        (a.kind == FP_ZERO && b.kind == FP_INF))
        return invalid_result(f, flags);
    if (is_nan(&a) || is_nan(&b) || is_nan(&c)) {
        if (a.kind == FP_SNAN || b.kind == FP_SNAN || c.kind == FP_SNAN)
            *flags |= RISCV_FFLAG_NV;
        return canon_nan(f);
    }
    if (a.kind == FP_INF || b.kind == FP_INF) {
        if (c.kind == FP_INF && c.sign != prod_sign)
            return invalid_result(f, flags);
        return infinity(f, prod_sign);
    }
    if (c.kind == FP_INF)
        return c_bits;
    if (a.kind == FP_ZERO || b.kind == FP_ZERO) {
        if (c.kind == FP_ZERO)
            return zero_sum(f, prod_sign, c.sign, rm);
        return c_bits;  /* exact */
    }
    if (c.kind == FP_ZERO) {
        /* x*y + 0 is the rounded product; its sign wins over the zero */
        return norm_round_pack128(f, prod_sign, a.exp + b.exp,
                                  (u128)a.sig * b.sig, rm, flags);
    }
    return fma_finite(f, &a, &b, &c, rm, flags);
}

uint64_t fpsoft_fma(enum fpsoft_fmt f, uint64_t a, uint64_t b, uint64_t c,
                    unsigned rm, unsigned *flags)
{
    if (f == FPSOFT_S)
        return fma_values(&fmt_s, a, b, c, rm, flags);
    return fma_values(&fmt_d, a, b, c, rm, flags);
}

/*
 * An ordering key: unsigned comparison of keys orders non-NaN values
 * numerically, with -0 below +0 (what fmin/fmax want).
 */
static inline uint64_t order_key(const struct fpfmt *f, uint64_t bits)
{
    int sign_bit = f->frac_bits + f->exp_bits;
    uint64_t all = (2ull << sign_bit) - 1;

    if (bits >> sign_bit & 1)
        return ~bits & all;
    return bits | 1ull << sign_bit;
}

/* fmin/fmax (2019 spec: minimumNumber/maximumNumber, -0 < +0). */
SOFT_INLINE uint64_t minmax(const struct fpfmt *f, uint64_t a_bits,
                       uint64_t b_bits, bool want_max, unsigned *flags)
{
    struct fpval a = unpack(f, a_bits);
    struct fpval b = unpack(f, b_bits);

    if (a.kind == FP_SNAN || b.kind == FP_SNAN)
        *flags |= RISCV_FFLAG_NV;
    if (is_nan(&a) && is_nan(&b))
        return canon_nan(f);
    if (is_nan(&a))
        return b_bits;
    if (is_nan(&b))
        return a_bits;
    bool a_less = order_key(f, a_bits) < order_key(f, b_bits);
    return a_less != want_max ? a_bits : b_bits;
}

uint64_t fpsoft_min(enum fpsoft_fmt f, uint64_t a, uint64_t b,
                    unsigned *flags)
{
    if (f == FPSOFT_S)
        return minmax(&fmt_s, a, b, false, flags);
    return minmax(&fmt_d, a, b, false, flags);
}

uint64_t fpsoft_max(enum fpsoft_fmt f, uint64_t a, uint64_t b,
                    unsigned *flags)
{
    if (f == FPSOFT_S)
        return minmax(&fmt_s, a, b, true, flags);
    return minmax(&fmt_d, a, b, true, flags);
}

/* Numeric comparison key: like order_key() but -0 equals +0. */
static inline uint64_t compare_key(const struct fpfmt *f, uint64_t bits)
{
    int sign_bit = f->frac_bits + f->exp_bits;

    if ((bits & ((1ull << sign_bit) - 1)) == 0)
        bits = 0;       /* -0 */
    return order_key(f, bits);
}

SOFT_INLINE bool equal(const struct fpfmt *f, uint64_t a_bits, uint64_t b_bits,
                       unsigned *flags)
{
    struct fpval a = unpack(f, a_bits);
    struct fpval b = unpack(f, b_bits);

    /* quiet comparison: only a signaling NaN is invalid */
    if (is_nan(&a) || is_nan(&b)) {
        if (a.kind == FP_SNAN || b.kind == FP_SNAN)
            *flags |= RISCV_FFLAG_NV;
        return false;
    }
    return compare_key(f, a_bits) == compare_key(f, b_bits);
}

bool fpsoft_eq(enum fpsoft_fmt f, uint64_t a, uint64_t b, unsigned *flags)
{
    if (f == FPSOFT_S)
        return equal(&fmt_s, a, b, flags);
    return equal(&fmt_d, a, b, flags);
}

/* flt/fle are signaling comparisons: any NaN is invalid. */
SOFT_INLINE bool compare_ordered(const struct fpfmt *f, uint64_t a_bits,
                            uint64_t b_bits, bool or_equal, unsigned *flags)
{
    struct fpval a = unpack(f, a_bits);
    struct fpval b = unpack(f, b_bits);

    if (is_nan(&a) || is_nan(&b)) {
        *flags |= RISCV_FFLAG_NV;
        return false;
    }
    uint64_t ka = compare_key(f, a_bits), kb = compare_key(f, b_bits);
    return or_equal ? ka <= kb : ka < kb;
}

bool fpsoft_lt(enum fpsoft_fmt f, uint64_t a, uint64_t b, unsigned *flags)
{
    if (f == FPSOFT_S)
        return compare_ordered(&fmt_s, a, b, false, flags);
    return compare_ordered(&fmt_d, a, b, false, flags);
}

bool fpsoft_le(enum fpsoft_fmt f, uint64_t a, uint64_t b, unsigned *flags)
{
    if (f == FPSOFT_S)
        return compare_ordered(&fmt_s, a, b, true, flags);
    return compare_ordered(&fmt_d, a, b, true, flags);
}

SOFT_INLINE unsigned classify(const struct fpfmt *f, uint64_t bits)
{
    struct fpval v = unpack(f, bits);
    bool subnormal = (bits >> f->frac_bits & exp_max_field(f)) == 0;

    switch (v.kind) {
    case FP_INF:
        return v.sign ? 1u << 0 : 1u << 7;
    case FP_ZERO:
        return v.sign ? 1u << 3 : 1u << 4;
    case FP_FINITE:
        if (subnormal)
            return v.sign ? 1u << 2 : 1u << 5;
        return v.sign ? 1u << 1 : 1u << 6;
    case FP_SNAN:
        return 1u << 8;
    default:
        return 1u << 9;
    }
}

unsigned fpsoft_class(enum fpsoft_fmt f, uint64_t bits)
{
    if (f == FPSOFT_S)
        return classify(&fmt_s, bits);
    return classify(&fmt_d, bits);
}

static uint64_t sign_extend(uint64_t x, int bits)
{
    if (bits == 64)
        return x;
    return (uint64_t)(int64_t)(int32_t)(uint32_t)x;
}

/* The value an invalid conversion returns (before sign extension). */
static uint64_t saturated(int int_bits, bool is_signed, bool negative)
{
    uint64_t umax = int_bits == 64 ? ~0ull : (1ull << int_bits) - 1;

    if (!is_signed)
        return negative ? 0 : umax;
    return negative ? ~(umax >> 1) : umax >> 1;
}

/* |v| rounded to an integer; saturates to 2^64 (out of any range). */
static u128 round_to_integer(const struct fpval *v, unsigned rm,
                             bool *inexact)
{
    if (v->exp >= 64) {
        *inexact = false;
        return (u128)1 << 64;
    }
    /* integer part in the high 64 bits, fraction in the low 64 */
    u128 fixed = shift_right_jam128((u128)v->sig << 64, 62 - v->exp);
    if (v->exp > 62)
        fixed = (u128)v->sig << 65;     /* exp == 63 */
    uint64_t frac = (uint64_t)fixed;
    u128 int_part = fixed >> 64;
    uint64_t half = 1ull << 63;

    *inexact = frac != 0;
    switch (rm) {
    case RISCV_RM_RNE:
        return int_part + (frac > half || (frac == half && (int_part & 1)));
    case RISCV_RM_RMM:
        return int_part + (frac >= half);
    case RISCV_RM_RDN:
        return int_part + (v->sign && frac);
    case RISCV_RM_RUP:
        return int_part + (!v->sign && frac);
    default:
        return int_part;
    }
}

uint64_t fpsoft_to_int(enum fpsoft_fmt f, uint64_t bits, int int_bits,
                       bool is_signed, unsigned rm, unsigned *flags)
{
    struct fpval v = f == FPSOFT_S ? unpack(&fmt_s, bits)
                                   : unpack(&fmt_d, bits);
    bool inexact = false;
    u128 mag;

    if (is_nan(&v)) {
        /* NaN converts like +inf */
        *flags |= RISCV_FFLAG_NV;
        return sign_extend(saturated(int_bits, is_signed, false), int_bits);
    }
    if (v.kind == FP_ZERO)
        return 0;
    if (v.kind == FP_INF)
        mag = (u128)1 << 64;
    else
        mag = round_to_integer(&v, rm, &inexact);

    u128 limit;         /* largest magnitude representable */
    if (!is_signed)
        limit = v.sign ? 0 : ((u128)1 << int_bits) - 1;
    else
        limit = ((u128)1 << (int_bits - 1)) - !v.sign;
    if (mag > limit) {
        /* invalid: NV alone, never NX */
        *flags |= RISCV_FFLAG_NV;
        return sign_extend(saturated(int_bits, is_signed, v.sign), int_bits);
    }
    if (inexact)
        *flags |= RISCV_FFLAG_NX;
    uint64_t result = v.sign ? -(uint64_t)mag : (uint64_t)mag;
    return sign_extend(result, int_bits);
}

uint64_t fpsoft_from_int(enum fpsoft_fmt fmt, uint64_t x, int int_bits,
                         bool is_signed, unsigned rm, unsigned *flags)
{
    const struct fpfmt *f = fmt == FPSOFT_S ? &fmt_s : &fmt_d;
    bool sign = false;
    uint64_t mag;

    if (int_bits == 32)
        x = is_signed ? (uint64_t)(int64_t)(int32_t)x : (uint32_t)x;
    mag = x;
    if (is_signed && (int64_t)x < 0) {
        sign = true;
        mag = -x;       /* also right for INT64_MIN */
    }
    if (!mag)
        return zero(f, false);
    return norm_round_pack(f, sign, 62, mag, rm, flags);
}

uint64_t fpsoft_d_to_s(uint64_t bits, unsigned rm, unsigned *flags)
{
    struct fpval v = unpack(&fmt_d, bits);

    switch (v.kind) {
    case FP_QNAN:
    case FP_SNAN:
        return nan_result(&fmt_s, &v, NULL, flags);
    case FP_INF:
        return infinity(&fmt_s, v.sign);
    case FP_ZERO:
        return zero(&fmt_s, v.sign);
    default:
        return round_pack(&fmt_s, v.sign, v.exp, v.sig, rm, flags);
    }
}

uint64_t fpsoft_s_to_d(uint64_t bits, unsigned *flags)
{
    struct fpval v = unpack(&fmt_s, bits);

    switch (v.kind) {
    case FP_QNAN:
    case FP_SNAN:
        return nan_result(&fmt_d, &v, NULL, flags);
    case FP_INF:
        return infinity(&fmt_d, v.sign);
    case FP_ZERO:
        return zero(&fmt_d, v.sign);
    default:
        /* exact: every binary32 value is a normal binary64 */
        return round_pack(&fmt_d, v.sign, v.exp, v.sig, RISCV_RM_RNE, flags);
    }
}
