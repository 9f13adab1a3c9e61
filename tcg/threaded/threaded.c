/* The portable backend: direct-threaded code.
 *
 * Each IR op becomes a short run of 8-byte words: the address of its
 * handler (a label inside tcg_threaded_run, reached with computed goto),
 * then its operands, decoded once at translation time:
 *  - every temp is an int32 offset from env: globals at their field,
 *    block temps in TCGCPUState.frame, the env temp at TCGCPUState.env;
 *    so one base register reaches them all and TBs are shared by vCPUs;
 *  - immediates are inline (reg-imm forms of binary ops, setcond, brcond);
 *  - branch targets and chained jumps are absolute pointers to words.
 * Handlers end with `goto *ip->h`: no switch, no bounds check.  Constants
 * that a form cannot take inline are first moved to scratch frame slots.
 *
 * Block layout: prologue (TB pointer; checks exit_request so that a kick
 * lands within one block even along chains), ops, and after the code the
 * TBInsnData table.  goto_tb n is [handler][next]: `next` points at the
 * following word while unchained and at the next block's prologue once
 * chained; it is read with acquire and patched with release.
 */
#include <assert.h>
#include <endian.h>
#include <string.h>

#include "tcg/semantics.h"
#include "tcg/tb.h"
#include "tcg/tcg.h"
#include "util/host-mem.h"

typedef union TInsn {
    const void *h;
    struct {
        int32_t x, y;
    } r;
    uint64_t imm;
    const union TInsn *target;
    void *p;
    uintptr_t u;
} TInsn;

_Static_assert(sizeof(TInsn) == 8, "threaded code words are 8 bytes");

/* ---- handler identifiers */

#define TH_FIXED(X)                                                      \
    X(prologue) X(exit) X(goto_tb) X(goto_ptr) X(br) X(mov) X(movi)      \
    X(ld8u) X(ld8s) X(ld16u) X(ld16s) X(ld32u) X(ld32s) X(ld64)          \
    X(st8) X(st16) X(st32) X(st64)                                       \
    X(qld_ub) X(qld_sb) X(qld_uw) X(qld_sw) X(qld_ul) X(qld_sl)          \
    X(qld_uq) X(qst_b) X(qst_w) X(qst_l) X(qst_q)                        \
    X(call0) X(call1) X(call2) X(call3) X(call4) X(call5) X(call6)

enum {
#define ID_FIXED(n) TH_##n,
#define ID_BIN(n, e) TH_bin_rr_##n, TH_bin_ri_##n,
#define ID_UN(n, e) TH_un_##n,
#define ID_COND(c, e) TH_setc_rr_##c, TH_setc_ri_##c, TH_brc_rr_##c, \
    TH_brc_ri_##c, TH_movc_##c,
    TH_FIXED(ID_FIXED)
    TCG_FOR_EACH_BINARY(ID_BIN)
    TCG_FOR_EACH_UNARY(ID_UN)
    TCG_FOR_EACH_COND(ID_COND)
#undef ID_FIXED
#undef ID_BIN
#undef ID_UN
#undef ID_COND
    TH_COUNT,
};

/* ---- the interpreter */

#define R(off)  (*(uint64_t *)(env + (off)))
#define NEXT()  goto *ip->h

static inline uint64_t extend(uint64_t v, unsigned size, bool sign)
{
    if (!sign || size == 8) {
        return v;
    }
    unsigned shift = 64 - 8 * size;

    return (uint64_t)((int64_t)(v << shift) >> shift);
}

typedef uint64_t helper0(void);
typedef uint64_t helper1(uint64_t);
typedef uint64_t helper2(uint64_t, uint64_t);
typedef uint64_t helper3(uint64_t, uint64_t, uint64_t);
typedef uint64_t helper4(uint64_t, uint64_t, uint64_t, uint64_t);
typedef uint64_t helper5(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
typedef uint64_t helper6(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                         uint64_t);

/* Looks up the next block for goto_ptr; in cpu-exec.c. */
const void *tcg_lookup_tb_code(CPUState *cpu);

static const void *const *handler_table;

/* With ip == NULL: publishes the handler table and returns 0. */
static uintptr_t __attribute__((noinline))
tcg_threaded_run(CPUState *cpu, const TInsn *ip)
{
    static const void *const table[TH_COUNT] = {
#define TAB_FIXED(n) [TH_##n] = &&L_##n,
#define TAB_BIN(n, e) [TH_bin_rr_##n] = &&L_bin_rr_##n, \
        [TH_bin_ri_##n] = &&L_bin_ri_##n,
#define TAB_UN(n, e) [TH_un_##n] = &&L_un_##n,
#define TAB_COND(c, e) [TH_setc_rr_##c] = &&L_setc_rr_##c, \
        [TH_setc_ri_##c] = &&L_setc_ri_##c, [TH_brc_rr_##c] = &&L_brc_rr_##c, \
        [TH_brc_ri_##c] = &&L_brc_ri_##c, [TH_movc_##c] = &&L_movc_##c,
        TH_FIXED(TAB_FIXED)
        TCG_FOR_EACH_BINARY(TAB_BIN)
        TCG_FOR_EACH_UNARY(TAB_UN)
        TCG_FOR_EACH_COND(TAB_COND)
#undef TAB_FIXED
#undef TAB_BIN
#undef TAB_UN
#undef TAB_COND
    };
    char *env;
    TCGCPUState *ts;
    const uint32_t *exit_request;
    uintptr_t cur_tb = 0;

    if (!ip) {
        handler_table = table;
        return 0;
    }
    env = tcg_cpu_env(cpu);
    ts = tcg_env_state(env);
    exit_request = &cpu->exit_request;
    NEXT();

L_prologue:
    cur_tb = ip[1].u;
    if (unlikely(atomic_read(exit_request))) {
        return cur_tb | TB_EXIT_REQUESTED;
    }
    ip += 2;
    NEXT();
L_exit:
    return cur_tb | ip[1].u;
L_goto_tb:
    ip = __atomic_load_n(&ip[1].target, __ATOMIC_ACQUIRE);
    NEXT();
L_goto_ptr: {
        const TInsn *next = tcg_lookup_tb_code(cpu);

        if (!next) {
            return cur_tb | TB_EXIT_NOCHAIN;
        }
        ip = next;
        NEXT();
    }
L_br:
    ip = ip[1].target;
    NEXT();
L_mov:
    R(ip[1].r.x) = R(ip[1].r.y);
    ip += 2;
    NEXT();
L_movi:
    R(ip[1].r.x) = ip[2].imm;
    ip += 3;
    NEXT();

#define BIN(n, expr)                                                     \
L_bin_rr_##n: {                                                          \
        uint64_t a = R(ip[1].r.y), b = R(ip[2].r.x);                     \
        R(ip[1].r.x) = (expr);                                           \
        ip += 3;                                                         \
        NEXT();                                                          \
    }                                                                    \
L_bin_ri_##n: {                                                          \
        uint64_t a = R(ip[1].r.y), b = ip[2].imm;                        \
        R(ip[1].r.x) = (expr);                                           \
        ip += 3;                                                         \
        NEXT();                                                          \
    }
    TCG_FOR_EACH_BINARY(BIN)
#undef BIN

#define UN(n, expr)                                                      \
L_un_##n: {                                                              \
        uint64_t a = R(ip[1].r.y);                                       \
        R(ip[1].r.x) = (expr);                                           \
        ip += 2;                                                         \
        NEXT();                                                          \
    }
    TCG_FOR_EACH_UNARY(UN)
#undef UN

#define COND(c, expr)                                                    \
L_setc_rr_##c: {                                                         \
        uint64_t a = R(ip[1].r.y), b = R(ip[2].r.x);                     \
        R(ip[1].r.x) = (expr);                                           \
        ip += 3;                                                         \
        NEXT();                                                          \
    }                                                                    \
L_setc_ri_##c: {                                                         \
        uint64_t a = R(ip[1].r.y), b = ip[2].imm;                        \
        R(ip[1].r.x) = (expr);                                           \
        ip += 3;                                                         \
        NEXT();                                                          \
    }                                                                    \
L_brc_rr_##c: {                                                          \
        uint64_t a = R(ip[1].r.x), b = R(ip[1].r.y);                     \
        ip = (expr) ? ip[2].target : ip + 3;                             \
        NEXT();                                                          \
    }                                                                    \
L_brc_ri_##c: {                                                          \
        uint64_t a = R(ip[1].r.x), b = ip[2].imm;                        \
        ip = (expr) ? ip[3].target : ip + 4;                             \
        NEXT();                                                          \
    }                                                                    \
L_movc_##c: {                                                            \
        uint64_t a = R(ip[1].r.y), b = R(ip[2].r.x);                     \
        R(ip[1].r.x) = (expr) ? R(ip[2].r.y) : R(ip[3].r.x);             \
        ip += 4;                                                         \
        NEXT();                                                          \
    }
    TCG_FOR_EACH_COND(COND)
#undef COND

#define LDENV(n, type)                                                   \
L_##n:                                                                   \
    R(ip[1].r.x) = (uint64_t)(int64_t)*(type *)(env + ip[1].r.y);        \
    ip += 2;                                                             \
    NEXT();
    LDENV(ld8u, uint8_t)
    LDENV(ld8s, int8_t)
    LDENV(ld16u, uint16_t)
    LDENV(ld16s, int16_t)
    LDENV(ld32u, uint32_t)
    LDENV(ld32s, int32_t)
    LDENV(ld64, uint64_t)
#undef LDENV
#define STENV(n, type)                                                   \
L_##n:                                                                   \
    *(type *)(env + ip[1].r.y) = (type)R(ip[1].r.x);                     \
    ip += 2;                                                             \
    NEXT();
    STENV(st8, uint8_t)
    STENV(st16, uint16_t)
    STENV(st32, uint32_t)
    STENV(st64, uint64_t)
#undef STENV

    /* Guest memory.  ip[2].r.x: env offset of the mmu index's TLB table;
     * ip[2].r.y: memop | mmu_idx << 8. */
#define QLD(n, size, sign)                                               \
L_qld_##n: {                                                             \
        uint64_t addr = R(ip[1].r.y), v;                                 \
        uint32_t mo = (uint32_t)ip[2].r.y;                               \
        const CPUTLBEntry *e = (const CPUTLBEntry *)(env + ip[2].r.x) +  \
                               tlb_index(addr);                          \
        unsigned a_mask = mo & MO_ALIGN ? size - 1 : 0;                  \
        if (likely(tlb_compare_value(addr, size, a_mask) ==              \
                   atomic_read(&e->addr_read))) {                        \
            v = ldn_le_p((void *)(uintptr_t)(addr + e->addend), size);    \
            R(ip[1].r.x) = extend(v, size, sign);                        \
        } else if (tcg_softmmu_ld(cpu, addr, mo & 0xff, mo >> 8, &v)) {  \
            R(ip[1].r.x) = v;                                            \
        } else {                                                         \
            goto fault;                                                  \
        }                                                                \
        ip += 3;                                                         \
        NEXT();                                                          \
    }
    QLD(ub, 1, false)
    QLD(sb, 1, true)
    QLD(uw, 2, false)
    QLD(sw, 2, true)
    QLD(ul, 4, false)
    QLD(sl, 4, true)
    QLD(uq, 8, false)
#undef QLD
#define QST(n, size)                                                     \
L_qst_##n: {                                                             \
        uint64_t val = R(ip[1].r.x), addr = R(ip[1].r.y);                \
        uint32_t mo = (uint32_t)ip[2].r.y;                               \
        const CPUTLBEntry *e = (const CPUTLBEntry *)(env + ip[2].r.x) +  \
                               tlb_index(addr);                          \
        unsigned a_mask = mo & MO_ALIGN ? size - 1 : 0;                  \
        if (likely(tlb_compare_value(addr, size, a_mask) ==              \
                   atomic_read(&e->addr_write))) {                       \
            stn_le_p((void *)(uintptr_t)(addr + e->addend), size, val);   \
        } else if (!tcg_softmmu_st(cpu, addr, mo & 0xff, mo >> 8, val)) { \
            goto fault;                                                  \
        }                                                                \
        ip += 3;                                                         \
        NEXT();                                                          \
    }
    QST(b, 1)
    QST(w, 2)
    QST(l, 4)
    QST(q, 8)
#undef QST

    /* Calls: [h][func][ret, -][args as pairs of offsets] */
#define CALL(n, words, ...)                                              \
L_call##n:                                                               \
    R(ip[2].r.x) = ((helper##n *)ip[1].p)(__VA_ARGS__);                  \
    if (unlikely(ts->exception_index != EXCP_NONE)) {                    \
        goto fault;                                                      \
    }                                                                    \
    ip += 3 + (words);                                                   \
    NEXT();
    CALL(0, 0)
    CALL(1, 1, R(ip[3].r.x))
    CALL(2, 1, R(ip[3].r.x), R(ip[3].r.y))
    CALL(3, 2, R(ip[3].r.x), R(ip[3].r.y), R(ip[4].r.x))
    CALL(4, 2, R(ip[3].r.x), R(ip[3].r.y), R(ip[4].r.x), R(ip[4].r.y))
    CALL(5, 3, R(ip[3].r.x), R(ip[3].r.y), R(ip[4].r.x), R(ip[4].r.y),
         R(ip[5].r.x))
    CALL(6, 3, R(ip[3].r.x), R(ip[3].r.y), R(ip[4].r.x), R(ip[4].r.y),
         R(ip[5].r.x), R(ip[5].r.y))
#undef CALL

fault:
    ts->fault_pc = (uintptr_t)ip;
    return cur_tb | TB_EXIT_NOCHAIN;
}

static uintptr_t threaded_exec(CPUState *cpu, const void *code)
{
    return tcg_threaded_run(cpu, code);
}

/* ---- code generation */

typedef struct Fixup {
    TInsn *slot;
    uint32_t label;
} Fixup;

typedef struct Gen {
    TCGContext *s;
    TranslationBlock *tb;
    TInsn *buf, *p, *end;
    bool overflow;
    int32_t frame_off;          /* env offset of frame[0] */
    int32_t env_slot_off;       /* env offset of TCGCPUState.env */
    int32_t tlb_off[TCG_NB_MMU_MODES];
    const TInsn *label_pos[TCG_MAX_LABELS];
    Fixup fixups[TCG_MAX_OPS];
    uint32_t nb_fixups;
    TBInsnData insns[TCG_MAX_OPS];
    uint32_t nb_insns;
} Gen;

static Gen gen_state;   /* under the translation lock */

static void gen_init_table(void)
{
    if (!atomic_load_acquire(&handler_table)) {
        tcg_threaded_run(NULL, NULL);
    }
}

static TInsn *emit_words(Gen *g, unsigned n)
{
    TInsn *w = g->p;

    if (g->end - g->p < (ptrdiff_t)n) {
        g->overflow = true;
        g->p = g->buf;      /* keep writing somewhere harmless */
        return g->buf;
    }
    g->p += n;
    memset(w, 0, n * sizeof(*w));
    return w;
}

static TInsn *emit_h(Gen *g, unsigned id, unsigned n)
{
    TInsn *w = emit_words(g, n);

    w[0].h = handler_table[id];
    return w;
}

static int32_t scratch(Gen *g, unsigned k)
{
    return g->frame_off + (int32_t)((TCG_MAX_TEMPS + k) * 8);
}

static bool arg_is_const(Gen *g, uint64_t t)
{
    return g->s->temps[t].kind == TEMP_CONST;
}

static uint64_t arg_val(Gen *g, uint64_t t)
{
    return (uint64_t)g->s->temps[t].val;
}

/* Operand offset of temp t; a constant is materialised in scratch k. */
static int32_t opnd(Gen *g, uint64_t t, unsigned k)
{
    const TCGTemp *ts = &g->s->temps[t];
    TInsn *w;

    switch (ts->kind) {
    case TEMP_GLOBAL:
        return ts->mem_offset;
    case TEMP_ENV:
        return g->env_slot_off;
    case TEMP_LOCAL:
        return g->frame_off + (int32_t)((t - g->s->nb_globals) * 8);
    default:
        w = emit_h(g, TH_movi, 3);
        w[1].r.x = scratch(g, k);
        w[2].imm = (uint64_t)ts->val;
        return scratch(g, k);
    }
}

static void emit_movi(Gen *g, uint64_t d, uint64_t val)
{
    TInsn *w;
    int32_t dst = opnd(g, d, 0);

    w = emit_h(g, TH_movi, 3);
    w[1].r.x = dst;
    w[2].imm = val;
}

static void emit_branch_target(Gen *g, TInsn *slot, uint32_t label)
{
    if (g->label_pos[label]) {
        slot->target = g->label_pos[label];
    } else {
        g->fixups[g->nb_fixups].slot = slot;
        g->fixups[g->nb_fixups].label = label;
        g->nb_fixups++;
    }
}

static void emit_br(Gen *g, uint32_t label)
{
    TInsn *w = emit_h(g, TH_br, 2);

    emit_branch_target(g, &w[1], label);
}

#define H_BIN(n, e) [INDEX_op_##n] = { TH_bin_rr_##n, TH_bin_ri_##n },
static const uint16_t bin_handlers[NB_OPS][2] = {
    TCG_FOR_EACH_BINARY(H_BIN)
};
#undef H_BIN
#define H_UN(n, e) [INDEX_op_##n] = TH_un_##n,
static const uint16_t un_handlers[NB_OPS] = {
    TCG_FOR_EACH_UNARY(H_UN)
};
#undef H_UN
/* per condition: setcond rr, ri, brcond rr, ri, movcond */
#define H_COND(c, e) [TCG_COND_##c] = { TH_setc_rr_##c, TH_setc_ri_##c, \
    TH_brc_rr_##c, TH_brc_ri_##c, TH_movc_##c },
static const uint16_t cond_handlers[TCG_COND_COUNT][5] = {
    TCG_FOR_EACH_COND(H_COND)
};
#undef H_COND

static void gen_binary(Gen *g, const TCGOp *op)
{
    const TCGOpDef *def = &tcg_op_defs[op->opc];
    uint64_t a = op->args[1], b = op->args[2];
    int32_t d, ra;
    TInsn *w;

    if (arg_is_const(g, a) && arg_is_const(g, b)) {
        emit_movi(g, op->args[0],
                  tcg_eval_op(op->opc, arg_val(g, a), arg_val(g, b)));
        return;
    }
    if (arg_is_const(g, a) && (def->flags & OPF_COMMUTATIVE)) {
        uint64_t t = a;

        a = b;
        b = t;
    }
    ra = opnd(g, a, 0);
    d = opnd(g, op->args[0], 1);
    if (arg_is_const(g, b)) {
        w = emit_h(g, bin_handlers[op->opc][1], 3);
        w[2].imm = arg_val(g, b);
    } else {
        int32_t rb = opnd(g, b, 1);

        w = emit_h(g, bin_handlers[op->opc][0], 3);
        w[2].r.x = rb;
    }
    w[1].r.x = d;
    w[1].r.y = ra;
}

static void gen_unary(Gen *g, const TCGOp *op)
{
    int32_t a, d;
    TInsn *w;

    if (arg_is_const(g, op->args[1])) {
        emit_movi(g, op->args[0],
                  tcg_eval_op(op->opc, arg_val(g, op->args[1]), 0));
        return;
    }
    a = opnd(g, op->args[1], 0);
    d = opnd(g, op->args[0], 1);
    w = emit_h(g, op->opc == INDEX_op_mov ? TH_mov : un_handlers[op->opc], 2);
    w[1].r.x = d;
    w[1].r.y = a;
}

static void gen_mov(Gen *g, const TCGOp *op)
{
    if (arg_is_const(g, op->args[1])) {
        emit_movi(g, op->args[0], arg_val(g, op->args[1]));
        return;
    }
    gen_unary(g, op);
}

/* Normalises (c, a, b) so that a constant, if any, is b.  Returns -1/0/1:
 * outcome known (0, 1) or not (-1). */
static int gen_cond_args(Gen *g, TCGCond *c, uint64_t *a, uint64_t *b)
{
    if (*c == TCG_COND_ALWAYS || *c == TCG_COND_NEVER) {
        return *c == TCG_COND_ALWAYS;
    }
    if (arg_is_const(g, *a) && arg_is_const(g, *b)) {
        return tcg_eval_cond(*c, arg_val(g, *a), arg_val(g, *b));
    }
    if (arg_is_const(g, *a)) {
        uint64_t t = *a;

        *a = *b;
        *b = t;
        *c = tcg_cond_swap(*c);
    }
    return -1;
}

static void gen_setcond(Gen *g, const TCGOp *op)
{
    TCGCond c = (TCGCond)op->args[3];
    uint64_t a = op->args[1], b = op->args[2];
    int known = gen_cond_args(g, &c, &a, &b);
    int32_t ra, d;
    TInsn *w;

    if (known >= 0) {
        emit_movi(g, op->args[0], (uint64_t)known);
        return;
    }
    ra = opnd(g, a, 0);
    d = opnd(g, op->args[0], 1);
    if (arg_is_const(g, b)) {
        w = emit_h(g, cond_handlers[c][1], 3);
        w[2].imm = arg_val(g, b);
    } else {
        int32_t rb = opnd(g, b, 1);

        w = emit_h(g, cond_handlers[c][0], 3);
        w[2].r.x = rb;
    }
    w[1].r.x = d;
    w[1].r.y = ra;
}

static void gen_brcond(Gen *g, const TCGOp *op)
{
    TCGCond c = (TCGCond)op->args[2];
    uint64_t a = op->args[0], b = op->args[1];
    int known = gen_cond_args(g, &c, &a, &b);
    int32_t ra;
    TInsn *w;

    if (known == 0) {
        return;
    }
    if (known == 1) {
        emit_br(g, (uint32_t)op->args[3]);
        return;
    }
    ra = opnd(g, a, 0);
    if (arg_is_const(g, b)) {
        w = emit_h(g, cond_handlers[c][3], 4);
        w[2].imm = arg_val(g, b);
        emit_branch_target(g, &w[3], (uint32_t)op->args[3]);
    } else {
        int32_t rb = opnd(g, b, 1);

        w = emit_h(g, cond_handlers[c][2], 3);
        w[1].r.y = rb;
        emit_branch_target(g, &w[2], (uint32_t)op->args[3]);
    }
    w[1].r.x = ra;
}

static void gen_movcond(Gen *g, const TCGOp *op)
{
    TCGCond c = (TCGCond)op->args[5];
    uint64_t a = op->args[1], b = op->args[2];
    int known = gen_cond_args(g, &c, &a, &b);
    int32_t r[5];
    TInsn *w;

    if (known >= 0) {
        TCGOp mov = { .opc = INDEX_op_mov };

        mov.args[0] = op->args[0];
        mov.args[1] = op->args[known ? 3 : 4];
        gen_mov(g, &mov);
        return;
    }
    r[1] = opnd(g, a, 1);
    r[2] = opnd(g, b, 2);
    r[3] = opnd(g, op->args[3], 3);
    r[4] = opnd(g, op->args[4], 4);
    r[0] = opnd(g, op->args[0], 0);
    w = emit_h(g, cond_handlers[c][4], 4);
    w[1].r.x = r[0];
    w[1].r.y = r[1];
    w[2].r.x = r[2];
    w[2].r.y = r[3];
    w[3].r.x = r[4];
}

static void gen_env_access(Gen *g, const TCGOp *op)
{
    static const uint16_t ids[NB_OPS] = {
        [INDEX_op_ld8u] = TH_ld8u, [INDEX_op_ld8s] = TH_ld8s,
        [INDEX_op_ld16u] = TH_ld16u, [INDEX_op_ld16s] = TH_ld16s,
        [INDEX_op_ld32u] = TH_ld32u, [INDEX_op_ld32s] = TH_ld32s,
        [INDEX_op_ld64] = TH_ld64, [INDEX_op_st8] = TH_st8,
        [INDEX_op_st16] = TH_st16, [INDEX_op_st32] = TH_st32,
        [INDEX_op_st64] = TH_st64,
    };
    int32_t r = opnd(g, op->args[0], 0);
    TInsn *w = emit_h(g, ids[op->opc], 2);

    w[1].r.x = r;
    w[1].r.y = (int32_t)op->args[1];
}

static void gen_qemu_access(Gen *g, const TCGOp *op)
{
    static const uint16_t ld_ids[8] = {
        TH_qld_ub, TH_qld_uw, TH_qld_ul, TH_qld_uq,
        TH_qld_sb, TH_qld_sw, TH_qld_sl, TH_qld_uq,
    };
    static const uint16_t st_ids[4] = { TH_qst_b, TH_qst_w, TH_qst_l,
                                        TH_qst_q };
    unsigned mop = (unsigned)op->args[2], mmu_idx = (unsigned)op->args[3];
    bool is_ld = op->opc == INDEX_op_qemu_ld;
    int32_t addr = opnd(g, op->args[1], 0);
    int32_t val = opnd(g, op->args[0], 1);
    TInsn *w;

    assert(mmu_idx < TCG_NB_MMU_MODES);
    w = emit_h(g, is_ld ? ld_ids[mop & (MO_SIZE | MO_SIGN)]
                        : st_ids[mop & MO_SIZE], 3);
    w[1].r.x = val;
    w[1].r.y = addr;
    w[2].r.x = g->tlb_off[mmu_idx];
    w[2].r.y = (int32_t)((mop & 0xff) | mmu_idx << 8);
}

static void gen_call(Gen *g, const TCGOp *op)
{
    const TCGHelperInfo *info = (const void *)(uintptr_t)op->args[7];
    unsigned n = info->nargs;
    int32_t args[TCG_MAX_HELPER_ARGS] = { 0 }, ret;
    TInsn *w;

    for (unsigned i = 0; i < n; i++) {
        args[i] = opnd(g, op->args[1 + i], i);
    }
    ret = op->args[0] == TCG_NO_TEMP ? scratch(g, TCG_FRAME_SCRATCH - 1)
                                     : opnd(g, op->args[0], 7);
    w = emit_h(g, TH_call0 + n, 3 + (n + 1) / 2);
    w[1].p = info->func;
    w[2].r.x = ret;
    for (unsigned i = 0; i < n; i++) {
        if (i & 1) {
            w[3 + i / 2].r.y = args[i];
        } else {
            w[3 + i / 2].r.x = args[i];
        }
    }
}

static void gen_goto_tb(Gen *g, unsigned n)
{
    TInsn *w = emit_h(g, TH_goto_tb, 2);

    assert(n < 2);
    w[1].target = w + 2;
    g->tb->jmp_target_addr[n] = (uintptr_t)&w[1];
    g->tb->jmp_reset[n] = (uintptr_t)(w + 2);
}

static void gen_insn_start(Gen *g, const TCGOp *op)
{
    TBInsnData *d = &g->insns[g->nb_insns++];

    d->code_offset = (uint32_t)((g->p - g->buf) * sizeof(TInsn));
    d->data[0] = op->args[0];
    d->data[1] = op->args[1];
}

static void gen_op(Gen *g, const TCGOp *op)
{
    const TCGOpDef *def = &tcg_op_defs[op->opc];
    TInsn *w;

    if (def->flags & OPF_BINARY) {
        gen_binary(g, op);
        return;
    }
    if (def->flags & OPF_UNARY) {
        gen_unary(g, op);
        return;
    }
    switch (op->opc) {
    case INDEX_op_nop:
    case INDEX_op_discard:
        break;
    case INDEX_op_insn_start:
        gen_insn_start(g, op);
        break;
    case INDEX_op_set_label:
        g->label_pos[op->args[0]] = g->p;
        break;
    case INDEX_op_br:
        emit_br(g, (uint32_t)op->args[0]);
        break;
    case INDEX_op_brcond:
        gen_brcond(g, op);
        break;
    case INDEX_op_mov:
        gen_mov(g, op);
        break;
    case INDEX_op_setcond:
        gen_setcond(g, op);
        break;
    case INDEX_op_movcond:
        gen_movcond(g, op);
        break;
    case INDEX_op_goto_tb:
        gen_goto_tb(g, (unsigned)op->args[0]);
        break;
    case INDEX_op_exit_tb:
        w = emit_h(g, TH_exit, 2);
        w[1].u = op->args[0] & TB_EXIT_MASK;
        break;
    case INDEX_op_goto_ptr:
        emit_h(g, TH_goto_ptr, 1);
        break;
    case INDEX_op_call:
        gen_call(g, op);
        break;
    case INDEX_op_qemu_ld:
    case INDEX_op_qemu_st:
        gen_qemu_access(g, op);
        break;
    default:
        assert(def->flags & OPF_ENV_LOAD || (op->opc >= INDEX_op_st8 &&
                                             op->opc <= INDEX_op_st64));
        gen_env_access(g, op);
        break;
    }
}

static void gen_setup(Gen *g, TCGContext *s, TranslationBlock *tb,
                      void *buf, size_t size)
{
    ptrdiff_t ts_off = tcg_cpu_ops->tcg_state_offset;

    gen_init_table();
    g->s = s;
    g->tb = tb;
    g->buf = g->p = buf;
    g->end = g->buf + size / sizeof(TInsn);
    g->overflow = false;
    g->nb_fixups = 0;
    g->nb_insns = 0;
    g->frame_off = (int32_t)(ts_off + offsetof(TCGCPUState, frame));
    g->env_slot_off = (int32_t)(ts_off + offsetof(TCGCPUState, env));
    for (int i = 0; i < TCG_NB_MMU_MODES; i++) {
        g->tlb_off[i] = (int32_t)(ts_off + offsetof(TCGCPUState, tlb) +
                                  offsetof(CPUTLB, d[i].table));
    }
    memset(g->label_pos, 0, s->nb_labels * sizeof(g->label_pos[0]));
    tb->jmp_target_addr[0] = tb->jmp_target_addr[1] = 0;
    tb->jmp_reset[0] = tb->jmp_reset[1] = 0;
}

static ssize_t threaded_gen_code(TCGContext *s, TranslationBlock *tb,
                                 void *buf, size_t size)
{
    Gen *g = &gen_state;
    TInsn *w;
    size_t code_bytes, table_bytes;

    gen_setup(g, s, tb, buf, size);
    w = emit_h(g, TH_prologue, 2);
    w[1].u = (uintptr_t)tb;
    for (uint32_t i = 0; i < s->nb_ops && !g->overflow; i++) {
        gen_op(g, &s->ops[i]);
    }
    if (g->overflow) {
        return -1;
    }
    for (uint32_t i = 0; i < g->nb_fixups; i++) {
        const TInsn *target = g->label_pos[g->fixups[i].label];

        assert(target);     /* every branched-to label was set */
        g->fixups[i].slot->target = target;
    }
    code_bytes = (size_t)(g->p - g->buf) * sizeof(TInsn);
    table_bytes = g->nb_insns * sizeof(TBInsnData);
    if (code_bytes + table_bytes > size) {
        return -1;
    }
    memcpy((char *)buf + code_bytes, g->insns, table_bytes);
    tb->tc_ptr = buf;
    tb->tc_size = (uint32_t)code_bytes;
    tb->insn_data = (const TBInsnData *)((char *)buf + code_bytes);
    tb->insn_count = g->nb_insns;
    return (ssize_t)(code_bytes + table_bytes);
}

static void threaded_set_jmp_target(TranslationBlock *tb, int n,
                                    uintptr_t target)
{
    atomic_store_release((uintptr_t *)tb->jmp_target_addr[n], target);
}

const TCGBackend tcg_threaded_backend = {
    .name = "threaded",
    .gen_code = threaded_gen_code,
    .exec = threaded_exec,
    .set_jmp_target = threaded_set_jmp_target,
};
