/* Block-local optimiser.
 *
 * Pass 1 (forward): constant folding, algebraic identities, copy
 * propagation, folding of setcond/movcond/brcond with known outcome.
 * What is known about a temp is forgotten at every label (it may be
 * reached from elsewhere) and, for globals, at every helper call that may
 * write them.  A copy "t holds the value of s" is valid only while s has
 * not been written since: each temp carries a version number bumped at
 * every write, so invalidating all copies of s costs one increment.
 *
 * Pass 2 (backward): unreachable ops after br/exit_tb/goto_ptr are
 * dropped, unused labels removed, then a liveness walk removes ops whose
 * outputs are dead and that have no side effects.  Globals are live at
 * block exit, before memory ops (they may fault and the exception handler
 * sees env) and before helpers that read globals or may raise.  Locals
 * are dead at block exit; at a branch they are live if live at the
 * target (forward branches: the target's live set was saved when the
 * backward walk passed its label; backward branches: everything).
 *
 * Runs under the translation lock on tcg_ctx.
 */
#include <assert.h>
#include <string.h>

#include "tcg/ir.h"
#include "tcg/semantics.h"

#define NO_COPY UINT32_MAX

typedef struct TempInfo {
    bool is_const;
    uint64_t val;
    uint32_t copy_of;       /* NO_COPY or the temp this one equals... */
    uint32_t copy_version;  /* ...as long as its version is still this */
    uint32_t version;
} TempInfo;

static TempInfo temp_info[TCG_MAX_TEMPS];

static void info_reset_all(const TCGContext *s)
{
    for (uint32_t i = 0; i < s->nb_temps; i++) {
        TempInfo *ti = &temp_info[i];

        ti->is_const = s->temps[i].kind == TEMP_CONST;
        ti->val = (uint64_t)s->temps[i].val;
        ti->copy_of = NO_COPY;
    }
}

/* t is about to be written: forget what we knew, break copies of it. */
static void info_write(uint32_t t)
{
    TempInfo *ti = &temp_info[t];

    ti->is_const = false;
    ti->copy_of = NO_COPY;
    ti->version++;
}

static void info_write_globals(const TCGContext *s)
{
    for (uint32_t i = 0; i < s->nb_globals; i++) {
        if (s->temps[i].kind == TEMP_GLOBAL) {
            info_write(i);
        }
    }
}

/* A store to env at [off, off + size) may alias globals. */
static void info_store_env(const TCGContext *s, int64_t off, unsigned size)
{
    for (uint32_t i = 0; i < s->nb_globals; i++) {
        const TCGTemp *ts = &s->temps[i];

        if (ts->kind == TEMP_GLOBAL && ts->mem_offset < off + size &&
            off < ts->mem_offset + 8) {
            info_write(i);
        }
    }
}

/* The best equivalent of input t: a constant temp, the temp it copies,
 * or itself. */
static uint32_t resolve(uint32_t t)
{
    TempInfo *ti;

    if (t == TCG_NO_TEMP) {
        return t;
    }
    ti = &temp_info[t];
    if (ti->is_const && tcg_ctx->temps[t].kind != TEMP_CONST) {
        uint32_t c = tcg_constant((int64_t)ti->val).idx;

        if (c >= TCG_MAX_TEMPS - 1 || tcg_ctx->overflow) {
            return t;
        }
        temp_info[c].is_const = true;
        temp_info[c].val = ti->val;
        temp_info[c].copy_of = NO_COPY;
        return c;
    }
    if (ti->copy_of != NO_COPY &&
        temp_info[ti->copy_of].version == ti->copy_version) {
        return ti->copy_of;
    }
    return t;
}

static bool is_const(uint64_t t)
{
    return t != TCG_NO_TEMP && temp_info[t].is_const;
}

static bool is_const_val(uint64_t t, uint64_t v)
{
    return is_const(t) && temp_info[t].val == v;
}

/* Turns op into "mov d, src" and records the copy. */
static void make_mov(TCGOp *op, uint32_t src)
{
    uint32_t d = (uint32_t)op->args[0];

    op->opc = INDEX_op_mov;
    op->args[1] = src;
    info_write(d);
    if (d == src) {
        op->opc = INDEX_op_nop;
        return;
    }
    if (temp_info[src].is_const) {
        temp_info[d].is_const = true;
        temp_info[d].val = temp_info[src].val;
    } else {
        temp_info[d].copy_of = src;
        temp_info[d].copy_version = temp_info[src].version;
    }
}

static void make_movi(TCGOp *op, uint64_t val)
{
    TCGv c = tcg_constant((int64_t)val);

    temp_info[c.idx].is_const = true;
    temp_info[c.idx].val = val;
    temp_info[c.idx].copy_of = NO_COPY;
    make_mov(op, c.idx);
}

static void make_unary(TCGOp *op, TCGOpcode opc)
{
    op->opc = opc;
    info_write((uint32_t)op->args[0]);
}

/* Identities of a binary op with inputs a and b (b may be constant).
 * Returns true if op was rewritten. */
static bool fold_binary_identity(TCGOp *op)
{
    uint64_t a = op->args[1], b = op->args[2];
    bool b0 = is_const_val(b, 0), b1 = is_const_val(b, 1);
    bool bm1 = is_const_val(b, UINT64_MAX), same = a == b;

    switch (op->opc) {
    case INDEX_op_add: case INDEX_op_sub: case INDEX_op_or:
    case INDEX_op_xor: case INDEX_op_shl: case INDEX_op_shr:
    case INDEX_op_sar: case INDEX_op_rotl: case INDEX_op_rotr:
    case INDEX_op_andc:
        if (b0) {
            make_mov(op, a);
            return true;
        }
        break;
    case INDEX_op_add32: case INDEX_op_sub32: case INDEX_op_shl32:
    case INDEX_op_shr32: case INDEX_op_sar32: case INDEX_op_rotl32:
    case INDEX_op_rotr32:
        if (b0) {
            make_unary(op, INDEX_op_ext32s);
            return true;
        }
        break;
    case INDEX_op_mul32:
        if (b1) {
            make_unary(op, INDEX_op_ext32s);
            return true;
        }
        break;
    default:
        break;
    }

    switch (op->opc) {
    case INDEX_op_and:
        if (bm1 || same) {
            make_mov(op, a);
            return true;
        }
        break;
    case INDEX_op_or:
        if (same) {
            make_mov(op, a);
            return true;
        }
        if (bm1) {
            make_movi(op, UINT64_MAX);
            return true;
        }
        break;
    case INDEX_op_orc:
        if (bm1) {
            make_mov(op, a);
            return true;
        }
        break;
    case INDEX_op_mul: case INDEX_op_div: case INDEX_op_divu:
        if (b1) {
            make_mov(op, a);
            return true;
        }
        break;
    case INDEX_op_min: case INDEX_op_max: case INDEX_op_minu:
    case INDEX_op_maxu:
        if (same) {
            make_mov(op, a);
            return true;
        }
        break;
    default:
        break;
    }

    switch (op->opc) {
    case INDEX_op_and: case INDEX_op_mul: case INDEX_op_mul32:
    case INDEX_op_mulsh: case INDEX_op_muluh:
        if (b0) {
            make_movi(op, 0);
            return true;
        }
        break;
    case INDEX_op_sub: case INDEX_op_xor: case INDEX_op_andc:
    case INDEX_op_sub32:
        if (same) {
            make_movi(op, 0);
            return true;
        }
        break;
    case INDEX_op_eqv:
        if (same) {
            make_movi(op, UINT64_MAX);
            return true;
        }
        break;
    default:
        break;
    }
    return false;
}

static void fold_binary(TCGOp *op)
{
    const TCGOpDef *def = &tcg_op_defs[op->opc];

    /* Canonical form: a constant goes second. */
    if ((def->flags & OPF_COMMUTATIVE) && is_const(op->args[1]) &&
        !is_const(op->args[2])) {
        uint64_t t = op->args[1];

        op->args[1] = op->args[2];
        op->args[2] = t;
    }
    if (is_const(op->args[1]) && is_const(op->args[2])) {
        make_movi(op, tcg_eval_op(op->opc, temp_info[op->args[1]].val,
                                  temp_info[op->args[2]].val));
        return;
    }
    if (!fold_binary_identity(op)) {
        info_write((uint32_t)op->args[0]);
    }
}

static void fold_unary(TCGOp *op)
{
    if (is_const(op->args[1])) {
        make_movi(op, tcg_eval_op(op->opc, temp_info[op->args[1]].val, 0));
        return;
    }
    info_write((uint32_t)op->args[0]);
}

/* -1: unknown, else the outcome of a c b. */
static int cond_outcome(TCGCond c, uint64_t a, uint64_t b)
{
    if (c == TCG_COND_ALWAYS || c == TCG_COND_NEVER) {
        return c == TCG_COND_ALWAYS;
    }
    if (is_const(a) && is_const(b)) {
        return tcg_eval_cond(c, temp_info[a].val, temp_info[b].val);
    }
    if (a == b) {
        return tcg_eval_cond(c, 0, 0);
    }
    return -1;
}

static void fold_setcond(TCGOp *op)
{
    int r = cond_outcome((TCGCond)op->args[3], op->args[1], op->args[2]);

    if (r >= 0) {
        make_movi(op, (uint64_t)r);
    } else {
        info_write((uint32_t)op->args[0]);
    }
}

static void fold_movcond(TCGOp *op)
{
    int r = cond_outcome((TCGCond)op->args[5], op->args[1], op->args[2]);

    if (op->args[3] == op->args[4]) {
        r = 1;
    }
    if (r >= 0) {
        make_mov(op, (uint32_t)op->args[r ? 3 : 4]);
    } else {
        info_write((uint32_t)op->args[0]);
    }
}

static void fold_brcond(TCGOp *op)
{
    int r = cond_outcome((TCGCond)op->args[2], op->args[0], op->args[1]);

    if (r == 0) {
        op->opc = INDEX_op_nop;
    } else if (r == 1) {
        uint64_t label = op->args[3];

        op->opc = INDEX_op_br;
        memset(op->args, 0, sizeof(op->args));
        op->args[0] = label;
    }
}

static unsigned env_store_size(TCGOpcode opc)
{
    switch (opc) {
    case INDEX_op_st8:
        return 1;
    case INDEX_op_st16:
        return 2;
    case INDEX_op_st32:
        return 4;
    default:
        return 8;
    }
}

static void fold_call(const TCGContext *s, TCGOp *op)
{
    const TCGHelperInfo *info = (const void *)(uintptr_t)op->args[7];

    if (!(info->flags & TCG_CALL_NO_WRITE_GLOBALS)) {
        info_write_globals(s);
    }
    if (op->args[0] != TCG_NO_TEMP) {
        info_write((uint32_t)op->args[0]);
    }
}

static void substitute_inputs(TCGOp *op)
{
    const TCGOpDef *def = &tcg_op_defs[op->opc];

    for (unsigned i = 0; i < def->nb_iargs; i++) {
        uint64_t *arg = &op->args[def->nb_oargs + i];

        *arg = resolve((uint32_t)*arg);
    }
}

static void fold_op(TCGContext *s, TCGOp *op)
{
    const TCGOpDef *def = &tcg_op_defs[op->opc];

    substitute_inputs(op);
    if (def->flags & OPF_BINARY) {
        fold_binary(op);
        return;
    }
    if (def->flags & OPF_UNARY) {
        fold_unary(op);
        return;
    }
    switch (op->opc) {
    case INDEX_op_mov:
        make_mov(op, (uint32_t)op->args[1]);
        return;
    case INDEX_op_setcond:
        fold_setcond(op);
        return;
    case INDEX_op_movcond:
        fold_movcond(op);
        return;
    case INDEX_op_brcond:
        fold_brcond(op);
        return;
    case INDEX_op_set_label:
        info_reset_all(s);
        return;
    case INDEX_op_call:
        fold_call(s, op);
        return;
    case INDEX_op_st8: case INDEX_op_st16: case INDEX_op_st32:
    case INDEX_op_st64:
        info_store_env(s, (int64_t)op->args[1], env_store_size(op->opc));
        return;
    default:
        for (unsigned i = 0; i < def->nb_oargs; i++) {
            info_write((uint32_t)op->args[i]);
        }
    }
}

static void optimize_forward(TCGContext *s)
{
    for (uint32_t i = 0; i < s->nb_temps; i++) {
        temp_info[i].version = 0;
    }
    info_reset_all(s);
    for (uint32_t i = 0; i < s->nb_ops; i++) {
        if (s->ops[i].opc != INDEX_op_nop) {
            fold_op(s, &s->ops[i]);
        }
    }
}

/* ---- unreachable code and labels */

static void count_label_refs(TCGContext *s)
{
    for (uint32_t i = 0; i < s->nb_labels; i++) {
        s->labels[i].refs = 0;
    }
    for (uint32_t i = 0; i < s->nb_ops; i++) {
        TCGOp *op = &s->ops[i];

        if (op->opc == INDEX_op_br) {
            s->labels[op->args[0]].refs++;
        } else if (op->opc == INDEX_op_brcond) {
            s->labels[op->args[3]].refs++;
        }
    }
}

/* Drops ops after a no-return op up to the next used label, unused
 * labels, and "br L" directly before "set_label L".  Returns whether
 * anything changed. */
static bool remove_unreachable(TCGContext *s)
{
    bool dead = false, changed = false;

    count_label_refs(s);
    for (uint32_t i = 0; i < s->nb_ops; i++) {
        TCGOp *op = &s->ops[i];

        if (op->opc == INDEX_op_nop) {
            continue;
        }
        if (op->opc == INDEX_op_set_label) {
            if (!s->labels[op->args[0]].refs) {
                op->opc = INDEX_op_nop;
                changed = true;
                continue;
            }
            dead = false;
            continue;
        }
        if (dead) {
            if (op->opc == INDEX_op_br || op->opc == INDEX_op_brcond) {
                s->labels[op->args[op->opc == INDEX_op_br ? 0 : 3]].refs--;
            }
            op->opc = INDEX_op_nop;
            changed = true;
            continue;
        }
        if (op->opc == INDEX_op_br) {
            uint32_t j = i + 1;

            while (j < s->nb_ops && s->ops[j].opc == INDEX_op_nop) {
                j++;
            }
            if (j < s->nb_ops && s->ops[j].opc == INDEX_op_set_label &&
                s->ops[j].args[0] == op->args[0]) {
                s->labels[op->args[0]].refs--;
                op->opc = INDEX_op_nop;
                changed = true;
                continue;
            }
        }
        if (tcg_op_defs[op->opc].flags & OPF_NORETURN) {
            dead = true;
        }
    }
    return changed;
}

/* ---- liveness */

static uint8_t live[TCG_MAX_TEMPS];
static uint8_t label_live[TCG_MAX_LABELS][TCG_MAX_TEMPS];
static bool label_seen[TCG_MAX_LABELS];

static void live_set_globals(const TCGContext *s)
{
    for (uint32_t i = 0; i < s->nb_globals; i++) {
        live[i] = 1;
    }
}

static void live_block_exit(const TCGContext *s)
{
    memset(live, 0, s->nb_temps);
    live_set_globals(s);
}

static void live_branch_to(const TCGContext *s, uint64_t label, bool merge)
{
    if (!label_seen[label]) {
        /* backward branch: assume everything is live */
        memset(live, 1, s->nb_temps);
        return;
    }
    for (uint32_t i = 0; i < s->nb_temps; i++) {
        live[i] = (merge && live[i]) || label_live[label][i];
    }
}

static void live_inputs(TCGOp *op, unsigned first, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint64_t t = op->args[first + i];

        if (t == TCG_NO_TEMP) {
            continue;
        }
        if (!live[t]) {
            op->life |= 1u << i;
        }
        live[t] = 1;
    }
}

/* ld from env: a global whose field overlaps is read. */
static void live_env_load(const TCGContext *s, const TCGOp *op)
{
    int64_t off = (int64_t)op->args[1];

    for (uint32_t i = 0; i < s->nb_globals; i++) {
        const TCGTemp *ts = &s->temps[i];

        if (ts->kind == TEMP_GLOBAL && ts->mem_offset < off + 8 &&
            off < ts->mem_offset + 8) {
            live[i] = 1;
        }
    }
}

static void live_call(const TCGContext *s, TCGOp *op)
{
    const TCGHelperInfo *info = (const void *)(uintptr_t)op->args[7];
    uint64_t ret = op->args[0];

    if ((info->flags & TCG_CALL_NO_SIDE_EFFECTS) &&
        (ret == TCG_NO_TEMP || !live[ret])) {
        op->opc = INDEX_op_nop;
        return;
    }
    if (ret != TCG_NO_TEMP) {
        live[ret] = 0;
    }
    if (!(info->flags & TCG_CALL_NO_READ_GLOBALS) ||
        !(info->flags & TCG_CALL_NO_RAISE)) {
        live_set_globals(s);
    }
    live_inputs(op, 1, info->nargs);
}

static void live_op(const TCGContext *s, TCGOp *op)
{
    const TCGOpDef *def = &tcg_op_defs[op->opc];
    bool any_live = false;

    op->life = 0;
    switch (op->opc) {
    case INDEX_op_nop:
        return;
    case INDEX_op_discard:
        live[op->args[0]] = 0;
        op->opc = INDEX_op_nop;
        return;
    case INDEX_op_set_label:
        memcpy(label_live[op->args[0]], live, s->nb_temps);
        label_seen[op->args[0]] = true;
        return;
    case INDEX_op_br:
        live_branch_to(s, op->args[0], false);
        return;
    case INDEX_op_brcond:
        live_branch_to(s, op->args[3], true);
        live_inputs(op, 0, 2);
        return;
    case INDEX_op_exit_tb:
    case INDEX_op_goto_ptr:
        live_block_exit(s);
        return;
    case INDEX_op_call:
        live_call(s, op);
        return;
    default:
        break;
    }
    for (unsigned i = 0; i < def->nb_oargs; i++) {
        any_live |= live[op->args[i]];
    }
    if (def->nb_oargs && !any_live && !(def->flags & OPF_SIDE_EFFECTS)) {
        op->opc = INDEX_op_nop;
        return;
    }
    for (unsigned i = 0; i < def->nb_oargs; i++) {
        live[op->args[i]] = 0;
    }
    if (def->flags & OPF_MAY_FAULT) {
        live_set_globals(s);
    }
    if (def->flags & OPF_ENV_LOAD) {
        live_env_load(s, op);
    }
    live_inputs(op, def->nb_oargs, def->nb_iargs);
}

void tcg_liveness_dce(TCGContext *s)
{
    while (remove_unreachable(s)) {
    }
    memset(label_seen, 0, s->nb_labels * sizeof(label_seen[0]));
    live_block_exit(s);
    for (uint32_t i = s->nb_ops; i-- > 0;) {
        live_op(s, &s->ops[i]);
    }
    tcg_compact_ops(s);
}

void tcg_optimize(TCGContext *s)
{
    assert(s == tcg_ctx);
    if (s->overflow) {
        return;
    }
    optimize_forward(s);
    tcg_liveness_dce(s);
}
