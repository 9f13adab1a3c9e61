/*
 * RISC-V front end: guest instructions (decoded by decode.c, compressed
 * ones already expanded) to IR.
 *
 * Choices:
 *  - x0: reads are the constant 0; writes go to a scratch temp that the
 *    optimiser drops.
 *  - Memory: qemu_ld/st with MO_ALIGN, so a misaligned access raises the
 *    address-misaligned exception (allowed by the spec; M-mode software
 *    may emulate it).  The mmu index of data accesses is part of the TB
 *    flags (helper.h has the scheme); fetches use riscv_fetch_mmu_index.
 *  - Fences: the threaded backend executes guest loads and stores in
 *    program order as plain host accesses, and x86-64 is TSO, so only a
 *    fence ordering earlier stores before later loads needs a host
 *    barrier (helper "fence").  fence.tso and pause emit nothing.
 *    fence.i ends the block: stores to code pages already invalidated
 *    the stale blocks, the next lookup translates the new code.
 *  - Blocks end at jumps and branches (goto_tb to a target on the
 *    block's first page, else lookup_and_goto_ptr), after CSR writes,
 *    xRET, wfi, sfence.vma and fence.i (exit to the loop, which looks at
 *    new flags and pending interrupts), and at page boundaries.
 *  - instret/cycle: each block adds its instruction count to env.icount
 *    when it leaves normally; a block left by an exception does not
 *    count the instructions it completed before the fault.
 */
#include <inttypes.h>

#include "cpu/riscv/decode.h"
#include "cpu/riscv/disas.h"
#include "cpu/riscv/fpu.h"
#include "cpu/riscv/helper.h"
#include "cpu/riscv/op-info.h"
#include "tcg/translator.h"
#include "util/log.h"

static TCGv cpu_x[32];
static TCGv cpu_f[32];
static TCGv cpu_pc;
static TCGv cpu_icount;

static const struct riscv_isa riscv_guest_isa = {
    .xlen = 64,
    .ext = RV_EXT_GUEST_ALL,
};

/* pc is set: leave to the loop */
#define DISAS_EXIT DISAS_TARGET_0

typedef struct DisasContext {
    DisasContextBase base;
    unsigned priv;
    unsigned fs;                /* mstatus.FS at translation */
    int mem_idx;
    uint64_t pc;                /* of the instruction being translated */
    TCGOp *insn_start;
    struct riscv_insn insn;
} DisasContext;

void riscv_translate_init(void)
{
    static const char *const xnames[32] = {
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
        "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
        "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
        "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
    };
    static const char *const fnames[32] = {
        "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7",
        "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
        "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
        "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
    };
    for (int i = 1; i < 32; i++) {
        cpu_x[i] = tcg_global_mem_new(offsetof(CPURISCVState, x[i]),
                                      xnames[i]);
    }
    for (int i = 0; i < 32; i++) {
        cpu_f[i] = tcg_global_mem_new(offsetof(CPURISCVState, f[i]),
                                      fnames[i]);
    }
    cpu_pc = tcg_global_mem_new(offsetof(CPURISCVState, pc), "pc");
    cpu_icount = tcg_global_mem_new(offsetof(CPURISCVState, icount),
                                    "icount");
}

/* ---- small pieces */

static TCGv gpr(unsigned r)
{
    return r ? cpu_x[r] : tcg_constant(0);
}

/* Destination of rd: a scratch temp for x0, so the result is dropped. */
static TCGv dest_gpr(unsigned r)
{
    return r ? cpu_x[r] : tcg_temp_new();
}

static void gen_call(const TCGHelperInfo *info, TCGv ret, TCGv a0, TCGv a1,
                     TCGv a2, TCGv a3, TCGv a4)
{
    TCGv args[5] = { a0, a1, a2, a3, a4 };

    tcg_gen_call(info, ret, args);
}

static TCGv cst(int64_t v)
{
    return tcg_constant(v);
}

static TCGv none(void)
{
    return tcg_no_temp();
}

static void gen_update_icount(DisasContext *dc)
{
    tcg_gen_addi(cpu_icount, cpu_icount, dc->base.num_insns);
}

static void gen_exception(DisasContext *dc, unsigned cause, uint64_t tval)
{
    gen_call(&riscv_info_raise, none(), tcg_env, cst(cause),
             cst((int64_t)tval), none(), none());
    tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
    dc->base.is_jmp = DISAS_NORETURN;
}

static void gen_illegal(DisasContext *dc)
{
    gen_exception(dc, RISCV_EXCP_ILLEGAL_INSN, dc->insn.raw);
}

/* Jumps to dest: a chainable goto_tb when dest is on the block's first
 * page, else a lookup.  A chained jump skips the TLB and the lookup
 * key, so it must not cross into a page whose mapping could change
 * independently of the block's own page. */
static void gen_goto_tb(DisasContext *dc, unsigned n, uint64_t dest)
{
    if ((dest & TCG_PAGE_MASK) == dc->base.page_first) {
        tcg_gen_goto_tb(n);
        tcg_gen_movi(cpu_pc, (int64_t)dest);
        tcg_gen_exit_tb(n);
    } else {
        tcg_gen_movi(cpu_pc, (int64_t)dest);
        tcg_gen_lookup_and_goto_ptr();
    }
}

static uint64_t next_pc(DisasContext *dc)
{
    return dc->pc + dc->insn.len;
}

/* Ends the block after this instruction, back to the loop. */
static void gen_end_exit(DisasContext *dc)
{
    tcg_gen_movi(cpu_pc, (int64_t)next_pc(dc));
    dc->base.is_jmp = DISAS_EXIT;
}

/* ---- integer */

typedef void gen_binop(TCGv, TCGv, TCGv);

static void gen_rrr(DisasContext *dc, gen_binop *fn)
{
    fn(dest_gpr(dc->insn.rd), gpr(dc->insn.rs1), gpr(dc->insn.rs2));
}

static void gen_rri(DisasContext *dc, gen_binop *fn)
{
    fn(dest_gpr(dc->insn.rd), gpr(dc->insn.rs1), cst(dc->insn.imm));
}

static void gen_setcond_rr(DisasContext *dc, TCGCond c, TCGv b)
{
    tcg_gen_setcond(c, dest_gpr(dc->insn.rd), gpr(dc->insn.rs1), b);
}

static void gen_branch(DisasContext *dc, TCGCond c)
{
    TCGLabel *taken = gen_new_label();

    gen_update_icount(dc);
    tcg_gen_brcond(c, gpr(dc->insn.rs1), gpr(dc->insn.rs2), taken);
    gen_goto_tb(dc, 1, next_pc(dc));
    gen_set_label(taken);
    gen_goto_tb(dc, 0, dc->pc + (uint64_t)dc->insn.imm);
    dc->base.is_jmp = DISAS_NORETURN;
}

static void gen_jal(DisasContext *dc)
{
    if (dc->insn.rd) {
        tcg_gen_movi(cpu_x[dc->insn.rd], (int64_t)next_pc(dc));
    }
    gen_update_icount(dc);
    gen_goto_tb(dc, 0, dc->pc + (uint64_t)dc->insn.imm);
    dc->base.is_jmp = DISAS_NORETURN;
}

static void gen_jalr(DisasContext *dc)
{
    TCGv t = tcg_temp_new();

    tcg_gen_addi(t, gpr(dc->insn.rs1), dc->insn.imm);
    tcg_gen_andi(cpu_pc, t, ~1ll);
    if (dc->insn.rd) {
        tcg_gen_movi(cpu_x[dc->insn.rd], (int64_t)next_pc(dc));
    }
    gen_update_icount(dc);
    tcg_gen_lookup_and_goto_ptr();
    dc->base.is_jmp = DISAS_NORETURN;
}

static TCGv gen_addr(DisasContext *dc)
{
    TCGv addr = tcg_temp_new();

    tcg_gen_addi(addr, gpr(dc->insn.rs1), dc->insn.imm);
    return addr;
}

static void gen_load(DisasContext *dc, MemOp mop)
{
    tcg_gen_qemu_ld(dest_gpr(dc->insn.rd), gen_addr(dc), dc->mem_idx,
                    mop | MO_ALIGN);
}

static void gen_store(DisasContext *dc, MemOp mop)
{
    tcg_gen_qemu_st(gpr(dc->insn.rs2), gen_addr(dc), dc->mem_idx,
                    mop | MO_ALIGN);
}

/* Zba: rd = (rs1 [zero-extended] << sh) + rs2 */
static void gen_shadd(DisasContext *dc, unsigned sh, bool uw)
{
    TCGv t = tcg_temp_new();

    if (uw) {
        tcg_gen_ext32u(t, gpr(dc->insn.rs1));
        tcg_gen_shli(t, t, sh);
    } else {
        tcg_gen_shli(t, gpr(dc->insn.rs1), sh);
    }
    tcg_gen_add(dest_gpr(dc->insn.rd), t, gpr(dc->insn.rs2));
}

/* Zbs: rd = rs1 op (1 << (b & 63)) */
static void gen_bitop(DisasContext *dc, gen_binop *fn, TCGv b, bool clear)
{
    TCGv m = tcg_temp_new();

    tcg_gen_shl(m, cst(1), b);
    if (clear) {
        tcg_gen_andc(dest_gpr(dc->insn.rd), gpr(dc->insn.rs1), m);
    } else {
        fn(dest_gpr(dc->insn.rd), gpr(dc->insn.rs1), m);
    }
}

static void gen_bext(DisasContext *dc, TCGv b)
{
    TCGv t = tcg_temp_new();

    tcg_gen_shr(t, gpr(dc->insn.rs1), b);
    tcg_gen_andi(dest_gpr(dc->insn.rd), t, 1);
}

static void gen_unop(DisasContext *dc, void (*fn)(TCGv, TCGv))
{
    fn(dest_gpr(dc->insn.rd), gpr(dc->insn.rs1));
}

static void gen_pure_call(DisasContext *dc, const TCGHelperInfo *info)
{
    gen_call(info, dest_gpr(dc->insn.rd), gpr(dc->insn.rs1),
             gpr(dc->insn.rs2), none(), none(), none());
}

static void gen_czero(DisasContext *dc, TCGCond c)
{
    tcg_gen_movcond(c, dest_gpr(dc->insn.rd), gpr(dc->insn.rs2), cst(0),
                    cst(0), gpr(dc->insn.rs1));
}

static bool trans_integer(DisasContext *dc)
{
    struct riscv_insn *i = &dc->insn;

    switch (i->op) {
    case RV_OP_LUI: tcg_gen_movi(dest_gpr(i->rd), i->imm); break;
    case RV_OP_AUIPC:
        tcg_gen_movi(dest_gpr(i->rd), (int64_t)(dc->pc + (uint64_t)i->imm));
        break;
    case RV_OP_ADDI: gen_rri(dc, tcg_gen_add); break;
    case RV_OP_SLTI: gen_setcond_rr(dc, TCG_COND_LT, cst(i->imm)); break;
    case RV_OP_SLTIU: gen_setcond_rr(dc, TCG_COND_LTU, cst(i->imm)); break;
    case RV_OP_XORI: gen_rri(dc, tcg_gen_xor); break;
    case RV_OP_ORI: gen_rri(dc, tcg_gen_or); break;
    case RV_OP_ANDI: gen_rri(dc, tcg_gen_and); break;
    case RV_OP_SLLI: gen_rri(dc, tcg_gen_shl); break;
    case RV_OP_SRLI: gen_rri(dc, tcg_gen_shr); break;
    case RV_OP_SRAI: gen_rri(dc, tcg_gen_sar); break;
    case RV_OP_ADD: gen_rrr(dc, tcg_gen_add); break;
    case RV_OP_SUB: gen_rrr(dc, tcg_gen_sub); break;
    case RV_OP_SLL: gen_rrr(dc, tcg_gen_shl); break;
    case RV_OP_SLT: gen_setcond_rr(dc, TCG_COND_LT, gpr(i->rs2)); break;
    case RV_OP_SLTU: gen_setcond_rr(dc, TCG_COND_LTU, gpr(i->rs2)); break;
    case RV_OP_XOR: gen_rrr(dc, tcg_gen_xor); break;
    case RV_OP_SRL: gen_rrr(dc, tcg_gen_shr); break;
    case RV_OP_SRA: gen_rrr(dc, tcg_gen_sar); break;
    case RV_OP_OR: gen_rrr(dc, tcg_gen_or); break;
    case RV_OP_AND: gen_rrr(dc, tcg_gen_and); break;
    case RV_OP_ADDIW: gen_rri(dc, tcg_gen_add32); break;
    case RV_OP_SLLIW: gen_rri(dc, tcg_gen_shl32); break;
    case RV_OP_SRLIW: gen_rri(dc, tcg_gen_shr32); break;
    case RV_OP_SRAIW: gen_rri(dc, tcg_gen_sar32); break;
    case RV_OP_ADDW: gen_rrr(dc, tcg_gen_add32); break;
    case RV_OP_SUBW: gen_rrr(dc, tcg_gen_sub32); break;
    case RV_OP_SLLW: gen_rrr(dc, tcg_gen_shl32); break;
    case RV_OP_SRLW: gen_rrr(dc, tcg_gen_shr32); break;
    case RV_OP_SRAW: gen_rrr(dc, tcg_gen_sar32); break;
    /* M */
    case RV_OP_MUL: gen_rrr(dc, tcg_gen_mul); break;
    case RV_OP_MULH: gen_rrr(dc, tcg_gen_mulsh); break;
    case RV_OP_MULHSU: gen_rrr(dc, tcg_gen_mulsuh); break;
    case RV_OP_MULHU: gen_rrr(dc, tcg_gen_muluh); break;
    case RV_OP_DIV: gen_rrr(dc, tcg_gen_div); break;
    case RV_OP_DIVU: gen_rrr(dc, tcg_gen_divu); break;
    case RV_OP_REM: gen_rrr(dc, tcg_gen_rem); break;
    case RV_OP_REMU: gen_rrr(dc, tcg_gen_remu); break;
    case RV_OP_MULW: gen_rrr(dc, tcg_gen_mul32); break;
    case RV_OP_DIVW: gen_rrr(dc, tcg_gen_div32); break;
    case RV_OP_DIVUW: gen_rrr(dc, tcg_gen_divu32); break;
    case RV_OP_REMW: gen_rrr(dc, tcg_gen_rem32); break;
    case RV_OP_REMUW: gen_rrr(dc, tcg_gen_remu32); break;
    default:
        return false;
    }
    return true;
}

static bool trans_bitmanip(DisasContext *dc)
{
    struct riscv_insn *i = &dc->insn;

    switch (i->op) {
    /* Zba */
    case RV_OP_ADD_UW: gen_shadd(dc, 0, true); break;
    case RV_OP_SH1ADD: gen_shadd(dc, 1, false); break;
    case RV_OP_SH2ADD: gen_shadd(dc, 2, false); break;
    case RV_OP_SH3ADD: gen_shadd(dc, 3, false); break;
    case RV_OP_SH1ADD_UW: gen_shadd(dc, 1, true); break;
    case RV_OP_SH2ADD_UW: gen_shadd(dc, 2, true); break;
    case RV_OP_SH3ADD_UW: gen_shadd(dc, 3, true); break;
    case RV_OP_SLLI_UW: {
        TCGv t = tcg_temp_new();

        tcg_gen_ext32u(t, gpr(i->rs1));
        tcg_gen_shli(dest_gpr(i->rd), t, i->imm);
        break;
    }
    /* Zbb */
    case RV_OP_ANDN: gen_rrr(dc, tcg_gen_andc); break;
    case RV_OP_ORN: gen_rrr(dc, tcg_gen_orc); break;
    case RV_OP_XNOR: gen_rrr(dc, tcg_gen_eqv); break;
    case RV_OP_CLZ: gen_unop(dc, tcg_gen_clz); break;
    case RV_OP_CTZ: gen_unop(dc, tcg_gen_ctz); break;
    case RV_OP_CPOP: gen_unop(dc, tcg_gen_ctpop); break;
    case RV_OP_CLZW: gen_unop(dc, tcg_gen_clz32); break;
    case RV_OP_CTZW: gen_unop(dc, tcg_gen_ctz32); break;
    case RV_OP_CPOPW: gen_unop(dc, tcg_gen_ctpop32); break;
    case RV_OP_MAX: gen_rrr(dc, tcg_gen_max); break;
    case RV_OP_MAXU: gen_rrr(dc, tcg_gen_maxu); break;
    case RV_OP_MIN: gen_rrr(dc, tcg_gen_min); break;
    case RV_OP_MINU: gen_rrr(dc, tcg_gen_minu); break;
    case RV_OP_SEXT_B: gen_unop(dc, tcg_gen_ext8s); break;
    case RV_OP_SEXT_H: gen_unop(dc, tcg_gen_ext16s); break;
    case RV_OP_ZEXT_H: gen_unop(dc, tcg_gen_ext16u); break;
    case RV_OP_ROL: gen_rrr(dc, tcg_gen_rotl); break;
    case RV_OP_ROR: gen_rrr(dc, tcg_gen_rotr); break;
    case RV_OP_RORI: gen_rri(dc, tcg_gen_rotr); break;
    case RV_OP_ROLW: gen_rrr(dc, tcg_gen_rotl32); break;
    case RV_OP_RORW: gen_rrr(dc, tcg_gen_rotr32); break;
    case RV_OP_RORIW: gen_rri(dc, tcg_gen_rotr32); break;
    case RV_OP_ORC_B:
        gen_call(&riscv_info_orc_b, dest_gpr(i->rd), gpr(i->rs1), none(),
                 none(), none(), none());
        break;
    case RV_OP_REV8: gen_unop(dc, tcg_gen_bswap64); break;
    /* Zbc */
    case RV_OP_CLMUL: gen_pure_call(dc, &riscv_info_clmul); break;
    case RV_OP_CLMULH: gen_pure_call(dc, &riscv_info_clmulh); break;
    case RV_OP_CLMULR: gen_pure_call(dc, &riscv_info_clmulr); break;
    /* Zbs */
    case RV_OP_BCLR: gen_bitop(dc, NULL, gpr(i->rs2), true); break;
    case RV_OP_BCLRI: gen_bitop(dc, NULL, cst(i->imm), true); break;
    case RV_OP_BINV: gen_bitop(dc, tcg_gen_xor, gpr(i->rs2), false); break;
    case RV_OP_BINVI: gen_bitop(dc, tcg_gen_xor, cst(i->imm), false); break;
    case RV_OP_BSET: gen_bitop(dc, tcg_gen_or, gpr(i->rs2), false); break;
    case RV_OP_BSETI: gen_bitop(dc, tcg_gen_or, cst(i->imm), false); break;
    case RV_OP_BEXT: gen_bext(dc, gpr(i->rs2)); break;
    case RV_OP_BEXTI: gen_bext(dc, cst(i->imm)); break;
    /* Zicond */
    case RV_OP_CZERO_EQZ: gen_czero(dc, TCG_COND_EQ); break;
    case RV_OP_CZERO_NEZ: gen_czero(dc, TCG_COND_NE); break;
    default:
        return false;
    }
    return true;
}

static bool trans_control_mem(DisasContext *dc)
{
    switch (dc->insn.op) {
    case RV_OP_JAL: gen_jal(dc); break;
    case RV_OP_JALR: gen_jalr(dc); break;
    case RV_OP_BEQ: gen_branch(dc, TCG_COND_EQ); break;
    case RV_OP_BNE: gen_branch(dc, TCG_COND_NE); break;
    case RV_OP_BLT: gen_branch(dc, TCG_COND_LT); break;
    case RV_OP_BGE: gen_branch(dc, TCG_COND_GE); break;
    case RV_OP_BLTU: gen_branch(dc, TCG_COND_LTU); break;
    case RV_OP_BGEU: gen_branch(dc, TCG_COND_GEU); break;
    case RV_OP_LB: gen_load(dc, MO_SB); break;
    case RV_OP_LH: gen_load(dc, MO_SW); break;
    case RV_OP_LW: gen_load(dc, MO_SL); break;
    case RV_OP_LD: gen_load(dc, MO_UQ); break;
    case RV_OP_LBU: gen_load(dc, MO_UB); break;
    case RV_OP_LHU: gen_load(dc, MO_UW); break;
    case RV_OP_LWU: gen_load(dc, MO_UL); break;
    case RV_OP_SB: gen_store(dc, MO_UB); break;
    case RV_OP_SH: gen_store(dc, MO_UW); break;
    case RV_OP_SW: gen_store(dc, MO_UL); break;
    case RV_OP_SD: gen_store(dc, MO_UQ); break;
    default:
        return false;
    }
    return true;
}

/* ---- A */

static bool trans_atomic(DisasContext *dc)
{
    struct riscv_insn *i = &dc->insn;
    unsigned log2;

    if (i->op < RV_OP_LR_W || i->op > RV_OP_AMOMAXU_D) {
        return false;
    }
    log2 = i->op >= RV_OP_LR_D ? 3 : 2;
    if (i->op == RV_OP_LR_W || i->op == RV_OP_LR_D) {
        gen_call(&riscv_info_lr, dest_gpr(i->rd), tcg_env, gpr(i->rs1),
                 cst(log2 | dc->mem_idx << 4), none(), none());
    } else if (i->op == RV_OP_SC_W || i->op == RV_OP_SC_D) {
        gen_call(&riscv_info_sc, dest_gpr(i->rd), tcg_env, gpr(i->rs1),
                 gpr(i->rs2), cst(log2 | dc->mem_idx << 4), none());
    } else {
        gen_call(&riscv_info_amo, dest_gpr(i->rd), tcg_env, gpr(i->rs1),
                 gpr(i->rs2), cst(i->op | log2 << 16 | dc->mem_idx << 20),
                 none());
    }
    return true;
}

/* ---- system */

static void gen_csr(DisasContext *dc, enum riscv_csr_op op, bool imm)
{
    struct riscv_insn *i = &dc->insn;
    bool write = op == RISCV_CSR_RW || i->rs1 != 0;
    TCGv src = imm ? cst(i->rs1) : gpr(i->rs1);
    TCGv old = tcg_temp_new();

    gen_call(&riscv_info_csr, old, tcg_env,
             cst(i->csr | op << 12 | (unsigned)write << 14), src,
             cst(i->raw), none());
    if (i->rd) {
        tcg_gen_mov(cpu_x[i->rd], old);
    }
    if (write) {
        gen_end_exit(dc);
    }
}

static void gen_system_call(DisasContext *dc, const TCGHelperInfo *info)
{
    gen_call(info, none(), tcg_env, cst(dc->insn.raw), none(), none(),
             none());
}

static bool trans_system(DisasContext *dc)
{
    struct riscv_insn *i = &dc->insn;

    switch (i->op) {
    case RV_OP_CSRRW: gen_csr(dc, RISCV_CSR_RW, false); break;
    case RV_OP_CSRRS: gen_csr(dc, RISCV_CSR_RS, false); break;
    case RV_OP_CSRRC: gen_csr(dc, RISCV_CSR_RC, false); break;
    case RV_OP_CSRRWI: gen_csr(dc, RISCV_CSR_RW, true); break;
    case RV_OP_CSRRSI: gen_csr(dc, RISCV_CSR_RS, true); break;
    case RV_OP_CSRRCI: gen_csr(dc, RISCV_CSR_RC, true); break;
    case RV_OP_ECALL:
        gen_exception(dc, dc->priv == RISCV_PRIV_M ? RISCV_EXCP_ECALL_M :
                          dc->priv == RISCV_PRIV_S ? RISCV_EXCP_ECALL_S :
                          RISCV_EXCP_ECALL_U, 0);
        break;
    case RV_OP_EBREAK:
        gen_exception(dc, RISCV_EXCP_BREAKPOINT, dc->pc);
        break;
    case RV_OP_MRET:
    case RV_OP_SRET:
        gen_system_call(dc, i->op == RV_OP_MRET ? &riscv_info_mret
                                                : &riscv_info_sret);
        dc->base.is_jmp = DISAS_EXIT;       /* the helper set pc */
        break;
    case RV_OP_WFI:
        dc->insn_start->args[1] = i->len;   /* EXCP_HLT resumes after */
        gen_system_call(dc, &riscv_info_wfi);
        gen_end_exit(dc);
        break;
    case RV_OP_SFENCE_VMA: {
        uint64_t arg = i->raw | (uint64_t)(i->rs1 != 0) << 32 |
                       (uint64_t)(i->rs2 != 0) << 33;

        gen_call(&riscv_info_sfence_vma, none(), tcg_env, gpr(i->rs1),
                 gpr(i->rs2), cst((int64_t)arg), none());
        gen_end_exit(dc);
        break;
    }
    case RV_OP_FENCE_I:
        gen_end_exit(dc);
        break;
    case RV_OP_FENCE:
        /* pred has W (bit 0 is W, 2 is O) and succ has R (bit 1) or I */
        if ((i->pred & 0x5) && (i->succ & 0xa)) {
            tcg_gen_call(&riscv_info_fence, none(), NULL);
        }
        break;
    case RV_OP_FENCE_TSO:
    case RV_OP_PAUSE:
    case RV_OP_PREFETCH_I:
    case RV_OP_PREFETCH_R:
    case RV_OP_PREFETCH_W:
        break;
    case RV_OP_CBO_CLEAN:
    case RV_OP_CBO_FLUSH:
    case RV_OP_CBO_INVAL:
    case RV_OP_CBO_ZERO:
        gen_call(&riscv_info_cbo, none(), tcg_env, gpr(i->rs1),
                 cst(i->op | dc->mem_idx << 16), cst(i->raw), none());
        break;
    default:
        return false;
    }
    return true;
}

/* ---- F and D */

static void gen_mark_fs_dirty(DisasContext *dc)
{
    TCGv t;

    if (dc->fs == RISCV_FS_DIRTY) {
        return;
    }
    t = tcg_temp_new();
    tcg_gen_ld64(t, offsetof(CPURISCVState, mstatus));
    tcg_gen_ori(t, t, (int64_t)MSTATUS_FS);
    tcg_gen_st64(t, offsetof(CPURISCVState, mstatus));
    dc->fs = RISCV_FS_DIRTY;
}

static bool fp_writes_x(enum riscv_op op)
{
    switch (op) {
    case RV_OP_FCVT_W_S: case RV_OP_FCVT_WU_S: case RV_OP_FCVT_L_S:
    case RV_OP_FCVT_LU_S: case RV_OP_FEQ_S: case RV_OP_FLT_S:
    case RV_OP_FLE_S: case RV_OP_FCLASS_S:
    case RV_OP_FCVT_W_D: case RV_OP_FCVT_WU_D: case RV_OP_FCVT_L_D:
    case RV_OP_FCVT_LU_D: case RV_OP_FEQ_D: case RV_OP_FLT_D:
    case RV_OP_FLE_D: case RV_OP_FCLASS_D:
        return true;
    default:
        return false;
    }
}

static bool fp_reads_x(enum riscv_op op)
{
    switch (op) {
    case RV_OP_FCVT_S_W: case RV_OP_FCVT_S_WU: case RV_OP_FCVT_S_L:
    case RV_OP_FCVT_S_LU: case RV_OP_FCVT_D_W: case RV_OP_FCVT_D_WU:
    case RV_OP_FCVT_D_L: case RV_OP_FCVT_D_LU:
        return true;
    default:
        return false;
    }
}

static bool trans_fp_move(DisasContext *dc)
{
    struct riscv_insn *i = &dc->insn;
    TCGv t;

    switch (i->op) {
    case RV_OP_FLW:
        t = tcg_temp_new();
        tcg_gen_qemu_ld(t, gen_addr(dc), dc->mem_idx, MO_UL | MO_ALIGN);
        tcg_gen_ori(cpu_f[i->rd], t, (int64_t)RISCV_NANBOX_MASK);
        break;
    case RV_OP_FLD:
        tcg_gen_qemu_ld(cpu_f[i->rd], gen_addr(dc), dc->mem_idx,
                        MO_UQ | MO_ALIGN);
        break;
    case RV_OP_FSW:
        tcg_gen_qemu_st(cpu_f[i->rs2], gen_addr(dc), dc->mem_idx,
                        MO_UL | MO_ALIGN);
        return true;        /* no FP state change */
    case RV_OP_FSD:
        tcg_gen_qemu_st(cpu_f[i->rs2], gen_addr(dc), dc->mem_idx,
                        MO_UQ | MO_ALIGN);
        return true;
    case RV_OP_FMV_X_W:
        tcg_gen_ext32s(dest_gpr(i->rd), cpu_f[i->rs1]);
        break;
    case RV_OP_FMV_X_D:
        tcg_gen_mov(dest_gpr(i->rd), cpu_f[i->rs1]);
        break;
    case RV_OP_FMV_W_X:
        t = tcg_temp_new();
        tcg_gen_ext32u(t, gpr(i->rs1));
        tcg_gen_ori(cpu_f[i->rd], t, (int64_t)RISCV_NANBOX_MASK);
        break;
    case RV_OP_FMV_D_X:
        tcg_gen_mov(cpu_f[i->rd], gpr(i->rs1));
        break;
    default:
        return false;
    }
    gen_mark_fs_dirty(dc);
    return true;
}

static void trans_fp(DisasContext *dc)
{
    struct riscv_insn *i = &dc->insn;
    TCGv a, dst;
    uint64_t packed;

    if (dc->fs == RISCV_FS_OFF || (i->flags & RV_INSN_RM_RESERVED)) {
        gen_illegal(dc);
        return;
    }
    if (trans_fp_move(dc)) {
        return;
    }
    a = fp_reads_x(i->op) ? gpr(i->rs1) : cpu_f[i->rs1];
    dst = fp_writes_x(i->op) ? dest_gpr(i->rd) : cpu_f[i->rd];
    packed = i->op | (uint64_t)i->rm << 12 | (uint64_t)i->raw << 32;
    gen_call(&riscv_info_fp, dst, tcg_env, cst((int64_t)packed), a,
             cpu_f[i->rs2], cpu_f[i->rs3]);
    gen_mark_fs_dirty(dc);
}

static bool is_fp(enum riscv_op op)
{
    enum riscv_ext e = riscv_op_ext(op);

    return e == RV_EXT_F || e == RV_EXT_D;
}

/* ---- the TranslatorOps */

static void riscv_init_disas(DisasContextBase *db, CPUState *cs)
{
    DisasContext *dc = container_of(db, DisasContext, base);
    uint32_t flags = db->tb->flags;

    dc->priv = flags & TB_FLAGS_PRIV_MASK;
    dc->fs = (flags & TB_FLAGS_FS_MASK) >> TB_FLAGS_FS_SHIFT;
    dc->mem_idx = (int)((flags & TB_FLAGS_MEMIDX_MASK) >>
                        TB_FLAGS_MEMIDX_SHIFT);
}

static void riscv_tb_start(DisasContextBase *db, CPUState *cs)
{
    log_mask_printf(LOG_IN_ASM, "IN:\n");
}

static void riscv_insn_start(DisasContextBase *db, CPUState *cs)
{
    DisasContext *dc = container_of(db, DisasContext, base);

    tcg_gen_insn_start(db->pc_next, 0);
    dc->insn_start = &tcg_ctx->ops[tcg_ctx->nb_ops - 1];
}

static void log_insn(DisasContext *dc)
{
    char buf[128];

    riscv_disas_insn(&dc->insn, &riscv_guest_isa, dc->pc, buf, sizeof(buf));
    log_printf("0x%016" PRIx64 ":  %s\n", dc->pc, buf);
}

static void translate_one(DisasContext *dc)
{
    enum riscv_op op = dc->insn.op;

    if (op == RV_OP_ILLEGAL) {
        gen_illegal(dc);
    } else if (is_fp(op)) {
        trans_fp(dc);
    } else if (!trans_integer(dc) && !trans_control_mem(dc) &&
               !trans_atomic(dc) && !trans_bitmanip(dc) &&
               !trans_system(dc)) {
        gen_illegal(dc);    /* dret, uret, sfence.vm, hret */
    }
}

static void riscv_translate_insn(DisasContextBase *db, CPUState *cs)
{
    DisasContext *dc = container_of(db, DisasContext, base);
    uint64_t pc = db->pc_next;
    uint32_t bits = translator_lduw(cs, db, pc);

    if (!db->fetch_fault && (bits & 3) == 3) {
        bits |= (uint32_t)translator_lduw(cs, db, pc + 2) << 16;
    }
    if (db->fetch_fault) {
        return;
    }
    dc->pc = pc;
    riscv_decode(&dc->insn, bits, &riscv_guest_isa);
    if (dc->insn.len > 4) {
        dc->insn.len = 4;   /* only 2 or 4 exist; illegal anyway */
    }
    db->pc_next = pc + dc->insn.len;
    if (unlikely(log_enabled(LOG_IN_ASM))) {
        log_insn(dc);
    }
    translate_one(dc);
}

static void riscv_tb_stop(DisasContextBase *db, CPUState *cs)
{
    DisasContext *dc = container_of(db, DisasContext, base);

    switch ((int)db->is_jmp) {
    case DISAS_NEXT:
    case DISAS_TOO_MANY:
        gen_update_icount(dc);
        gen_goto_tb(dc, 0, db->pc_next);
        break;
    case DISAS_EXIT:
        gen_update_icount(dc);
        tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
        break;
    default:
        break;
    }
    log_mask_printf(LOG_IN_ASM, "\n");
}

static const TranslatorOps riscv_translator_ops = {
    .init_disas_context = riscv_init_disas,
    .tb_start = riscv_tb_start,
    .insn_start = riscv_insn_start,
    .translate_insn = riscv_translate_insn,
    .tb_stop = riscv_tb_stop,
};

void riscv_translate_code(CPUState *cs, TranslationBlock *tb, int max_insns)
{
    DisasContext dc;

    translator_loop(cs, tb, max_insns, &riscv_translator_ops, &dc.base);
}
