/*
 * RISC-V instruction decoder.
 *
 * 32-bit instructions: one pattern table per major opcode (bits 6:2).
 * A pattern is (mask, match, op, field layout); the first pattern whose
 * fixed bits match wins, so a table lists special cases (pause, fence.tso,
 * prefetch.*) before the general encoding they are carved out of.  The
 * layout says which fields to extract; a few layouts also check what a
 * mask cannot express (shift amounts against XLEN, reserved rm values).
 *
 * 16-bit instructions: the C extension's encoding is too irregular for
 * masks to pay off (immediates are scrambled differently in nearly every
 * instruction), so it is decoded by quadrant and funct3, each compressed
 * instruction expanded to its 32-bit equivalent.
 */
#include <string.h>

#include "cpu/riscv/decode.h"
#include "cpu/riscv/op-info.h"
#include "util/compiler.h"

const struct riscv_op_info riscv_op_info[RV_OP_COUNT] = {
    [RV_OP_ILLEGAL] = { "illegal", "", RV_EXT_I, 0 },
#define RV_OP(id, nm, e, f, fl) \
    [RV_OP_##id] = { .name = nm, .fmt = f, .ext = RV_EXT_##e, .flags = fl },
#include "cpu/riscv/insn.def"
#undef RV_OP
};

const struct riscv_isa riscv_isa_disas = {
    .xlen = 64,
    .ext = RV_EXT_GUEST_ALL | RV_EXT_BIT(SDEXT) | RV_EXT_BIT(LEGACY),
};

static inline uint32_t field(uint32_t x, unsigned hi, unsigned lo)
{
    return (x >> lo) & ((1u << (hi - lo + 1)) - 1);
}

/* Sign-extends the low 'width' bits of x. */
static inline int64_t sext(uint64_t x, unsigned width)
{
    return (int64_t)(x << (64 - width)) >> (64 - width);
}

/* Resets *insn to "not an instruction" of the given length. */
static void set_illegal(struct riscv_insn *insn, uint32_t raw, unsigned len)
{
    memset(insn, 0, sizeof(*insn));
    insn->op = RV_OP_ILLEGAL;
    insn->raw = raw;
    insn->len = len;
}

/* ---- 32-bit instructions ---- */

/* Field layouts of 32-bit patterns: which fields an op carries. */
enum layout {
    L_NONE,         /* no operands */
    L_R,            /* rd, rs1, rs2 */
    L_R1,           /* rd, rs1 (rs2 is part of the opcode) */
    L_R_RM,         /* rd, rs1, rs2, rm */
    L_R1_RM,        /* rd, rs1, rm */
    L_R4,           /* rd, rs1, rs2, rs3, rm */
    L_I,            /* rd, rs1, imm[11:0] */
    L_S,            /* rs1, rs2, imm[11:5|4:0] */
    L_B,            /* rs1, rs2, branch offset */
    L_U,            /* rd, imm[31:12] */
    L_J,            /* rd, jump offset */
    L_SHIFT,        /* rd, rs1, shamt of XLEN bits */
    L_SHIFTW,       /* rd, rs1, 5-bit shamt */
    L_CSR,          /* rd, rs1, csr */
    L_CSRI,         /* rd, zimm, csr */
    L_FENCE,        /* fm, pred, succ (and the reserved rd, rs1) */
    L_AMO,          /* rd, rs1, rs2, aq, rl */
    L_RS1,          /* rs1 only (cbo.*) */
    L_RS1_RS2,      /* rs1, rs2 (sfence.vma) */
    L_PREFETCH,     /* rs1, offset */
};

struct pattern {
    uint32_t mask;
    uint32_t match;
    uint16_t op;
    uint8_t layout;
    uint8_t xlen;           /* 0: any; 32 or 64: only that XLEN */
};

/* Masks of the fixed fields for each instruction shape. */
#define M_OPC       0x0000007fu     /* opcode */
#define M_F3        0x0000707fu     /* + funct3 */
#define M_F7        0xfe00707fu     /* + funct7 */
#define M_F12       0xfff0707fu     /* + funct7 + rs2 (or imm[11:0]) */
#define M_F6        0xfc00707fu     /* + imm[11:6] (RV64 shifts) */
#define M_F5        0xf800707fu     /* + funct5 (AMO) */
#define M_LR        0xf9f0707fu     /* + funct5 + rs2 (LR) */
#define M_FP        0xfe00007fu     /* FP: funct7, funct3 = rm */
#define M_FP_RS2    0xfff0007fu     /* FP: funct7 + rs2, funct3 = rm */
#define M_R4        0x0600007fu     /* fused multiply-add: fmt */
#define M_ALL       0xffffffffu

/* Match values from fields. */
#define ENC(opc, f3, f7)    ((uint32_t)(opc) | (uint32_t)(f3) << 12 | \
                             (uint32_t)(f7) << 25)
#define ENC12(opc, f3, f12) ((uint32_t)(opc) | (uint32_t)(f3) << 12 | \
                             (uint32_t)(f12) << 20)

#define P(m, mt, o, l)      { (m), (mt), RV_OP_##o, (l), 0 }
#define PX(m, mt, o, l, x)  { (m), (mt), RV_OP_##o, (l), (x) }

static const struct pattern tbl_load[] = {
    P(M_F3, ENC(0x03, 0, 0), LB,  L_I),
    P(M_F3, ENC(0x03, 1, 0), LH,  L_I),
    P(M_F3, ENC(0x03, 2, 0), LW,  L_I),
    P(M_F3, ENC(0x03, 3, 0), LD,  L_I),
    P(M_F3, ENC(0x03, 4, 0), LBU, L_I),
    P(M_F3, ENC(0x03, 5, 0), LHU, L_I),
    P(M_F3, ENC(0x03, 6, 0), LWU, L_I),
};

static const struct pattern tbl_load_fp[] = {
    P(M_F3, ENC(0x07, 2, 0), FLW, L_I),
    P(M_F3, ENC(0x07, 3, 0), FLD, L_I),
};

static const struct pattern tbl_misc_mem[] = {
    P(M_ALL, 0x0100000f, PAUSE, L_FENCE),
    P(0xfff0707f, 0x8330000f, FENCE_TSO, L_FENCE),
    P(M_F3, ENC(0x0f, 0, 0), FENCE, L_FENCE),
    P(M_F3, ENC(0x0f, 1, 0), FENCE_I, L_I),
    P(M_ALL & ~0x000f8000u, ENC12(0x0f, 2, 0x000), CBO_INVAL, L_RS1),
    P(M_ALL & ~0x000f8000u, ENC12(0x0f, 2, 0x001), CBO_CLEAN, L_RS1),
    P(M_ALL & ~0x000f8000u, ENC12(0x0f, 2, 0x002), CBO_FLUSH, L_RS1),
    P(M_ALL & ~0x000f8000u, ENC12(0x0f, 2, 0x004), CBO_ZERO,  L_RS1),
};

static const struct pattern tbl_op_imm[] = {
    /* Prefetch hints: ori x0, rs1, offset with imm[4:0] naming the kind. */
    P(0x01f07fffu, ENC12(0x13, 6, 0x000), PREFETCH_I, L_PREFETCH),
    P(0x01f07fffu, ENC12(0x13, 6, 0x001), PREFETCH_R, L_PREFETCH),
    P(0x01f07fffu, ENC12(0x13, 6, 0x003), PREFETCH_W, L_PREFETCH),
    P(M_F3,  ENC(0x13, 0, 0), ADDI,  L_I),
    P(M_F3,  ENC(0x13, 2, 0), SLTI,  L_I),
    P(M_F3,  ENC(0x13, 3, 0), SLTIU, L_I),
    P(M_F3,  ENC(0x13, 4, 0), XORI,  L_I),
    P(M_F3,  ENC(0x13, 6, 0), ORI,   L_I),
    P(M_F3,  ENC(0x13, 7, 0), ANDI,  L_I),
    P(M_F12, ENC12(0x13, 1, 0x600), CLZ,    L_R1),
    P(M_F12, ENC12(0x13, 1, 0x601), CTZ,    L_R1),
    P(M_F12, ENC12(0x13, 1, 0x602), CPOP,   L_R1),
    P(M_F12, ENC12(0x13, 1, 0x604), SEXT_B, L_R1),
    P(M_F12, ENC12(0x13, 1, 0x605), SEXT_H, L_R1),
    P(M_F12, ENC12(0x13, 5, 0x287), ORC_B,  L_R1),
    PX(M_F12, ENC12(0x13, 5, 0x6b8), REV8,  L_R1, 64),
    PX(M_F12, ENC12(0x13, 5, 0x698), REV8,  L_R1, 32),
    /* Shifts by immediate: RV64 fixes imm[11:6], RV32 imm[11:5]; the
     * layout rejects an RV32 shamt[5]. */
    P(M_F6, ENC(0x13, 1, 0x00), SLLI,  L_SHIFT),
    P(M_F6, ENC(0x13, 5, 0x00), SRLI,  L_SHIFT),
    P(M_F6, ENC(0x13, 5, 0x20), SRAI,  L_SHIFT),
    P(M_F6, ENC(0x13, 5, 0x30), RORI,  L_SHIFT),
    P(M_F6, ENC(0x13, 1, 0x24), BCLRI, L_SHIFT),
    P(M_F6, ENC(0x13, 5, 0x24), BEXTI, L_SHIFT),
    P(M_F6, ENC(0x13, 1, 0x34), BINVI, L_SHIFT),
    P(M_F6, ENC(0x13, 1, 0x14), BSETI, L_SHIFT),
};

static const struct pattern tbl_op_imm_32[] = {
    P(M_F3,  ENC(0x1b, 0, 0), ADDIW, L_I),
    P(M_F7,  ENC(0x1b, 1, 0x00), SLLIW, L_SHIFTW),
    P(M_F7,  ENC(0x1b, 5, 0x00), SRLIW, L_SHIFTW),
    P(M_F7,  ENC(0x1b, 5, 0x20), SRAIW, L_SHIFTW),
    P(M_F7,  ENC(0x1b, 5, 0x30), RORIW, L_SHIFTW),
    P(M_F12, ENC12(0x1b, 1, 0x600), CLZW,  L_R1),
    P(M_F12, ENC12(0x1b, 1, 0x601), CTZW,  L_R1),
    P(M_F12, ENC12(0x1b, 1, 0x602), CPOPW, L_R1),
    /* slli.uw: imm[11:6] = 000010, 6-bit shamt */
    P(M_F6,  ENC(0x1b, 1, 0x04), SLLI_UW, L_SHIFT),
};

static const struct pattern tbl_store[] = {
    P(M_F3, ENC(0x23, 0, 0), SB, L_S),
    P(M_F3, ENC(0x23, 1, 0), SH, L_S),
    P(M_F3, ENC(0x23, 2, 0), SW, L_S),
    P(M_F3, ENC(0x23, 3, 0), SD, L_S),
};

static const struct pattern tbl_store_fp[] = {
    P(M_F3, ENC(0x27, 2, 0), FSW, L_S),
    P(M_F3, ENC(0x27, 3, 0), FSD, L_S),
};

#define AMO(f5, w, d)                                       \
    P(M_F5, ENC(0x2f, 2, (f5) << 2), w, L_AMO),             \
    P(M_F5, ENC(0x2f, 3, (f5) << 2), d, L_AMO)

static const struct pattern tbl_amo[] = {
    P(M_LR, ENC(0x2f, 2, 0x02 << 2), LR_W, L_AMO),
    P(M_LR, ENC(0x2f, 3, 0x02 << 2), LR_D, L_AMO),
    AMO(0x03, SC_W, SC_D),
    AMO(0x01, AMOSWAP_W, AMOSWAP_D),
    AMO(0x00, AMOADD_W, AMOADD_D),
    AMO(0x04, AMOXOR_W, AMOXOR_D),
    AMO(0x0c, AMOAND_W, AMOAND_D),
    AMO(0x08, AMOOR_W, AMOOR_D),
    AMO(0x10, AMOMIN_W, AMOMIN_D),
    AMO(0x14, AMOMAX_W, AMOMAX_D),
    AMO(0x18, AMOMINU_W, AMOMINU_D),
    AMO(0x1c, AMOMAXU_W, AMOMAXU_D),
};

static const struct pattern tbl_op[] = {
    P(M_F7, ENC(0x33, 0, 0x00), ADD,  L_R),
    P(M_F7, ENC(0x33, 0, 0x20), SUB,  L_R),
    P(M_F7, ENC(0x33, 1, 0x00), SLL,  L_R),
    P(M_F7, ENC(0x33, 2, 0x00), SLT,  L_R),
    P(M_F7, ENC(0x33, 3, 0x00), SLTU, L_R),
    P(M_F7, ENC(0x33, 4, 0x00), XOR,  L_R),
    P(M_F7, ENC(0x33, 5, 0x00), SRL,  L_R),
    P(M_F7, ENC(0x33, 5, 0x20), SRA,  L_R),
    P(M_F7, ENC(0x33, 6, 0x00), OR,   L_R),
    P(M_F7, ENC(0x33, 7, 0x00), AND,  L_R),
    P(M_F7, ENC(0x33, 0, 0x01), MUL,    L_R),
    P(M_F7, ENC(0x33, 1, 0x01), MULH,   L_R),
    P(M_F7, ENC(0x33, 2, 0x01), MULHSU, L_R),
    P(M_F7, ENC(0x33, 3, 0x01), MULHU,  L_R),
    P(M_F7, ENC(0x33, 4, 0x01), DIV,    L_R),
    P(M_F7, ENC(0x33, 5, 0x01), DIVU,   L_R),
    P(M_F7, ENC(0x33, 6, 0x01), REM,    L_R),
    P(M_F7, ENC(0x33, 7, 0x01), REMU,   L_R),
    P(M_F7, ENC(0x33, 2, 0x10), SH1ADD, L_R),
    P(M_F7, ENC(0x33, 4, 0x10), SH2ADD, L_R),
    P(M_F7, ENC(0x33, 6, 0x10), SH3ADD, L_R),
    P(M_F7, ENC(0x33, 7, 0x20), ANDN,   L_R),
    P(M_F7, ENC(0x33, 6, 0x20), ORN,    L_R),
    P(M_F7, ENC(0x33, 4, 0x20), XNOR,   L_R),
    P(M_F7, ENC(0x33, 6, 0x05), MAX,    L_R),
    P(M_F7, ENC(0x33, 7, 0x05), MAXU,   L_R),
    P(M_F7, ENC(0x33, 4, 0x05), MIN,    L_R),
    P(M_F7, ENC(0x33, 5, 0x05), MINU,   L_R),
    PX(M_F12, ENC12(0x33, 4, 0x080), ZEXT_H, L_R1, 32),
    P(M_F7, ENC(0x33, 1, 0x30), ROL,    L_R),
    P(M_F7, ENC(0x33, 5, 0x30), ROR,    L_R),
    P(M_F7, ENC(0x33, 1, 0x05), CLMUL,  L_R),
    P(M_F7, ENC(0x33, 3, 0x05), CLMULH, L_R),
    P(M_F7, ENC(0x33, 2, 0x05), CLMULR, L_R),
    P(M_F7, ENC(0x33, 1, 0x24), BCLR,   L_R),
    P(M_F7, ENC(0x33, 5, 0x24), BEXT,   L_R),
    P(M_F7, ENC(0x33, 1, 0x34), BINV,   L_R),
    P(M_F7, ENC(0x33, 1, 0x14), BSET,   L_R),
    P(M_F7, ENC(0x33, 5, 0x07), CZERO_EQZ, L_R),
    P(M_F7, ENC(0x33, 7, 0x07), CZERO_NEZ, L_R),
};

static const struct pattern tbl_op_32[] = {
    P(M_F7, ENC(0x3b, 0, 0x00), ADDW,  L_R),
    P(M_F7, ENC(0x3b, 0, 0x20), SUBW,  L_R),
    P(M_F7, ENC(0x3b, 1, 0x00), SLLW,  L_R),
    P(M_F7, ENC(0x3b, 5, 0x00), SRLW,  L_R),
    P(M_F7, ENC(0x3b, 5, 0x20), SRAW,  L_R),
    P(M_F7, ENC(0x3b, 0, 0x01), MULW,  L_R),
    P(M_F7, ENC(0x3b, 4, 0x01), DIVW,  L_R),
    P(M_F7, ENC(0x3b, 5, 0x01), DIVUW, L_R),
    P(M_F7, ENC(0x3b, 6, 0x01), REMW,  L_R),
    P(M_F7, ENC(0x3b, 7, 0x01), REMUW, L_R),
    P(M_F7, ENC(0x3b, 0, 0x04), ADD_UW,    L_R),
    P(M_F7, ENC(0x3b, 2, 0x10), SH1ADD_UW, L_R),
    P(M_F7, ENC(0x3b, 4, 0x10), SH2ADD_UW, L_R),
    P(M_F7, ENC(0x3b, 6, 0x10), SH3ADD_UW, L_R),
    PX(M_F12, ENC12(0x3b, 4, 0x080), ZEXT_H, L_R1, 64),
    P(M_F7, ENC(0x3b, 1, 0x30), ROLW,  L_R),
    P(M_F7, ENC(0x3b, 5, 0x30), RORW,  L_R),
};

static const struct pattern tbl_lui[] = { P(M_OPC, 0x37, LUI, L_U) };
static const struct pattern tbl_auipc[] = { P(M_OPC, 0x17, AUIPC, L_U) };
static const struct pattern tbl_jal[] = { P(M_OPC, 0x6f, JAL, L_J) };
static const struct pattern tbl_jalr[] = {
    P(M_F3, ENC(0x67, 0, 0), JALR, L_I),
};

static const struct pattern tbl_branch[] = {
    P(M_F3, ENC(0x63, 0, 0), BEQ,  L_B),
    P(M_F3, ENC(0x63, 1, 0), BNE,  L_B),
    P(M_F3, ENC(0x63, 4, 0), BLT,  L_B),
    P(M_F3, ENC(0x63, 5, 0), BGE,  L_B),
    P(M_F3, ENC(0x63, 6, 0), BLTU, L_B),
    P(M_F3, ENC(0x63, 7, 0), BGEU, L_B),
};

/* Fused multiply-add: fmt in bits 26:25 (0 = S, 1 = D). */
#define FMA(opc, s, d)                                          \
    P(M_R4, (opc) | 0u << 25, s, L_R4),                         \
    P(M_R4, (opc) | 1u << 25, d, L_R4)

static const struct pattern tbl_madd[] = { FMA(0x43, FMADD_S, FMADD_D) };
static const struct pattern tbl_msub[] = { FMA(0x47, FMSUB_S, FMSUB_D) };
static const struct pattern tbl_nmsub[] = { FMA(0x4b, FNMSUB_S, FNMSUB_D) };
static const struct pattern tbl_nmadd[] = { FMA(0x4f, FNMADD_S, FNMADD_D) };

/* OP-FP: funct7 picks the operation; funct3 is rm or a sub-function. */
#define FP_RM(f7, o)            P(M_FP, ENC(0x53, 0, f7), o, L_R_RM)
#define FP_RM1(f7, rs2, o)      P(M_FP_RS2, ENC(0x53, 0, f7) | (rs2) << 20, \
                                  o, L_R1_RM)
#define FP_F3(f7, f3, o)        P(M_F7, ENC(0x53, f3, f7), o, L_R)
#define FP_F3_1(f7, f3, o)      P(M_F12, ENC(0x53, f3, f7), o, L_R1)

static const struct pattern tbl_op_fp[] = {
    FP_RM(0x00, FADD_S), FP_RM(0x04, FSUB_S),
    FP_RM(0x08, FMUL_S), FP_RM(0x0c, FDIV_S),
    FP_RM1(0x2c, 0, FSQRT_S),
    FP_F3(0x10, 0, FSGNJ_S), FP_F3(0x10, 1, FSGNJN_S),
    FP_F3(0x10, 2, FSGNJX_S),
    FP_F3(0x14, 0, FMIN_S), FP_F3(0x14, 1, FMAX_S),
    FP_RM1(0x60, 0, FCVT_W_S), FP_RM1(0x60, 1, FCVT_WU_S),
    FP_RM1(0x60, 2, FCVT_L_S), FP_RM1(0x60, 3, FCVT_LU_S),
    FP_F3_1(0x70, 0, FMV_X_W), FP_F3_1(0x70, 1, FCLASS_S),
    FP_F3(0x50, 2, FEQ_S), FP_F3(0x50, 1, FLT_S), FP_F3(0x50, 0, FLE_S),
    FP_RM1(0x68, 0, FCVT_S_W), FP_RM1(0x68, 1, FCVT_S_WU),
    FP_RM1(0x68, 2, FCVT_S_L), FP_RM1(0x68, 3, FCVT_S_LU),
    FP_F3_1(0x78, 0, FMV_W_X),

    FP_RM(0x01, FADD_D), FP_RM(0x05, FSUB_D),
    FP_RM(0x09, FMUL_D), FP_RM(0x0d, FDIV_D),
    FP_RM1(0x2d, 0, FSQRT_D),
    FP_F3(0x11, 0, FSGNJ_D), FP_F3(0x11, 1, FSGNJN_D),
    FP_F3(0x11, 2, FSGNJX_D),
    FP_F3(0x15, 0, FMIN_D), FP_F3(0x15, 1, FMAX_D),
    FP_RM1(0x20, 1, FCVT_S_D), FP_RM1(0x21, 0, FCVT_D_S),
    FP_F3(0x51, 2, FEQ_D), FP_F3(0x51, 1, FLT_D), FP_F3(0x51, 0, FLE_D),
    FP_F3_1(0x71, 1, FCLASS_D),
    FP_RM1(0x61, 0, FCVT_W_D), FP_RM1(0x61, 1, FCVT_WU_D),
    FP_RM1(0x61, 2, FCVT_L_D), FP_RM1(0x61, 3, FCVT_LU_D),
    FP_RM1(0x69, 0, FCVT_D_W), FP_RM1(0x69, 1, FCVT_D_WU),
    FP_RM1(0x69, 2, FCVT_D_L), FP_RM1(0x69, 3, FCVT_D_LU),
    FP_F3_1(0x71, 0, FMV_X_D), FP_F3_1(0x79, 0, FMV_D_X),
};

static const struct pattern tbl_system[] = {
    P(M_ALL, 0x00000073, ECALL,  L_NONE),
    P(M_ALL, 0x00100073, EBREAK, L_NONE),
    P(M_ALL, 0x00200073, URET,   L_NONE),
    P(M_ALL, 0x10200073, SRET,   L_NONE),
    P(M_ALL, 0x30200073, MRET,   L_NONE),
    P(M_ALL, 0x7b200073, DRET,   L_NONE),
    P(M_ALL, 0x10500073, WFI,    L_NONE),
    P(M_ALL, 0x20200073, HRET,   L_NONE),
    P(0xfff07fffu, 0x10400073, SFENCE_VM, L_RS1),
    P(0xfe007fffu, ENC(0x73, 0, 0x09), SFENCE_VMA, L_RS1_RS2),
    P(M_F3, ENC(0x73, 1, 0), CSRRW,  L_CSR),
    P(M_F3, ENC(0x73, 2, 0), CSRRS,  L_CSR),
    P(M_F3, ENC(0x73, 3, 0), CSRRC,  L_CSR),
    P(M_F3, ENC(0x73, 5, 0), CSRRWI, L_CSRI),
    P(M_F3, ENC(0x73, 6, 0), CSRRSI, L_CSRI),
    P(M_F3, ENC(0x73, 7, 0), CSRRCI, L_CSRI),
};

struct pattern_list {
    const struct pattern *p;
    unsigned n;
};

#define LIST(t) { (t), ARRAY_SIZE(t) }

/* Indexed by bits 6:2 of the instruction. */
static const struct pattern_list major[32] = {
    [0x00] = LIST(tbl_load),     [0x01] = LIST(tbl_load_fp),
    [0x03] = LIST(tbl_misc_mem), [0x04] = LIST(tbl_op_imm),
    [0x05] = LIST(tbl_auipc),    [0x06] = LIST(tbl_op_imm_32),
    [0x08] = LIST(tbl_store),    [0x09] = LIST(tbl_store_fp),
    [0x0b] = LIST(tbl_amo),      [0x0c] = LIST(tbl_op),
    [0x0d] = LIST(tbl_lui),      [0x0e] = LIST(tbl_op_32),
    [0x10] = LIST(tbl_madd),     [0x11] = LIST(tbl_msub),
    [0x12] = LIST(tbl_nmsub),    [0x13] = LIST(tbl_nmadd),
    [0x14] = LIST(tbl_op_fp),    [0x18] = LIST(tbl_branch),
    [0x19] = LIST(tbl_jalr),     [0x1b] = LIST(tbl_jal),
    [0x1c] = LIST(tbl_system),
};

static int64_t imm_i(uint32_t w)
{
    return sext(field(w, 31, 20), 12);
}

static int64_t imm_s(uint32_t w)
{
    return sext(field(w, 31, 25) << 5 | field(w, 11, 7), 12);
}

static int64_t imm_b(uint32_t w)
{
    return sext(field(w, 31, 31) << 12 | field(w, 7, 7) << 11 |
                field(w, 30, 25) << 5 | field(w, 11, 8) << 1, 13);
}

static int64_t imm_u(uint32_t w)
{
    return sext(w & 0xfffff000u, 32);
}

static int64_t imm_j(uint32_t w)
{
    return sext(field(w, 31, 31) << 20 | field(w, 19, 12) << 12 |
                field(w, 20, 20) << 11 | field(w, 30, 21) << 1, 21);
}

static void set_rm(struct riscv_insn *insn, uint32_t w)
{
    insn->rm = field(w, 14, 12);
    if (insn->rm == 5 || insn->rm == 6)
        insn->flags |= RV_INSN_RM_RESERVED;
}

/* What each layout carries: register and other fields, then one kind of
 * immediate. */
enum {
    F_RD = 1 << 0, F_RS1 = 1 << 1, F_RS2 = 1 << 2, F_RS3 = 1 << 3,
    F_RM = 1 << 4, F_AQRL = 1 << 5, F_CSR = 1 << 6, F_FENCE = 1 << 7,
};

enum imm_kind {
    IMM_NONE, IMM_I, IMM_S, IMM_B, IMM_U, IMM_J,
    IMM_SHAMT,          /* bits 25:20, must be < XLEN */
    IMM_SHAMTW,         /* bits 24:20 */
    IMM_ZIMM,           /* the rs1 field as a 5-bit unsigned value */
    IMM_PREFETCH,       /* I-type with imm[4:0] (the prefetch kind) cleared */
};

static const struct {
    uint8_t fields;
    uint8_t imm;
} layouts[] = {
    [L_NONE]     = { 0, IMM_NONE },
    [L_R]        = { F_RD | F_RS1 | F_RS2, IMM_NONE },
    [L_R1]       = { F_RD | F_RS1, IMM_NONE },
    [L_R_RM]     = { F_RD | F_RS1 | F_RS2 | F_RM, IMM_NONE },
    [L_R1_RM]    = { F_RD | F_RS1 | F_RM, IMM_NONE },
    [L_R4]       = { F_RD | F_RS1 | F_RS2 | F_RS3 | F_RM, IMM_NONE },
    [L_I]        = { F_RD | F_RS1, IMM_I },
    [L_S]        = { F_RS1 | F_RS2, IMM_S },
    [L_B]        = { F_RS1 | F_RS2, IMM_B },
    [L_U]        = { F_RD, IMM_U },
    [L_J]        = { F_RD, IMM_J },
    [L_SHIFT]    = { F_RD | F_RS1, IMM_SHAMT },
    [L_SHIFTW]   = { F_RD | F_RS1, IMM_SHAMTW },
    [L_CSR]      = { F_RD | F_RS1 | F_CSR, IMM_NONE },
    [L_CSRI]     = { F_RD | F_RS1 | F_CSR, IMM_ZIMM },
    /* rd, rs1 and unknown fm values of FENCE are reserved for finer
     * fences and must be ignored, so they are kept, not rejected. */
    [L_FENCE]    = { F_RD | F_RS1 | F_FENCE, IMM_NONE },
    [L_AMO]      = { F_RD | F_RS1 | F_RS2 | F_AQRL, IMM_NONE },
    [L_RS1]      = { F_RS1, IMM_NONE },
    [L_RS1_RS2]  = { F_RS1 | F_RS2, IMM_NONE },
    [L_PREFETCH] = { F_RS1, IMM_PREFETCH },
};

/* Sets insn->imm; false if the value is reserved (a shift amount that
 * does not fit XLEN). */
static bool extract_imm(struct riscv_insn *insn, uint32_t w,
                        enum imm_kind kind, unsigned xlen)
{
    switch (kind) {
    case IMM_NONE:     break;
    case IMM_I:        insn->imm = imm_i(w); break;
    case IMM_S:        insn->imm = imm_s(w); break;
    case IMM_B:        insn->imm = imm_b(w); break;
    case IMM_U:        insn->imm = imm_u(w); break;
    case IMM_J:        insn->imm = imm_j(w); break;
    case IMM_SHAMTW:   insn->imm = field(w, 24, 20); break;
    case IMM_ZIMM:     insn->imm = field(w, 19, 15); break;
    case IMM_PREFETCH: insn->imm = imm_i(w) & ~(int64_t)0x1f; break;
    case IMM_SHAMT:
        insn->imm = field(w, 25, 20);
        return insn->imm < xlen;
    }
    return true;
}

/* Fills the fields 'layout' names; false if the encoding is reserved in
 * a way the pattern's mask cannot express. */
static bool extract(struct riscv_insn *insn, uint32_t w, enum layout layout,
                    unsigned xlen)
{
    unsigned fields = layouts[layout].fields;

    if (fields & F_RD)
        insn->rd = field(w, 11, 7);
    if (fields & F_RS1)
        insn->rs1 = field(w, 19, 15);
    if (fields & F_RS2)
        insn->rs2 = field(w, 24, 20);
    if (fields & F_RS3)
        insn->rs3 = field(w, 31, 27);
    if (fields & F_RM)
        set_rm(insn, w);
    if (fields & F_AQRL) {
        insn->aq = field(w, 26, 26);
        insn->rl = field(w, 25, 25);
    }
    if (fields & F_CSR)
        insn->csr = field(w, 31, 20);
    if (fields & F_FENCE) {
        insn->fm = field(w, 31, 28);
        insn->pred = field(w, 27, 24);
        insn->succ = field(w, 23, 20);
    }
    return extract_imm(insn, w, layouts[layout].imm, xlen);
}

static bool op_allowed(enum riscv_op op, const struct riscv_isa *isa)
{
    const struct riscv_op_info *info = &riscv_op_info[op];

    if (!(isa->ext & (1u << info->ext)))
        return false;
    return !(info->flags & RV_OPF_RV64) || isa->xlen == 64;
}

static void decode32(struct riscv_insn *insn, uint32_t w,
                     const struct riscv_isa *isa)
{
    const struct pattern_list *list = &major[field(w, 6, 2)];

    for (unsigned i = 0; i < list->n; i++) {
        const struct pattern *p = &list->p[i];

        if ((w & p->mask) != p->match)
            continue;
        if (p->xlen && p->xlen != isa->xlen)
            continue;
        /* A carved-out special case of a disabled extension (pause,
         * prefetch.*) falls back to the general encoding below it. */
        if (!op_allowed(p->op, isa))
            continue;
        if (!extract(insn, w, p->layout, isa->xlen))
            break;
        insn->op = p->op;
        return;
    }
    set_illegal(insn, w, 4);
}

/* ---- 16-bit instructions ---- */

/* Register fields of the compressed formats. */
static inline uint8_t c_rd_full(uint16_t c)  { return field(c, 11, 7); }
static inline uint8_t c_rs2_full(uint16_t c) { return field(c, 6, 2); }
static inline uint8_t c_r_hi(uint16_t c)     { return 8 + field(c, 9, 7); }
static inline uint8_t c_r_lo(uint16_t c)     { return 8 + field(c, 4, 2); }

/* CI-format 6-bit signed immediate: imm[5] = bit 12, imm[4:0] = 6:2. */
static int64_t c_imm6(uint16_t c)
{
    return sext(field(c, 12, 12) << 5 | field(c, 6, 2), 6);
}

/* Shift amount: shamt[5] = bit 12, shamt[4:0] = 6:2 (unsigned). */
static unsigned c_shamt(uint16_t c)
{
    return field(c, 12, 12) << 5 | field(c, 6, 2);
}

/* c.addi4spn: nzuimm[5:4|9:6|2|3] in bits 12:5. */
static int64_t c_imm_addi4spn(uint16_t c)
{
    return field(c, 12, 11) << 4 | field(c, 10, 7) << 6 |
           field(c, 6, 6) << 2 | field(c, 5, 5) << 3;
}

/* c.lw / c.sw / c.flw / c.fsw: uimm[5:3] = 12:10, [2] = 6, [6] = 5. */
static int64_t c_imm_lw(uint16_t c)
{
    return field(c, 12, 10) << 3 | field(c, 6, 6) << 2 | field(c, 5, 5) << 6;
}

/* c.ld / c.sd / c.fld / c.fsd: uimm[5:3] = 12:10, [7:6] = 6:5. */
static int64_t c_imm_ld(uint16_t c)
{
    return field(c, 12, 10) << 3 | field(c, 6, 5) << 6;
}

/* c.addi16sp: nzimm[9] = 12, [4|6|8:7|5] = 6:2. */
static int64_t c_imm_addi16sp(uint16_t c)
{
    return sext(field(c, 12, 12) << 9 | field(c, 6, 6) << 4 |
                field(c, 5, 5) << 6 | field(c, 4, 3) << 7 |
                field(c, 2, 2) << 5, 10);
}

/* c.lui: nzimm[17] = 12, [16:12] = 6:2. */
static int64_t c_imm_lui(uint16_t c)
{
    return sext(field(c, 12, 12) << 17 | field(c, 6, 2) << 12, 18);
}

/* c.j / c.jal: offset[11|4|9:8|10|6|7|3:1|5] in bits 12:2. */
static int64_t c_imm_j(uint16_t c)
{
    return sext(field(c, 12, 12) << 11 | field(c, 11, 11) << 4 |
                field(c, 10, 9) << 8 | field(c, 8, 8) << 10 |
                field(c, 7, 7) << 6 | field(c, 6, 6) << 7 |
                field(c, 5, 3) << 1 | field(c, 2, 2) << 5, 12);
}

/* c.beqz / c.bnez: offset[8|4:3] = 12:10, [7:6|2:1|5] = 6:2. */
static int64_t c_imm_b(uint16_t c)
{
    return sext(field(c, 12, 12) << 8 | field(c, 11, 10) << 3 |
                field(c, 6, 5) << 6 | field(c, 4, 3) << 1 |
                field(c, 2, 2) << 5, 9);
}

/* c.lwsp / c.flwsp: uimm[5] = 12, [4:2|7:6] = 6:2. */
static int64_t c_imm_lwsp(uint16_t c)
{
    return field(c, 12, 12) << 5 | field(c, 6, 4) << 2 | field(c, 3, 2) << 6;
}

/* c.ldsp / c.fldsp: uimm[5] = 12, [4:3|8:6] = 6:2. */
static int64_t c_imm_ldsp(uint16_t c)
{
    return field(c, 12, 12) << 5 | field(c, 6, 5) << 3 | field(c, 4, 2) << 6;
}

/* c.swsp / c.fswsp: uimm[5:2|7:6] = 12:7. */
static int64_t c_imm_swsp(uint16_t c)
{
    return field(c, 12, 9) << 2 | field(c, 8, 7) << 6;
}

/* c.sdsp / c.fsdsp: uimm[5:3|8:6] = 12:7. */
static int64_t c_imm_sdsp(uint16_t c)
{
    return field(c, 12, 10) << 3 | field(c, 9, 7) << 6;
}

/* Records the 32-bit instruction a compressed one expands to. */
static bool c_expand(struct riscv_insn *insn, enum riscv_cop cop,
                     enum riscv_op op, uint8_t rd, uint8_t rs1, uint8_t rs2,
                     int64_t imm)
{
    insn->cop = cop;
    insn->op = op;
    insn->rd = rd;
    insn->rs1 = rs1;
    insn->rs2 = rs2;
    insn->imm = imm;
    return true;
}

/* Quadrant 0: stack-pointer-based addi and loads/stores through rs1'. */
static bool decode_q0(struct riscv_insn *insn, uint16_t c, unsigned xlen)
{
    uint8_t rs1 = c_r_hi(c), r = c_r_lo(c);
    bool rv32 = xlen == 32;

    switch (field(c, 15, 13)) {
    case 0:
        if (c_imm_addi4spn(c) == 0)     /* includes the all-zero parcel */
            return false;
        return c_expand(insn, RV_COP_ADDI4SPN, RV_OP_ADDI, r, 2, 0,
                        c_imm_addi4spn(c));
    case 1:
        return c_expand(insn, RV_COP_FLD, RV_OP_FLD, r, rs1, 0,
                        c_imm_ld(c));
    case 2:
        return c_expand(insn, RV_COP_LW, RV_OP_LW, r, rs1, 0, c_imm_lw(c));
    case 3:
        if (rv32)
            return c_expand(insn, RV_COP_FLW, RV_OP_FLW, r, rs1, 0,
                            c_imm_lw(c));
        return c_expand(insn, RV_COP_LD, RV_OP_LD, r, rs1, 0, c_imm_ld(c));
    case 5:
        return c_expand(insn, RV_COP_FSD, RV_OP_FSD, 0, rs1, r,
                        c_imm_ld(c));
    case 6:
        return c_expand(insn, RV_COP_SW, RV_OP_SW, 0, rs1, r, c_imm_lw(c));
    case 7:
        if (rv32)
            return c_expand(insn, RV_COP_FSW, RV_OP_FSW, 0, rs1, r,
                            c_imm_lw(c));
        return c_expand(insn, RV_COP_SD, RV_OP_SD, 0, rs1, r, c_imm_ld(c));
    default:                            /* 4: reserved */
        return false;
    }
}

/* Quadrant 1, funct3 = 100: shifts, andi and register-register ALU ops
 * on the rd'/rs2' registers. */
static bool decode_q1_alu(struct riscv_insn *insn, uint16_t c, unsigned xlen)
{
    static const struct { enum riscv_cop cop; enum riscv_op op; } rr[8] = {
        { RV_COP_SUB, RV_OP_SUB },   { RV_COP_XOR, RV_OP_XOR },
        { RV_COP_OR, RV_OP_OR },     { RV_COP_AND, RV_OP_AND },
        { RV_COP_SUBW, RV_OP_SUBW }, { RV_COP_ADDW, RV_OP_ADDW },
        { RV_COP_NONE, RV_OP_ILLEGAL }, { RV_COP_NONE, RV_OP_ILLEGAL },
    };
    uint8_t rd = c_r_hi(c);
    unsigned sel;

    switch (field(c, 11, 10)) {
    case 0:
    case 1:
        /* RV32 has no shamt[5]; shamt 0 is a hint (RV128's 64). */
        if (xlen == 32 && field(c, 12, 12))
            return false;
        if (field(c, 11, 10) == 0)
            return c_expand(insn, RV_COP_SRLI, RV_OP_SRLI, rd, rd, 0,
                            c_shamt(c));
        return c_expand(insn, RV_COP_SRAI, RV_OP_SRAI, rd, rd, 0,
                        c_shamt(c));
    case 2:
        return c_expand(insn, RV_COP_ANDI, RV_OP_ANDI, rd, rd, 0, c_imm6(c));
    default:
        sel = field(c, 12, 12) << 2 | field(c, 6, 5);
        if (rr[sel].op == RV_OP_ILLEGAL)
            return false;
        return c_expand(insn, rr[sel].cop, rr[sel].op, rd, rd, c_r_lo(c), 0);
    }
}

/* Quadrant 1: immediates, jumps and branches. */
static bool decode_q1(struct riscv_insn *insn, uint16_t c, unsigned xlen)
{
    uint8_t rd = c_rd_full(c);

    switch (field(c, 15, 13)) {
    case 0:
        return c_expand(insn, rd ? RV_COP_ADDI : RV_COP_NOP, RV_OP_ADDI,
                        rd, rd, 0, c_imm6(c));
    case 1:
        if (xlen == 32)
            return c_expand(insn, RV_COP_JAL, RV_OP_JAL, 1, 0, 0,
                            c_imm_j(c));
        if (rd == 0)
            return false;
        return c_expand(insn, RV_COP_ADDIW, RV_OP_ADDIW, rd, rd, 0,
                        c_imm6(c));
    case 2:
        return c_expand(insn, RV_COP_LI, RV_OP_ADDI, rd, 0, 0, c_imm6(c));
    case 3:
        if (rd == 2) {
            if (c_imm_addi16sp(c) == 0)
                return false;
            return c_expand(insn, RV_COP_ADDI16SP, RV_OP_ADDI, 2, 2, 0,
                            c_imm_addi16sp(c));
        }
        if (c_imm_lui(c) == 0)
            return false;
        return c_expand(insn, RV_COP_LUI, RV_OP_LUI, rd, 0, 0, c_imm_lui(c));
    case 4:
        return decode_q1_alu(insn, c, xlen);
    case 5:
        return c_expand(insn, RV_COP_J, RV_OP_JAL, 0, 0, 0, c_imm_j(c));
    case 6:
        return c_expand(insn, RV_COP_BEQZ, RV_OP_BEQ, 0, c_r_hi(c), 0,
                        c_imm_b(c));
    default:
        return c_expand(insn, RV_COP_BNEZ, RV_OP_BNE, 0, c_r_hi(c), 0,
                        c_imm_b(c));
    }
}

/* Quadrant 2, funct3 = 100: jr, mv, ebreak, jalr, add. */
static bool decode_q2_cr(struct riscv_insn *insn, uint16_t c)
{
    uint8_t r1 = c_rd_full(c), r2 = c_rs2_full(c);

    if (!field(c, 12, 12)) {
        if (r2)
            return c_expand(insn, RV_COP_MV, RV_OP_ADD, r1, 0, r2, 0);
        if (r1 == 0)
            return false;
        return c_expand(insn, RV_COP_JR, RV_OP_JALR, 0, r1, 0, 0);
    }
    if (r2)
        return c_expand(insn, RV_COP_ADD, RV_OP_ADD, r1, r1, r2, 0);
    if (r1 == 0)
        return c_expand(insn, RV_COP_EBREAK, RV_OP_EBREAK, 0, 0, 0, 0);
    return c_expand(insn, RV_COP_JALR, RV_OP_JALR, 1, r1, 0, 0);
}

/* Quadrant 2: sp-based loads/stores, slli and the CR format. */
static bool decode_q2(struct riscv_insn *insn, uint16_t c, unsigned xlen)
{
    uint8_t rd = c_rd_full(c), rs2 = c_rs2_full(c);
    bool rv32 = xlen == 32;

    switch (field(c, 15, 13)) {
    case 0:
        if (rv32 && field(c, 12, 12))
            return false;
        return c_expand(insn, RV_COP_SLLI, RV_OP_SLLI, rd, rd, 0,
                        c_shamt(c));
    case 1:
        return c_expand(insn, RV_COP_FLDSP, RV_OP_FLD, rd, 2, 0,
                        c_imm_ldsp(c));
    case 2:
        if (rd == 0)
            return false;
        return c_expand(insn, RV_COP_LWSP, RV_OP_LW, rd, 2, 0,
                        c_imm_lwsp(c));
    case 3:
        if (rv32)
            return c_expand(insn, RV_COP_FLWSP, RV_OP_FLW, rd, 2, 0,
                            c_imm_lwsp(c));
        if (rd == 0)
            return false;
        return c_expand(insn, RV_COP_LDSP, RV_OP_LD, rd, 2, 0,
                        c_imm_ldsp(c));
    case 4:
        return decode_q2_cr(insn, c);
    case 5:
        return c_expand(insn, RV_COP_FSDSP, RV_OP_FSD, 0, 2, rs2,
                        c_imm_sdsp(c));
    case 6:
        return c_expand(insn, RV_COP_SWSP, RV_OP_SW, 0, 2, rs2,
                        c_imm_swsp(c));
    default:
        if (rv32)
            return c_expand(insn, RV_COP_FSWSP, RV_OP_FSW, 0, 2, rs2,
                            c_imm_swsp(c));
        return c_expand(insn, RV_COP_SDSP, RV_OP_SD, 0, 2, rs2,
                        c_imm_sdsp(c));
    }
}

static void decode16(struct riscv_insn *insn, uint16_t c,
                     const struct riscv_isa *isa)
{
    bool ok = false;

    if (isa->ext & RV_EXT_BIT(C)) {
        switch (c & 3) {
        case 0:
            ok = decode_q0(insn, c, isa->xlen);
            break;
        case 1:
            ok = decode_q1(insn, c, isa->xlen);
            break;
        default:
            ok = decode_q2(insn, c, isa->xlen);
            break;
        }
    }
    /* c.fld needs D, c.ld RV64 and so on: the expansion must itself be
     * an instruction of the ISA. */
    if (!ok || !op_allowed(insn->op, isa))
        set_illegal(insn, c, 2);
}

unsigned riscv_decode(struct riscv_insn *insn, uint32_t bits,
                      const struct riscv_isa *isa)
{
    unsigned len = riscv_insn_len(bits & 0xffff);

    set_illegal(insn, len == 2 ? (bits & 0xffff) : bits, len);
    /* A reserved >=192-bit encoding also reports length 2 (so the fetch
     * stops at one parcel) but is illegal, not a compressed instruction. */
    if (len == 2 && (bits & 0x3) != 0x3)
        decode16(insn, bits & 0xffff, isa);
    else if (len == 4)
        decode32(insn, bits, isa);
    return len;
}

const char *riscv_op_name(enum riscv_op op)
{
    if ((unsigned)op >= RV_OP_COUNT)
        return riscv_op_info[RV_OP_ILLEGAL].name;
    return riscv_op_info[op].name;
}

enum riscv_ext riscv_op_ext(enum riscv_op op)
{
    if ((unsigned)op >= RV_OP_COUNT)
        return RV_EXT_I;
    return riscv_op_info[op].ext;
}

static const char *const cop_names[RV_COP_COUNT] = {
    [RV_COP_ADDI4SPN] = "c.addi4spn", [RV_COP_FLD] = "c.fld",
    [RV_COP_LW] = "c.lw",             [RV_COP_LD] = "c.ld",
    [RV_COP_FLW] = "c.flw",           [RV_COP_FSD] = "c.fsd",
    [RV_COP_SW] = "c.sw",             [RV_COP_SD] = "c.sd",
    [RV_COP_FSW] = "c.fsw",           [RV_COP_NOP] = "c.nop",
    [RV_COP_ADDI] = "c.addi",         [RV_COP_JAL] = "c.jal",
    [RV_COP_ADDIW] = "c.addiw",       [RV_COP_LI] = "c.li",
    [RV_COP_ADDI16SP] = "c.addi16sp", [RV_COP_LUI] = "c.lui",
    [RV_COP_SRLI] = "c.srli",         [RV_COP_SRAI] = "c.srai",
    [RV_COP_ANDI] = "c.andi",         [RV_COP_SUB] = "c.sub",
    [RV_COP_XOR] = "c.xor",           [RV_COP_OR] = "c.or",
    [RV_COP_AND] = "c.and",           [RV_COP_SUBW] = "c.subw",
    [RV_COP_ADDW] = "c.addw",         [RV_COP_J] = "c.j",
    [RV_COP_BEQZ] = "c.beqz",         [RV_COP_BNEZ] = "c.bnez",
    [RV_COP_SLLI] = "c.slli",         [RV_COP_FLDSP] = "c.fldsp",
    [RV_COP_LWSP] = "c.lwsp",         [RV_COP_LDSP] = "c.ldsp",
    [RV_COP_FLWSP] = "c.flwsp",       [RV_COP_JR] = "c.jr",
    [RV_COP_MV] = "c.mv",             [RV_COP_EBREAK] = "c.ebreak",
    [RV_COP_JALR] = "c.jalr",         [RV_COP_ADD] = "c.add",
    [RV_COP_FSDSP] = "c.fsdsp",       [RV_COP_SWSP] = "c.swsp",
    [RV_COP_SDSP] = "c.sdsp",         [RV_COP_FSWSP] = "c.fswsp",
};

const char *riscv_cop_name(enum riscv_cop cop)
{
    if ((unsigned)cop >= RV_COP_COUNT)
        return NULL;
    return cop_names[cop];
}
