/*
 * RISC-V instruction decoder: one 16- or 32-bit instruction in, one
 * struct riscv_insn out.  Compressed instructions come out expanded to
 * the 32-bit instruction they stand for (op, registers, immediate), with
 * the compressed form kept in 'cop', so the translator handles one set of
 * operations and the disassembler can still print what was written.
 *
 * The decoder is pure (no state, no allocation) and safe on any input:
 * an encoding that is not an instruction of the given ISA decodes to
 * RV_OP_ILLEGAL with its length still set, so a caller can step over it.
 */
#ifndef CPU_RISCV_DECODE_H
#define CPU_RISCV_DECODE_H

#include <stdbool.h>
#include <stdint.h>

enum riscv_op {
    RV_OP_ILLEGAL = 0,
#define RV_OP(id, name, ext, fmt, flags) RV_OP_##id,
#include "cpu/riscv/insn.def"
#undef RV_OP
    RV_OP_COUNT
};

/* Extensions an ISA can enable, one bit each in riscv_isa.ext. */
enum riscv_ext {
    RV_EXT_I,
    RV_EXT_M,
    RV_EXT_A,
    RV_EXT_F,
    RV_EXT_D,
    RV_EXT_C,
    RV_EXT_ZICSR,
    RV_EXT_ZIFENCEI,
    RV_EXT_ZIHINTPAUSE,
    RV_EXT_ZBA,
    RV_EXT_ZBB,
    RV_EXT_ZBC,
    RV_EXT_ZBS,
    RV_EXT_ZICOND,
    RV_EXT_ZICBOM,
    RV_EXT_ZICBOZ,
    RV_EXT_ZICBOP,
    RV_EXT_PRIV,        /* mret, sret, wfi, sfence.vma */
    RV_EXT_SDEXT,       /* dret (debug mode) */
    RV_EXT_LEGACY,      /* withdrawn: uret, sfence.vm, hret (disassembly) */
    RV_EXT_COUNT
};

#define RV_EXT_BIT(e)   (1u << RV_EXT_##e)

/* RV64GC plus every extension above that a weft guest may have. */
#define RV_EXT_GUEST_ALL                                                  \
    (RV_EXT_BIT(I) | RV_EXT_BIT(M) | RV_EXT_BIT(A) | RV_EXT_BIT(F) |      \
     RV_EXT_BIT(D) | RV_EXT_BIT(C) | RV_EXT_BIT(ZICSR) |                  \
     RV_EXT_BIT(ZIFENCEI) | RV_EXT_BIT(ZIHINTPAUSE) | RV_EXT_BIT(ZBA) |   \
     RV_EXT_BIT(ZBB) | RV_EXT_BIT(ZBC) | RV_EXT_BIT(ZBS) |                \
     RV_EXT_BIT(ZICOND) | RV_EXT_BIT(ZICBOM) | RV_EXT_BIT(ZICBOZ) |       \
     RV_EXT_BIT(ZICBOP) | RV_EXT_BIT(PRIV))

struct riscv_isa {
    unsigned xlen;      /* 32 or 64 */
    uint32_t ext;       /* RV_EXT_BIT() set */
};

/* What the disassembler decodes by default: everything, RV64. */
extern const struct riscv_isa riscv_isa_disas;

/* The compressed form an instruction was fetched as (RV_COP_NONE for a
 * 32-bit one).  Names follow the C extension chapter. */
enum riscv_cop {
    RV_COP_NONE = 0,
    RV_COP_ADDI4SPN, RV_COP_FLD, RV_COP_LW, RV_COP_LD, RV_COP_FLW,
    RV_COP_FSD, RV_COP_SW, RV_COP_SD, RV_COP_FSW,
    RV_COP_NOP, RV_COP_ADDI, RV_COP_JAL, RV_COP_ADDIW, RV_COP_LI,
    RV_COP_ADDI16SP, RV_COP_LUI, RV_COP_SRLI, RV_COP_SRAI, RV_COP_ANDI,
    RV_COP_SUB, RV_COP_XOR, RV_COP_OR, RV_COP_AND, RV_COP_SUBW,
    RV_COP_ADDW, RV_COP_J, RV_COP_BEQZ, RV_COP_BNEZ,
    RV_COP_SLLI, RV_COP_FLDSP, RV_COP_LWSP, RV_COP_LDSP, RV_COP_FLWSP,
    RV_COP_JR, RV_COP_MV, RV_COP_EBREAK, RV_COP_JALR, RV_COP_ADD,
    RV_COP_FSDSP, RV_COP_SWSP, RV_COP_SDSP, RV_COP_FSWSP,
    RV_COP_COUNT
};

/* riscv_insn.flags */
enum {
    /* The rm field holds a reserved value (5 or 6).  The encoding still
     * names the operation, but executing it must raise an illegal
     * instruction exception; the disassembler prints rm as "unknown". */
    RV_INSN_RM_RESERVED = 1u << 0,
};

/* Rounding-mode field values. */
enum { RV_RM_RNE, RV_RM_RTZ, RV_RM_RDN, RV_RM_RUP, RV_RM_RMM,
       RV_RM_DYN = 7 };

struct riscv_insn {
    enum riscv_op op;   /* RV_OP_ILLEGAL: not an instruction of the ISA */
    enum riscv_cop cop; /* compressed form, RV_COP_NONE for 32-bit */
    uint32_t raw;       /* the fetched bits (16 or 32 of them) */
    uint8_t len;        /* bytes: 2 or 4; up to 22 for (illegal) longer */
    uint8_t rd, rs1, rs2, rs3;  /* integer or FP register numbers */
    uint8_t rm;         /* FP rounding mode, RV_RM_DYN = use frm */
    uint8_t pred, succ; /* FENCE sets: bit 3 I, 2 O, 1 R, 0 W */
    uint8_t fm;         /* FENCE mode (8 = TSO) */
    bool aq, rl;        /* A extension ordering bits */
    uint16_t csr;       /* Zicsr: CSR number */
    uint16_t flags;     /* RV_INSN_* */
    /*
     * The immediate, ready to use: sign-extended to 64 bits for I/S/B/
     * U/J formats (LUI/AUIPC: the value with its low 12 bits clear;
     * branches and jumps: the byte offset from the instruction), the
     * shift amount for shifts, the 5-bit zimm for CSR*I (rs1 holds the
     * same field), the offset for prefetches.
     */
    int64_t imm;
};

/*
 * Length in bytes of the instruction whose first 16-bit parcel is
 * 'parcel', by the standard length encoding: 2, 4, 6, 8 or 10..22.  The
 * reserved >= 192-bit prefix counts as 2, as objdump does, so a scan
 * never skips more than it can see.
 */
static inline unsigned riscv_insn_len(uint16_t parcel)
{
    if ((parcel & 0x3) != 0x3)
        return 2;
    if ((parcel & 0x1f) != 0x1f)
        return 4;
    if ((parcel & 0x3f) == 0x1f)
        return 6;
    if ((parcel & 0x7f) == 0x3f)
        return 8;
    if (((parcel >> 12) & 0x7) != 0x7)
        return 10 + 2 * ((parcel >> 12) & 0x7);
    return 2;
}

/*
 * Decodes the instruction in 'bits' (the first 32 bits at the pc, in
 * host order; only the low 16 are looked at when they are a compressed
 * instruction) for 'isa'.  Fills all of *insn and returns insn->len.
 * Instructions longer than 4 bytes are never decoded: they come out
 * RV_OP_ILLEGAL with their length.
 */
unsigned riscv_decode(struct riscv_insn *insn, uint32_t bits,
                      const struct riscv_isa *isa);

/* Canonical mnemonic of an op ("addi", "fcvt.d.w"); "illegal" for
 * RV_OP_ILLEGAL and out-of-range values. */
const char *riscv_op_name(enum riscv_op op);

/* "c.addi4spn" and so on; NULL for RV_COP_NONE. */
const char *riscv_cop_name(enum riscv_cop cop);

/* The extension an op belongs to. */
enum riscv_ext riscv_op_ext(enum riscv_op op);

#endif
