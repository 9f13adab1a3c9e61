/*
 * RISC-V disassembler on top of the decoder.
 *
 * Printing has two steps.  First pick the form: the mnemonic and operand
 * layout objdump would choose, which for many encodings is an alias
 * ("li", "mv", "ret", "csrr", "sll a0,a1,0x3") rather than the canonical
 * instruction.  The alias rules below follow objdump 2.40's choices,
 * including its odd ones (it prints "addi a0,a1,5" as "add a0,a1,5"),
 * because matching it lets the tests use objdump as the oracle.  Then
 * render the layout string (letters as in insn.def) into the buffer.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cpu/riscv/csr-names.h"
#include "cpu/riscv/disas.h"
#include "cpu/riscv/op-info.h"
#include "util/compiler.h"

static const char *const gpr_names[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
    "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static const char *const fpr_names[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7",
    "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
    "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
    "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

/* NULL entries print as "unknown", as objdump does. */
static const char *const rm_names[8] = {
    "rne", "rtz", "rdn", "rup", "rmm", NULL, NULL, "dyn",
};

static const char *const fence_sets[16] = {
    NULL, "w", "r", "rw", "o", "ow", "or", "orw",
    "i", "iw", "ir", "irw", "io", "iow", "ior", "iorw",
};

/* A bounded string builder: writes what fits, always NUL-terminated. */
struct outbuf {
    char *p;
    size_t size;
    size_t len;
};

static void WEFT_PRINTF(2, 3) emit(struct outbuf *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (o->len + 1 >= o->size)
        return;
    va_start(ap, fmt);
    n = vsnprintf(o->p + o->len, o->size - o->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len = MIN(o->len + (size_t)n, o->size - 1);
}

/* emit() for a plain string: most of the output, without printf. */
static void emit_str(struct outbuf *o, const char *s)
{
    size_t n = strlen(s);

    if (o->len + 1 >= o->size)
        return;
    n = MIN(n, o->size - 1 - o->len);
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static const char *name_or_unknown(const char *const *table, unsigned i)
{
    return table[i] ? table[i] : "unknown";
}

/* ---- choosing the printed form ---- */

struct form {
    const char *name;
    const char *fmt;
    bool raw;               /* print as data instead */
};

static bool set_form(struct form *f, const char *name, const char *fmt)
{
    f->name = name;
    f->fmt = fmt;
    return true;
}

/* Compressed instructions objdump prints unlike their expansion: the
 * hints ("c.li zero,1", "c.slli64 a0"), c.addi and c.mv. */
static bool compressed_form(const struct riscv_insn *i, struct form *f)
{
    switch (i->cop) {
    case RV_COP_NOP:
        return i->imm ? set_form(f, "c.nop", "j") : set_form(f, "nop", "");
    case RV_COP_ADDI:
        /* c.addi rd,0 is a hint; objdump keeps the add form for it. */
        return set_form(f, "add", "d,s,j");
    case RV_COP_LI:
        return i->rd == 0 && set_form(f, "c.li", "d,j");
    case RV_COP_LUI:
        return i->rd == 0 && set_form(f, "c.lui", "d,u");
    case RV_COP_SRLI:
        return i->imm == 0 && set_form(f, "c.srli64", "d");
    case RV_COP_SRAI:
        return i->imm == 0 && set_form(f, "c.srai64", "d");
    case RV_COP_SLLI:
        if (i->imm == 0)
            return set_form(f, "c.slli64", "d");
        return i->rd == 0 && set_form(f, "c.slli", "d,>");
    case RV_COP_MV:
        return set_form(f, i->rd ? "mv" : "c.mv", "d,t");
    case RV_COP_ADD:
        return i->rd == 0 && set_form(f, "c.add", "d,t");
    default:
        return false;
    }
}

static bool jump_form(const struct riscv_insn *i, struct form *f)
{
    if (i->op == RV_OP_JAL) {
        if (i->rd == 0)
            return set_form(f, "j", "p");
        return i->rd == 1 && set_form(f, "jal", "p");
    }
    if (i->op != RV_OP_JALR)
        return false;
    if (i->rd == 0) {
        if (i->imm == 0)
            return i->rs1 == 1 ? set_form(f, "ret", "")
                               : set_form(f, "jr", "s");
        return set_form(f, "jr", "o(s)");
    }
    if (i->rd == 1)
        return set_form(f, "jalr", i->imm ? "o(s)" : "s");
    return i->imm == 0 && set_form(f, "jalr", "d,s");
}

static bool branch_form(const struct riscv_insn *i, struct form *f)
{
    switch (i->op) {
    case RV_OP_BEQ:
        return i->rs2 == 0 && set_form(f, "beqz", "s,p");
    case RV_OP_BNE:
        return i->rs2 == 0 && set_form(f, "bnez", "s,p");
    case RV_OP_BGE:
        if (i->rs1 == 0)
            return set_form(f, "blez", "t,p");
        return i->rs2 == 0 && set_form(f, "bgez", "s,p");
    case RV_OP_BLT:
        if (i->rs2 == 0)
            return set_form(f, "bltz", "s,p");
        return i->rs1 == 0 && set_form(f, "bgtz", "t,p");
    default:
        return false;
    }
}

static bool addi_form(const struct riscv_insn *i, struct form *f)
{
    if (i->rd == 0 && i->rs1 == 0 && i->imm == 0)
        return set_form(f, "nop", "");
    if (i->rs1 == 0)
        return set_form(f, "li", "d,j");
    if (i->imm == 0)
        return set_form(f, "mv", "d,s");
    return set_form(f, "add", "d,s,j");
}

/* Register-immediate and register-register ALU aliases. */
static bool alu_form(const struct riscv_insn *i, struct form *f)
{
    switch (i->op) {
    case RV_OP_ADDI:
        return addi_form(i, f);
    case RV_OP_ADDIW:
        return i->imm ? set_form(f, "addw", "d,s,j")
                      : set_form(f, "sext.w", "d,s");
    case RV_OP_XORI:
        return i->imm == -1 ? set_form(f, "not", "d,s")
                            : set_form(f, "xor", "d,s,j");
    case RV_OP_ORI:
        return set_form(f, "or", "d,s,j");
    case RV_OP_ANDI:
        return i->imm == 255 ? set_form(f, "zext.b", "d,s")
                             : set_form(f, "and", "d,s,j");
    case RV_OP_SLTIU:
        return i->imm == 1 && set_form(f, "seqz", "d,s");
    case RV_OP_SUB:
        return i->rs1 == 0 && set_form(f, "neg", "d,t");
    case RV_OP_SUBW:
        return i->rs1 == 0 && set_form(f, "negw", "d,t");
    case RV_OP_SLT:
        if (i->rs2 == 0)
            return set_form(f, "sltz", "d,s");
        return i->rs1 == 0 && set_form(f, "sgtz", "d,t");
    case RV_OP_SLTU:
        return i->rs1 == 0 && set_form(f, "snez", "d,t");
    case RV_OP_ADD_UW:
        return i->rs2 == 0 && set_form(f, "zext.w", "d,s");
    default:
        return false;
    }
}

/* Shifts and single-bit ops by immediate print as the register form's
 * mnemonic with a hex amount. */
static bool shift_form(const struct riscv_insn *i, struct form *f)
{
    static const struct { enum riscv_op op; const char *name; } map[] = {
        { RV_OP_SLLI, "sll" },   { RV_OP_SRLI, "srl" },
        { RV_OP_SRAI, "sra" },   { RV_OP_SLLIW, "sllw" },
        { RV_OP_SRLIW, "srlw" }, { RV_OP_SRAIW, "sraw" },
        { RV_OP_RORI, "ror" },   { RV_OP_RORIW, "rorw" },
        { RV_OP_BCLRI, "bclr" }, { RV_OP_BEXTI, "bext" },
        { RV_OP_BINVI, "binv" }, { RV_OP_BSETI, "bset" },
    };

    for (size_t k = 0; k < ARRAY_SIZE(map); k++) {
        if (map[k].op == i->op)
            return set_form(f, map[k].name, "d,s,>");
    }
    return false;
}

/* The FP CSRs have their own pseudo-instructions. */
static bool fcsr_form(const struct riscv_insn *i, struct form *f)
{
    static const char *const rd_names[4] = {
        NULL, "frflags", "frrm", "frcsr" };
    static const char *const wr_names[4] = {
        NULL, "fsflags", "fsrm", "fscsr" };
    static const char *const wri_names[4] = {
        NULL, "fsflagsi", "fsrmi", NULL };

    if (i->csr < 1 || i->csr > 3)
        return false;
    switch (i->op) {
    case RV_OP_CSRRS:
        return i->rs1 == 0 && set_form(f, rd_names[i->csr], "d");
    case RV_OP_CSRRW:
        return set_form(f, wr_names[i->csr], i->rd ? "d,s" : "s");
    case RV_OP_CSRRWI:
        return wri_names[i->csr] && set_form(f, wri_names[i->csr], "d,Z");
    default:
        return false;
    }
}

static bool csr_form(const struct riscv_insn *i, const struct riscv_isa *isa,
                     struct form *f)
{
    static const char *const counters[3] = {
        "rdcycle", "rdtime", "rdinstret" };
    static const char *const counters_h[3] = {
        "rdcycleh", "rdtimeh", "rdinstreth" };

    if (fcsr_form(i, f))
        return true;
    switch (i->op) {
    case RV_OP_CSRRS:
        if (i->rs1 == 0 && i->csr >= 0xc00 && i->csr <= 0xc02)
            return set_form(f, counters[i->csr - 0xc00], "d");
        if (i->rs1 == 0 && isa->xlen == 32 && i->csr >= 0xc80 &&
            i->csr <= 0xc82)
            return set_form(f, counters_h[i->csr - 0xc80], "d");
        if (i->rs1 == 0)
            return set_form(f, "csrr", "d,E");
        return i->rd == 0 && set_form(f, "csrs", "E,s");
    case RV_OP_CSRRW:
        if (i->raw == 0xc0001073)       /* csrw cycle, zero */
            return set_form(f, "unimp", "");
        return i->rd == 0 && set_form(f, "csrw", "E,s");
    case RV_OP_CSRRC:
        return i->rd == 0 && set_form(f, "csrc", "E,s");
    case RV_OP_CSRRWI:
        return set_form(f, i->rd ? "csrrw" : "csrw", i->rd ? "d,E,Z" : "E,Z");
    case RV_OP_CSRRSI:
        return set_form(f, i->rd ? "csrrs" : "csrs", i->rd ? "d,E,Z" : "E,Z");
    case RV_OP_CSRRCI:
        return set_form(f, i->rd ? "csrrc" : "csrc", i->rd ? "d,E,Z" : "E,Z");
    default:
        return false;
    }
}

static bool fp_form(const struct riscv_insn *i, struct form *f)
{
    static const struct {
        enum riscv_op op;
        const char *name;
    } same_src[] = {
        { RV_OP_FSGNJ_S, "fmv.s" },  { RV_OP_FSGNJN_S, "fneg.s" },
        { RV_OP_FSGNJX_S, "fabs.s" }, { RV_OP_FSGNJ_D, "fmv.d" },
        { RV_OP_FSGNJN_D, "fneg.d" }, { RV_OP_FSGNJX_D, "fabs.d" },
    };

    if (i->rs1 != i->rs2)
        return false;
    for (size_t k = 0; k < ARRAY_SIZE(same_src); k++) {
        if (same_src[k].op == i->op)
            return set_form(f, same_src[k].name, "D,S");
    }
    return false;
}

/* Encodings the decoder accepts because the spec says to ignore some
 * field, but that objdump prints as data since that field is not zero. */
static bool noncanonical(const struct riscv_insn *i)
{
    switch (i->op) {
    case RV_OP_FENCE:
        return i->rd || i->rs1 || i->fm;
    case RV_OP_FENCE_TSO:
        return i->rd || i->rs1;
    case RV_OP_FENCE_I:
        return i->rd || i->rs1 || i->imm;
    default:
        return false;
    }
}

static bool system_form(const struct riscv_insn *i, struct form *f)
{
    switch (i->op) {
    case RV_OP_FENCE:
        return i->pred == 15 && i->succ == 15 && set_form(f, "fence", "");
    case RV_OP_SFENCE_VMA:
        if (i->rs2)
            return false;
        return set_form(f, "sfence.vma", i->rs1 ? "s" : "");
    case RV_OP_SFENCE_VM:
        return i->rs1 == 0 && set_form(f, "sfence.vm", "");
    default:
        return false;
    }
}

static void choose_form(const struct riscv_insn *i,
                        const struct riscv_isa *isa, struct form *f)
{
    const struct riscv_op_info *info = &riscv_op_info[i->op];

    f->raw = i->op == RV_OP_ILLEGAL || noncanonical(i);
    f->name = info->name;
    f->fmt = info->fmt;
    if (f->raw)
        return;
    if (i->cop && compressed_form(i, f))
        return;
    /* At most one of these applies to an op; none leaves the canonical
     * form in place. */
    (void)(jump_form(i, f) || branch_form(i, f) || alu_form(i, f) ||
           shift_form(i, f) || csr_form(i, isa, f) || fp_form(i, f) ||
           system_form(i, f));
}

/* ---- rendering ---- */

/* Whether the rounding mode operand is printed: objdump leaves out the
 * default (dyn); for exact conversions it knows only rne and prints no
 * rm, so weft prints rm there only when it is not rne. */
static bool rm_printed(const struct riscv_insn *i)
{
    if (riscv_op_info[i->op].flags & RV_OPF_EXACT)
        return i->rm != RV_RM_RNE;
    return i->rm != RV_RM_DYN;
}

static void render_operand(struct outbuf *o, char c,
                           const struct riscv_insn *i, uint64_t pc)
{
    char csrbuf[RISCV_CSR_NAME_MAX];
    char punct[2] = { c, '\0' };
    const char *csr;

    switch (c) {
    case 'd': emit_str(o, gpr_names[i->rd]); break;
    case 's': emit_str(o, gpr_names[i->rs1]); break;
    case 't': emit_str(o, gpr_names[i->rs2]); break;
    case 'D': emit_str(o, fpr_names[i->rd]); break;
    case 'S': emit_str(o, fpr_names[i->rs1]); break;
    case 'T': emit_str(o, fpr_names[i->rs2]); break;
    case 'R': emit_str(o, fpr_names[i->rs3]); break;
    case 'j':
    case 'o':
    case 'Z':
        emit(o, "%" PRId64, i->imm);
        break;
    case '>':
        emit(o, "0x%" PRIx64, (uint64_t)i->imm);
        break;
    case 'u':
        emit(o, "0x%" PRIx64, ((uint64_t)i->imm >> 12) & 0xfffff);
        break;
    case 'p':
        emit(o, "%" PRIx64, pc + (uint64_t)i->imm);
        break;
    case 'm':
        emit_str(o, name_or_unknown(rm_names, i->rm));
        break;
    case 'P':
        emit_str(o, name_or_unknown(fence_sets, i->pred));
        break;
    case 'Q':
        emit_str(o, name_or_unknown(fence_sets, i->succ));
        break;
    case 'E':
        csr = riscv_csr_name(i->csr, csrbuf);
        if (csr)
            emit_str(o, csr);
        else
            emit(o, "0x%x", i->csr);
        break;
    default:                            /* punctuation */
        emit_str(o, punct);
        break;
    }
}

static void render(struct outbuf *o, const struct riscv_insn *i,
                   const struct form *f, uint64_t pc)
{
    static const char *const order_suffix[4] = { "", ".rl", ".aq", ".aqrl" };

    emit_str(o, f->name);
    if (riscv_op_info[i->op].flags & RV_OPF_AMO)
        emit_str(o, order_suffix[i->aq << 1 | i->rl]);
    if (!f->fmt[0])
        return;
    emit_str(o, "\t");
    for (const char *c = f->fmt; *c; c++) {
        /* The rounding mode is the last operand and may be left out
         * together with its comma. */
        if (c[0] == ',' && c[1] == 'm' && !rm_printed(i))
            break;
        render_operand(o, *c, i, pc);
    }
}

static void render_byte_list(struct outbuf *o, const uint8_t *bytes,
                             size_t len)
{
    emit_str(o, ".byte\t");
    for (size_t k = 0; k < len; k++)
        emit(o, "%s0x%02x", k ? ", " : "", bytes[k]);
}

/* Data directives, as objdump prints bytes that are no instruction. */
static void render_raw(struct outbuf *o, const uint8_t *bytes, size_t len)
{
    uint64_t v = 0;

    if (len == 2 || len == 4 || len == 8) {
        for (size_t k = 0; k < len; k++)
            v |= (uint64_t)bytes[k] << (8 * k);
        emit(o, ".%zubyte\t0x%" PRIx64, len, v);
        return;
    }
    render_byte_list(o, bytes, len);
}

void riscv_disas_insn(const struct riscv_insn *insn,
                      const struct riscv_isa *isa, uint64_t pc,
                      char *out, size_t outsz)
{
    struct outbuf o = { out, outsz, 0 };
    struct form f;
    uint8_t bytes[4];

    if (outsz == 0)
        return;
    out[0] = '\0';
    choose_form(insn, isa, &f);
    if (!f.raw) {
        render(&o, insn, &f, pc);
        return;
    }
    if (insn->len == 2 && insn->raw == 0) {
        emit_str(&o, "unimp");      /* the defined-illegal zero parcel */
        return;
    }
    for (size_t k = 0; k < sizeof(bytes); k++)
        bytes[k] = insn->raw >> (8 * k);
    if (insn->len <= sizeof(bytes)) {
        render_raw(&o, bytes, insn->len);
        return;
    }
    /* A longer instruction: the struct keeps only its first 4 bytes. */
    render_byte_list(&o, bytes, sizeof(bytes));
    emit_str(&o, ", ...");
}

size_t riscv_disas_isa(const struct riscv_isa *isa, uint64_t pc,
                       const uint8_t *bytes, size_t avail,
                       char *out, size_t outsz)
{
    struct outbuf o = { out, outsz, 0 };
    struct riscv_insn insn;
    uint32_t bits = 0;
    unsigned len;

    if (outsz)
        out[0] = '\0';
    if (avail == 0)
        return 0;
    len = avail >= 2 ? riscv_insn_len(bytes[0] | bytes[1] << 8) : 2;
    if (avail < len || len > 4) {
        /* Too short to be the instruction it starts, or longer than
         * anything weft decodes: data, never a read past 'avail'. */
        len = MIN(avail, len);
        render_raw(&o, bytes, len);
        return len;
    }
    for (unsigned k = 0; k < len; k++)
        bits |= (uint32_t)bytes[k] << (8 * k);
    riscv_decode(&insn, bits, isa);
    riscv_disas_insn(&insn, isa, pc, out, outsz);
    return len;
}

size_t riscv_disas(uint64_t pc, const uint8_t *bytes, size_t avail,
                   char *out, size_t outsz)
{
    return riscv_disas_isa(&riscv_isa_disas, pc, bytes, avail, out, outsz);
}
