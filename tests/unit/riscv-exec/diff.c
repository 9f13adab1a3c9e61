/*
 * Differential test (included by test-riscv-exec.c): random programs run
 * on weft and on qemu-riscv64 (user mode, the same code in a static ELF);
 * the final integer and FP registers, fcsr and a scratch buffer are
 * compared.  A program is a list of "units", each one or a few
 * instructions: integer I/M/Zba/Zbb/Zbc/Zbs/Zicond operations, edge
 * values, compressed instructions, branches and jumps over one
 * instruction, loads/stores/AMOs into the scratch buffer, and F/D
 * arithmetic, conversions, comparisons and fcsr accesses with static and
 * dynamic rounding modes.  Only results the ISA defines are generated
 * (aligned accesses, valid rounding modes, no LR/SC).  Everything is
 * derived from the seed, so "seed N" reproduces a failure.
 *
 * Image at RAM_BASE: "auipc sp, 2" (sp = data page), weft only: FS on
 * and mtvec pointing at a stub that reports failure (qemu gets nops in
 * their place so both images have the same layout), loads of the initial
 * FP and integer registers, frm, the units, stores of the final state,
 * then an epilogue: tohost on weft, write(1) + exit under qemu.  sp (x2)
 * is never a destination.
 *
 * qemu-riscv64 7.2 has no Zicond: its image gets an equivalent branch
 * sequence in place of each czero, padded so addresses stay the same.
 */
#include <elf.h>
#include <sys/stat.h>

#define DIFF_UNITS      250
#define DIFF_CODE_MAX   0x2000
#define DIFF_DATA       0x2000          /* offset of the data page (sp) */
#define DIFF_TRAP_STUB  (DIFF_CODE_MAX - 16)

/* The data page, offsets from sp.  The first D_OUT_END bytes are what
 * is compared (qemu writes them to stdout). */
#define D_SCRATCH       0x000
#define SCRATCH_SIZE    0x400
#define D_OUT_X         0x400
#define D_OUT_F         0x500
#define D_OUT_FCSR      0x600
#define D_OUT_END       0x608
#define D_INIT_X        0x700
#define D_INIT_F        0x800           /* loaded through t0 = sp + 0x400 */
#define D_END           0x900

/* The compared state, laid out as the data page holds it. */
struct diff_state {
    uint64_t mem[SCRATCH_SIZE / 8];
    uint64_t x[32];
    uint64_t f[32];
    uint64_t fcsr;
};

_Static_assert(sizeof(struct diff_state) == D_OUT_END, "data page layout");

/* One unit: the instructions for weft and for qemu (usually the same). */
#define UNIT_MAX 4
struct diff_unit {
    uint8_t nw, nq;
    uint32_t w[UNIT_MAX], q[UNIT_MAX];
};

static const char *diff_qemu = "qemu-riscv64";

static bool diff_available(void)
{
    return system("qemu-riscv64 --version >/dev/null 2>&1") == 0;
}

static uint64_t diff_rng;

static uint64_t rnd(void)
{
    diff_rng ^= diff_rng << 13;
    diff_rng ^= diff_rng >> 7;
    diff_rng ^= diff_rng << 17;
    return diff_rng;
}

#define ARRAY_LEN(a)    (sizeof(a) / sizeof((a)[0]))
#define PICK(a)         ((a)[rnd() % ARRAY_LEN(a)])

/* ---- encoders ---- */

enum {
    OP_LOAD = 0x03, OP_LOAD_FP = 0x07, OP_IMM = 0x13, OP_AUIPC = 0x17,
    OP_IMM32 = 0x1b, OP_STORE = 0x23, OP_STORE_FP = 0x27, OP_AMO = 0x2f,
    OP_REG = 0x33, OP_LUI = 0x37, OP_REG32 = 0x3b, OP_FMADD = 0x43,
    OP_FP = 0x53, OP_BRANCH = 0x63, OP_JALR = 0x67, OP_JAL = 0x6f,
    OP_SYSTEM = 0x73,
};

enum { X0, RA, SP, T0 = 5, T1, A0 = 10, A1, A2, A7 = 17 };

#define NOP     0x00000013u
#define C_NOP   0x0001u

static uint32_t enc_r(unsigned f7, unsigned rs2, unsigned rs1, unsigned f3,
                      unsigned rd, unsigned op)
{
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}

static uint32_t enc_i(unsigned imm, unsigned rs1, unsigned f3, unsigned rd,
                      unsigned op)
{
    return (imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}

static uint32_t enc_s(unsigned imm, unsigned rs2, unsigned rs1, unsigned f3,
                      unsigned op)
{
    return ((imm >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
           (imm & 31) << 7 | op;
}

static uint32_t enc_b(unsigned imm, unsigned rs2, unsigned rs1, unsigned f3)
{
    return ((imm >> 12) & 1) << 31 | ((imm >> 5) & 0x3f) << 25 | rs2 << 20 |
           rs1 << 15 | f3 << 12 | ((imm >> 1) & 15) << 8 |
           ((imm >> 11) & 1) << 7 | OP_BRANCH;
}

static uint32_t enc_j(unsigned imm, unsigned rd)
{
    return ((imm >> 20) & 1) << 31 | ((imm >> 1) & 0x3ff) << 21 |
           ((imm >> 11) & 1) << 20 | ((imm >> 12) & 0xff) << 12 | rd << 7 |
           OP_JAL;
}

static uint32_t enc_csr(unsigned csr, unsigned rs1, unsigned f3, unsigned rd)
{
    return enc_i(csr, rs1, f3, rd, OP_SYSTEM);
}

/* ---- random operands ---- */

static unsigned rnd_reg(void)
{
    unsigned r = rnd() % 31;

    return r >= 2 ? r + 1 : r;      /* 0, 1, 3..31: never sp */
}

/* A destination or base register: neither x0 nor sp. */
static unsigned rnd_reg_nz(void)
{
    unsigned r = 3 + rnd() % 30;    /* 3..32; 32 stands for x1 */

    return r == 32 ? RA : r;
}

/* x8..x15, the registers compressed forms name with 3 bits. */
static unsigned rnd_creg(void)
{
    return rnd() % 8;
}

static unsigned rnd_freg(void)
{
    return rnd() % 32;
}

/* Valid rounding modes: RNE, RTZ, RDN, RUP, RMM and DYN. */
static unsigned rnd_rm(void)
{
    static const uint8_t rms[] = { 0, 1, 2, 3, 4, 7, 7 };

    return PICK(rms);
}

static const uint64_t int_edges[] = {
    0, 1, 2, UINT64_MAX, 0x8000000000000000ull, 0x7fffffffffffffffull,
    0x80000000, 0x7fffffff, 0xffffffff, 0xffffffff80000000ull, 31, 32,
    63, 64, 0xfffffffffffffffeull,
};

static const uint32_t f32_edges[] = {
    0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000,
    0xffc00000, 0x7f800001, 0x7fa00000, 0x00000001, 0x807fffff,
    0x007fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x3f800000,
    0xbf800000, 0x4f000000, 0xcf000000, 0x5f000000, 0xdf000000,
    0x4f800000, 0x3f000000, 0x3fc00000, 0x40200000, 0xbfc00000,
    0x4effffff, 0x34000000, 0x3effffff, 0x3f7fffff, 0x3f800001,
};

static const uint64_t f64_edges[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x7ff0000000000000ull,
    0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000000000000ull,
    0x7ff0000000000001ull, 0x7ff4000000000000ull, 0x0000000000000001ull,
    0x800fffffffffffffull, 0x000fffffffffffffull, 0x0010000000000000ull,
    0x7fefffffffffffffull, 0xffefffffffffffffull, 0x3ff0000000000000ull,
    0xbff0000000000000ull, 0x41e0000000000000ull, 0xc1e0000000000000ull,
    0x43e0000000000000ull, 0xc3e0000000000000ull, 0x41f0000000000000ull,
    0x43f0000000000000ull, 0x3fe0000000000000ull, 0x3ff8000000000000ull,
    0x4004000000000000ull, 0xbff8000000000000ull, 0x41dfffffffffffffull,
    0x41e0000000200000ull, 0x3ca0000000000000ull, 0x3fefffffffffffffull,
    0x36a0000000000000ull, 0x47efffffe0000000ull, 0x47efffff10000000ull,
};

static uint64_t rnd_value(void)
{
    switch (rnd() % 3) {
    case 0:
        return PICK(int_edges);
    case 1:
        return rnd() % 200 - 100;
    default:
        return rnd();
    }
}

/* A single: an edge, a small number of eighths, or any bits. */
static uint32_t rnd_f32(void)
{
    switch (rnd() % 3) {
    case 0: {
        float v = (float)((int)(rnd() % 2001) - 1000) / 8.0f;
        uint32_t u;

        memcpy(&u, &v, 4);
        return u;
    }
    case 1:
        return PICK(f32_edges);
    default:
        return (uint32_t)rnd();
    }
}

static uint64_t rnd_f64(void)
{
    switch (rnd() % 3) {
    case 0: {
        double v = (double)((int)(rnd() % 2001) - 1000) / 8.0;
        uint64_t u;

        memcpy(&u, &v, 8);
        return u;
    }
    case 1:
        return PICK(f64_edges);
    default:
        return rnd();
    }
}

/* An FP register or memory value: NaN-boxed single, double, and now and
 * then a single that is not properly boxed (reads as the canonical NaN). */
static uint64_t rnd_fvalue(void)
{
    switch (rnd() % 8) {
    case 0:
        return (rnd() & 0xffffffff00000000ull) | rnd_f32();
    case 1: case 2: case 3:
        return 0xffffffff00000000ull | rnd_f32();
    default:
        return rnd_f64();
    }
}

/* ---- unit generators ---- */

static void emit_w(struct diff_unit *u, uint32_t insn)
{
    u->w[u->nw++] = insn;
}

static void emit_q(struct diff_unit *u, uint32_t insn)
{
    u->q[u->nq++] = insn;
}

/* The same instruction on both sides. */
static void emit(struct diff_unit *u, uint32_t insn)
{
    emit_w(u, insn);
    emit_q(u, insn);
}

/* R-type: opcode, funct7, funct3 */
static const uint8_t diff_rops[][3] = {
    /* I */
    {0x33, 0, 0}, {0x33, 0x20, 0}, {0x33, 0, 1}, {0x33, 0, 2}, {0x33, 0, 3},
    {0x33, 0, 4}, {0x33, 0, 5}, {0x33, 0x20, 5}, {0x33, 0, 6}, {0x33, 0, 7},
    {0x3b, 0, 0}, {0x3b, 0x20, 0}, {0x3b, 0, 1}, {0x3b, 0, 5},
    {0x3b, 0x20, 5},
    /* M */
    {0x33, 1, 0}, {0x33, 1, 1}, {0x33, 1, 2}, {0x33, 1, 3}, {0x33, 1, 4},
    {0x33, 1, 5}, {0x33, 1, 6}, {0x33, 1, 7}, {0x3b, 1, 0}, {0x3b, 1, 4},
    {0x3b, 1, 5}, {0x3b, 1, 6}, {0x3b, 1, 7},
    /* Zba */
    {0x33, 0x10, 2}, {0x33, 0x10, 4}, {0x33, 0x10, 6}, {0x3b, 0x04, 0},
    {0x3b, 0x10, 2}, {0x3b, 0x10, 4}, {0x3b, 0x10, 6},
    /* Zbb */
    {0x33, 0x20, 7}, {0x33, 0x20, 6}, {0x33, 0x20, 4}, {0x33, 0x05, 4},
    {0x33, 0x05, 5}, {0x33, 0x05, 6}, {0x33, 0x05, 7}, {0x33, 0x30, 1},
    {0x33, 0x30, 5}, {0x3b, 0x30, 1}, {0x3b, 0x30, 5},
    /* Zbc */
    {0x33, 0x05, 1}, {0x33, 0x05, 2}, {0x33, 0x05, 3},
    /* Zbs */
    {0x33, 0x24, 1}, {0x33, 0x24, 5}, {0x33, 0x34, 1}, {0x33, 0x14, 1},
};

/* I-type: opcode, funct3, immediate kind, fixed high immediate bits */
enum { IMM12, SH6, SH5, FIXED };
static const struct { uint8_t op, f3, kind; uint16_t hi; } diff_iops[] = {
    {0x13, 0, IMM12, 0}, {0x13, 2, IMM12, 0}, {0x13, 3, IMM12, 0},
    {0x13, 4, IMM12, 0}, {0x13, 6, IMM12, 0}, {0x13, 7, IMM12, 0},
    {0x1b, 0, IMM12, 0},
    {0x13, 1, SH6, 0}, {0x13, 5, SH6, 0}, {0x13, 5, SH6, 0x400},
    {0x1b, 1, SH5, 0}, {0x1b, 5, SH5, 0}, {0x1b, 5, SH5, 0x400},
    /* Zba slli.uw; Zbb rori, roriw; Zbs bclri, bseti, binvi, bexti */
    {0x1b, 1, SH6, 0x080}, {0x13, 5, SH6, 0x600}, {0x1b, 5, SH5, 0x600},
    {0x13, 1, SH6, 0x480}, {0x13, 1, SH6, 0x280}, {0x13, 1, SH6, 0x680},
    {0x13, 5, SH6, 0x480},
    /* Zbb unary: clz ctz cpop sext.b sext.h, clzw cpopw, orc.b rev8.
     * Not ctzw: Debian's qemu-riscv64 7.2 counts into the upper word
     * when the lower one is zero (ctzw of 1 << 48 gives 48, the spec
     * says 32); arith.S checks it instead. */
    {0x13, 1, FIXED, 0x600}, {0x13, 1, FIXED, 0x601},
    {0x13, 1, FIXED, 0x602}, {0x13, 1, FIXED, 0x604},
    {0x13, 1, FIXED, 0x605}, {0x1b, 1, FIXED, 0x600},
    {0x1b, 1, FIXED, 0x602},
    {0x13, 5, FIXED, 0x287}, {0x13, 5, FIXED, 0x6b8},
};

/* One 32-bit integer ALU instruction (the same on both sides). */
static uint32_t rnd_alu(void)
{
    unsigned nr = ARRAY_LEN(diff_rops), ni = ARRAY_LEN(diff_iops);
    unsigned k = rnd() % (nr + ni + 3), rd = rnd_reg();

    if (k < nr) {
        return enc_r(diff_rops[k][1], rnd_reg(), rnd_reg(), diff_rops[k][2],
                     rd, diff_rops[k][0]);
    }
    if (k < nr + ni) {
        unsigned imm = 0;

        k -= nr;
        switch (diff_iops[k].kind) {
        case IMM12: imm = rnd() & 0xfff; break;
        case SH6: imm = diff_iops[k].hi | (rnd() & 63); break;
        case SH5: imm = diff_iops[k].hi | (rnd() & 31); break;
        default: imm = diff_iops[k].hi; break;
        }
        return enc_i(imm, rnd_reg(), diff_iops[k].f3, rd, diff_iops[k].op);
    }
    if (k == nr + ni) {
        return enc_r(0x04, 0, rnd_reg(), 4, rd, OP_REG32);     /* zext.h */
    }
    if (k == nr + ni + 1) {
        /* auipc: both images sit at the same address */
        return (uint32_t)(rnd() & 0xfffff000) | rd << 7 | OP_AUIPC;
    }
    return (uint32_t)(rnd() & 0xfffff000) | rd << 7 | OP_LUI;
}

/*
 * czero.eqz/nez rd, rs1, rs2 on weft; on qemu (no Zicond) the same
 * result by branches: rs2 is read before rd is written, so aliasing is
 * harmless.
 */
static void gen_zicond(struct diff_unit *u)
{
    unsigned rd = rnd_reg(), rs1 = rnd_reg(), rs2 = rnd_reg();
    bool nez = rnd() & 1;

    emit_w(u, enc_r(0x07, rs2, rs1, nez ? 7 : 5, rd, OP_REG));
    /* eqz: rs2 == 0 -> 0; nez: rs2 != 0 -> 0 */
    emit_q(u, enc_b(12, X0, rs2, nez ? 1 : 0));
    emit_q(u, enc_i(0, rs1, 0, rd, OP_IMM));            /* mv rd, rs1 */
    emit_q(u, enc_j(8, X0));
    emit_q(u, enc_i(0, X0, 0, rd, OP_IMM));             /* li rd, 0 */
}

/* Loads an edge value that division and shifts care about. */
static void gen_int_edge(struct diff_unit *u)
{
    unsigned rd = rnd_reg_nz();

    switch (rnd() % 7) {
    case 0:     /* -1, 0, 1 */
        emit(u, enc_i((unsigned)(rnd() % 3) - 1, X0, 0, rd, OP_IMM));
        break;
    case 1:     /* INT64_MIN */
        emit(u, enc_i(1, X0, 0, rd, OP_IMM));
        emit(u, enc_i(63, rd, 1, rd, OP_IMM));
        break;
    case 2:     /* INT64_MAX */
        emit(u, enc_i(0xfff, X0, 0, rd, OP_IMM));
        emit(u, enc_i(1, rd, 5, rd, OP_IMM));
        break;
    case 3:     /* INT32_MIN, sign-extended */
        emit(u, 0x80000000u | rd << 7 | OP_LUI);
        break;
    case 4:     /* INT32_MAX */
        emit(u, 0x80000000u | rd << 7 | OP_LUI);
        emit(u, enc_i(0xfff, rd, 0, rd, OP_IMM32));
        break;
    case 5:     /* 0x80000000 */
        emit(u, enc_i(1, X0, 0, rd, OP_IMM));
        emit(u, enc_i(31, rd, 1, rd, OP_IMM));
        break;
    default:    /* 0xffffffff */
        emit(u, enc_i(0xfff, X0, 0, rd, OP_IMM));
        emit(u, enc_i(32, rd, 5, rd, OP_IMM));
        break;
    }
}

/* A 6-bit immediate field of CI-format instructions: imm[5] at bit 12,
 * imm[4:0] at bits 6..2. */
static uint32_t ci_imm(unsigned imm)
{
    return ((imm >> 5) & 1) << 12 | (imm & 31) << 2;
}

/* One compressed ALU instruction (no sp, no control flow). */
static uint32_t rnd_c_alu(void)
{
    unsigned rd = rnd_reg_nz(), rc = rnd_creg(), imm = rnd() & 63;
    unsigned sh = 1 + rnd() % 63, nz = imm ? imm : 1;

    switch (rnd() % 13) {
    case 0:     /* c.addi */
        return ci_imm(nz) | rd << 7 | 0x0001;
    case 1:     /* c.addiw */
        return 1u << 13 | ci_imm(imm) | rd << 7 | 0x0001;
    case 2:     /* c.li */
        return 2u << 13 | ci_imm(imm) | rd << 7 | 0x0001;
    case 3:     /* c.lui */
        return 3u << 13 | ci_imm(nz) | rd << 7 | 0x0001;
    case 4:     /* c.srli, c.srai */
        return 4u << 13 | (rnd() & 1) << 10 | ci_imm(sh) | rc << 7 | 0x0001;
    case 5:     /* c.andi */
        return 4u << 13 | 2u << 10 | ci_imm(imm) | rc << 7 | 0x0001;
    case 6:     /* c.sub, c.xor, c.or, c.and */
        return 0x8c01u | (rnd() & 3) << 5 | rc << 7 | rnd_creg() << 2;
    case 7:     /* c.subw, c.addw */
        return 0x9c01u | (rnd() & 1) << 5 | rc << 7 | rnd_creg() << 2;
    case 8:     /* c.slli */
        return ci_imm(sh) | rd << 7 | 0x0002;
    case 9:     /* c.mv */
        return 0x8002u | rd << 7 | rnd_reg_nz() << 2;
    case 10:    /* c.add */
        return 0x9002u | rd << 7 | rnd_reg_nz() << 2;
    case 11: {  /* c.addi4spn rd', sp, nzuimm (an address: the same) */
        unsigned n = 4 * (1 + rnd() % 255);

        return ((n >> 4) & 3) << 11 | ((n >> 6) & 15) << 7 |
               ((n >> 2) & 1) << 6 | ((n >> 3) & 1) << 5 | rc << 2;
    }
    default:
        return C_NOP;
    }
}

/*
 * A conditional branch over one instruction: whether it ran shows in
 * its destination.  32-bit branches skip a 32-bit ALU instruction,
 * c.beqz/c.bnez a compressed one; jal and jalr skip one too and leave
 * a link address (the same on both sides).
 */
static void gen_branch(struct diff_unit *u)
{
    static const uint8_t conds[] = { 0, 1, 4, 5, 6, 7 };
    unsigned rd = rnd_reg();

    switch (rnd() % 5) {
    case 0: case 1:
        emit(u, enc_b(8, rnd_reg(), rnd_reg(), PICK(conds)));
        emit(u, rnd_alu());
        break;
    case 2:     /* c.beqz/c.bnez rs1', +4 */
        emit(u, 0xc001u | (rnd() & 1) << 13 | rnd_creg() << 7 | 1u << 4);
        emit(u, rnd_c_alu());
        break;
    case 3:
        emit(u, enc_j(8, rd));
        emit(u, rnd_alu());
        break;
    default: {  /* auipc rb, 0; jalr rd, 12(rb) */
        unsigned rb = rnd_reg_nz();

        emit(u, rb << 7 | OP_AUIPC);
        emit(u, enc_i(12, rb, 0, rd, OP_JALR));
        emit(u, rnd_alu());
        break;
    }
    }
}

/*
 * Points a base register into the scratch buffer so that base + off
 * addresses the aligned offset ea; returns off.  Uses sp itself a third
 * of the time.
 */
static int set_base(struct diff_unit *u, unsigned *rb, unsigned ea)
{
    int base;

    if (rnd() % 3 == 0) {
        *rb = SP;
        return (int)ea;
    }
    *rb = rnd_reg_nz();
    base = (int)(rnd() % SCRATCH_SIZE);
    emit(u, enc_i((unsigned)base, SP, 0, *rb, OP_IMM));
    return (int)ea - base;
}

/* Integer and FP loads and stores, 32-bit forms. */
static void gen_mem(struct diff_unit *u)
{
    unsigned k = rnd() % 15, rb, size, ea;
    int off;

    /* 0..6 lb lh lw ld lbu lhu lwu; 7..10 sb sh sw sd; 11..14 flw fld
     * fsw fsd */
    if (k < 7) {
        size = 1u << (k & 3);
    } else if (k < 11) {
        size = 1u << (k - 7);
    } else {
        size = k & 1 ? 4 : 8;
    }
    ea = (unsigned)(rnd() % (SCRATCH_SIZE / size)) * size;
    off = set_base(u, &rb, ea);
    if (k < 7) {
        emit(u, enc_i((unsigned)off, rb, k, rnd_reg(), OP_LOAD));
    } else if (k < 11) {
        emit(u, enc_s((unsigned)off, rnd_reg(), rb, k - 7, OP_STORE));
    } else if (k < 13) {
        emit(u, enc_i((unsigned)off, rb, k == 11 ? 2 : 3, rnd_freg(),
                      OP_LOAD_FP));
    } else {
        emit(u, enc_s((unsigned)off, rnd_freg(), rb, k == 13 ? 2 : 3,
                      OP_STORE_FP));
    }
}

/* Compressed loads and stores: sp-relative ones directly, the others
 * through x8..x15 pointed into the scratch buffer first. */
static void gen_c_mem(struct diff_unit *u)
{
    unsigned k = rnd() % 12, r = rnd_reg_nz(), rc = rnd_creg();
    unsigned w = 4 * (rnd() % 64), d = 8 * (rnd() % 64);  /* sp offsets */
    unsigned cw = 4 * (rnd() % 32), cd = 8 * (rnd() % 32);
    unsigned rs1c = rnd_creg();

    if (k >= 6) {
        unsigned base = 8 * (unsigned)(rnd() % ((SCRATCH_SIZE - 256) / 8));

        emit(u, enc_i(base, SP, 0, 8 + rs1c, OP_IMM));
    }
    switch (k) {
    case 0:     /* c.lwsp */
        emit(u, 0x4002u | ((w >> 5) & 1) << 12 | r << 7 |
                ((w >> 2) & 7) << 4 | ((w >> 6) & 3) << 2);
        break;
    case 1:     /* c.ldsp, c.fldsp */
    case 2:
        emit(u, (k == 1 ? 0x6002u : 0x2002u) | ((d >> 5) & 1) << 12 |
                (k == 1 ? r : rnd_freg()) << 7 | ((d >> 3) & 3) << 5 |
                ((d >> 6) & 7) << 2);
        break;
    case 3:     /* c.swsp */
        emit(u, 0xc002u | ((w >> 2) & 15) << 9 | ((w >> 6) & 3) << 7 |
                rnd_reg() << 2);
        break;
    case 4:     /* c.sdsp, c.fsdsp */
    case 5:
        emit(u, (k == 4 ? 0xe002u : 0xa002u) | ((d >> 3) & 7) << 10 |
                ((d >> 6) & 7) << 7 | (k == 4 ? rnd_reg() : rnd_freg()) << 2);
        break;
    case 6:     /* c.lw */
    case 7:     /* c.sw */
        emit(u, (k == 6 ? 0x4000u : 0xc000u) | ((cw >> 3) & 7) << 10 |
                rs1c << 7 | ((cw >> 2) & 1) << 6 | ((cw >> 6) & 1) << 5 |
                rc << 2);
        break;
    default:    /* c.ld, c.sd, c.fld, c.fsd */
        emit(u, (uint32_t[]){ 0x6000u, 0xe000u, 0x2000u, 0xa000u }[k - 8] |
                ((cd >> 3) & 7) << 10 | rs1c << 7 | ((cd >> 6) & 3) << 5 |
                rc << 2);
        break;
    }
}

/* An AMO on an aligned word or doubleword of the scratch buffer. */
static void gen_amo(struct diff_unit *u)
{
    static const uint8_t funct5[] = {
        0x00, 0x01, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c,
    };
    bool dword = rnd() & 1;
    unsigned size = dword ? 8 : 4, rb = rnd_reg_nz();
    unsigned ea = (unsigned)(rnd() % (SCRATCH_SIZE / size)) * size;

    emit(u, enc_i(ea, SP, 0, rb, OP_IMM));
    emit(u, (uint32_t)PICK(funct5) << 27 | (uint32_t)(rnd() & 3) << 25 |
            rnd_reg() << 20 | rb << 15 | (dword ? 3u : 2u) << 12 |
            rnd_reg() << 7 | OP_AMO);
}

/* F/D computational instructions; fmt 0 = S, 1 = D. */
static void gen_fp(struct diff_unit *u)
{
    unsigned fmt = rnd() & 1, rm = rnd_rm();
    unsigned fd = rnd_freg(), fs1 = rnd_freg(), fs2 = rnd_freg();

    switch (rnd() % 16) {
    case 0: case 1: case 2:     /* fadd fsub fmul fdiv */
        emit(u, enc_r((rnd() & 3) << 2 | fmt, fs2, fs1, rm, fd, OP_FP));
        break;
    case 3:                     /* fsqrt */
        emit(u, enc_r(0x2c | fmt, 0, fs1, rm, fd, OP_FP));
        break;
    case 4: case 5:             /* fmadd fmsub fnmsub fnmadd */
        emit(u, rnd_freg() << 27 | fmt << 25 | fs2 << 20 | fs1 << 15 |
                rm << 12 | fd << 7 | (OP_FMADD + 4 * (rnd() & 3)));
        break;
    case 6:                     /* fsgnj fsgnjn fsgnjx */
        emit(u, enc_r(0x10 | fmt, fs2, fs1, rnd() % 3, fd, OP_FP));
        break;
    case 7:                     /* fmin fmax */
        emit(u, enc_r(0x14 | fmt, fs2, fs1, rnd() & 1, fd, OP_FP));
        break;
    case 8:                     /* fcvt.s.d, fcvt.d.s */
        emit(u, enc_r(0x20 | fmt, fmt ? 0 : 1, fs1, rm, fd, OP_FP));
        break;
    case 9:                     /* feq flt fle */
        emit(u, enc_r(0x50 | fmt, fs2, fs1, rnd() % 3, rnd_reg(), OP_FP));
        break;
    case 10:                    /* fclass, fmv.x.w/d */
        emit(u, enc_r(0x70 | fmt, 0, fs1, rnd() & 1, rnd_reg(), OP_FP));
        break;
    case 11: case 12:           /* fcvt.{w,wu,l,lu}.{s,d} */
        emit(u, enc_r(0x60 | fmt, rnd() & 3, fs1, rm, rnd_reg(), OP_FP));
        break;
    case 13: case 14:           /* fcvt.{s,d}.{w,wu,l,lu} */
        emit(u, enc_r(0x68 | fmt, rnd() & 3, rnd_reg(), rm, fd, OP_FP));
        break;
    default:                    /* fmv.w.x, fmv.d.x */
        emit(u, enc_r(0x78 | fmt, 0, rnd_reg(), 0, fd, OP_FP));
        break;
    }
}

/* An FP edge value through an integer register: lui/addiw make a
 * 32-bit pattern, shifted up for a double's high word. */
static void gen_fp_edge(struct diff_unit *u)
{
    unsigned rd = rnd_reg_nz(), fd = rnd_freg();
    bool dbl = rnd() & 1;
    uint32_t v = dbl ? (uint32_t)(PICK(f64_edges) >> 32) : PICK(f32_edges);
    uint32_t hi = (v + 0x800) & 0xfffff000;

    emit(u, hi | rd << 7 | OP_LUI);
    emit(u, enc_i(v & 0xfff, rd, 0, rd, OP_IMM32));
    if (dbl) {
        emit(u, enc_i(32, rd, 1, rd, OP_IMM));
    }
    emit(u, enc_r(dbl ? 0x79 : 0x78, 0, rd, 0, fd, OP_FP));
}

/*
 * fcsr, fflags and frm accesses.  frm only ever holds a valid mode:
 * csrrwi with 0..4, csrrci (clearing bits of 0..4 stays in 0..4).
 */
static void gen_fcsr(struct diff_unit *u)
{
    unsigned rd = rnd_reg(), imm = rnd() & 31;

    switch (rnd() % 7) {
    case 0:     /* frflags / frrm / frcsr */
        emit(u, enc_csr(1 + rnd() % 3, X0, 2, rd));
        break;
    case 1:     /* fsflags rd, rs */
        emit(u, enc_csr(1, rnd_reg(), 1, rd));
        break;
    case 2:     /* csrrsi/csrrci fflags */
        emit(u, enc_csr(1, imm, rnd() & 1 ? 6 : 7, rd));
        break;
    case 3:     /* fsrmi */
        emit(u, enc_csr(2, rnd() % 5, 5, rd));
        break;
    case 4:     /* csrrci frm */
        emit(u, enc_csr(2, imm, 7, rd));
        break;
    case 5:     /* csrrwi fcsr: frm 0, fflags imm */
        emit(u, enc_csr(3, imm, 5, rd));
        break;
    default:    /* csrrsi/csrrci fcsr: low five bits are fflags */
        emit(u, enc_csr(3, imm, rnd() & 1 ? 6 : 7, rd));
        break;
    }
}

static void rnd_unit(struct diff_unit *u)
{
    unsigned k = rnd() % 100;

    u->nw = u->nq = 0;
    if (k < 30) {
        emit(u, rnd_alu());
    } else if (k < 33) {
        gen_zicond(u);
    } else if (k < 37) {
        gen_int_edge(u);
    } else if (k < 45) {
        emit(u, rnd_c_alu());
    } else if (k < 50) {
        gen_branch(u);
    } else if (k < 58) {
        gen_mem(u);
    } else if (k < 62) {
        gen_c_mem(u);
    } else if (k < 65) {
        gen_amo(u);
    } else if (k < 92) {
        gen_fp(u);
    } else if (k < 96) {
        gen_fp_edge(u);
    } else {
        gen_fcsr(u);
    }
}

/* ---- images ---- */

static unsigned insn_bytes(uint32_t insn)
{
    return (insn & 3) == 3 ? 4 : 2;
}

static unsigned put_insn(uint8_t *code, unsigned pos, uint32_t insn)
{
    unsigned n = insn_bytes(insn);

    CHECK(pos + n <= DIFF_TRAP_STUB);
    memcpy(code + pos, &insn, n);       /* little-endian host */
    return pos + n;
}

static unsigned side_bytes(const uint32_t *insns, unsigned n)
{
    unsigned b = 0;

    for (unsigned i = 0; i < n; i++) {
        b += insn_bytes(insns[i]);
    }
    return b;
}

/* Emits one side of a unit, padded with nops to the longer side. */
static unsigned put_unit(uint8_t *code, unsigned pos,
                         const struct diff_unit *u, bool qemu)
{
    const uint32_t *insns = qemu ? u->q : u->w;
    unsigned n = qemu ? u->nq : u->nw;
    unsigned mine = side_bytes(insns, n);
    unsigned other = qemu ? side_bytes(u->w, u->nw) : side_bytes(u->q, u->nq);

    for (unsigned i = 0; i < n; i++) {
        pos = put_insn(code, pos, insns[i]);
    }
    for (; mine + 4 <= other; mine += 4) {
        pos = put_insn(code, pos, NOP);
    }
    if (mine < other) {
        pos = put_insn(code, pos, C_NOP);
    }
    return pos;
}

/* The prologue's weft-only instructions: FS on and mtvec at the stub
 * (qemu gets nops: no CSR access to machine state in user mode). */
static unsigned put_weft_setup(uint8_t *code, unsigned pos, bool qemu)
{
    /* auipc t0, 2 at pos + 8, then t0 += the stub's distance */
    int stub = DIFF_TRAP_STUB - (int)(pos + 8) - 0x2000;
    uint32_t setup[] = {
        0x00006000u | T0 << 7 | OP_LUI,             /* mstatus.FS dirty */
        enc_csr(0x300, T0, 2, X0),
        0x2000u | T0 << 7 | OP_AUIPC,
        enc_i((unsigned)stub, T0, 0, T0, OP_IMM),
        enc_csr(0x305, T0, 1, X0),                  /* csrw mtvec, t0 */
    };

    CHECK(stub >= -2048 && stub < 2048);
    for (unsigned i = 0; i < ARRAY_LEN(setup); i++) {
        pos = put_insn(code, pos, qemu ? NOP : setup[i]);
    }
    return pos;
}

/* Stores the final state into the data page and reports it. */
static unsigned put_epilogue(uint8_t *code, unsigned pos, bool qemu)
{
    for (unsigned r = 0; r < 32; r++) {
        if (r != SP) {
            pos = put_insn(code, pos, enc_s(D_OUT_X + 8 * r, r, SP, 3,
                                            OP_STORE));
        }
    }
    for (unsigned r = 0; r < 32; r++) {
        pos = put_insn(code, pos, enc_s(D_OUT_F + 8 * r, r, SP, 3,
                                        OP_STORE_FP));
    }
    pos = put_insn(code, pos, enc_csr(3, X0, 2, T0));   /* frcsr t0 */
    pos = put_insn(code, pos, enc_s(D_OUT_FCSR, T0, SP, 3, OP_STORE));
    if (qemu) {
        static const uint32_t report[] = {
            0x00010593,     /* mv a1, sp */
            0x04000893,     /* li a7, 64 (write) */
            0x00100513,     /* li a0, 1 */
            0x60800613,     /* li a2, D_OUT_END */
            0x00000073,     /* ecall */
            0x05d00893,     /* li a7, 93 (exit) */
            0x00000513,     /* li a0, 0 */
            0x00000073,     /* ecall */
        };

        for (unsigned i = 0; i < ARRAY_LEN(report); i++) {
            pos = put_insn(code, pos, report[i]);
        }
    } else {
        pos = put_insn(code, pos, 0x100002b7);          /* lui t0, 0x10000 */
        pos = put_insn(code, pos, enc_i(1, X0, 0, T1, OP_IMM));
        pos = put_insn(code, pos, 0x0062b023);          /* sd t1, 0(t0) */
        pos = put_insn(code, pos, 0x0000006f);          /* j . */
    }
    return pos;
}

/* Builds the image (code page, then data page) for weft or qemu. */
static void diff_build(uint8_t *img, const struct diff_unit *units,
                       unsigned len, const uint8_t *data, unsigned frm,
                       bool qemu)
{
    unsigned pos = 0;

    memset(img, 0, DIFF_DATA);
    pos = put_insn(img, pos, 0x00002117);               /* auipc sp, 2 */
    pos = put_weft_setup(img, pos, qemu);
    pos = put_insn(img, pos, enc_i(0x400, SP, 0, T0, OP_IMM));
    for (unsigned r = 0; r < 32; r++) {
        pos = put_insn(img, pos, enc_i(D_INIT_F - 0x400 + 8 * r, T0, 3, r,
                                       OP_LOAD_FP));
    }
    pos = put_insn(img, pos, enc_csr(1, 0, 5, X0));     /* csrwi fflags, 0 */
    pos = put_insn(img, pos, enc_csr(2, frm, 5, X0));   /* csrwi frm */
    for (unsigned r = 1; r < 32; r++) {
        if (r != SP) {
            pos = put_insn(img, pos, enc_i(D_INIT_X + 8 * r, SP, 3, r,
                                           OP_LOAD));
        }
    }
    for (unsigned i = 0; i < len; i++) {
        pos = put_unit(img, pos, &units[i], qemu);
    }
    pos = put_epilogue(img, pos, qemu);
    if (!qemu) {                /* a trap: report failure */
        static const uint32_t stub[] = {
            0x100002b7, 0x00300313, 0x0062b023, 0x0000006f,
        };

        memcpy(img + DIFF_TRAP_STUB, stub, sizeof(stub));
    }
    memcpy(img + DIFF_DATA, data, D_END);
}

/* Runs the image under qemu-riscv64; false if it did not report. */
static bool diff_qemu_run(const uint8_t *img, struct diff_state *out)
{
    char path[] = "/tmp/weft-diff-XXXXXX";
    int fd = mkstemp(path);
    Elf64_Ehdr eh = {
        .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64,
                     ELFDATA2LSB, EV_CURRENT },
        .e_type = ET_EXEC, .e_machine = EM_RISCV, .e_version = EV_CURRENT,
        .e_entry = RAM_BASE, .e_phoff = sizeof(Elf64_Ehdr),
        .e_flags = 0x5,     /* RVC, double-float ABI */
        .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
        .e_phnum = 1,
    };
    Elf64_Phdr ph = {
        .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
        .p_offset = 0x1000, .p_vaddr = RAM_BASE, .p_paddr = RAM_BASE,
        .p_filesz = DIFF_DATA + D_END, .p_memsz = DIFF_DATA + 0x1000,
        .p_align = 0x1000,
    };
    static uint8_t file[0x1000 + DIFF_DATA + D_END];
    char cmd[256];
    FILE *p;
    size_t n;

    CHECK(fd >= 0);
    memset(file, 0, sizeof(file));
    memcpy(file, &eh, sizeof(eh));
    memcpy(file + sizeof(eh), &ph, sizeof(ph));
    memcpy(file + 0x1000, img, DIFF_DATA + D_END);
    CHECK(write(fd, file, sizeof(file)) == (ssize_t)sizeof(file));
    close(fd);
    chmod(path, 0700);
    snprintf(cmd, sizeof(cmd), "%s %s 2>/dev/null", diff_qemu, path);
    p = popen(cmd, "r");
    CHECK(p);
    n = fread(out, 1, sizeof(*out), p);
    pclose(p);
    unlink(path);
    return n == sizeof(*out);
}

/* One random test case: the units and the initial data page. */
struct diff_case {
    unsigned seed;
    unsigned frm;
    struct diff_unit units[DIFF_UNITS];
    uint8_t data[D_END];
};

/* Compared locations: x0..x31, f0..f31, fcsr, then scratch doublewords. */
enum { LOC_F = 32, LOC_FCSR = 64, LOC_MEM = 65 };

static int diff_first_mismatch(const struct diff_state *got,
                               const struct diff_state *want)
{
    for (int r = 0; r < 32; r++) {
        if (r != SP && got->x[r] != want->x[r]) {
            return r;
        }
    }
    for (int r = 0; r < 32; r++) {
        if (got->f[r] != want->f[r]) {
            return LOC_F + r;
        }
    }
    if (got->fcsr != want->fcsr) {
        return LOC_FCSR;
    }
    for (int i = 0; i < SCRATCH_SIZE / 8; i++) {
        if (got->mem[i] != want->mem[i]) {
            return LOC_MEM + i;
        }
    }
    return -1;
}

static uint64_t diff_loc_value(const struct diff_state *s, int loc)
{
    if (loc < LOC_F) {
        return s->x[loc];
    }
    if (loc < LOC_FCSR) {
        return s->f[loc - LOC_F];
    }
    return loc == LOC_FCSR ? s->fcsr : s->mem[loc - LOC_MEM];
}

static void diff_loc_name(int loc, char *buf, size_t size)
{
    if (loc < LOC_F) {
        snprintf(buf, size, "x%d", loc);
    } else if (loc < LOC_FCSR) {
        snprintf(buf, size, "f%d", loc - LOC_F);
    } else if (loc == LOC_FCSR) {
        snprintf(buf, size, "fcsr");
    } else {
        snprintf(buf, size, "mem[sp+%#x]", (loc - LOC_MEM) * 8);
    }
}

enum { DIFF_AGREE = -1, DIFF_QEMU_FAILED = -2, DIFF_WEFT_FAILED = -3 };

/* Runs the first len units on both; the first differing location, or
 * one of the DIFF_* codes. */
static int diff_compare(const struct diff_case *c, unsigned len,
                        struct diff_state *got, struct diff_state *want)
{
    static uint8_t img[DIFF_DATA + D_END];

    diff_build(img, c->units, len, c->data, c->frm, true);
    if (!diff_qemu_run(img, want)) {
        return DIFF_QEMU_FAILED;
    }
    memset(ram, 0, DIFF_DATA + 0x1000);
    diff_build(ram, c->units, len, c->data, c->frm, false);
    tb_invalidate_phys_range(RAM_BASE, RAM_BASE + RAM_SIZE);
    if (!run_loaded("diff")) {
        return DIFF_WEFT_FAILED;
    }
    memcpy(got, ram + DIFF_DATA, sizeof(*got));
    return diff_first_mismatch(got, want);
}

/* Byte offset of unit i in the weft image. */
static unsigned diff_unit_pc(const struct diff_case *c, unsigned i)
{
    static uint8_t img[DIFF_DATA + D_END];
    unsigned pos = 4 + 5 * 4 + 4 + 32 * 4 + 2 * 4 + 30 * 4;

    for (unsigned k = 0; k < i; k++) {
        pos = put_unit(img, pos, &c->units[k], false);
    }
    return pos;
}

static void diff_print_unit(const struct diff_case *c, unsigned i)
{
    const struct diff_unit *u = &c->units[i];
    uint64_t pc = RAM_BASE + diff_unit_pc(c, i);

    for (unsigned k = 0; k < u->nw; k++) {
        char buf[96];

        riscv_disas(pc, (const uint8_t *)&u->w[k], insn_bytes(u->w[k]),
                    buf, sizeof(buf));
        fprintf(stderr, "    %08" PRIx64 ": %0*x  %s\n", pc,
                insn_bytes(u->w[k]) * 2, u->w[k], buf);
        pc += insn_bytes(u->w[k]);
    }
}

static void diff_print_state(const char *title, const struct diff_state *s)
{
    fprintf(stderr, "  %s:\n", title);
    for (int i = 0; i < 32; i++) {
        fprintf(stderr, "  x%-2d %016" PRIx64 "%s", i, s->x[i],
                i % 4 == 3 ? "\n" : "");
    }
    for (int i = 0; i < 32; i++) {
        fprintf(stderr, "  f%-2d %016" PRIx64 "%s", i, s->f[i],
                i % 4 == 3 ? "\n" : "");
    }
    fprintf(stderr, "  fcsr %02" PRIx64 " (frm %" PRIu64 " fflags %02" PRIx64
            ")\n", s->fcsr, s->fcsr >> 5 & 7, s->fcsr & 31);
}

/* Finds and reports the first unit after which the two disagree. */
static void diff_explain(const struct diff_case *c)
{
    static struct diff_state got, want, before;

    for (unsigned len = 1; len <= DIFF_UNITS; len++) {
        int r = diff_compare(c, len, &got, &want);
        char loc[32];

        if (r == DIFF_AGREE) {
            continue;
        }
        fprintf(stderr, "diff seed %u: unit %u (of %u), frm at start %u:\n",
                c->seed, len - 1, DIFF_UNITS, c->frm);
        diff_print_unit(c, len - 1);
        if (r == DIFF_QEMU_FAILED) {
            fprintf(stderr, "  qemu-riscv64 did not finish\n");
        } else if (r == DIFF_WEFT_FAILED) {
            fprintf(stderr, "  weft trapped or did not finish\n");
        } else {
            diff_loc_name(r, loc, sizeof(loc));
            fprintf(stderr, "  %s: weft %016" PRIx64 " qemu %016" PRIx64
                    "\n", loc, diff_loc_value(&got, r),
                    diff_loc_value(&want, r));
        }
        if (diff_compare(c, len - 1, &got, &before) == DIFF_AGREE) {
            diff_print_state("state before it", &before);
        }
        return;
    }
    fprintf(stderr, "diff seed %u: no single unit found to differ\n",
            c->seed);
}

/* Checks the generator only makes instructions weft decodes. */
static bool diff_unit_valid(const struct diff_unit *u)
{
    static const struct riscv_isa isa = { 64, RV_EXT_GUEST_ALL };

    for (unsigned k = 0; k < u->nw + u->nq; k++) {
        uint32_t insn = k < u->nw ? u->w[k] : u->q[k - u->nw];
        struct riscv_insn d;

        riscv_decode(&d, insn, &isa);
        if (d.op == RV_OP_ILLEGAL || d.len != insn_bytes(insn)) {
            fprintf(stderr, "diff: generated illegal %08x\n", insn);
            return false;
        }
    }
    return true;
}

static bool diff_make_case(struct diff_case *c, unsigned seed)
{
    uint64_t v;

    c->seed = seed;
    diff_rng = 0x9e3779b97f4a7c15ull * (seed + 1);
    memset(c->data, 0, sizeof(c->data));
    for (unsigned i = 0; i < SCRATCH_SIZE / 8; i++) {
        v = rnd() & 1 ? rnd_value() : rnd_fvalue();
        memcpy(c->data + D_SCRATCH + 8 * i, &v, 8);
    }
    for (unsigned i = 0; i < 32; i++) {
        v = rnd_value();
        memcpy(c->data + D_INIT_X + 8 * i, &v, 8);
        v = rnd_fvalue();
        memcpy(c->data + D_INIT_F + 8 * i, &v, 8);
    }
    c->frm = rnd() % 5;
    for (unsigned i = 0; i < DIFF_UNITS; i++) {
        rnd_unit(&c->units[i]);
        if (!diff_unit_valid(&c->units[i])) {
            return false;
        }
    }
    return true;
}

static bool diff_one(unsigned seed)
{
    static struct diff_case c;
    static struct diff_state got, want;
    int r;

    if (!diff_make_case(&c, seed)) {
        return false;
    }
    r = diff_compare(&c, DIFF_UNITS, &got, &want);
    if (r != DIFF_AGREE) {
        diff_explain(&c);
    }
    return r == DIFF_AGREE;
}

/*
 * Seeds first .. first + programs - 1; WEFT_DIFF_SEED sets the first
 * (default 0).  Every failing seed is reported, then the run fails.
 */
static bool diff_run(int programs)
{
    const char *env = getenv("WEFT_DIFF_SEED");
    unsigned first = env ? (unsigned)strtoul(env, NULL, 0) : 0;
    int failed = 0;

    for (int i = 0; i < programs; i++) {
        if (!diff_one(first + (unsigned)i)) {
            printf("not ok - diff seed %u\n", first + (unsigned)i);
            fflush(stdout);
            failed++;
        }
    }
    printf("%s - diff: %d of %d programs (seeds %u..%u, %d units each) "
           "agree with qemu\n", failed ? "not ok" : "ok", programs - failed,
           programs, first, first + (unsigned)programs - 1, DIFF_UNITS);
    return !failed;
}
