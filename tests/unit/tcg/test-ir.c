/* IR builder, optimiser and threaded backend: op lists after folding,
 * copy propagation and dead-code elimination; edge semantics of every op;
 * and random programs run three ways (a reference evaluator written
 * here, the backend without and with optimisation) that must agree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "toy.h"
#include "util/log.h"

static ToyCPU *cpu;
static uint64_t code_buf[1 << 17];

/* Generates tcg_ctx's block and runs it once on cpu. */
static uintptr_t run_block(void)
{
    static TranslationBlock tb;
    ssize_t n;

    memset(&tb, 0, sizeof(tb));
    n = tcg_backend->gen_code(tcg_ctx, &tb, code_buf, sizeof(code_buf));
    CHECK(n > 0);
    return tcg_backend->exec(&cpu->parent, code_buf);
}

static TCGv R(int i)
{
    return toy_regs[i];
}

static const TCGOp *nth_op(unsigned n)
{
    unsigned k = 0;

    for (uint32_t i = 0; i < tcg_ctx->nb_ops; i++) {
        if (tcg_ctx->ops[i].opc != INDEX_op_nop && k++ == n) {
            return &tcg_ctx->ops[i];
        }
    }
    CHECK(0);
    return NULL;
}

static bool op_is_movi(const TCGOp *op, TCGv d, uint64_t val)
{
    const TCGTemp *src = &tcg_ctx->temps[op->args[1]];

    return op->opc == INDEX_op_mov && op->args[0] == d.idx &&
           src->kind == TEMP_CONST && (uint64_t)src->val == val;
}

static bool op_is(const TCGOp *op, TCGOpcode opc, TCGv d, TCGv a)
{
    return op->opc == opc && op->args[0] == d.idx && op->args[1] == a.idx;
}

/* ---- optimiser: expected op lists */

static void test_constant_folding(void)
{
    TCGv t;

    tcg_func_start();
    t = tcg_temp_new();
    tcg_gen_movi(t, 2);
    tcg_gen_addi(t, t, 3);
    tcg_gen_shli(t, t, 4);
    tcg_gen_not(t, t);
    tcg_gen_neg(t, t);
    tcg_gen_mov(R(0), t);
    tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
    CHECK_EQ(tcg_count_ops(tcg_ctx), 7);
    tcg_optimize(tcg_ctx);
    CHECK_EQ(tcg_count_ops(tcg_ctx), 2);
    CHECK(op_is_movi(nth_op(0), R(0), 81));     /* -~80 = 81 */
    CHECK_EQ(nth_op(1)->opc, INDEX_op_exit_tb);
    run_block();
    CHECK_EQ(cpu->env.regs[0], 81);
}

static void test_identities(void)
{
    tcg_func_start();
    tcg_gen_addi(R(1), R(2), 0);
    tcg_gen_muli(R(3), R(2), 1);
    tcg_gen_andi(R(4), R(2), 0);
    tcg_gen_sub(R(5), R(2), R(2));
    tcg_gen_xor(R(6), R(2), R(2));
    tcg_gen_add32i(R(7), R(2), 0);
    tcg_gen_ori(R(8), R(2), -1);
    tcg_gen_andi(R(9), R(2), -1);
    tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
    tcg_optimize(tcg_ctx);
    CHECK_EQ(tcg_count_ops(tcg_ctx), 9);
    CHECK(op_is(nth_op(0), INDEX_op_mov, R(1), R(2)));
    CHECK(op_is(nth_op(1), INDEX_op_mov, R(3), R(2)));
    CHECK(op_is_movi(nth_op(2), R(4), 0));
    CHECK(op_is_movi(nth_op(3), R(5), 0));
    CHECK(op_is_movi(nth_op(4), R(6), 0));
    CHECK(op_is(nth_op(5), INDEX_op_ext32s, R(7), R(2)));
    CHECK(op_is_movi(nth_op(6), R(8), UINT64_MAX));
    CHECK(op_is(nth_op(7), INDEX_op_mov, R(9), R(2)));
    cpu->env.regs[2] = 0x80000001ull;
    run_block();
    CHECK_EQ(cpu->env.regs[7], 0xffffffff80000001ull);
    CHECK_EQ(cpu->env.regs[1], 0x80000001ull);
}

static uint64_t helper_clobber_r1(uint64_t env)
{
    ((ToyEnv *)(uintptr_t)env)->regs[1] = 1000;
    ((ToyEnv *)(uintptr_t)env)->regs[4] = 2000;
    return 0;
}

static const TCGHelperInfo info_clobber = {
    .func = (void *)helper_clobber_r1, .name = "clobber_r1", .nargs = 1,
    .flags = TCG_CALL_NO_RAISE,     /* writes globals */
};

static void test_copy_propagation(void)
{
    TCGv t, args[1];

    /* t = r1; r2 = t + t  ->  r2 = r1 + r1, t's mov is dead */
    tcg_func_start();
    t = tcg_temp_new();
    tcg_gen_mov(t, R(1));
    tcg_gen_add(R(2), t, t);
    tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
    tcg_optimize(tcg_ctx);
    CHECK_EQ(tcg_count_ops(tcg_ctx), 2);
    CHECK(nth_op(0)->opc == INDEX_op_add && nth_op(0)->args[1] == R(1).idx &&
          nth_op(0)->args[2] == R(1).idx);

    /* The copy dies when its source is overwritten... */
    tcg_func_start();
    t = tcg_temp_new();
    tcg_gen_mov(t, R(1));
    tcg_gen_movi(R(1), 5);
    tcg_gen_addi(R(2), t, 1);
    /* ...and when a helper may write globals. */
    tcg_gen_mov(t, R(4));
    tcg_gen_mov(R(1), R(4));
    args[0] = tcg_env;
    tcg_gen_call(&info_clobber, tcg_no_temp(), args);
    tcg_gen_addi(R(3), t, 1);
    tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
    tcg_optimize(tcg_ctx);
    cpu->env.regs[4] = 5;
    cpu->env.regs[1] = 40;
    run_block();
    CHECK_EQ(cpu->env.regs[2], 41);
    CHECK_EQ(cpu->env.regs[3], 6);
    CHECK_EQ(cpu->env.regs[1], 1000);
}

static void test_dead_code(void)
{
    TCGv t, u;

    /* dead temps and overwritten global stores vanish */
    tcg_func_start();
    t = tcg_temp_new();
    u = tcg_temp_new();
    tcg_gen_mul(t, R(1), R(2));
    tcg_gen_addi(u, t, 7);
    tcg_gen_movi(R(3), 1);
    tcg_gen_movi(R(3), 2);
    tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
    tcg_optimize(tcg_ctx);
    CHECK_EQ(tcg_count_ops(tcg_ctx), 2);
    CHECK(op_is_movi(nth_op(0), R(3), 2));

    /* ...but not across an op that may fault: globals are live there */
    tcg_func_start();
    t = tcg_temp_new();
    tcg_gen_movi(R(3), 1);
    tcg_gen_qemu_ld(t, R(4), 0, MO_UQ);
    tcg_gen_movi(R(3), 2);
    tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
    tcg_optimize(tcg_ctx);
    /* the load's result is dead but it may fault: kept */
    CHECK_EQ(tcg_count_ops(tcg_ctx), 4);

    /* pure helper with unused result is dropped, impure one kept */
    tcg_func_start();
    t = tcg_temp_new();
    {
        static const TCGHelperInfo pure = {
            .func = (void *)helper_clobber_r1, .name = "pure", .nargs = 1,
            .flags = TCG_CALL_PURE,
        };
        TCGv args[1] = { tcg_env };

        tcg_gen_call(&pure, t, args);
        tcg_gen_call(&info_clobber, tcg_no_temp(), args);
    }
    tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
    tcg_optimize(tcg_ctx);
    CHECK_EQ(tcg_count_ops(tcg_ctx), 2);
    CHECK_EQ(tcg_count_op(tcg_ctx, INDEX_op_call), 1);
}

static void test_branch_folding(void)
{
    TCGLabel *l;
    TCGv t;

    /* always-taken branch: the skipped code, the branch and the label go */
    tcg_func_start();
    t = tcg_temp_new();
    l = gen_new_label();
    tcg_gen_movi(t, 3);
    tcg_gen_brcondi(TCG_COND_EQ, t, 3, l);
    tcg_gen_movi(R(1), 1);
    gen_set_label(l);
    tcg_gen_movi(R(2), 2);
    tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
    tcg_optimize(tcg_ctx);
    CHECK_EQ(tcg_count_ops(tcg_ctx), 2);
    CHECK(op_is_movi(nth_op(0), R(2), 2));

    /* never-taken unsigned compare: the branch goes, the code stays */
    tcg_func_start();
    t = tcg_temp_new();
    l = gen_new_label();
    tcg_gen_movi(t, -1);
    tcg_gen_brcondi(TCG_COND_LTU, t, 5, l);
    tcg_gen_movi(R(1), 1);
    gen_set_label(l);
    tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
    tcg_optimize(tcg_ctx);
    CHECK_EQ(tcg_count_ops(tcg_ctx), 2);
    CHECK(op_is_movi(nth_op(0), R(1), 1));

    /* unknown condition: kept, and both paths still right */
    tcg_func_start();
    l = gen_new_label();
    tcg_gen_movi(R(1), 10);
    tcg_gen_brcondi(TCG_COND_GT, R(2), 0, l);
    tcg_gen_movi(R(1), 20);
    gen_set_label(l);
    tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
    tcg_optimize(tcg_ctx);
    CHECK_EQ(tcg_count_op(tcg_ctx, INDEX_op_brcond), 1);
    cpu->env.regs[2] = 5;
    run_block();
    CHECK_EQ(cpu->env.regs[1], 10);
    cpu->env.regs[2] = (uint64_t)-5;
    run_block();
    CHECK_EQ(cpu->env.regs[1], 20);
}

static void test_dump(void)
{
    char path[] = "/tmp/weft-tcg-dump-XXXXXX", buf[4096];
    int fd = mkstemp(path);
    FILE *f;
    size_t n;

    CHECK(fd >= 0);
    CHECK(log_set_file(path, NULL));
    tcg_func_start();
    tcg_gen_insn_start(0x1234, 0);
    tcg_gen_addi(R(1), R(2), 0x50);
    tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
    tcg_dump_ops(tcg_ctx, "test");
    log_close();
    f = fopen(path, "r");
    CHECK(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    unlink(path);
    close(fd);
    CHECK(strstr(buf, "add r1,r2,$0x50"));
    CHECK(strstr(buf, "insn_start pc=0x1234"));
    CHECK(strstr(buf, "exit_tb"));
}

/* ---- edge semantics, through the backend (reg-reg and reg-imm forms)
 * and through the constant folder */

typedef struct BinCase {
    TCGOpcode opc;
    uint64_t a, b, expect;
} BinCase;

#define MIN64 0x8000000000000000ull
#define M1 UINT64_MAX

static const BinCase bin_cases[] = {
    { INDEX_op_shl, 1, 63, MIN64 },
    { INDEX_op_shl, 1, 64, 1 },             /* count modulo 64 */
    { INDEX_op_shl, 3, 65, 6 },
    { INDEX_op_shr, MIN64, 63, 1 },
    { INDEX_op_shr, MIN64, 64, MIN64 },
    { INDEX_op_sar, MIN64, 63, M1 },
    { INDEX_op_sar, MIN64, 127, M1 },
    { INDEX_op_rotl, 0x8000000000000001ull, 1, 3 },
    { INDEX_op_rotl, 5, 64, 5 },
    { INDEX_op_rotr, 3, 1, 0x8000000000000001ull },
    { INDEX_op_shl32, 1, 31, 0xffffffff80000000ull },
    { INDEX_op_shl32, 1, 32, 1 },
    { INDEX_op_shr32, 0xffffffff80000000ull, 31, 1 },
    { INDEX_op_shr32, 0x80000000ull, 0, 0xffffffff80000000ull },
    { INDEX_op_sar32, 0x80000000ull, 31, M1 },
    { INDEX_op_rotl32, 0x80000001ull, 1, 3 },
    { INDEX_op_rotr32, 1, 1, 0xffffffff80000000ull },
    { INDEX_op_add32, 0x7fffffff, 1, 0xffffffff80000000ull },
    { INDEX_op_sub32, 0, 1, M1 },
    { INDEX_op_mul32, 0x10000, 0x10000, 0 },
    { INDEX_op_mul32, 0x10000, 0x8000, 0xffffffff80000000ull },
    { INDEX_op_div, 7, 0, M1 },
    { INDEX_op_div, MIN64, M1, MIN64 },
    { INDEX_op_div, (uint64_t)-7, 2, (uint64_t)-3 },
    { INDEX_op_rem, 7, 0, 7 },
    { INDEX_op_rem, MIN64, M1, 0 },
    { INDEX_op_rem, (uint64_t)-7, 2, (uint64_t)-1 },
    { INDEX_op_divu, 7, 0, M1 },
    { INDEX_op_divu, M1, 2, 0x7fffffffffffffffull },
    { INDEX_op_remu, 7, 0, 7 },
    { INDEX_op_div32, 0x80000000ull, 0xffffffff, 0xffffffff80000000ull },
    { INDEX_op_rem32, 0x80000000ull, 0xffffffff, 0 },
    { INDEX_op_div32, 5, 0, M1 },
    { INDEX_op_divu32, 5, 0, M1 },
    { INDEX_op_remu32, 0x80000005ull, 0, 0xffffffff80000005ull },
    { INDEX_op_divu32, 0xffffffff, 1, M1 },
    { INDEX_op_mulsh, M1, M1, 0 },
    { INDEX_op_mulsh, MIN64, 2, M1 },
    { INDEX_op_muluh, M1, M1, M1 - 1 },
    { INDEX_op_mulsuh, M1, M1, M1 },
    { INDEX_op_mulsuh, 2, M1, 1 },
    { INDEX_op_min, M1, 1, M1 },
    { INDEX_op_minu, M1, 1, 1 },
    { INDEX_op_max, M1, 1, 1 },
    { INDEX_op_maxu, M1, 1, M1 },
    { INDEX_op_andc, 0xff, 0x0f, 0xf0 },
    { INDEX_op_orc, 0, M1 - 1, 1 },
    { INDEX_op_eqv, 0, 0, M1 },
};

static const BinCase un_cases[] = {
    { INDEX_op_ext8s, 0x80, 0, 0xffffffffffffff80ull },
    { INDEX_op_ext16s, 0x18000, 0, 0xffffffffffff8000ull },
    { INDEX_op_ext32s, 0x180000000ull, 0, 0xffffffff80000000ull },
    { INDEX_op_ext8u, M1, 0, 0xff },
    { INDEX_op_ext16u, M1, 0, 0xffff },
    { INDEX_op_ext32u, M1, 0, 0xffffffff },
    { INDEX_op_bswap16, 0xaabbccdd, 0, 0xddcc },
    { INDEX_op_bswap32, 0x1122334455667788ull, 0, 0x88776655 },
    { INDEX_op_bswap64, 0x1122334455667788ull, 0, 0x8877665544332211ull },
    { INDEX_op_clz, 0, 0, 64 },
    { INDEX_op_clz, 1, 0, 63 },
    { INDEX_op_ctz, 0, 0, 64 },
    { INDEX_op_ctz, MIN64, 0, 63 },
    { INDEX_op_ctpop, M1, 0, 64 },
    { INDEX_op_clz32, 0xffffffff00000000ull, 0, 32 },
    { INDEX_op_clz32, 0x8000, 0, 16 },
    { INDEX_op_ctz32, 0xffffffff00000000ull, 0, 32 },
    { INDEX_op_ctpop32, M1, 0, 32 },
    { INDEX_op_neg, MIN64, 0, MIN64 },
    { INDEX_op_not, 0, 0, M1 },
};

/* Evaluates one op three ways: rr, ri (b inline), folded. */
static void check_op_three_ways(const BinCase *c, bool unary)
{
    uint64_t got[3];

    for (int form = 0; form < 3; form++) {
        tcg_func_start();
        cpu->env.regs[1] = c->a;
        cpu->env.regs[2] = c->b;
        if (unary) {
            tcg_gen_op2(c->opc, R(0).idx,
                        form == 2 ? tcg_constant(c->a).idx : R(1).idx);
        } else {
            TCGv a = form == 2 ? tcg_constant(c->a) : R(1);
            TCGv b = form ? tcg_constant(c->b) : R(2);

            tcg_gen_op3(c->opc, R(0).idx, a.idx, b.idx);
        }
        tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
        if (form == 2) {
            tcg_optimize(tcg_ctx);
            CHECK_EQ(tcg_count_ops(tcg_ctx), 2);    /* folded to a movi */
        }
        run_block();
        got[form] = cpu->env.regs[0];
    }
    for (int form = 0; form < 3; form++) {
        if (got[form] != c->expect) {
            fprintf(stderr, "%s(0x%" PRIx64 ", 0x%" PRIx64 ") form %d: "
                    "got 0x%" PRIx64 " want 0x%" PRIx64 "\n",
                    tcg_op_defs[c->opc].name, c->a, c->b, form, got[form],
                    c->expect);
            exit(1);
        }
    }
}

static void test_edge_semantics(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(bin_cases); i++) {
        check_op_three_ways(&bin_cases[i], false);
    }
    for (size_t i = 0; i < ARRAY_SIZE(un_cases); i++) {
        check_op_three_ways(&un_cases[i], true);
    }
}

static bool ref_cond(TCGCond c, uint64_t a, uint64_t b)
{
    int64_t sa = (int64_t)a, sb = (int64_t)b;

    switch (c) {
    case TCG_COND_NEVER: return false;
    case TCG_COND_ALWAYS: return true;
    case TCG_COND_EQ: return a == b;
    case TCG_COND_NE: return a != b;
    case TCG_COND_LT: return sa < sb;
    case TCG_COND_GE: return sa >= sb;
    case TCG_COND_LE: return sa <= sb;
    case TCG_COND_GT: return sa > sb;
    case TCG_COND_LTU: return a < b;
    case TCG_COND_GEU: return a >= b;
    case TCG_COND_LEU: return a <= b;
    default: return a > b;
    }
}

/* setcond, brcond and movcond under every condition, signed/unsigned
 * edge pairs, register and immediate forms. */
static void test_conditions(void)
{
    static const uint64_t vals[] = { 0, 1, M1, MIN64, 0x7fffffffffffffffull };

    for (int c = 0; c < TCG_COND_COUNT; c++) {
        for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
            for (size_t j = 0; j < ARRAY_SIZE(vals); j++) {
                bool want = ref_cond(c, vals[i], vals[j]);

                for (int imm = 0; imm < 2; imm++) {
                    TCGLabel *l;
                    TCGv b;

                    tcg_func_start();
                    b = imm ? tcg_constant(vals[j]) : R(2);
                    l = gen_new_label();
                    tcg_gen_setcond(c, R(0), R(1), b);
                    tcg_gen_movcond(c, R(3), R(1), b, R(4), R(5));
                    tcg_gen_movi(R(6), 0);
                    tcg_gen_brcond(c, R(1), b, l);
                    tcg_gen_movi(R(6), 1);
                    gen_set_label(l);
                    tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
                    cpu->env.regs[1] = vals[i];
                    cpu->env.regs[2] = vals[j];
                    cpu->env.regs[4] = 44;
                    cpu->env.regs[5] = 55;
                    run_block();
                    CHECK_EQ(cpu->env.regs[0], want);
                    CHECK_EQ(cpu->env.regs[3], want ? 44 : 55);
                    CHECK_EQ(cpu->env.regs[6], !want);
                }
            }
        }
    }
}

static void test_env_access(void)
{
    ptrdiff_t s0 = offsetof(ToyEnv, scratch[0]);

    tcg_func_start();
    tcg_gen_st64(R(1), s0);
    tcg_gen_ld8s(R(2), s0);
    tcg_gen_ld16u(R(3), s0);
    tcg_gen_ld32s(R(4), s0);
    tcg_gen_st8(R(5), s0 + 8);
    tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
    cpu->env.regs[1] = 0x00000000f234ff80ull;
    cpu->env.regs[5] = 0x1ab;
    cpu->env.scratch[1] = 0;
    run_block();
    CHECK_EQ(cpu->env.scratch[0], 0xf234ff80ull);
    CHECK_EQ(cpu->env.regs[2], 0xffffffffffffff80ull);
    CHECK_EQ(cpu->env.regs[3], 0xff80);
    CHECK_EQ(cpu->env.regs[4], 0xfffffffff234ff80ull);
    CHECK_EQ(cpu->env.scratch[1], 0xab);
}

/* ---- random programs: reference evaluator vs backend vs optimised */

typedef struct Rng {
    uint64_t s;
} Rng;

static uint64_t rnd(Rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static unsigned rndn(Rng *r, unsigned n)
{
    return (unsigned)(rnd(r) % n);
}

static uint64_t rnd_value(Rng *r)
{
    static const uint64_t special[] = {
        0, 1, 2, 7, 31, 32, 63, 64, M1, MIN64, 0x7fffffffffffffffull,
        0x80000000ull, 0xffffffff, 0x7fffffff, 0xffffffff80000000ull,
    };

    return rndn(r, 2) ? special[rndn(r, ARRAY_SIZE(special))] : rnd(r);
}

#define NB_RGLOBALS 8
#define NB_RLOCALS 6
#define MEM_SPAN 0x3000         /* guest bytes at TOY_RAM_BASE used */

static uint64_t helper_mix(uint64_t a, uint64_t b)
{
    return a * 31 + (b ^ (b >> 7));
}

/* Reads and writes every global of the random programs. */
static uint64_t helper_acc(uint64_t env, uint64_t a)
{
    ToyEnv *e = (void *)(uintptr_t)env;

    for (int i = 0; i < NB_RGLOBALS; i++) {
        e->regs[i] = e->regs[i] * 3 + (a ^ (uint64_t)i) + e->regs[(i + 1) % 8];
    }
    return e->regs[7] >> 1;
}

static const TCGHelperInfo info_mix = {
    .func = (void *)helper_mix, .name = "mix", .nargs = 2,
    .flags = TCG_CALL_PURE,
};
static const TCGHelperInfo info_acc = {
    .func = (void *)helper_acc, .name = "acc", .nargs = 2,
    .flags = TCG_CALL_NO_RAISE,
};

typedef struct Prog {
    TCGv locals[NB_RLOCALS];
    TCGv addr, counter;
    TCGLabel *open[8];
    unsigned nb_open;
} Prog;

static TCGv pick_src(Rng *r, Prog *p)
{
    switch (rndn(r, 3)) {
    case 0:
        return R(rndn(r, NB_RGLOBALS));
    case 1:
        return p->locals[rndn(r, NB_RLOCALS)];
    default:
        return tcg_constant((int64_t)rnd_value(r));
    }
}

static TCGv pick_dst(Rng *r, Prog *p)
{
    return rndn(r, 2) ? R(rndn(r, NB_RGLOBALS)) : p->locals[rndn(r, NB_RLOCALS)];
}

static TCGOpcode pick_opcode(Rng *r, unsigned flag)
{
    for (;;) {
        TCGOpcode opc = rndn(r, NB_OPS);

        if (tcg_op_defs[opc].flags & flag) {
            return opc;
        }
    }
}

static void gen_random_mem(Rng *r, Prog *p)
{
    unsigned mop = rndn(r, 4), size = 1u << mop;
    unsigned off = rndn(r, 8);

    /* an address in [base, base + 0x2000 + 8): may cross pages */
    tcg_gen_andi(p->addr, pick_src(r, p), 0x1ff8);
    if (off % size == 0 && rndn(r, 2)) {
        mop |= MO_ALIGN;
    }
    tcg_gen_addi(p->addr, p->addr, (int64_t)(TOY_RAM_BASE + off));
    if (rndn(r, 2)) {
        mop |= rndn(r, 2) ? MO_SIGN : 0;
        tcg_gen_qemu_ld(pick_dst(r, p), p->addr, 0, mop);
    } else {
        tcg_gen_qemu_st(pick_src(r, p), p->addr, 0, mop);
    }
}

static void gen_random_env(Rng *r, Prog *p)
{
    static const TCGOpcode lds[] = {
        INDEX_op_ld8u, INDEX_op_ld8s, INDEX_op_ld16u, INDEX_op_ld16s,
        INDEX_op_ld32u, INDEX_op_ld32s, INDEX_op_ld64,
    };
    static const TCGOpcode sts[] = {
        INDEX_op_st8, INDEX_op_st16, INDEX_op_st32, INDEX_op_st64,
    };
    /* the scratch fields, and now and then a global's field */
    ptrdiff_t off = rndn(r, 8) ? offsetof(ToyEnv, scratch[rndn(r, 4)])
                               : offsetof(ToyEnv, regs[rndn(r, NB_RGLOBALS)]);

    if (rndn(r, 2)) {
        tcg_gen_op2(lds[rndn(r, ARRAY_SIZE(lds))], pick_dst(r, p).idx,
                    (uint64_t)off);
    } else {
        tcg_gen_op2(sts[rndn(r, ARRAY_SIZE(sts))], pick_src(r, p).idx,
                    (uint64_t)off);
    }
}

static void gen_random_op(Rng *r, Prog *p)
{
    TCGv args[2];

    switch (rndn(r, 14)) {
    case 0: case 1: case 2: case 3:
        tcg_gen_op3(pick_opcode(r, OPF_BINARY), pick_dst(r, p).idx,
                    pick_src(r, p).idx, pick_src(r, p).idx);
        break;
    case 4:
        tcg_gen_op2(pick_opcode(r, OPF_UNARY), pick_dst(r, p).idx,
                    pick_src(r, p).idx);
        break;
    case 5:
        tcg_gen_mov(pick_dst(r, p), pick_src(r, p));
        break;
    case 6:
        tcg_gen_setcond(rndn(r, TCG_COND_COUNT), pick_dst(r, p),
                        pick_src(r, p), pick_src(r, p));
        break;
    case 7:
        tcg_gen_movcond(rndn(r, TCG_COND_COUNT), pick_dst(r, p),
                        pick_src(r, p), pick_src(r, p), pick_src(r, p),
                        pick_src(r, p));
        break;
    case 8:
        gen_random_mem(r, p);
        break;
    case 9:
        gen_random_env(r, p);
        break;
    case 10:
        args[0] = pick_src(r, p);
        args[1] = pick_src(r, p);
        tcg_gen_call(&info_mix, pick_dst(r, p), args);
        break;
    case 11:
        args[0] = tcg_env;
        args[1] = pick_src(r, p);
        tcg_gen_call(&info_acc, rndn(r, 2) ? pick_dst(r, p) : tcg_no_temp(),
                     args);
        break;
    default:
        if (p->nb_open < ARRAY_SIZE(p->open)) {
            TCGLabel *l = gen_new_label();

            p->open[p->nb_open++] = l;
            if (rndn(r, 4)) {
                tcg_gen_brcond(rndn(r, TCG_COND_COUNT), pick_src(r, p),
                               pick_src(r, p), l);
            } else {
                tcg_gen_br(l);
            }
        }
        break;
    }
}

static void gen_random_loop(Rng *r, Prog *p)
{
    TCGLabel *top = gen_new_label();
    unsigned n = 1 + rndn(r, 4);

    tcg_gen_movi(p->counter, 1 + rndn(r, 3));
    gen_set_label(top);
    for (unsigned i = 0; i < n; i++) {
        unsigned save = p->nb_open;

        p->nb_open = ARRAY_SIZE(p->open);     /* no branches in loops */
        gen_random_op(r, p);
        p->nb_open = save;
    }
    tcg_gen_subi(p->counter, p->counter, 1);
    tcg_gen_brcondi(TCG_COND_NE, p->counter, 0, top);
}

static void gen_random_program(uint64_t seed)
{
    Rng r = { seed * 0x9e3779b97f4a7c15ull + 1 };
    Prog p = { .nb_open = 0 };
    unsigned n = 10 + rndn(&r, 50);

    tcg_func_start();
    for (int i = 0; i < NB_RLOCALS; i++) {
        p.locals[i] = tcg_temp_new();
        tcg_gen_movi(p.locals[i], (int64_t)rnd_value(&r));
    }
    p.addr = tcg_temp_new();
    p.counter = tcg_temp_new();
    for (unsigned i = 0; i < n; i++) {
        if (p.nb_open && rndn(&r, 4) == 0) {
            gen_set_label(p.open[--p.nb_open]);
        }
        if (rndn(&r, 20) == 0) {
            gen_random_loop(&r, &p);
        } else {
            gen_random_op(&r, &p);
        }
    }
    while (p.nb_open) {
        gen_set_label(p.open[--p.nb_open]);
    }
    tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
    CHECK(!tcg_ctx->overflow);
}

/* The reference evaluator: interprets tcg_ctx's ops directly, with its
 * own definition of every op. */
static uint64_t ref_binary(TCGOpcode opc, uint64_t a, uint64_t b)
{
    int64_t sa = (int64_t)a, sb = (int64_t)b;
    int32_t wa = (int32_t)a, wb = (int32_t)b;
    uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
    unsigned s = b & 63, s32 = b & 31;

    switch (opc) {
    case INDEX_op_add: return a + b;
    case INDEX_op_sub: return a - b;
    case INDEX_op_and: return a & b;
    case INDEX_op_or: return a | b;
    case INDEX_op_xor: return a ^ b;
    case INDEX_op_andc: return a & ~b;
    case INDEX_op_orc: return a | ~b;
    case INDEX_op_eqv: return ~(a ^ b);
    case INDEX_op_shl: return a << s;
    case INDEX_op_shr: return a >> s;
    case INDEX_op_sar: return (uint64_t)(sa >> s);
    case INDEX_op_rotl: return s ? a << s | a >> (64 - s) : a;
    case INDEX_op_rotr: return s ? a >> s | a << (64 - s) : a;
    case INDEX_op_mul: return a * b;
    case INDEX_op_mulsh: return (uint64_t)(((__int128)sa * sb) >> 64);
    case INDEX_op_muluh:
        return (uint64_t)(((unsigned __int128)a * b) >> 64);
    case INDEX_op_mulsuh:
        return (uint64_t)(((__int128)sa * (__int128)(unsigned __int128)b) >>
                          64);
    case INDEX_op_div:
        return !b ? M1 : (a == MIN64 && sb == -1) ? a : (uint64_t)(sa / sb);
    case INDEX_op_rem:
        return !b ? a : (a == MIN64 && sb == -1) ? 0 : (uint64_t)(sa % sb);
    case INDEX_op_divu: return b ? a / b : M1;
    case INDEX_op_remu: return b ? a % b : a;
    case INDEX_op_min: return sa < sb ? a : b;
    case INDEX_op_max: return sa > sb ? a : b;
    case INDEX_op_minu: return a < b ? a : b;
    case INDEX_op_maxu: return a > b ? a : b;
    case INDEX_op_add32: return (uint64_t)(int64_t)(int32_t)(ua + ub);
    case INDEX_op_sub32: return (uint64_t)(int64_t)(int32_t)(ua - ub);
    case INDEX_op_mul32: return (uint64_t)(int64_t)(int32_t)(ua * ub);
    case INDEX_op_shl32: return (uint64_t)(int64_t)(int32_t)(ua << s32);
    case INDEX_op_shr32: return (uint64_t)(int64_t)(int32_t)(ua >> s32);
    case INDEX_op_sar32: return (uint64_t)(int64_t)(wa >> s32);
    case INDEX_op_rotl32:
        return (uint64_t)(int64_t)(int32_t)(s32 ? ua << s32 | ua >> (32 - s32)
                                                : ua);
    case INDEX_op_rotr32:
        return (uint64_t)(int64_t)(int32_t)(s32 ? ua >> s32 | ua << (32 - s32)
                                                : ua);
    case INDEX_op_div32:
        return !ub ? M1 : (ua == 0x80000000u && wb == -1)
               ? (uint64_t)(int64_t)wa : (uint64_t)(int64_t)(wa / wb);
    case INDEX_op_rem32:
        return !ub ? (uint64_t)(int64_t)wa : (ua == 0x80000000u && wb == -1)
               ? 0 : (uint64_t)(int64_t)(wa % wb);
    case INDEX_op_divu32:
        return !ub ? M1 : (uint64_t)(int64_t)(int32_t)(ua / ub);
    case INDEX_op_remu32:
        return (uint64_t)(int64_t)(int32_t)(ub ? ua % ub : ua);
    default:
        CHECK(0);
        return 0;
    }
}

static uint64_t ref_unary(TCGOpcode opc, uint64_t a)
{
    uint32_t ua = (uint32_t)a;

    switch (opc) {
    case INDEX_op_not: return ~a;
    case INDEX_op_neg: return -a;
    case INDEX_op_ext8s: return (uint64_t)(int64_t)(int8_t)a;
    case INDEX_op_ext16s: return (uint64_t)(int64_t)(int16_t)a;
    case INDEX_op_ext32s: return (uint64_t)(int64_t)(int32_t)a;
    case INDEX_op_ext8u: return a & 0xff;
    case INDEX_op_ext16u: return a & 0xffff;
    case INDEX_op_ext32u: return a & 0xffffffff;
    case INDEX_op_bswap16: return ((a & 0xff) << 8) | ((a >> 8) & 0xff);
    case INDEX_op_bswap32: return __builtin_bswap32(ua);
    case INDEX_op_bswap64: return __builtin_bswap64(a);
    case INDEX_op_clz: return a ? (uint64_t)__builtin_clzll(a) : 64;
    case INDEX_op_ctz: return a ? (uint64_t)__builtin_ctzll(a) : 64;
    case INDEX_op_ctpop: return (uint64_t)__builtin_popcountll(a);
    case INDEX_op_clz32: return ua ? (uint64_t)__builtin_clz(ua) : 32;
    case INDEX_op_ctz32: return ua ? (uint64_t)__builtin_ctz(ua) : 32;
    case INDEX_op_ctpop32: return (uint64_t)__builtin_popcount(ua);
    default:
        CHECK(0);
        return 0;
    }
}

typedef struct RefState {
    ToyEnv env;                 /* globals and env fields */
    uint8_t mem[MEM_SPAN];      /* guest RAM at TOY_RAM_BASE */
    uint64_t locals[TCG_MAX_TEMPS];
} RefState;

static uint64_t ref_get(RefState *st, uint64_t t)
{
    const TCGTemp *ts = &tcg_ctx->temps[t];

    switch (ts->kind) {
    case TEMP_CONST:
        return (uint64_t)ts->val;
    case TEMP_ENV:
        return (uintptr_t)&st->env;
    case TEMP_GLOBAL: {
        uint64_t v;

        memcpy(&v, (char *)&st->env + ts->mem_offset, 8);
        return v;
    }
    default:
        return st->locals[t];
    }
}

static void ref_set(RefState *st, uint64_t t, uint64_t v)
{
    const TCGTemp *ts = &tcg_ctx->temps[t];

    if (ts->kind == TEMP_GLOBAL) {
        memcpy((char *)&st->env + ts->mem_offset, &v, 8);
    } else {
        CHECK(ts->kind == TEMP_LOCAL);
        st->locals[t] = v;
    }
}

static void ref_mem(RefState *st, const TCGOp *op)
{
    unsigned mop = (unsigned)op->args[2], size = 1u << (mop & MO_SIZE);
    uint64_t addr = ref_get(st, op->args[1]) - TOY_RAM_BASE, v = 0;

    CHECK(addr + size <= MEM_SPAN);
    CHECK(!(mop & MO_ALIGN) || addr % size == 0);
    if (op->opc == INDEX_op_qemu_st) {
        v = ref_get(st, op->args[0]);
        for (unsigned i = 0; i < size; i++) {
            st->mem[addr + i] = (uint8_t)(v >> (8 * i));
        }
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)st->mem[addr + i] << (8 * i);
    }
    if ((mop & MO_SIGN) && size < 8) {
        v = (uint64_t)((int64_t)(v << (64 - 8 * size)) >> (64 - 8 * size));
    }
    ref_set(st, op->args[0], v);
}

static void ref_env(RefState *st, const TCGOp *op)
{
    char *p = (char *)&st->env + (ptrdiff_t)op->args[1];
    uint64_t v = 0;
    static const struct { unsigned size; bool sign; } ld[] = {
        [INDEX_op_ld8u] = { 1, false }, [INDEX_op_ld8s] = { 1, true },
        [INDEX_op_ld16u] = { 2, false }, [INDEX_op_ld16s] = { 2, true },
        [INDEX_op_ld32u] = { 4, false }, [INDEX_op_ld32s] = { 4, true },
        [INDEX_op_ld64] = { 8, false }, [INDEX_op_st8] = { 1, false },
        [INDEX_op_st16] = { 2, false }, [INDEX_op_st32] = { 4, false },
        [INDEX_op_st64] = { 8, false },
    };
    unsigned size = ld[op->opc].size;

    if (op->opc >= INDEX_op_st8) {
        v = ref_get(st, op->args[0]);
        memcpy(p, &v, size);        /* little-endian host */
        return;
    }
    memcpy(&v, p, size);
    if (ld[op->opc].sign) {
        v = (uint64_t)((int64_t)(v << (64 - 8 * size)) >> (64 - 8 * size));
    }
    ref_set(st, op->args[0], v);
}

static void ref_call(RefState *st, const TCGOp *op)
{
    const TCGHelperInfo *info = (const void *)(uintptr_t)op->args[7];
    uint64_t a0 = ref_get(st, op->args[1]), a1 = ref_get(st, op->args[2]);
    uint64_t v = ((uint64_t (*)(uint64_t, uint64_t))info->func)(a0, a1);

    if (op->args[0] != TCG_NO_TEMP) {
        ref_set(st, op->args[0], v);
    }
}

static void ref_run(RefState *st)
{
    uint32_t label_at[TCG_MAX_LABELS];

    for (uint32_t i = 0; i < tcg_ctx->nb_ops; i++) {
        if (tcg_ctx->ops[i].opc == INDEX_op_set_label) {
            label_at[tcg_ctx->ops[i].args[0]] = i;
        }
    }
    for (uint32_t i = 0; i < tcg_ctx->nb_ops; i++) {
        const TCGOp *op = &tcg_ctx->ops[i];
        const TCGOpDef *def = &tcg_op_defs[op->opc];
        uint64_t *a = (uint64_t *)op->args;

        if (def->flags & OPF_BINARY) {
            ref_set(st, a[0], ref_binary(op->opc, ref_get(st, a[1]),
                                         ref_get(st, a[2])));
            continue;
        }
        if (def->flags & OPF_UNARY) {
            ref_set(st, a[0], ref_unary(op->opc, ref_get(st, a[1])));
            continue;
        }
        switch (op->opc) {
        case INDEX_op_mov:
            ref_set(st, a[0], ref_get(st, a[1]));
            break;
        case INDEX_op_setcond:
            ref_set(st, a[0], ref_cond(a[3], ref_get(st, a[1]),
                                       ref_get(st, a[2])));
            break;
        case INDEX_op_movcond:
            ref_set(st, a[0], ref_get(st, ref_cond(a[5], ref_get(st, a[1]),
                                                   ref_get(st, a[2]))
                                          ? a[3] : a[4]));
            break;
        case INDEX_op_brcond:
            if (ref_cond(a[2], ref_get(st, a[0]), ref_get(st, a[1]))) {
                i = label_at[a[3]];
            }
            break;
        case INDEX_op_br:
            i = label_at[a[0]];
            break;
        case INDEX_op_qemu_ld:
        case INDEX_op_qemu_st:
            ref_mem(st, op);
            break;
        case INDEX_op_call:
            ref_call(st, op);
            break;
        case INDEX_op_exit_tb:
            return;
        case INDEX_op_set_label:
        case INDEX_op_nop:
            break;
        default:
            ref_env(st, op);
            break;
        }
    }
    CHECK(0);   /* every program ends in exit_tb */
}

static void random_state(uint64_t seed, ToyEnv *env, uint8_t *mem)
{
    Rng r = { seed ^ 0x5555555555555555ull };

    for (int i = 0; i < 16; i++) {
        env->regs[i] = rnd_value(&r);
    }
    for (int i = 0; i < 4; i++) {
        env->scratch[i] = rnd(&r);
    }
    for (unsigned i = 0; i < MEM_SPAN; i++) {
        mem[i] = (uint8_t)rnd(&r);
    }
}

static void set_cpu_state(uint64_t seed)
{
    uint8_t mem[MEM_SPAN];
    ToyEnv e;

    random_state(seed, &e, mem);
    memcpy(cpu->env.regs, e.regs, sizeof(e.regs));
    memcpy(cpu->env.scratch, e.scratch, sizeof(e.scratch));
    memcpy(toy_ram, mem, MEM_SPAN);
}

static void compare_or_die(uint64_t seed, const char *what,
                           const RefState *ref)
{
    bool same = !memcmp(cpu->env.regs, ref->env.regs, sizeof(ref->env.regs)) &&
                !memcmp(cpu->env.scratch, ref->env.scratch,
                        sizeof(ref->env.scratch)) &&
                !memcmp(toy_ram, ref->mem, MEM_SPAN);

    if (same) {
        return;
    }
    fprintf(stderr, "random program seed %" PRIu64 ": %s differs from the "
            "reference\n", seed, what);
    for (int i = 0; i < 16; i++) {
        if (cpu->env.regs[i] != ref->env.regs[i]) {
            fprintf(stderr, "  r%d: 0x%" PRIx64 " want 0x%" PRIx64 "\n", i,
                    cpu->env.regs[i], ref->env.regs[i]);
        }
    }
    gen_random_program(seed);
    tcg_dump_ops(tcg_ctx, "failing program");
    exit(1);
}

static void test_random_programs(void)
{
    static RefState ref;
    const char *env_seed = getenv("WEFT_TCG_SEED");
    uint64_t first = env_seed ? strtoull(env_seed, NULL, 0) : 1;
    unsigned count = env_seed ? 1 : 3000;
    unsigned long ops_before = 0, ops_after = 0;

    for (uint64_t seed = first; seed < first + count; seed++) {
        memset(&ref, 0, sizeof(ref));
        random_state(seed, &ref.env, ref.mem);
        gen_random_program(seed);
        ref_run(&ref);

        set_cpu_state(seed);
        gen_random_program(seed);
        run_block();
        compare_or_die(seed, "threaded, unoptimised", &ref);

        set_cpu_state(seed);
        gen_random_program(seed);
        ops_before += tcg_count_ops(tcg_ctx);
        tcg_optimize(tcg_ctx);
        ops_after += tcg_count_ops(tcg_ctx);
        run_block();
        compare_or_die(seed, "threaded, optimised", &ref);
    }
    printf("# %u random programs, optimiser kept %lu of %lu ops\n", count,
           ops_after, ops_before);
    CHECK(ops_after < ops_before);
}

int main(void)
{
    toy_init(1 << 20);
    cpu = toy_cpu_new();
    RUN(test_constant_folding);
    RUN(test_identities);
    RUN(test_copy_propagation);
    RUN(test_dead_code);
    RUN(test_branch_folding);
    RUN(test_dump);
    RUN(test_edge_semantics);
    RUN(test_conditions);
    RUN(test_env_access);
    RUN(test_random_programs);
    toy_cpu_free(cpu);
    return 0;
}
