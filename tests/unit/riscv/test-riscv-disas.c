/*
 * Differential test of weft's RISC-V disassembler against GNU objdump.
 *
 *   test-riscv-disas [--expected] [--rv32] TEXT.bin LISTING.txt
 *   test-riscv-disas --skip REASON
 *
 * TEXT.bin is the .text section of an object (objcopy -O binary), and
 * LISTING.txt is "objdump -d -z --no-show-raw-insn" of the same object,
 * both made at build time.  For every instruction line of the listing
 * the test disassembles the same bytes at the same address and compares.
 *
 * Normalisation of objdump's text, all cosmetic:
 *  - " <symbol+off>" after a branch target is dropped (weft has no
 *    symbols; the address before it is still compared);
 *  - "# ..." comments are dropped (objdump's guess of an address from
 *    an earlier lui/auipc, which a one-instruction disassembler cannot
 *    know);
 *  - runs of blanks and tabs become one space.
 *
 * Known differences with binutils 2.40, each checked to be exactly what
 * it claims (see accept_known_difference):
 *  - newer: czero.eqz/czero.nez (Zicond, binutils 2.41) and widening
 *    FP conversions whose rm is not rne print as instructions where
 *    objdump 2.40 prints ".4byte";
 *  - reserved: c.addi16sp with a zero immediate is reserved by the spec,
 *    weft prints it as data where objdump 2.40 prints "add sp,sp,0";
 *    so are RV32 shifts by 32..63 (slli, c.slli, ...), which objdump 2.40
 *    prints as their RV64 meaning.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/riscv/decode.h"
#include "cpu/riscv/disas.h"
#include "test.h"
#include "util/compiler.h"

#define MAX_REPORTS 40

struct blob {
    uint8_t *data;
    size_t size;
};

static const char *bin_path, *lst_path;
static bool with_expected;      /* --expected: the insns.S listing */
static struct riscv_isa isa;    /* riscv_isa_disas, or its RV32 twin */

static struct blob read_file(const char *path)
{
    struct blob b = { NULL, 0 };
    FILE *f = fopen(path, "rb");
    long size;

    if (!f) {
        perror(path);
        exit(1);
    }
    CHECK(fseek(f, 0, SEEK_END) == 0);
    size = ftell(f);
    CHECK(size >= 0);
    rewind(f);
    b.size = size;
    b.data = malloc(b.size + 1);
    CHECK(b.data);
    CHECK(fread(b.data, 1, b.size, f) == b.size);
    fclose(f);
    return b;
}

/* Drops " <...>" and "#..." and squeezes blanks, in place. */
static void normalise(char *s)
{
    char *w = s;
    bool blank = false;

    for (char *r = s; *r; r++) {
        if (*r == '#')
            break;
        if (*r == '<' && r > s && r[-1] == ' ') {
            char *end = strchr(r, '>');

            if (end) {
                r = end;
                continue;
            }
        }
        if (isspace((unsigned char)*r)) {
            blank = true;
            continue;
        }
        if (blank && w > s)
            *w++ = ' ';
        blank = false;
        *w++ = *r;
    }
    *w = '\0';
}

static uint32_t load_bits(const struct blob *text, size_t off)
{
    uint32_t bits = 0;

    for (size_t k = 0; k < 4 && off + k < text->size; k++)
        bits |= (uint32_t)text->data[off + k] << (8 * k);
    return bits;
}

static bool is_data_directive(const char *s)
{
    return !strncmp(s, ".2byte", 6) || !strncmp(s, ".4byte", 6);
}

/*
 * RV32 shifts by 32..63 (shamt[5] set) are reserved, but objdump 2.40
 * prints them: accept that only if the bytes are such a shift for RV64
 * and objdump's text is exactly weft's RV64 text for them.
 */
static bool rv32_wide_shift(const struct blob *text, size_t off,
                            const char *theirs)
{
    struct riscv_isa rv64 = isa;
    struct riscv_insn insn;
    char text64[160];

    rv64.xlen = 64;
    riscv_decode(&insn, load_bits(text, off), &rv64);
    switch (insn.op) {
    case RV_OP_SLLI: case RV_OP_SRLI: case RV_OP_SRAI: case RV_OP_RORI:
    case RV_OP_BCLRI: case RV_OP_BEXTI: case RV_OP_BINVI: case RV_OP_BSETI:
        break;
    default:
        return false;
    }
    if (insn.imm < 32)
        return false;
    riscv_disas_isa(&rv64, off, text->data + off, text->size - off,
                    text64, sizeof(text64));
    normalise(text64);
    return !strcmp(text64, theirs);
}

/*
 * The known differences (see the top of the file).  'theirs' is
 * objdump's normalised text, 'ours' weft's; each class is recognised
 * from the decoded instruction, never from weft's text alone.
 */
static const char *accept_known_difference(const struct blob *text,
                                           size_t off, const char *theirs,
                                           const char *ours)
{
    struct riscv_insn insn;

    riscv_decode(&insn, load_bits(text, off), &isa);
    if (is_data_directive(theirs)) {
        switch (insn.op) {
        case RV_OP_CZERO_EQZ:
        case RV_OP_CZERO_NEZ:
            return "newer: zicond";
        case RV_OP_FCVT_D_S:
        case RV_OP_FCVT_D_W:
        case RV_OP_FCVT_D_WU:
            if (insn.rm != RV_RM_RNE && strstr(ours, "fcvt.d.") == ours)
                return "newer: widening conversion with rm";
            return NULL;
        default:
            return NULL;
        }
    }
    if (insn.op == RV_OP_ILLEGAL && insn.len == 2 &&
        (insn.raw & 0xef83) == 0x6101 && !strcmp(theirs, "add sp,sp,0"))
        return "reserved: c.addi16sp 0";
    if (insn.op == RV_OP_ILLEGAL && isa.xlen == 32 &&
        rv32_wide_shift(text, off, theirs))
        return "reserved: RV32 shamt[5]";
    return NULL;
}

/*
 * Texts that the known differences must produce, so an exception cannot
 * hide a wrong print: insns.S contains each of these encodings.
 */
static struct {
    uint32_t raw;
    const char *text;
    bool seen;
} newer_expected[] = {
    { 0x0ec5d533, "czero.eqz a0,a1,a2", false },
    { 0x0ec5f533, "czero.nez a0,a1,a2", false },
    { 0x0ff05033, "czero.eqz zero,zero,t6", false },
    { 0x4205f553, "fcvt.d.s fa0,fa1,dyn", false },
    { 0xd2059553, "fcvt.d.w fa0,a1,rtz", false },
    { 0x00006101, ".2byte 0x6101", false },
};

static bool check_expected(uint32_t raw, const char *ours)
{
    for (size_t k = 0; k < ARRAY_SIZE(newer_expected); k++) {
        if (newer_expected[k].raw != raw)
            continue;
        newer_expected[k].seen = true;
        return !strcmp(newer_expected[k].text, ours);
    }
    return true;
}

struct tally {
    unsigned long lines, known, failures;
    struct {
        const char *why;
        unsigned long count;
    } reasons[8];
};

static void count_known(struct tally *t, const char *why)
{
    size_t k;

    t->known++;
    for (k = 0; k < ARRAY_SIZE(t->reasons) && t->reasons[k].why; k++) {
        if (!strcmp(t->reasons[k].why, why))
            break;
    }
    CHECK(k < ARRAY_SIZE(t->reasons));
    t->reasons[k].why = why;
    t->reasons[k].count++;
}

static void report(struct tally *t, unsigned long addr, uint32_t bits,
                   const char *theirs, const char *ours)
{
    if (++t->failures <= MAX_REPORTS)
        fprintf(stderr, "%8lx: %08x  objdump: %-36s weft: %s\n", addr,
                bits, theirs, ours);
}

/* Compares one listing line at 'addr'; returns weft's length. */
static size_t compare_line(const struct blob *text, unsigned long addr,
                           char *theirs, struct tally *t)
{
    char ours[160];
    size_t len;
    const char *why;

    len = riscv_disas_isa(&isa, addr, text->data + addr, text->size - addr,
                          ours, sizeof(ours));
    normalise(theirs);
    normalise(ours);
    t->lines++;
    if (!strcmp(theirs, ours))
        return len;
    why = accept_known_difference(text, addr, theirs, ours);
    if (why && (!with_expected || check_expected(load_bits(text, addr) &
                                  (len == 2 ? 0xffff : 0xffffffff), ours))) {
        count_known(t, why);
        return len;
    }
    report(t, addr, load_bits(text, addr), theirs, ours);
    return len;
}

/* An instruction line: "  addr:\ttext". */
static bool parse_line(char *line, unsigned long *addr, char **text)
{
    char *end;

    while (*line == ' ')
        line++;
    *addr = strtoul(line, &end, 16);
    if (end == line || end[0] != ':' || end[1] != '\t')
        return false;
    *text = end + 2;
    return true;
}

static void run_compare(void)
{
    struct blob text = read_file(bin_path);
    FILE *lst = fopen(lst_path, "r");
    struct tally t = { 0 };
    char line[512], *theirs;
    unsigned long addr, next = 0;

    CHECK(lst);
    while (fgets(line, sizeof(line), lst)) {
        line[strcspn(line, "\n")] = '\0';
        if (!parse_line(line, &addr, &theirs))
            continue;
        if (addr != next) {
            fprintf(stderr, "%lx: objdump has an instruction here, weft "
                    "expected the next at %lx\n", addr, next);
            exit(1);
        }
        CHECK(addr < text.size);
        next = addr + compare_line(&text, addr, theirs, &t);
    }
    fclose(lst);
    CHECK_EQ(next, text.size);
    if (with_expected) {
        for (size_t k = 0; k < ARRAY_SIZE(newer_expected); k++) {
            if (!newer_expected[k].seen)
                fprintf(stderr, "insns.S lacks %08x (%s)\n",
                        newer_expected[k].raw, newer_expected[k].text);
            CHECK(newer_expected[k].seen);
        }
    }
    printf("%lu instructions compared, %lu known differences, "
           "%lu mismatches\n", t.lines, t.known, t.failures);
    for (size_t k = 0; k < ARRAY_SIZE(t.reasons) && t.reasons[k].why; k++)
        printf("  known difference, %s: %lu\n", t.reasons[k].why,
               t.reasons[k].count);
    free(text.data);
    CHECK(t.lines > 0);
    CHECK_EQ(t.failures, 0);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--skip"))
        test_skip(argv[2]);
    isa = riscv_isa_disas;
    for (; argc > 3 && argv[1][0] == '-'; argc--, argv++) {
        if (!strcmp(argv[1], "--expected"))
            with_expected = true;
        else if (!strcmp(argv[1], "--rv32"))
            isa.xlen = 32;
        else
            break;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: %s [--expected] [--rv32] TEXT.bin "
                "LISTING.txt\n", argv[0]);
        return 2;
    }
    bin_path = argv[1];
    lst_path = argv[2];
    RUN(run_compare);
    return 0;
}
