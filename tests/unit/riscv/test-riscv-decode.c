/*
 * The RISC-V decoder on its own: decoded fields of chosen encodings
 * (immediate sign extension per format, compressed expansion, XLEN and
 * extension gating, reserved encodings), the compressed expansion of
 * every 16-bit parcel against the 32-bit instruction it claims to be,
 * and random words through decoder and disassembler with the input
 * placed against an unmapped page, so a read past 'avail' faults.
 */
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu/riscv/csr-names.h"
#include "cpu/riscv/decode.h"
#include "cpu/riscv/disas.h"
#include "test.h"
#include "util/compiler.h"

static const struct riscv_isa rv64 = { 64, RV_EXT_GUEST_ALL };
static const struct riscv_isa rv32 = { 32, RV_EXT_GUEST_ALL };

static struct riscv_insn dec(uint32_t bits, const struct riscv_isa *isa)
{
    struct riscv_insn insn;

    riscv_decode(&insn, bits, isa);
    return insn;
}

/* Expected fields of one encoding; unlisted fields must be zero. */
struct expect {
    uint32_t bits;
    enum riscv_op op;
    uint8_t len, rd, rs1, rs2, rs3;
    int64_t imm;
    enum riscv_cop cop;
};

#define X(b, o, l, d, s1, s2, s3, i, c) \
    { b, RV_OP_##o, l, d, s1, s2, s3, i, RV_COP_##c }

static const struct expect rv64_fields[] = {
    /* U and J formats: the full signed range */
    X(0xfffff537, LUI,   4, 10, 0, 0, 0, -4096, NONE),
    X(0x80000517, AUIPC, 4, 10, 0, 0, 0, -0x80000000ll, NONE),
    X(0x7ffff56f, JAL,   4, 10, 0, 0, 0, 0xffffe, NONE),
    X(0x8000056f, JAL,   4, 10, 0, 0, 0, -0x100000, NONE),
    /* B and S formats */
    X(0x80b51063, BNE,   4, 0, 10, 11, 0, -4096, NONE),
    X(0x7ea00fe3, BEQ,   4, 0, 0, 10, 0, 4094, NONE),
    X(0x80113023, SD,    4, 0, 2, 1, 0, -2048, NONE),
    X(0x7e012fa3, SW,    4, 0, 2, 0, 0, 2047, NONE),
    /* I format and shifts */
    X(0x80013503, LD,    4, 10, 2, 0, 0, -2048, NONE),
    X(0xfff00513, ADDI,  4, 10, 0, 0, 0, -1, NONE),
    X(0x43f5d513, SRAI,  4, 10, 11, 0, 0, 63, NONE),
    X(0x0bf5951b, SLLI_UW, 4, 10, 11, 0, 0, 63, NONE),
    X(0x61f5d51b, RORIW, 4, 10, 11, 0, 0, 31, NONE),
    X(0xfe316013, PREFETCH_W, 4, 0, 2, 0, 0, -32, NONE),
    /* R4 */
    X(0x6ac58543, FMADD_D, 4, 10, 11, 12, 13, 0, NONE),
    /* compressed, expanded */
    X(0x1fe0, ADDI, 2, 8, 2, 0, 0, 1020, ADDI4SPN),
    X(0x5c7c, LW,   2, 15, 8, 0, 0, 124, LW),
    X(0x7fe4, LD,   2, 9, 15, 0, 0, 248, LD),
    X(0x3fe0, FLD,  2, 8, 15, 0, 0, 248, FLD),
    X(0xfde8, SD,   2, 0, 11, 10, 0, 248, SD),
    X(0x0001, ADDI, 2, 0, 0, 0, 0, 0, NOP),
    X(0x1501, ADDI, 2, 10, 10, 0, 0, -32, ADDI),
    X(0x2ffd, ADDIW, 2, 31, 31, 0, 0, 31, ADDIW),
    X(0x5501, ADDI, 2, 10, 0, 0, 0, -32, LI),
    X(0x7101, ADDI, 2, 2, 2, 0, 0, -512, ADDI16SP),
    X(0x617d, ADDI, 2, 2, 2, 0, 0, 496, ADDI16SP),
    X(0x7081, LUI,  2, 1, 0, 0, 0, -0x20000, LUI),
    X(0x6ffd, LUI,  2, 31, 0, 0, 0, 0x1f000, LUI),
    X(0x93fd, SRLI, 2, 15, 15, 0, 0, 63, SRLI),
    X(0x997d, ANDI, 2, 10, 10, 0, 0, -1, ANDI),
    X(0x9c3d, ADDW, 2, 8, 8, 15, 0, 0, ADDW),
    X(0xb001, JAL,  2, 0, 0, 0, 0, -2048, J),
    X(0xaffd, JAL,  2, 0, 0, 0, 0, 2046, J),
    X(0xd001, BEQ,  2, 0, 8, 0, 0, -256, BEQZ),
    X(0xeffd, BNE,  2, 0, 15, 0, 0, 254, BNEZ),
    X(0x1ffe, SLLI, 2, 31, 31, 0, 0, 63, SLLI),
    X(0x307e, FLD,  2, 0, 2, 0, 0, 504, FLDSP),
    X(0x557e, LW,   2, 10, 2, 0, 0, 252, LWSP),
    X(0x70fe, LD,   2, 1, 2, 0, 0, 504, LDSP),
    X(0x8082, JALR, 2, 0, 1, 0, 0, 0, JR),
    X(0x852e, ADD,  2, 10, 0, 11, 0, 0, MV),
    X(0x9002, EBREAK, 2, 0, 0, 0, 0, 0, EBREAK),
    X(0x9502, JALR, 2, 1, 10, 0, 0, 0, JALR),
    X(0x917e, ADD,  2, 2, 2, 31, 0, 0, ADD),
    X(0xbfaa, FSD,  2, 0, 2, 10, 0, 504, FSDSP),
    X(0xdfaa, SW,   2, 0, 2, 10, 0, 252, SWSP),
    X(0xfffe, SD,   2, 0, 2, 31, 0, 504, SDSP),
    /* hints are instructions */
    X(0x0502, SLLI, 2, 10, 10, 0, 0, 0, SLLI),
    X(0x4005, ADDI, 2, 0, 0, 0, 0, 1, LI),
};

static void check_fields(const struct expect *e, const struct riscv_isa *isa)
{
    struct riscv_insn i = dec(e->bits, isa);

    if (i.op != e->op)
        fprintf(stderr, "%08x: op %s, expected %s\n", e->bits,
                riscv_op_name(i.op), riscv_op_name(e->op));
    CHECK_EQ(i.op, e->op);
    CHECK_EQ(i.len, e->len);
    CHECK_EQ(i.raw, e->bits);
    CHECK_EQ(i.rd, e->rd);
    CHECK_EQ(i.rs1, e->rs1);
    CHECK_EQ(i.rs2, e->rs2);
    CHECK_EQ(i.rs3, e->rs3);
    CHECK_EQ(i.imm, e->imm);
    CHECK_EQ(i.cop, e->cop);
}

static void test_fields_rv64(void)
{
    for (size_t k = 0; k < ARRAY_SIZE(rv64_fields); k++)
        check_fields(&rv64_fields[k], &rv64);
}

static void test_special_fields(void)
{
    struct riscv_insn i;

    i = dec(0x300fd673, &rv64);         /* csrrwi a2,mstatus,31 */
    CHECK_EQ(i.op, RV_OP_CSRRWI);
    CHECK_EQ(i.csr, 0x300);
    CHECK_EQ(i.imm, 31);
    CHECK_EQ(i.rd, 12);
    i = dec(0xfff02573, &rv64);         /* csrr a0, 0xfff */
    CHECK_EQ(i.op, RV_OP_CSRRS);
    CHECK_EQ(i.csr, 0xfff);
    i = dec(0x6ac58543, &rv64);         /* fmadd.d ..., rne */
    CHECK_EQ(i.rm, RV_RM_RNE);
    CHECK_EQ(i.flags, 0);
    i = dec(0x00c5f553, &rv64);         /* fadd.s, dyn */
    CHECK_EQ(i.rm, RV_RM_DYN);
    i = dec(0x00c5d553, &rv64);         /* fadd.s, rm = 5 */
    CHECK_EQ(i.op, RV_OP_FADD_S);
    CHECK_EQ(i.rm, 5);
    CHECK_EQ(i.flags, RV_INSN_RM_RESERVED);
    i = dec(0x68c5e543, &rv64);         /* fmadd.s, rm = 6 */
    CHECK_EQ(i.flags, RV_INSN_RM_RESERVED);
    i = dec(0x04c5b52f, &rv64);         /* amoadd.d.aq */
    CHECK(i.aq && !i.rl);
    CHECK_EQ(i.op, RV_OP_AMOADD_D);
    i = dec(0x1ac5b52f, &rv64);         /* sc.d.rl */
    CHECK(!i.aq && i.rl);
    i = dec(0x0f10000f, &rv64);         /* fence iorw,w */
    CHECK_EQ(i.op, RV_OP_FENCE);
    CHECK_EQ(i.pred, 15);
    CHECK_EQ(i.succ, 1);
    i = dec(0x8330000f, &rv64);
    CHECK_EQ(i.op, RV_OP_FENCE_TSO);
    CHECK_EQ(i.fm, 8);
    /* Reserved FENCE fields are ignored, not illegal. */
    CHECK_EQ(dec(0x0ff5050f, &rv64).op, RV_OP_FENCE);
    CHECK_EQ(dec(0x1ff0000f, &rv64).op, RV_OP_FENCE);
    CHECK_EQ(dec(0x0010100f, &rv64).op, RV_OP_FENCE_I);
    i = dec(0x12b50073, &rv64);
    CHECK_EQ(i.op, RV_OP_SFENCE_VMA);
    CHECK_EQ(i.rs1, 10);
    CHECK_EQ(i.rs2, 11);
}

static void test_illegal(void)
{
    static const uint32_t rv64_illegal[] = {
        /* compressed: defined illegal, reserved */
        0x0000, 0x0004, 0x6101, 0x6501, 0x2001, 0x4002, 0x6002, 0x8002,
        0x9c41, 0x9c61, 0x8000, 0x6001,
        /* shifts out of range, bad funct fields */
        0x04059513, 0x0205951b, 0x4205d51b, 0x42c58533, 0x0805c533,
        /* reserved register fields in fixed encodings */
        0x001000f3, 0x00008073, 0x302000f3, 0x10508073, 0x0015208f,
        0x1035a52f, 0x3805a52f, 0x58159553, 0x42c58553, 0x0035200f,
        /* unallocated: LDU, RV128 OP-IMM, hypervisor loads, fmt=H/Q */
        0x00007003, 0x00004073, 0x04000043, 0x06000053,
        /* longer than 32 bits: never decoded */
        0x0000001f, 0x0000003f, 0x0000007f,
    };

    for (size_t k = 0; k < ARRAY_SIZE(rv64_illegal); k++) {
        struct riscv_insn i = dec(rv64_illegal[k], &rv64);

        if (i.op != RV_OP_ILLEGAL)
            fprintf(stderr, "%08x decodes as %s\n", rv64_illegal[k],
                    riscv_op_name(i.op));
        CHECK_EQ(i.op, RV_OP_ILLEGAL);
        CHECK_EQ(i.rd | i.rs1 | i.rs2 | i.rs3 | i.imm | i.cop, 0);
    }
    CHECK_EQ(dec(0x0000001f, &rv64).len, 6);
    CHECK_EQ(dec(0x0000003f, &rv64).len, 8);
    CHECK_EQ(dec(0x0000007f, &rv64).len, 10);
    CHECK_EQ(dec(0x0000707f, &rv64).len, 2);
}

static void test_rv32(void)
{
    struct riscv_insn i;

    i = dec(0x2001, &rv32);             /* c.jal in RV32 */
    CHECK_EQ(i.op, RV_OP_JAL);
    CHECK_EQ(i.rd, 1);
    CHECK_EQ(i.cop, RV_COP_JAL);
    i = dec(0x6002, &rv32);             /* c.flwsp ft0,0(sp) */
    CHECK_EQ(i.op, RV_OP_FLW);
    CHECK_EQ(i.cop, RV_COP_FLWSP);
    i = dec(0x6188, &rv32);             /* c.flw fa0,0(a1) */
    CHECK_EQ(i.op, RV_OP_FLW);
    i = dec(0x69855513, &rv32);         /* rev8 (RV32 encoding) */
    CHECK_EQ(i.op, RV_OP_REV8);
    CHECK_EQ(dec(0x69855513, &rv64).op, RV_OP_ILLEGAL);
    CHECK_EQ(dec(0x6b855513, &rv32).op, RV_OP_ILLEGAL);
    CHECK_EQ(dec(0x0805c533, &rv32).op, RV_OP_ZEXT_H);
    CHECK_EQ(dec(0x0805c53b, &rv32).op, RV_OP_ILLEGAL);
    CHECK_EQ(dec(0x01f59513, &rv32).op, RV_OP_SLLI);
    CHECK_EQ(dec(0x02059513, &rv32).op, RV_OP_ILLEGAL);   /* shamt 32 */
    CHECK_EQ(dec(0x9001, &rv32).op, RV_OP_ILLEGAL);       /* c.srli 32 */
    CHECK_EQ(dec(0x1002, &rv32).op, RV_OP_ILLEGAL);       /* c.slli 32 */
    CHECK_EQ(dec(0x80013503, &rv32).op, RV_OP_ILLEGAL);   /* ld */
    CHECK_EQ(dec(0x0005851b, &rv32).op, RV_OP_ILLEGAL);   /* addiw */
    CHECK_EQ(dec(0x1005b52f, &rv32).op, RV_OP_ILLEGAL);   /* lr.d */
    CHECK_EQ(dec(0x02c58533, &rv32).op, RV_OP_MUL);
}

static void test_extension_gating(void)
{
    struct riscv_isa isa = rv64;
    struct riscv_insn i;

    isa.ext &= ~RV_EXT_BIT(M);
    CHECK_EQ(dec(0x02c58533, &isa).op, RV_OP_ILLEGAL);
    isa = rv64;
    isa.ext &= ~RV_EXT_BIT(C);
    CHECK_EQ(dec(0x4501, &isa).op, RV_OP_ILLEGAL);
    CHECK_EQ(dec(0x4501, &isa).len, 2);
    isa = rv64;
    isa.ext &= ~RV_EXT_BIT(D);
    CHECK_EQ(dec(0x2188, &isa).op, RV_OP_ILLEGAL);      /* c.fld */
    CHECK_EQ(dec(0x0085b507, &isa).op, RV_OP_ILLEGAL);  /* fld */
    CHECK_EQ(dec(0x0005a507, &isa).op, RV_OP_FLW);
    isa = rv64;
    isa.ext &= ~RV_EXT_BIT(ZIHINTPAUSE);
    i = dec(0x0100000f, &isa);          /* pause is a FENCE w,0 hint */
    CHECK_EQ(i.op, RV_OP_FENCE);
    CHECK_EQ(i.pred, 1);
    CHECK_EQ(dec(0x0100000f, &rv64).op, RV_OP_PAUSE);
    isa = rv64;
    isa.ext &= ~RV_EXT_BIT(ZICBOP);
    i = dec(0x0215e013, &isa);          /* prefetch.r is an ORI to x0 */
    CHECK_EQ(i.op, RV_OP_ORI);
    CHECK_EQ(i.imm, 33);
    CHECK_EQ(dec(0x0215e013, &rv64).op, RV_OP_PREFETCH_R);
    /* guests never get N or Sdext, the disassembler does */
    CHECK_EQ(dec(0x00200073, &rv64).op, RV_OP_ILLEGAL);
    CHECK_EQ(dec(0x00200073, &riscv_isa_disas).op, RV_OP_URET);
    CHECK_EQ(dec(0x7b200073, &rv64).op, RV_OP_ILLEGAL);
    CHECK_EQ(dec(0x7b200073, &riscv_isa_disas).op, RV_OP_DRET);
}

/* ---- compressed expansion against the 32-bit encoding ---- */

static uint32_t enc_i(uint32_t opc, unsigned f3, const struct riscv_insn *i)
{
    return opc | i->rd << 7 | f3 << 12 | i->rs1 << 15 |
           ((uint32_t)i->imm & 0xfff) << 20;
}

static uint32_t enc_s(uint32_t opc, unsigned f3, const struct riscv_insn *i)
{
    uint32_t imm = (uint32_t)i->imm;

    return opc | (imm & 0x1f) << 7 | f3 << 12 | i->rs1 << 15 |
           i->rs2 << 20 | (imm >> 5 & 0x7f) << 25;
}

static uint32_t enc_b(unsigned f3, const struct riscv_insn *i)
{
    uint32_t imm = (uint32_t)i->imm;

    return 0x63 | (imm >> 11 & 1) << 7 | (imm >> 1 & 0xf) << 8 | f3 << 12 |
           i->rs1 << 15 | i->rs2 << 20 | (imm >> 5 & 0x3f) << 25 |
           (imm >> 12 & 1) << 31;
}

static uint32_t enc_j(const struct riscv_insn *i)
{
    uint32_t imm = (uint32_t)i->imm;

    return 0x6f | i->rd << 7 | (imm >> 12 & 0xff) << 12 |
           (imm >> 11 & 1) << 20 | (imm >> 1 & 0x3ff) << 21 |
           (imm >> 20 & 1) << 31;
}

static uint32_t enc_r(unsigned f3, unsigned f7, uint32_t opc,
                      const struct riscv_insn *i)
{
    return opc | i->rd << 7 | f3 << 12 | i->rs1 << 15 | i->rs2 << 20 |
           f7 << 25;
}

/* The standard 32-bit encoding of an instruction a compressed one can
 * expand to, built from the decoded fields. */
static uint32_t encode32(const struct riscv_insn *i)
{
    switch (i->op) {
    case RV_OP_ADDI:  return enc_i(0x13, 0, i);
    case RV_OP_ANDI:  return enc_i(0x13, 7, i);
    case RV_OP_SLLI:  return enc_i(0x13, 1, i);
    case RV_OP_SRLI:  return enc_i(0x13, 5, i);
    case RV_OP_SRAI:  return enc_i(0x13, 5, i) | 0x40000000;
    case RV_OP_ADDIW: return enc_i(0x1b, 0, i);
    case RV_OP_LW:    return enc_i(0x03, 2, i);
    case RV_OP_LD:    return enc_i(0x03, 3, i);
    case RV_OP_FLW:   return enc_i(0x07, 2, i);
    case RV_OP_FLD:   return enc_i(0x07, 3, i);
    case RV_OP_JALR:  return enc_i(0x67, 0, i);
    case RV_OP_SW:    return enc_s(0x23, 2, i);
    case RV_OP_SD:    return enc_s(0x23, 3, i);
    case RV_OP_FSW:   return enc_s(0x27, 2, i);
    case RV_OP_FSD:   return enc_s(0x27, 3, i);
    case RV_OP_BEQ:   return enc_b(0, i);
    case RV_OP_BNE:   return enc_b(1, i);
    case RV_OP_JAL:   return enc_j(i);
    case RV_OP_LUI:   return 0x37 | i->rd << 7 | ((uint32_t)i->imm & ~0xfffu);
    case RV_OP_ADD:   return enc_r(0, 0x00, 0x33, i);
    case RV_OP_SUB:   return enc_r(0, 0x20, 0x33, i);
    case RV_OP_XOR:   return enc_r(4, 0x00, 0x33, i);
    case RV_OP_OR:    return enc_r(6, 0x00, 0x33, i);
    case RV_OP_AND:   return enc_r(7, 0x00, 0x33, i);
    case RV_OP_ADDW:  return enc_r(0, 0x00, 0x3b, i);
    case RV_OP_SUBW:  return enc_r(0, 0x20, 0x3b, i);
    case RV_OP_EBREAK: return 0x00100073;
    default:
        fprintf(stderr, "compressed %04x expands to %s\n", i->raw,
                riscv_op_name(i->op));
        CHECK(0);
        return 0;
    }
}

static void check_expansion(uint16_t c, const struct riscv_isa *isa)
{
    struct riscv_insn ci = dec(c, isa), wi;

    if (ci.op == RV_OP_ILLEGAL) {
        CHECK_EQ(ci.cop, RV_COP_NONE);
        return;
    }
    CHECK(ci.cop != RV_COP_NONE);
    CHECK(riscv_cop_name(ci.cop) != NULL);
    wi = dec(encode32(&ci), isa);
    if (wi.op != ci.op || wi.imm != ci.imm)
        fprintf(stderr, "%04x (%s): 32-bit form decodes as %s imm %lld, "
                "expected imm %lld\n", c, riscv_cop_name(ci.cop),
                riscv_op_name(wi.op), (long long)wi.imm, (long long)ci.imm);
    CHECK_EQ(wi.op, ci.op);
    CHECK_EQ(wi.rd, ci.rd);
    CHECK_EQ(wi.rs1, ci.rs1);
    CHECK_EQ(wi.rs2, ci.rs2);
    CHECK_EQ(wi.imm, ci.imm);
}

static void test_compressed_expansion(void)
{
    unsigned legal64 = 0;

    for (unsigned c = 0; c < 0x10000; c++) {
        if ((c & 3) == 3)
            continue;
        check_expansion(c, &rv64);
        check_expansion(c, &rv32);
        legal64 += dec(c, &rv64).op != RV_OP_ILLEGAL;
    }
    /* A sanity floor: most of the 48K compressed code points are used. */
    CHECK(legal64 > 40000);
}

/* ---- random words: fields in range, no read past 'avail' ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

static void check_sane(const struct riscv_insn *i, uint32_t bits)
{
    unsigned len = riscv_insn_len(bits & 0xffff);

    CHECK_EQ(i->len, len);
    CHECK((unsigned)i->op < RV_OP_COUNT);
    CHECK(i->rd < 32 && i->rs1 < 32 && i->rs2 < 32 && i->rs3 < 32);
    CHECK(i->rm < 8 && i->pred < 16 && i->succ < 16 && i->fm < 16);
    CHECK(i->csr < 4096);
    if (i->op == RV_OP_ILLEGAL)
        CHECK_EQ(i->rd | i->rs1 | i->rs2 | i->imm | i->cop | i->flags, 0);
    if (len == 2)
        CHECK_EQ(i->raw, bits & 0xffff);
    CHECK(len != 2 || i->op == RV_OP_ILLEGAL || i->cop != RV_COP_NONE);
}

/* Bytes placed so the first byte after them is unmapped. */
struct fence_page {
    uint8_t *end;
};

static struct fence_page guard_setup(void)
{
    long page = sysconf(_SC_PAGESIZE);
    uint8_t *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    CHECK(p != MAP_FAILED);
    CHECK(mprotect(p + page, page, PROT_NONE) == 0);
    return (struct fence_page){ p + page };
}

static void disas_guarded(struct fence_page g, uint32_t bits)
{
    char out[96];
    size_t len = riscv_insn_len(bits & 0xffff);

    for (size_t avail = 1; avail <= 4; avail++) {
        uint8_t *at = g.end - avail;
        size_t n;

        for (size_t k = 0; k < avail; k++)
            at[k] = bits >> (8 * k);
        memset(out, 0x55, sizeof(out));
        n = riscv_disas(0x80000000, at, avail, out, sizeof(out));
        CHECK_EQ(n, MIN(len, avail));
        CHECK(memchr(out, '\0', sizeof(out)) != NULL);
        CHECK(out[0] != '\0');
    }
}

/* A short output buffer is filled, terminated, and never overrun. */
static void disas_small_buffer(uint32_t bits)
{
    uint8_t in[4] = { bits, bits >> 8, bits >> 16, bits >> 24 };
    char out[16];

    for (size_t size = 1; size < 8; size++) {
        memset(out, 0x55, sizeof(out));
        riscv_disas(0, in, sizeof(in), out, size);
        CHECK(strlen(out) < size);
        for (size_t k = size; k < sizeof(out); k++)
            CHECK_EQ((uint8_t)out[k], 0x55);
    }
}

static void test_random_words(void)
{
    struct fence_page g = guard_setup();
    struct riscv_insn a, b;
    char out[96];

    for (unsigned long n = 0; n < 2000000; n++) {
        uint32_t bits = n < 0x10000 ? (rnd() & 0xffff0000) | n : rnd();

        riscv_decode(&a, bits, &rv64);
        check_sane(&a, bits);
        riscv_decode(&b, bits, &rv64);
        CHECK(memcmp(&a, &b, sizeof(a)) == 0);
        riscv_decode(&b, bits, &rv32);
        check_sane(&b, bits);
        if (n % 4 == 0)
            disas_guarded(g, bits);
        if (n % 64 == 0)
            disas_small_buffer(bits);
    }
    CHECK_EQ(riscv_disas(0, (const uint8_t *)"", 0, out, sizeof(out)), 0);
    CHECK_EQ(out[0], '\0');
}

/* Exact text for things the objdump comparison cannot reach. */
static void test_disas_text(void)
{
    static const uint8_t long6[6] = { 0x1f, 0, 0x78, 0x56, 0x34, 0x12 };
    struct riscv_insn i;
    char out[96];

    i = dec(0x5678001f, &rv64);
    riscv_disas_insn(&i, &rv64, 0, out, sizeof(out));
    CHECK(!strcmp(out, ".byte\t0x1f, 0x00, 0x78, 0x56, ..."));
    CHECK_EQ(riscv_disas(0, long6, 6, out, sizeof(out)), 6);
    CHECK(!strcmp(out, ".byte\t0x1f, 0x00, 0x78, 0x56, 0x34, 0x12"));
    CHECK_EQ(riscv_disas(0, long6, 5, out, sizeof(out)), 5);
    CHECK(!strcmp(out, ".byte\t0x1f, 0x00, 0x78, 0x56, 0x34"));
    CHECK_EQ(riscv_disas(0, (const uint8_t *)"\x13\x05", 2, out, 96), 2);
    CHECK(!strcmp(out, ".2byte\t0x513"));
    /* branch targets wrap like addresses, RV32 rdcycleh exists */
    CHECK_EQ(riscv_disas(0, (const uint8_t *)"\x63\x10\xb5\x80", 4,
                         out, sizeof(out)), 4);
    CHECK(!strcmp(out, "bne\ta0,a1,fffffffffffff000"));
    CHECK_EQ(riscv_disas_isa(&rv32, 0, (const uint8_t *)"\x73\x25\x00\xc8",
                             4, out, sizeof(out)), 4);
    CHECK(!strcmp(out, "rdcycleh\ta0"));
    CHECK_EQ(riscv_disas(0, (const uint8_t *)"\x73\x25\x00\xc8", 4,
                         out, sizeof(out)), 4);
    CHECK(!strcmp(out, "csrr\ta0,cycleh"));
}

static void test_csr_names(void)
{
    char buf[RISCV_CSR_NAME_MAX];

    CHECK(!strcmp(riscv_csr_name(0x300, buf), "mstatus"));
    CHECK(!strcmp(riscv_csr_name(0x180, buf), "satp"));
    CHECK(!strcmp(riscv_csr_name(0x14d, buf), "stimecmp"));
    CHECK(!strcmp(riscv_csr_name(0x30a, buf), "menvcfg"));
    CHECK(!strcmp(riscv_csr_name(0x3a0, buf), "pmpcfg0"));
    CHECK(!strcmp(riscv_csr_name(0x3ef, buf), "pmpaddr63"));
    CHECK(!strcmp(riscv_csr_name(0xb03, buf), "mhpmcounter3"));
    CHECK(!strcmp(riscv_csr_name(0xb9f, buf), "mhpmcounter31h"));
    CHECK(!strcmp(riscv_csr_name(0xc01, buf), "time"));
    CHECK(riscv_csr_name(0x7ff, buf) == NULL);
    CHECK(riscv_csr_name(0x800, buf) == NULL);
    for (unsigned csr = 0; csr < 4096; csr++) {
        const char *name = riscv_csr_name(csr, buf);

        CHECK(!name || strlen(name) < RISCV_CSR_NAME_MAX);
    }
}

int main(void)
{
    RUN(test_fields_rv64);
    RUN(test_special_fields);
    RUN(test_illegal);
    RUN(test_rv32);
    RUN(test_extension_gating);
    RUN(test_compressed_expansion);
    RUN(test_disas_text);
    RUN(test_csr_names);
    RUN(test_random_words);
    return 0;
}
