/* The translator's intermediate representation (IR) and its builder.
 *
 * A front end fills one TCGContext per translation block with ops on
 * 64-bit temporaries:
 *  - globals: fields of the guest CPU state, at a fixed offset from the
 *    env pointer, registered once (tcg_global_mem_new) and shared by every
 *    block;
 *  - locals: block-local values (tcg_temp_new), live across labels inside
 *    the block, dead at its end;
 *  - constants (tcg_constant), deduplicated per block;
 *  - tcg_env: the env pointer itself, for helper arguments.
 * Op semantics are listed in tcg/ir-ops.h.  Backends and the optimiser
 * consume the op array; nothing here depends on the guest or the host.
 *
 * The context is global and belongs to the holder of the translation lock
 * (tcg/tb-maint.c); only code that runs under it may call the builder.
 */
#ifndef TCG_IR_H
#define TCG_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum TCGOpcode {
#define DEF(name, oargs, iargs, cargs, flags) INDEX_op_##name,
#include "tcg/ir-ops.h"
#undef DEF
    NB_OPS,
} TCGOpcode;

/* Op flags in tcg_op_defs[].flags */
enum {
    OPF_BB_END       = 1u << 0,  /* ends a basic block (label, branch) */
    OPF_SIDE_EFFECTS = 1u << 1,  /* never removed by dead-code elimination */
    OPF_NORETURN     = 1u << 2,  /* control does not fall through */
    OPF_CALL         = 1u << 3,
    OPF_MAY_FAULT    = 1u << 4,  /* may leave the block with an exception */
    OPF_BINARY       = 1u << 5,  /* d = f(a, b), pure */
    OPF_UNARY        = 1u << 6,  /* d = f(a), pure */
    OPF_COMMUTATIVE  = 1u << 7,
    OPF_ENV_LOAD     = 1u << 8,  /* d = *(env + c0) */
};

typedef struct TCGOpDef {
    const char *name;
    uint8_t nb_oargs, nb_iargs, nb_cargs;
    uint16_t flags;
} TCGOpDef;

extern const TCGOpDef tcg_op_defs[NB_OPS];

/* Comparison conditions of setcond, movcond and brcond, on 64 bits. */
typedef enum TCGCond {
    TCG_COND_NEVER,
    TCG_COND_ALWAYS,
    TCG_COND_EQ,
    TCG_COND_NE,
    TCG_COND_LT,
    TCG_COND_GE,
    TCG_COND_LE,
    TCG_COND_GT,
    TCG_COND_LTU,
    TCG_COND_GEU,
    TCG_COND_LEU,
    TCG_COND_GTU,
    TCG_COND_COUNT,
} TCGCond;

TCGCond tcg_cond_invert(TCGCond c);     /* !(a c b) == (a inv b) */
TCGCond tcg_cond_swap(TCGCond c);       /* (a c b) == (b swap a) */

/* Guest memory access descriptor of qemu_ld/qemu_st.  Guests are
 * little-endian (RISC-V, x86). */
typedef enum MemOp {
    MO_8 = 0,
    MO_16 = 1,
    MO_32 = 2,
    MO_64 = 3,
    MO_SIZE = 3,
    MO_SIGN = 4,        /* loads: sign-extend to 64 bits */
    MO_ALIGN = 8,       /* natural alignment required, else the
                           architecture's unaligned hook raises */
    MO_UB = MO_8, MO_UW = MO_16, MO_UL = MO_32, MO_UQ = MO_64,
    MO_SB = MO_8 | MO_SIGN, MO_SW = MO_16 | MO_SIGN, MO_SL = MO_32 | MO_SIGN,
} MemOp;

static inline unsigned memop_size(MemOp mop)
{
    return 1u << (mop & MO_SIZE);
}

typedef enum TCGTempKind {
    TEMP_GLOBAL,
    TEMP_LOCAL,
    TEMP_CONST,
    TEMP_ENV,
} TCGTempKind;

typedef struct TCGTemp {
    uint8_t kind;           /* TCGTempKind */
    bool allocated;         /* locals: in use (not on the free list) */
    int32_t mem_offset;     /* globals: offset from env */
    int64_t val;            /* constants */
    const char *name;       /* globals */
} TCGTemp;

/* A handle on a temp; a struct so that an integer cannot be passed by
 * mistake where a value is expected. */
typedef struct TCGv {
    uint32_t idx;
} TCGv;

typedef struct TCGLabel TCGLabel;

/* A helper is a C function taking nargs uint64_t arguments and returning
 * uint64_t (0 if it has no result).  Pointers travel as uint64_t; pass
 * tcg_env to give a helper the env pointer.
 *
 * Exceptions: a helper raises by calling tcg_raise_exception() (tcg.h)
 * and returning.  The backend checks after every call not flagged
 * TCG_CALL_NO_RAISE and leaves the block; the guest state is then
 * restored from the insn_start of the raising instruction. */
enum {
    TCG_CALL_NO_READ_GLOBALS  = 1u << 0,  /* reads no global from env */
    TCG_CALL_NO_WRITE_GLOBALS = 1u << 1,  /* writes no global in env */
    TCG_CALL_NO_SIDE_EFFECTS  = 1u << 2,  /* pure: removable if unused */
    TCG_CALL_NO_RAISE         = 1u << 3,  /* never raises */
    /* a pure function of its arguments */
    TCG_CALL_PURE = TCG_CALL_NO_READ_GLOBALS | TCG_CALL_NO_WRITE_GLOBALS |
                    TCG_CALL_NO_SIDE_EFFECTS | TCG_CALL_NO_RAISE,
};

#define TCG_MAX_HELPER_ARGS 6

typedef struct TCGHelperInfo {
    void *func;
    const char *name;
    unsigned flags;
    unsigned nargs;
} TCGHelperInfo;

/* Argument layout of an op: outputs, inputs, then constant arguments.
 * call: args[0] = result temp or TCG_NO_TEMP, args[1..6] inputs,
 *       args[7] = (uintptr_t)const TCGHelperInfo *. */
#define TCG_MAX_OP_ARGS 8
#define TCG_NO_TEMP UINT32_MAX

typedef struct TCGOp {
    uint16_t opc;
    uint16_t pad;
    uint32_t life;          /* optimiser: bit i set = input i dies here */
    uint64_t args[TCG_MAX_OP_ARGS];
} TCGOp;

struct TCGLabel {
    uint32_t id;
    bool present;           /* set_label emitted */
    bool has_backward_ref;  /* a branch to it precedes it */
    uint32_t refs;          /* branches to it, kept by the optimiser */
};

/* Limits for one block.  The front end stops the block when
 * tcg_op_buf_full() says so. */
#define TCG_MAX_TEMPS   1024    /* globals + locals + constants */
#define TCG_MAX_OPS     8192
#define TCG_MAX_LABELS  512
#define TCG_MAX_GLOBALS 256

typedef struct TCGContext {
    /* Globals occupy temps[0 .. nb_globals-1] and survive
     * tcg_func_start(); everything after is per block. */
    TCGTemp temps[TCG_MAX_TEMPS];
    uint32_t nb_globals;
    uint32_t nb_temps;
    uint32_t free_locals[TCG_MAX_TEMPS];   /* stack of freed locals */
    uint32_t nb_free_locals;

    TCGOp ops[TCG_MAX_OPS];
    uint32_t nb_ops;

    TCGLabel labels[TCG_MAX_LABELS];
    uint32_t nb_labels;

    /* constants: open-addressed table from value to temp index */
    uint32_t const_table[2 * TCG_MAX_TEMPS];

    bool overflow;          /* a limit was hit: the block is unusable */
} TCGContext;

extern TCGContext *tcg_ctx;
/* The env temp: helper argument carrying the env pointer. */
extern TCGv tcg_env;

/* Once at start-up (before any global is registered). */
void tcg_context_init(void);
/* Registers a 64-bit global at env + offset.  Before any translation. */
TCGv tcg_global_mem_new(ptrdiff_t offset, const char *name);
/* Starts a new block: drops every local, constant, label and op. */
void tcg_func_start(void);

TCGv tcg_temp_new(void);
/* Optional: lets a later tcg_temp_new() reuse the index. */
void tcg_temp_free(TCGv t);
TCGv tcg_constant(int64_t val);
TCGLabel *gen_new_label(void);

static inline TCGTemp *tcg_temp(TCGv t)
{
    return &tcg_ctx->temps[t.idx];
}
static inline bool tcg_temp_is_const(TCGv t)
{
    return tcg_temp(t)->kind == TEMP_CONST;
}
static inline TCGLabel *tcg_label(uint64_t arg)
{
    return &tcg_ctx->labels[arg];
}

/* True when fewer than `room` ops are left: end the block now. */
static inline bool tcg_op_buf_full(void)
{
    return tcg_ctx->nb_ops + 256 >= TCG_MAX_OPS ||
           tcg_ctx->nb_temps + 64 >= TCG_MAX_TEMPS;
}

/* ---- raw emission */
TCGOp *tcg_emit_op(TCGOpcode opc, int nargs, const uint64_t *args);
void tcg_gen_op1(TCGOpcode opc, uint64_t a0);
void tcg_gen_op2(TCGOpcode opc, uint64_t a0, uint64_t a1);
void tcg_gen_op3(TCGOpcode opc, uint64_t a0, uint64_t a1, uint64_t a2);
void tcg_gen_op4(TCGOpcode opc, uint64_t a0, uint64_t a1, uint64_t a2,
                 uint64_t a3);
void tcg_gen_op6(TCGOpcode opc, uint64_t a0, uint64_t a1, uint64_t a2,
                 uint64_t a3, uint64_t a4, uint64_t a5);

/* ---- builder: tcg_gen_OP(dest, src...) */
#define TCG_BINOP(name)                                                  \
    static inline void tcg_gen_##name(TCGv d, TCGv a, TCGv b)            \
    {                                                                    \
        tcg_gen_op3(INDEX_op_##name, d.idx, a.idx, b.idx);               \
    }                                                                    \
    static inline void tcg_gen_##name##i(TCGv d, TCGv a, int64_t imm)    \
    {                                                                    \
        tcg_gen_op3(INDEX_op_##name, d.idx, a.idx, tcg_constant(imm).idx); \
    }
#define TCG_UNOP(name)                                                   \
    static inline void tcg_gen_##name(TCGv d, TCGv a)                    \
    {                                                                    \
        tcg_gen_op2(INDEX_op_##name, d.idx, a.idx);                      \
    }
#define TCG_LDOP(name)                                                   \
    static inline void tcg_gen_##name(TCGv d, ptrdiff_t offset)          \
    {                                                                    \
        tcg_gen_op2(INDEX_op_##name, d.idx, (uint64_t)offset);           \
    }
#define TCG_STOP(name)                                                   \
    static inline void tcg_gen_##name(TCGv v, ptrdiff_t offset)          \
    {                                                                    \
        tcg_gen_op2(INDEX_op_##name, v.idx, (uint64_t)offset);           \
    }

TCG_BINOP(add) TCG_BINOP(sub) TCG_BINOP(and) TCG_BINOP(or) TCG_BINOP(xor)
TCG_BINOP(andc) TCG_BINOP(orc) TCG_BINOP(eqv)
TCG_BINOP(shl) TCG_BINOP(shr) TCG_BINOP(sar) TCG_BINOP(rotl) TCG_BINOP(rotr)
TCG_BINOP(mul) TCG_BINOP(mulsh) TCG_BINOP(muluh) TCG_BINOP(mulsuh)
TCG_BINOP(div) TCG_BINOP(divu) TCG_BINOP(rem) TCG_BINOP(remu)
TCG_BINOP(min) TCG_BINOP(minu) TCG_BINOP(max) TCG_BINOP(maxu)
TCG_BINOP(add32) TCG_BINOP(sub32) TCG_BINOP(mul32)
TCG_BINOP(shl32) TCG_BINOP(shr32) TCG_BINOP(sar32)
TCG_BINOP(rotl32) TCG_BINOP(rotr32)
TCG_BINOP(div32) TCG_BINOP(divu32) TCG_BINOP(rem32) TCG_BINOP(remu32)
TCG_UNOP(not) TCG_UNOP(neg)
TCG_UNOP(ext8s) TCG_UNOP(ext16s) TCG_UNOP(ext32s)
TCG_UNOP(ext8u) TCG_UNOP(ext16u) TCG_UNOP(ext32u)
TCG_UNOP(bswap16) TCG_UNOP(bswap32) TCG_UNOP(bswap64)
TCG_UNOP(clz) TCG_UNOP(ctz) TCG_UNOP(ctpop)
TCG_UNOP(clz32) TCG_UNOP(ctz32) TCG_UNOP(ctpop32)
TCG_UNOP(mov)
TCG_LDOP(ld8u) TCG_LDOP(ld8s) TCG_LDOP(ld16u) TCG_LDOP(ld16s)
TCG_LDOP(ld32u) TCG_LDOP(ld32s) TCG_LDOP(ld64)
TCG_STOP(st8) TCG_STOP(st16) TCG_STOP(st32) TCG_STOP(st64)

#undef TCG_BINOP
#undef TCG_UNOP
#undef TCG_LDOP
#undef TCG_STOP

static inline void tcg_gen_movi(TCGv d, int64_t imm)
{
    tcg_gen_op2(INDEX_op_mov, d.idx, tcg_constant(imm).idx);
}
static inline void tcg_gen_setcond(TCGCond c, TCGv d, TCGv a, TCGv b)
{
    tcg_gen_op4(INDEX_op_setcond, d.idx, a.idx, b.idx, c);
}
static inline void tcg_gen_setcondi(TCGCond c, TCGv d, TCGv a, int64_t imm)
{
    tcg_gen_setcond(c, d, a, tcg_constant(imm));
}
/* d = cond(c1, c2) ? v1 : v2 */
static inline void tcg_gen_movcond(TCGCond c, TCGv d, TCGv c1, TCGv c2,
                                   TCGv v1, TCGv v2)
{
    tcg_gen_op6(INDEX_op_movcond, d.idx, c1.idx, c2.idx, v1.idx, v2.idx, c);
}
void tcg_gen_brcond(TCGCond c, TCGv a, TCGv b, TCGLabel *l);
static inline void tcg_gen_brcondi(TCGCond c, TCGv a, int64_t imm,
                                   TCGLabel *l)
{
    tcg_gen_brcond(c, a, tcg_constant(imm), l);
}
void tcg_gen_br(TCGLabel *l);
void gen_set_label(TCGLabel *l);
static inline void tcg_gen_discard(TCGv t)
{
    tcg_gen_op1(INDEX_op_discard, t.idx);
}

/* Guest memory: val = [addr] / [addr] = val, through the softmmu TLB of
 * mmu_idx.  Exceptions (page fault, misalignment) leave the block. */
static inline void tcg_gen_qemu_ld(TCGv val, TCGv addr, int mmu_idx,
                                   MemOp mop)
{
    tcg_gen_op4(INDEX_op_qemu_ld, val.idx, addr.idx, mop, mmu_idx);
}
static inline void tcg_gen_qemu_st(TCGv val, TCGv addr, int mmu_idx,
                                   MemOp mop)
{
    tcg_gen_op4(INDEX_op_qemu_st, val.idx, addr.idx, mop, mmu_idx);
}

/* ret may be TCG_NO_TEMP (pass (TCGv){TCG_NO_TEMP}); args has
 * info->nargs entries. */
void tcg_gen_call(const TCGHelperInfo *info, TCGv ret, const TCGv *args);
static inline TCGv tcg_no_temp(void)
{
    return (TCGv){ TCG_NO_TEMP };
}

/* Marks the start of a guest instruction; data[0] is its pc, data[1] is
 * free for the architecture.  Faults are attributed to the last one. */
static inline void tcg_gen_insn_start(uint64_t pc, uint64_t extra)
{
    tcg_gen_op2(INDEX_op_insn_start, pc, extra);
}
/* Direct jump slot n (0 or 1) to the block that the code following it
 * selects; the code after goto_tb runs only while the slot is not chained
 * and must end in exit_tb(n).  Emit at most one goto_tb per slot. */
static inline void tcg_gen_goto_tb(unsigned n)
{
    tcg_gen_op1(INDEX_op_goto_tb, n);
}
/* Leaves the block.  n = 0/1: "may chain slot n to the next block";
 * TB_EXIT_NOCHAIN: plain return to the execution loop. */
static inline void tcg_gen_exit_tb(unsigned n)
{
    tcg_gen_op1(INDEX_op_exit_tb, n);
}
/* Looks up the block of the current CPU state (pc, flags) and jumps to it
 * without leaving the loop; falls back to exit_tb(TB_EXIT_NOCHAIN). */
static inline void tcg_gen_lookup_and_goto_ptr(void)
{
    tcg_gen_op1(INDEX_op_goto_ptr, 0);
}

/* ---- inspection */
/* Prints the op list with log_printf (-d op). */
void tcg_dump_ops(const TCGContext *s, const char *title);
/* Number of ops that are not nop, and of ops with opcode opc. */
unsigned tcg_count_ops(const TCGContext *s);
unsigned tcg_count_op(const TCGContext *s, TCGOpcode opc);
/* Removes nop ops from the array. */
void tcg_compact_ops(TCGContext *s);

/* ---- optimiser (tcg/optimize.c) */
/* Constant folding, algebraic identities, copy propagation, constant
 * branches, then liveness-based dead-code elimination. */
void tcg_optimize(TCGContext *s);
/* Only the liveness and dead-code pass. */
void tcg_liveness_dce(TCGContext *s);

#endif
