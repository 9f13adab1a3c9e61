/*
 * Differential test of cpu/riscv/fpu.c against a real RISC-V: ~200k cases
 * (fixed seed) of every F/D operation in every rounding mode are run once
 * through fpref.elf under qemu-riscv64, and weft's results and fflags must
 * match bit for bit.  Operations that have a host fast path are also run
 * through the software core directly, so both paths are covered.
 *
 * Usage: test-riscv-fpu-diff --qemu PATH --ref PATH [--seed N]
 * (skips when qemu or the reference is absent; --seed explores new cases)
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "util/compiler.h"
#include "cpu/riscv/fpu.h"
#include "cpu/riscv/fpu-internal.h"
#include "fpref-ops.h"

#define MAX_REPORTED 20

static const char *const op_names[] = {
#define OP_NAME(id, fn, mnemonic, kind) [OP_##id] = mnemonic,
    FPREF_OPS(OP_NAME)
#undef OP_NAME
};

/* ---- random operands ------------------------------------------------ */

static uint64_t rng_state = 0x5eed0f0e1f7u;

static uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
    return rnd() % n;
}

static bool chance(unsigned percent)
{
    return rnd_below(100) < percent;
}

struct gfmt {
    int frac_bits, exp_bits;
};

static const struct gfmt gen_s = { 23, 8 };
static const struct gfmt gen_d = { 52, 11 };

static int max_exp(const struct gfmt *f)
{
    return (1 << f->exp_bits) - 1;
}

static int bias_of(const struct gfmt *f)
{
    return (1 << (f->exp_bits - 1)) - 1;
}

static uint64_t frac_mask_of(const struct gfmt *f)
{
    return (1ull << f->frac_bits) - 1;
}

static uint64_t make(const struct gfmt *f, bool sign, int exp, uint64_t frac)
{
    return (uint64_t)sign << (f->frac_bits + f->exp_bits) |
           (uint64_t)exp << f->frac_bits | (frac & frac_mask_of(f));
}

static int exp_of(const struct gfmt *f, uint64_t v)
{
    return v >> f->frac_bits & max_exp(f);
}

static uint64_t special(const struct gfmt *f)
{
    int fb = f->frac_bits, top = max_exp(f);
    bool sign = rnd() & 1;

    switch (rnd_below(16)) {
    case 0: return make(f, sign, 0, 0);                         /* ±0 */
    case 1: return make(f, sign, top, 0);                       /* ±inf */
    case 2: return make(f, false, top, 1ull << (fb - 1));       /* canon */
    case 3: return make(f, sign, top, 1ull << (fb - 1) | rnd()); /* qNaN */
    case 4: return make(f, sign, top, 1);                       /* sNaN */
    case 5: return make(f, sign, top, frac_mask_of(f) >> 1);    /* sNaN */
    case 6: return make(f, sign, 0, 1);                         /* min sub */
    case 7: return make(f, sign, 0, frac_mask_of(f));           /* max sub */
    case 8: return make(f, sign, 1, 0);                         /* min norm */
    case 9: return make(f, sign, top - 1, frac_mask_of(f));     /* max */
    case 10: return make(f, sign, bias_of(f), 0);               /* ±1 */
    case 11: return make(f, sign, bias_of(f) - 1, 0);           /* ±0.5 */
    case 12: return make(f, sign, bias_of(f), 1ull << (fb - 1)); /* ±1.5 */
    case 13: return make(f, sign, bias_of(f) + 1, 1ull << (fb - 2));
    case 14: return make(f, sign, 1, frac_mask_of(f));          /* < 2^emin */
    default: return make(f, sign, rnd_below(top), 0);           /* 2^k */
    }
}

/* Fractions that make ties, carries and long cancellations likely. */
static uint64_t fraction(const struct gfmt *f)
{
    int fb = f->frac_bits, keep;

    switch (rnd_below(8)) {
    case 0:
        return 0;
    case 1:
        return frac_mask_of(f);
    case 2:
        return frac_mask_of(f) - rnd_below(4);
    case 3:                                     /* a few top bits */
        keep = 1 + rnd_below(6);
        return rnd() & ~((1ull << (fb - keep)) - 1);
    case 4:                                     /* top bits and the lsb */
        keep = rnd_below(6);
        return rnd() << (fb - keep) | 1;
    case 5:
        return rnd_below(8);
    default:
        return rnd();
    }
}

static int exponent(const struct gfmt *f)
{
    int top = max_exp(f), fb = f->frac_bits;

    switch (rnd_below(6)) {
    case 0:
        return rnd_below(top + 1);              /* anything, inf/NaN too */
    case 1:
    case 2:
        return bias_of(f) - fb - 2 + rnd_below(2 * fb + 5);
    case 3:
        return chance(70) ? 0 : rnd_below(3);     /* tiny */
    case 4:
        return top - 1 - rnd_below(3);                      /* huge */
    default:
        return 1 + rnd_below(top - 1);                      /* finite */
    }
}

static uint64_t value(const struct gfmt *f)
{
    unsigned pick = rnd_below(100);

    if (pick < 12)
        return special(f);
    if (pick < 30)
        return rnd() & (f->exp_bits == 8 ? 0xffffffffull : ~0ull);
    /* one draw per statement: argument order must not change the cases */
    bool sign = rnd() & 1;
    int exp = exponent(f);
    return make(f, sign, exp, fraction(f));
}

/* A value close to x in magnitude, for cancellation and sticky bits. */
static uint64_t near(const struct gfmt *f, uint64_t x)
{
    int exp = exp_of(f, x);
    bool sign = rnd() & 1;

    if (exp == max_exp(f))
        return value(f);
    switch (rnd_below(4)) {
    case 0:         /* same significand give or take an ulp or two */
        return make(f, sign, exp, (x & frac_mask_of(f)) + rnd_below(5) - 2);
    case 1:         /* just below the rounding position: ties and halves */
        exp -= f->frac_bits + rnd_below(4);
        break;
    default:
        exp += (int)rnd_below(7) - 3;
        break;
    }
    if (exp < 0)
        exp = 0;
    if (exp >= max_exp(f))
        exp = max_exp(f) - 1;
    return make(f, sign, exp, fraction(f));
}

/* An exponent field putting a product or quotient near a boundary. */
static uint64_t with_exp(const struct gfmt *f, uint64_t x, int exp)
{
    if (exp < 0)
        exp = 0;
    if (exp >= max_exp(f))
        exp = max_exp(f) - 1;
    return make(f, x >> (f->frac_bits + f->exp_bits) & 1, exp, x);
}

static int boundary_target(const struct gfmt *f)
{
    /* unbiased exponent of the result: around emin, or around emax */
    if (chance(70))
        return 1 - bias_of(f) - (int)rnd_below(f->frac_bits + 3) + 1;
    return bias_of(f) - 1 + (int)rnd_below(3);
}

/* Single-precision register image, sometimes with a broken NaN box. */
static uint64_t reg_s(uint64_t v)
{
    if (chance(3)) {
        uint64_t upper = chance(50) ? 0 : rnd() & 0x7fffffff00000000ull;

        return upper | (uint32_t)v;
    }
    return riscv_box_s((uint32_t)v);
}

static bool is_single(enum fpref_op op)
{
    switch (op) {
#define OP_IS_S(id, fn, mnemonic, kind) case OP_##id: \
        return mnemonic[sizeof(mnemonic) - 2] == 's';
    FPREF_OPS(OP_IS_S)
#undef OP_IS_S
    default:
        return false;
    }
}

static uint64_t int_operand(void)
{
    static const uint64_t edges[] = {
        0, 1, ~0ull, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
        0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffff80000000ull,
        0x1000001, 0x1000003, 0x20000000000001ull, 0x20000000000003ull,
    };
    uint64_t x;

    if (chance(15))
        return edges[rnd_below(ARRAY_SIZE(edges))];
    x = rnd();
    x >>= rnd_below(64);
    if (chance(20))
        x |= 1;                 /* low bit set: inexact when it is dropped */
    return chance(40) ? -x : x;
}

/* A float around an integer conversion boundary or a tie. */
static uint64_t float_near_int_edge(const struct gfmt *f)
{
    static const int edges[] = { -2, -1, 0, 1, 2, 30, 31, 32, 62, 63, 64 };
    int e = edges[rnd_below(ARRAY_SIZE(edges))] + bias_of(f);

    if (chance(20))
        return value(f);
    bool sign = rnd() & 1;
    return make(f, sign, e, fraction(f));
}

/*
 * b such that a*b lands within an ulp or so of ±2^emin, where tininess
 * before and after rounding differ.
 */
static uint64_t towards_min_normal(const struct gfmt *f, uint64_t a)
{
    enum fpsoft_fmt sf = f == &gen_s ? FPSOFT_S : FPSOFT_D;
    uint64_t target = chance(50) ? make(f, rnd() & 1, 1, 0)
                                 : make(f, rnd() & 1, 0, frac_mask_of(f));
    unsigned ignored = 0;

    return fpsoft_div(sf, target, a, RISCV_RM_RNE, &ignored) +
           rnd_below(3) - 1;
}

/* An addend that cancels or doubles a*b, or lands near its sticky bits. */
static uint64_t fma_addend(const struct gfmt *f, uint64_t a, uint64_t b)
{
    enum fpsoft_fmt sf = f == &gen_s ? FPSOFT_S : FPSOFT_D;
    unsigned ignored = 0;
    uint64_t prod = fpsoft_mul(sf, a, b, RISCV_RM_RNE, &ignored);

    if (chance(40)) {
        uint64_t sign = (rnd() & 1) << (f->frac_bits + f->exp_bits);

        return (prod ^ sign) + rnd_below(9) - 4;
    }
    if (chance(40))
        return near(f, prod);
    return value(f);
}

static void gen_operands(enum fpref_op op, struct fpref_case *c)
{
    bool single = is_single(op);
    const struct gfmt *f = single ? &gen_s : &gen_d;
    uint64_t a = value(f), b = value(f);
    int ea;

    switch (op) {
    case OP_FADD_S: case OP_FSUB_S: case OP_FADD_D: case OP_FSUB_D:
    case OP_FMIN_S: case OP_FMAX_S: case OP_FMIN_D: case OP_FMAX_D:
    case OP_FEQ_S: case OP_FLT_S: case OP_FLE_S:
    case OP_FEQ_D: case OP_FLT_D: case OP_FLE_D:
        if (chance(15))
            b = chance(50) ? a : a ^ 1ull << (f->frac_bits + f->exp_bits);
        else if (chance(45))
            b = near(f, a);
        break;
    case OP_FMUL_S: case OP_FMUL_D:
        ea = exp_of(f, a) - bias_of(f);
        if (chance(15))
            b = towards_min_normal(f, a);
        else if (chance(35))
            b = with_exp(f, b, boundary_target(f) - ea + bias_of(f));
        break;
    case OP_FDIV_S: case OP_FDIV_D:
        ea = exp_of(f, a) - bias_of(f);
        if (chance(5))
            b = make(f, rnd() & 1, 0, 0);
        else if (chance(35))
            b = with_exp(f, b, ea - boundary_target(f) + bias_of(f));
        break;
    case OP_FSQRT_S: case OP_FSQRT_D:
        if (chance(60))
            a &= ~(1ull << (f->frac_bits + f->exp_bits));
        break;
    case OP_FMADD_S: case OP_FMSUB_S: case OP_FNMSUB_S: case OP_FNMADD_S:
    case OP_FMADD_D: case OP_FMSUB_D: case OP_FNMSUB_D: case OP_FNMADD_D:
        ea = exp_of(f, a) - bias_of(f);
        if (chance(20))
            b = with_exp(f, b, boundary_target(f) - ea + bias_of(f));
        c->c = fma_addend(f, a, b);
        if (single)
            c->c = reg_s(c->c);
        break;
    case OP_FCVT_W_S: case OP_FCVT_WU_S: case OP_FCVT_L_S: case OP_FCVT_LU_S:
    case OP_FCVT_W_D: case OP_FCVT_WU_D: case OP_FCVT_L_D: case OP_FCVT_LU_D:
        a = float_near_int_edge(f);
        break;
    case OP_FCVT_S_W: case OP_FCVT_S_WU: case OP_FCVT_S_L: case OP_FCVT_S_LU:
    case OP_FCVT_D_W: case OP_FCVT_D_WU: case OP_FCVT_D_L: case OP_FCVT_D_LU:
        c->a = int_operand();
        return;
    case OP_FCVT_S_D:
        a = value(&gen_d);
        if (chance(40))     /* around binary32's subnormal and max range */
            a = with_exp(&gen_d, a, 1023 + (chance(60) ?
                         -150 + (int)rnd_below(28) : 126 + (int)rnd_below(3)));
        c->a = a;
        return;
    case OP_FCVT_D_S:
        c->a = reg_s(value(&gen_s));
        return;
    case OP_FMV_X_W: case OP_FMV_X_D: case OP_FMV_W_X: case OP_FMV_D_X:
        c->a = chance(50) ? rnd() : riscv_box_s(rnd());
        return;
    default:
        break;
    }
    c->a = single ? reg_s(a) : a;
    c->b = single ? reg_s(b) : b;
}

/* ---- weft's side ---------------------------------------------------- */

#define CALL_F_FF(fn)   riscv_##fn(c->a, c->b, c->rm, &fl)
#define CALL_F_F(fn)    riscv_##fn(c->a, c->rm, &fl)
#define CALL_F_FFF(fn)  riscv_##fn(c->a, c->b, c->c, c->rm, &fl)
#define CALL_F_FF0(fn)  riscv_##fn(c->a, c->b, &fl)
#define CALL_X_FF(fn)   riscv_##fn(c->a, c->b, &fl)
#define CALL_F_FFN(fn)  riscv_##fn(c->a, c->b)
#define CALL_X_F(fn)    riscv_##fn(c->a, c->rm, &fl)
#define CALL_X_F0(fn)   riscv_##fn(c->a)
#define CALL_F_X(fn)    riscv_##fn(c->a, c->rm, &fl)
#define CALL_F_X0(fn)   riscv_##fn(c->a)

static struct fpref_result eval_weft(const struct fpref_case *c)
{
    unsigned fl = 0;
    uint64_t v = 0;

    switch (c->op) {
#define OP_EVAL(id, fn, mnemonic, kind)                                     \
    case OP_##id:                                                           \
        v = CALL_##kind(fn);                                                \
        break;
    FPREF_OPS(OP_EVAL)
#undef OP_EVAL
    }
    return (struct fpref_result){ v, fl };
}

static uint64_t soft_fma(enum fpsoft_fmt f, const struct fpref_case *c,
                         bool negate_product, bool negate_addend,
                         unsigned *fl)
{
    int sign_bit = f == FPSOFT_S ? 31 : 63;
    uint64_t x = f == FPSOFT_S ? riscv_unbox_s(c->a) : c->a;
    uint64_t y = f == FPSOFT_S ? riscv_unbox_s(c->b) : c->b;
    uint64_t z = f == FPSOFT_S ? riscv_unbox_s(c->c) : c->c;
    uint64_t r;

    x ^= (uint64_t)negate_product << sign_bit;
    z ^= (uint64_t)negate_addend << sign_bit;
    r = fpsoft_fma(f, x, y, z, c->rm, fl);
    return f == FPSOFT_S ? riscv_box_s(r) : r;
}

/* The software core on ops that normally take the host path. */
static bool eval_soft(const struct fpref_case *c, struct fpref_result *out)
{
    uint64_t xs = riscv_unbox_s(c->a), ys = riscv_unbox_s(c->b);
    unsigned fl = 0, rm = c->rm;
    uint64_t v;

    switch (c->op) {
    case OP_FADD_S: v = riscv_box_s(fpsoft_add(FPSOFT_S, xs, ys, rm, &fl));
        break;
    case OP_FSUB_S: v = riscv_box_s(fpsoft_sub(FPSOFT_S, xs, ys, rm, &fl));
        break;
    case OP_FMUL_S: v = riscv_box_s(fpsoft_mul(FPSOFT_S, xs, ys, rm, &fl));
        break;
    case OP_FDIV_S: v = riscv_box_s(fpsoft_div(FPSOFT_S, xs, ys, rm, &fl));
        break;
    case OP_FSQRT_S: v = riscv_box_s(fpsoft_sqrt(FPSOFT_S, xs, rm, &fl));
        break;
    case OP_FADD_D: v = fpsoft_add(FPSOFT_D, c->a, c->b, rm, &fl); break;
    case OP_FSUB_D: v = fpsoft_sub(FPSOFT_D, c->a, c->b, rm, &fl); break;
    case OP_FMUL_D: v = fpsoft_mul(FPSOFT_D, c->a, c->b, rm, &fl); break;
    case OP_FDIV_D: v = fpsoft_div(FPSOFT_D, c->a, c->b, rm, &fl); break;
    case OP_FSQRT_D: v = fpsoft_sqrt(FPSOFT_D, c->a, rm, &fl); break;
    case OP_FMADD_S: v = soft_fma(FPSOFT_S, c, false, false, &fl); break;
    case OP_FMSUB_S: v = soft_fma(FPSOFT_S, c, false, true, &fl); break;
    case OP_FNMSUB_S: v = soft_fma(FPSOFT_S, c, true, false, &fl); break;
    case OP_FNMADD_S: v = soft_fma(FPSOFT_S, c, true, true, &fl); break;
    case OP_FMADD_D: v = soft_fma(FPSOFT_D, c, false, false, &fl); break;
    case OP_FMSUB_D: v = soft_fma(FPSOFT_D, c, false, true, &fl); break;
    case OP_FNMSUB_D: v = soft_fma(FPSOFT_D, c, true, false, &fl); break;
    case OP_FNMADD_D: v = soft_fma(FPSOFT_D, c, true, true, &fl); break;
    default:
        return false;
    }
    *out = (struct fpref_result){ v, fl };
    return true;
}

/* ---- the reference -------------------------------------------------- */

static int temp_file(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    int fd;

    snprintf(path, sizeof(path), "%s/weft-fpref-XXXXXX", dir ? dir : "/tmp");
    fd = mkstemp(path);
    CHECK(fd >= 0);
    unlink(path);       /* the fd is all we need, nothing is left behind */
    return fd;
}

static void write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len) {
        ssize_t n = write(fd, p, len);

        CHECK(n > 0);
        p += n;
        len -= n;
    }
}

static void read_all(int fd, void *buf, size_t len)
{
    char *p = buf;

    while (len) {
        ssize_t n = read(fd, p, len);

        if (n == 0) {
            fprintf(stderr, "reference output is short by %zu bytes\n", len);
            exit(1);
        }
        CHECK(n > 0);
        p += n;
        len -= n;
    }
}

static void run_reference(const char *qemu, const char *ref,
                          const struct fpref_case *cases,
                          struct fpref_result *results, size_t n)
{
    int in = temp_file(), out = temp_file(), status;
    pid_t pid;

    write_all(in, cases, n * sizeof(*cases));
    CHECK(lseek(in, 0, SEEK_SET) == 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(in, 0);
        dup2(out, 1);
        execl(qemu, qemu, ref, (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", qemu, strerror(errno));
        _exit(127);
    }
    CHECK(waitpid(pid, &status, 0) == pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s %s failed (status 0x%x)\n", qemu, ref, status);
        exit(1);
    }
    CHECK(lseek(out, 0, SEEK_SET) == 0);
    read_all(out, results, n * sizeof(*results));
    close(in);
    close(out);
}

/* ---- driver --------------------------------------------------------- */

static unsigned cases_for(enum fpref_op op)
{
    switch (op) {
    case OP_FMV_X_W: case OP_FMV_W_X: case OP_FMV_X_D: case OP_FMV_D_X:
        return 1000;
    case OP_FCVT_S_D:
        return 6000;
    default:
        break;
    }
    struct fpref_case probe = { .op = op };
    struct fpref_result unused;
    if (eval_soft(&probe, &unused))
        return 6000;            /* arithmetic: both paths, most cases */
    return op >= OP_FCVT_W_S && op <= OP_FCVT_S_LU ? 3000 :
           op >= OP_FCVT_W_D && op <= OP_FCVT_D_LU ? 3000 : 2000;
}

static void report(const char *path, const struct fpref_case *c,
                   const struct fpref_result *want,
                   const struct fpref_result *got)
{
    fprintf(stderr, "MISMATCH %s (%s path) rm=%u a=0x%016" PRIx64
            " b=0x%016" PRIx64 " c=0x%016" PRIx64 ": qemu 0x%016" PRIx64
            "/%02" PRIx64 ", weft 0x%016" PRIx64 "/%02" PRIx64 "\n",
            op_names[c->op], path, c->rm, c->a, c->b, c->c, want->value,
            want->fflags, got->value, got->fflags);
}

static bool same(const struct fpref_result *x, const struct fpref_result *y)
{
    return x->value == y->value && x->fflags == y->fflags;
}

int main(int argc, char **argv)
{
    const char *qemu = NULL, *ref = NULL;
    size_t n = 0, soft_checked = 0, mismatches = 0;
    unsigned flag_seen[5] = { 0 };

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--qemu"))
            qemu = argv[i + 1];
        else if (!strcmp(argv[i], "--ref"))
            ref = argv[i + 1];
        else if (!strcmp(argv[i], "--seed"))
            rng_state = strtoull(argv[i + 1], NULL, 0);
    }
    if (!qemu || !*qemu || access(qemu, X_OK))
        test_skip("qemu-riscv64 not found (Debian package qemu-user)");
    if (!ref || !*ref || access(ref, R_OK))
        test_skip("fpref.elf not built: no riscv64-linux-gnu-gcc or "
                  "riscv64-unknown-elf-gcc");

    size_t total = 0;
    for (int op = 0; op < FPREF_NR_OPS; op++)
        total += cases_for(op);
    struct fpref_case *cases = calloc(total, sizeof(*cases));
    struct fpref_result *want = calloc(total, sizeof(*want));
    CHECK(cases && want);
    for (int op = 0; op < FPREF_NR_OPS; op++) {
        for (unsigned i = 0; i < cases_for(op); i++) {
            struct fpref_case *c = &cases[n++];

            c->op = op;
            c->rm = rnd_below(5);
            gen_operands(op, c);
        }
    }

    run_reference(qemu, ref, cases, want, n);

    for (size_t i = 0; i < n; i++) {
        struct fpref_result got = eval_weft(&cases[i]), soft;

        for (int bit = 0; bit < 5; bit++)
            flag_seen[bit] += want[i].fflags >> bit & 1;
        if (!same(&want[i], &got) && mismatches++ < MAX_REPORTED)
            report("public", &cases[i], &want[i], &got);
        if (eval_soft(&cases[i], &soft)) {
            soft_checked++;
            if (!same(&want[i], &soft) && mismatches++ < MAX_REPORTED)
                report("soft", &cases[i], &want[i], &soft);
        }
    }
    printf("reference fflags seen: NX %u, UF %u, OF %u, DZ %u, NV %u\n",
           flag_seen[0], flag_seen[1], flag_seen[2], flag_seen[3],
           flag_seen[4]);
    printf("compared %zu cases (%d ops, 5 rounding modes) with qemu-riscv64,"
           " %zu of them also on the software path: %zu mismatches\n",
           n, FPREF_NR_OPS, soft_checked, mismatches);
    free(cases);
    free(want);
    return mismatches ? 1 : 0;
}
