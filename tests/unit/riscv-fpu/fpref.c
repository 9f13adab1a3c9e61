/*
 * fpref: the reference side of the differential FPU test.  A bare RV64GC
 * Linux program (no libc: raw ecalls, its own _start) run under
 * qemu-riscv64.  It reads struct fpref_case records from stdin, executes
 * each one with the real instruction, and writes the raw rd value and the
 * fflags it raised as struct fpref_result records to stdout.
 *
 * The instructions use the dynamic rounding mode; frm is set per case.
 * Operands go through fmv.d.x so single-precision inputs arrive in the
 * f registers exactly as given, NaN-boxing violations included.
 */
#include "fpref-ops.h"

#define SYS_READ  63
#define SYS_WRITE 64
#define BATCH     2048

__asm__(".pushsection .text._start, \"ax\", @progbits\n"
        ".globl _start\n"
        "_start:\n"
        ".option push\n"
        ".option norelax\n"
        "    la gp, __global_pointer$\n"
        ".option pop\n"
        "    call fpref_main\n"
        "    li a7, 93\n"               /* exit(fpref_main()) */
        "    ecall\n"
        ".popsection\n");

int fpref_main(void);

/* GCC may emit calls to these even in freestanding code. */
void *memcpy(void *dst, const void *src, unsigned long n);
void *memset(void *dst, int c, unsigned long n);

void *memcpy(void *dst, const void *src, unsigned long n)
{
    char *d = dst;
    const char *s = src;

    while (n--)
        *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, unsigned long n)
{
    char *d = dst;

    while (n--)
        *d++ = (char)c;
    return dst;
}

static long syscall3(long nr, long arg0, long arg1, long arg2)
{
    register long a0 __asm__("a0") = arg0;
    register long a1 __asm__("a1") = arg1;
    register long a2 __asm__("a2") = arg2;
    register long a7 __asm__("a7") = nr;

    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7)
                     : "memory");
    return a0;
}

static long read_full(void *buf, long len)
{
    long done = 0;

    while (done < len) {
        long n = syscall3(SYS_READ, 0, (long)buf + done, len - done);

        if (n < 0)
            return -1;
        if (n == 0)
            break;
        done += n;
    }
    return done;
}

static int write_full(const void *buf, long len)
{
    long done = 0;

    while (done < len) {
        long n = syscall3(SYS_WRITE, 1, (long)buf + done, len - done);

        if (n <= 0)
            return -1;
        done += n;
    }
    return 0;
}

/* Set frm, clear fflags, run, read fflags; operands in ft0..ft2. */
#define LOAD3 "fmv.d.x ft0, %[a]\n\tfmv.d.x ft1, %[b]\n\tfmv.d.x ft2, %[c]\n\t"
#define START "csrw frm, %[rm]\n\tcsrw fflags, zero\n\t"
#define END   "\n\tcsrr %[fl], fflags"
#define IN    [a] "r"(a), [b] "r"(b), [c] "r"(c), [rm] "r"(rm)
#define CLOB  "ft0", "ft1", "ft2", "ft3"

#define RUN_F_FF(insn)                                                      \
    __asm__ volatile(LOAD3 START insn " ft3, ft0, ft1" END                  \
                     "\n\tfmv.x.d %[r], ft3"                                \
                     : [r] "=&r"(r), [fl] "=&r"(fl) : IN : CLOB)
#define RUN_F_FF0(insn)  RUN_F_FF(insn)
#define RUN_F_FFN(insn)  RUN_F_FF(insn)
#define RUN_F_F(insn)                                                       \
    __asm__ volatile(LOAD3 START insn " ft3, ft0" END                       \
                     "\n\tfmv.x.d %[r], ft3"                                \
                     : [r] "=&r"(r), [fl] "=&r"(fl) : IN : CLOB)
#define RUN_F_FFF(insn)                                                     \
    __asm__ volatile(LOAD3 START insn " ft3, ft0, ft1, ft2" END             \
                     "\n\tfmv.x.d %[r], ft3"                                \
                     : [r] "=&r"(r), [fl] "=&r"(fl) : IN : CLOB)
#define RUN_X_FF(insn)                                                      \
    __asm__ volatile(LOAD3 START insn " %[r], ft0, ft1" END                 \
                     : [r] "=&r"(r), [fl] "=&r"(fl) : IN : CLOB)
#define RUN_X_F(insn)                                                       \
    __asm__ volatile(LOAD3 START insn " %[r], ft0" END                      \
                     : [r] "=&r"(r), [fl] "=&r"(fl) : IN : CLOB)
#define RUN_X_F0(insn)   RUN_X_F(insn)
#define RUN_F_X(insn)                                                       \
    __asm__ volatile(START insn " ft3, %[a]" END                            \
                     "\n\tfmv.x.d %[r], ft3"                                \
                     : [r] "=&r"(r), [fl] "=&r"(fl) : IN : CLOB)
#define RUN_F_X0(insn)   RUN_F_X(insn)

static void run_case(const struct fpref_case *in, struct fpref_result *out)
{
    uint64_t a = in->a, b = in->b, c = in->c, rm = in->rm;
    uint64_t r = 0, fl = 0;

    switch (in->op) {
#define FPREF_CASE(id, fn, mnemonic, kind)                                  \
    case OP_##id:                                                           \
        RUN_##kind(mnemonic);                                               \
        break;
    FPREF_OPS(FPREF_CASE)
#undef FPREF_CASE
    default:
        r = ~0ull;
        fl = ~0ull;     /* the host reports an unknown op as a mismatch */
        break;
    }
    out->value = r;
    out->fflags = fl;
}

static struct fpref_case cases[BATCH];
static struct fpref_result results[BATCH];

int fpref_main(void)
{
    for (;;) {
        long n = read_full(cases, sizeof(cases));

        if (n < 0 || n % sizeof(cases[0]))
            return 2;
        long count = n / sizeof(cases[0]);
        for (long i = 0; i < count; i++)
            run_case(&cases[i], &results[i]);
        if (write_full(results, count * sizeof(results[0])))
            return 3;
        if (n < (long)sizeof(cases))
            return 0;
    }
}
