/* IR context, temps, labels, op emission and -d op dumps. */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tcg/ir.h"
#include "tcg/semantics.h"
#include "util/log.h"

const TCGOpDef tcg_op_defs[NB_OPS] = {
#define DEF(n, o, i, c, f) [INDEX_op_##n] = { #n, o, i, c, f },
#include "tcg/ir-ops.h"
#undef DEF
};

static TCGContext tcg_ctx_storage;
TCGContext *tcg_ctx = &tcg_ctx_storage;
TCGv tcg_env;

static const char *const cond_names[TCG_COND_COUNT] = {
    "never", "always", "eq", "ne", "lt", "ge", "le", "gt",
    "ltu", "geu", "leu", "gtu",
};

TCGCond tcg_cond_invert(TCGCond c)
{
    static const TCGCond inv[TCG_COND_COUNT] = {
        [TCG_COND_NEVER] = TCG_COND_ALWAYS, [TCG_COND_ALWAYS] = TCG_COND_NEVER,
        [TCG_COND_EQ] = TCG_COND_NE, [TCG_COND_NE] = TCG_COND_EQ,
        [TCG_COND_LT] = TCG_COND_GE, [TCG_COND_GE] = TCG_COND_LT,
        [TCG_COND_LE] = TCG_COND_GT, [TCG_COND_GT] = TCG_COND_LE,
        [TCG_COND_LTU] = TCG_COND_GEU, [TCG_COND_GEU] = TCG_COND_LTU,
        [TCG_COND_LEU] = TCG_COND_GTU, [TCG_COND_GTU] = TCG_COND_LEU,
    };
    return inv[c];
}

TCGCond tcg_cond_swap(TCGCond c)
{
    static const TCGCond swp[TCG_COND_COUNT] = {
        [TCG_COND_NEVER] = TCG_COND_NEVER, [TCG_COND_ALWAYS] = TCG_COND_ALWAYS,
        [TCG_COND_EQ] = TCG_COND_EQ, [TCG_COND_NE] = TCG_COND_NE,
        [TCG_COND_LT] = TCG_COND_GT, [TCG_COND_GE] = TCG_COND_LE,
        [TCG_COND_LE] = TCG_COND_GE, [TCG_COND_GT] = TCG_COND_LT,
        [TCG_COND_LTU] = TCG_COND_GTU, [TCG_COND_GEU] = TCG_COND_LEU,
        [TCG_COND_LEU] = TCG_COND_GEU, [TCG_COND_GTU] = TCG_COND_LTU,
    };
    return swp[c];
}

bool tcg_eval_cond(TCGCond c, uint64_t a, uint64_t b)
{
    switch (c) {
    case TCG_COND_NEVER:
        return false;
    case TCG_COND_ALWAYS:
        return true;
#define COND_CASE(name, expr) case TCG_COND_##name: return expr;
    TCG_FOR_EACH_COND(COND_CASE)
#undef COND_CASE
    default:
        assert(0);
        return false;
    }
}

uint64_t tcg_eval_op(TCGOpcode opc, uint64_t a, uint64_t b)
{
    switch (opc) {
#define EVAL_CASE(name, expr) case INDEX_op_##name: return expr;
    TCG_FOR_EACH_BINARY(EVAL_CASE)
    TCG_FOR_EACH_UNARY(EVAL_CASE)
#undef EVAL_CASE
    default:
        assert(0);
        return 0;
    }
}

/* ---- temps */

static uint32_t temp_alloc(TCGTempKind kind)
{
    TCGContext *s = tcg_ctx;
    uint32_t idx;

    if (s->nb_temps >= TCG_MAX_TEMPS) {
        /* Keep going on a junk temp; the caller sees s->overflow. */
        s->overflow = true;
        return s->nb_globals;
    }
    idx = s->nb_temps++;
    memset(&s->temps[idx], 0, sizeof(s->temps[idx]));
    s->temps[idx].kind = kind;
    return idx;
}

void tcg_context_init(void)
{
    TCGContext *s = tcg_ctx;

    memset(s, 0, sizeof(*s));
    tcg_env.idx = temp_alloc(TEMP_ENV);
    s->temps[tcg_env.idx].name = "env";
    s->nb_globals = s->nb_temps;
}

TCGv tcg_global_mem_new(ptrdiff_t offset, const char *name)
{
    TCGContext *s = tcg_ctx;
    TCGv t;

    /* Globals must all come before the first block. */
    assert(s->nb_temps == s->nb_globals && s->nb_globals < TCG_MAX_GLOBALS);
    assert(offset == (int32_t)offset);
    t.idx = temp_alloc(TEMP_GLOBAL);
    s->temps[t.idx].mem_offset = (int32_t)offset;
    s->temps[t.idx].name = name;
    s->nb_globals = s->nb_temps;
    return t;
}

void tcg_func_start(void)
{
    TCGContext *s = tcg_ctx;

    s->nb_temps = s->nb_globals;
    s->nb_free_locals = 0;
    s->nb_ops = 0;
    s->nb_labels = 0;
    s->overflow = false;
    memset(s->const_table, 0xff, sizeof(s->const_table));
}

TCGv tcg_temp_new(void)
{
    TCGContext *s = tcg_ctx;
    TCGv t;

    if (s->nb_free_locals) {
        t.idx = s->free_locals[--s->nb_free_locals];
    } else {
        t.idx = temp_alloc(TEMP_LOCAL);
    }
    s->temps[t.idx].allocated = true;
    return t;
}

void tcg_temp_free(TCGv t)
{
    TCGContext *s = tcg_ctx;
    TCGTemp *ts = &s->temps[t.idx];

    if (ts->kind != TEMP_LOCAL) {
        return;         /* freeing a constant or global is harmless */
    }
    assert(ts->allocated);
    ts->allocated = false;
    s->free_locals[s->nb_free_locals++] = t.idx;
}

TCGv tcg_constant(int64_t val)
{
    TCGContext *s = tcg_ctx;
    uint32_t mask = ARRAY_SIZE(s->const_table) - 1;
    uint32_t h = (uint32_t)(((uint64_t)val * 0x9e3779b97f4a7c15ull) >> 40);
    TCGv t;

    for (;; h++) {
        uint32_t idx = s->const_table[h & mask];

        if (idx == UINT32_MAX) {
            break;
        }
        if (s->temps[idx].val == val) {
            t.idx = idx;
            return t;
        }
    }
    t.idx = temp_alloc(TEMP_CONST);
    s->temps[t.idx].val = val;
    if (!s->overflow) {
        s->const_table[h & mask] = t.idx;
    }
    return t;
}

TCGLabel *gen_new_label(void)
{
    TCGContext *s = tcg_ctx;
    TCGLabel *l;

    if (s->nb_labels >= TCG_MAX_LABELS) {
        s->overflow = true;
        return &s->labels[0];
    }
    l = &s->labels[s->nb_labels];
    memset(l, 0, sizeof(*l));
    l->id = s->nb_labels++;
    return l;
}

/* ---- emission */

TCGOp *tcg_emit_op(TCGOpcode opc, int nargs, const uint64_t *args)
{
    TCGContext *s = tcg_ctx;
    TCGOp *op;

    if (s->nb_ops >= TCG_MAX_OPS) {
        s->overflow = true;
        return &s->ops[TCG_MAX_OPS - 1];
    }
    op = &s->ops[s->nb_ops++];
    memset(op, 0, sizeof(*op));
    op->opc = opc;
    for (int i = 0; i < nargs; i++) {
        op->args[i] = args[i];
    }
    return op;
}

void tcg_gen_op1(TCGOpcode opc, uint64_t a0)
{
    tcg_emit_op(opc, 1, &a0);
}

void tcg_gen_op2(TCGOpcode opc, uint64_t a0, uint64_t a1)
{
    uint64_t a[] = { a0, a1 };

    tcg_emit_op(opc, 2, a);
}

void tcg_gen_op3(TCGOpcode opc, uint64_t a0, uint64_t a1, uint64_t a2)
{
    uint64_t a[] = { a0, a1, a2 };

    tcg_emit_op(opc, 3, a);
}

void tcg_gen_op4(TCGOpcode opc, uint64_t a0, uint64_t a1, uint64_t a2,
                 uint64_t a3)
{
    uint64_t a[] = { a0, a1, a2, a3 };

    tcg_emit_op(opc, 4, a);
}

void tcg_gen_op6(TCGOpcode opc, uint64_t a0, uint64_t a1, uint64_t a2,
                 uint64_t a3, uint64_t a4, uint64_t a5)
{
    uint64_t a[] = { a0, a1, a2, a3, a4, a5 };

    tcg_emit_op(opc, 6, a);
}

void tcg_gen_brcond(TCGCond c, TCGv a, TCGv b, TCGLabel *l)
{
    if (c == TCG_COND_NEVER) {
        return;
    }
    if (!l->present) {
        /* forward reference: the usual case */
    } else {
        l->has_backward_ref = true;
    }
    tcg_gen_op4(INDEX_op_brcond, a.idx, b.idx, c, l->id);
}

void tcg_gen_br(TCGLabel *l)
{
    if (l->present) {
        l->has_backward_ref = true;
    }
    tcg_gen_op1(INDEX_op_br, l->id);
}

void gen_set_label(TCGLabel *l)
{
    assert(!l->present);
    l->present = true;
    tcg_gen_op1(INDEX_op_set_label, l->id);
}

void tcg_gen_call(const TCGHelperInfo *info, TCGv ret, const TCGv *args)
{
    uint64_t a[TCG_MAX_OP_ARGS];

    assert(info->nargs <= TCG_MAX_HELPER_ARGS);
    a[0] = ret.idx;
    for (unsigned i = 0; i < TCG_MAX_HELPER_ARGS; i++) {
        a[1 + i] = i < info->nargs ? args[i].idx : TCG_NO_TEMP;
    }
    a[7] = (uintptr_t)info;
    tcg_emit_op(INDEX_op_call, TCG_MAX_OP_ARGS, a);
}

/* ---- inspection */

unsigned tcg_count_ops(const TCGContext *s)
{
    unsigned n = 0;

    for (uint32_t i = 0; i < s->nb_ops; i++) {
        n += s->ops[i].opc != INDEX_op_nop;
    }
    return n;
}

unsigned tcg_count_op(const TCGContext *s, TCGOpcode opc)
{
    unsigned n = 0;

    for (uint32_t i = 0; i < s->nb_ops; i++) {
        n += s->ops[i].opc == opc;
    }
    return n;
}

void tcg_compact_ops(TCGContext *s)
{
    uint32_t j = 0;

    for (uint32_t i = 0; i < s->nb_ops; i++) {
        if (s->ops[i].opc != INDEX_op_nop) {
            s->ops[j++] = s->ops[i];
        }
    }
    s->nb_ops = j;
}

static int temp_name(const TCGContext *s, uint64_t idx, char *buf, size_t n)
{
    const TCGTemp *ts;

    if (idx == TCG_NO_TEMP) {
        return snprintf(buf, n, "-");
    }
    ts = &s->temps[idx];
    switch (ts->kind) {
    case TEMP_GLOBAL:
    case TEMP_ENV:
        return snprintf(buf, n, "%s", ts->name);
    case TEMP_CONST:
        return snprintf(buf, n, "$0x%" PRIx64, (uint64_t)ts->val);
    default:
        return snprintf(buf, n, "tmp%u", (unsigned)(idx - s->nb_globals));
    }
}

static void dump_const_args(const TCGContext *s, const TCGOp *op,
                            const TCGOpDef *def, char *p, char *end)
{
    const uint64_t *c = &op->args[def->nb_oargs + def->nb_iargs];

    switch (op->opc) {
    case INDEX_op_brcond:
        snprintf(p, end - p, ",%s,$L%u", cond_names[c[0]], (unsigned)c[1]);
        return;
    case INDEX_op_setcond:
    case INDEX_op_movcond:
        snprintf(p, end - p, ",%s", cond_names[c[0]]);
        return;
    case INDEX_op_set_label:
    case INDEX_op_br:
        snprintf(p, end - p, "$L%u", (unsigned)c[0]);
        return;
    case INDEX_op_insn_start:
        snprintf(p, end - p, "pc=0x%" PRIx64, c[0]);
        return;
    case INDEX_op_qemu_ld:
    case INDEX_op_qemu_st:
        snprintf(p, end - p, ",mop=0x%x,mmu=%u", (unsigned)c[0],
                 (unsigned)c[1]);
        return;
    default:
        for (unsigned i = 0; i < def->nb_cargs; i++) {
            p += snprintf(p, end - p, "%s$0x%" PRIx64,
                          i || def->nb_oargs + def->nb_iargs ? "," : "",
                          c[i]);
        }
    }
}

static void dump_op(const TCGContext *s, const TCGOp *op)
{
    const TCGOpDef *def = &tcg_op_defs[op->opc];
    char buf[256], *p = buf, *end = buf + sizeof(buf);

    if (op->opc == INDEX_op_call) {
        const TCGHelperInfo *info = (const void *)(uintptr_t)op->args[7];

        p += snprintf(p, end - p, " call %s,", info->name);
        p += temp_name(s, op->args[0], p, end - p);
        for (unsigned i = 0; i < info->nargs; i++) {
            *p++ = ',';
            p += temp_name(s, op->args[1 + i], p, end - p);
        }
        log_printf("%s\n", buf);
        return;
    }
    if (op->opc == INDEX_op_insn_start) {
        p += snprintf(p, end - p, " ----");
    }
    p += snprintf(p, end - p, " %s ", def->name);
    for (unsigned i = 0; i < def->nb_oargs + def->nb_iargs; i++) {
        if (i) {
            *p++ = ',';
        }
        p += temp_name(s, op->args[i], p, end - p);
    }
    dump_const_args(s, op, def, p, end);
    log_printf("%s\n", buf);
}

void tcg_dump_ops(const TCGContext *s, const char *title)
{
    log_printf("OP%s%s:\n", title ? " " : "", title ? title : "");
    for (uint32_t i = 0; i < s->nb_ops; i++) {
        if (s->ops[i].opc != INDEX_op_nop) {
            dump_op(s, &s->ops[i]);
        }
    }
    log_printf("\n");
}
