/*
 * Writes an assembly file of ".insn" lines for the differential test of
 * weft's RISC-V disassembler against objdump.  Built for the build
 * machine and run at build time; the output depends only on its
 * arguments, so the reference listing is reproducible.
 *
 *   gen-insns exhaustive OUT.S
 *       every 16-bit parcel; every (opcode, funct3, funct7) with fixed
 *       registers; every 12-bit immediate/funct12 of the opcodes where
 *       those bits select the operation (OP-IMM, OP-IMM-32, MISC-MEM,
 *       AMO, OP-FP, SYSTEM with each zero/non-zero rd, rs1 pairing).
 *   gen-insns rv32 OUT.S
 *       for an RV32 object: every 16-bit parcel (quadrants 0 and 2 and
 *       c.jal differ from RV64), every (funct3, funct7) of the integer
 *       opcodes and every 12-bit immediate of OP-IMM and OP-IMM-32.
 *   gen-insns random SEED COUNT OUT.S
 *       COUNT 32-bit words: half uniformly random, half built from a
 *       random major opcode, funct3, funct7 and register fields biased
 *       towards the values aliases care about (x0, ra, sp).
 *
 * The decoder is not consulted: the generator must not share its bugs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *out;

static void insn16(unsigned v)
{
    fprintf(out, ".insn 2, 0x%04x\n", v);
}

static void insn32(uint32_t v)
{
    fprintf(out, ".insn 4, 0x%08" PRIx32 "\n", v);
}

/* Major opcodes (bits 6:2) of 32-bit instructions: bits 4:2 = 111 marks
 * a longer instruction. */
static int major_is_32bit(unsigned major)
{
    return (major & 7) != 7;
}

static uint32_t enc(unsigned major, unsigned rd, unsigned f3, unsigned rs1,
                    uint32_t upper12)
{
    return 3 | major << 2 | rd << 7 | f3 << 12 | rs1 << 15 | upper12 << 20;
}

static void gen_exhaustive(void)
{
    static const unsigned imm_majors[] = { 0x04, 0x06, 0x03, 0x0b, 0x14 };
    static const unsigned reg_pairs[4][2] = {
        { 10, 11 }, { 0, 11 }, { 10, 0 }, { 0, 0 } };

    for (unsigned v = 0; v < 0x10000; v++) {
        if ((v & 3) != 3)
            insn16(v);
    }
    for (unsigned major = 0; major < 32; major++) {
        if (!major_is_32bit(major))
            continue;
        for (unsigned f3 = 0; f3 < 8; f3++) {
            for (unsigned f7 = 0; f7 < 128; f7++)
                insn32(enc(major, 10, f3, 11, f7 << 5 | 12));
        }
    }
    for (size_t k = 0; k < sizeof(imm_majors) / sizeof(imm_majors[0]); k++) {
        for (unsigned f3 = 0; f3 < 8; f3++) {
            for (uint32_t imm = 0; imm < 4096; imm++)
                insn32(enc(imm_majors[k], 10, f3, 11, imm));
        }
    }
    for (unsigned p = 0; p < 4; p++) {
        for (unsigned f3 = 0; f3 < 8; f3++) {
            for (uint32_t imm = 0; imm < 4096; imm++)
                insn32(enc(0x1c, reg_pairs[p][0], f3, reg_pairs[p][1], imm));
        }
    }
}

static void gen_rv32(void)
{
    static const unsigned majors[] = { 0x04, 0x06, 0x0c, 0x0e };

    for (unsigned v = 0; v < 0x10000; v++) {
        if ((v & 3) != 3)
            insn16(v);
    }
    for (size_t k = 0; k < sizeof(majors) / sizeof(majors[0]); k++) {
        for (unsigned f3 = 0; f3 < 8; f3++) {
            for (unsigned f7 = 0; f7 < 128; f7++)
                insn32(enc(majors[k], 10, f3, 11, f7 << 5 | 12));
            if (k < 2) {
                for (uint32_t imm = 0; imm < 4096; imm++)
                    insn32(enc(majors[k], 10, f3, 11, imm));
            }
        }
    }
}

/* xorshift64*: small, fast, and the same on every host. */
static uint64_t rng_state;

static uint32_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* A register number, x0 a quarter of the time and ra/sp often. */
static unsigned rnd_reg(void)
{
    unsigned r = rnd() % 16;

    if (r < 4)
        return 0;
    if (r < 6)
        return 1 + r % 2;
    return rnd() % 32;
}

static uint32_t rnd_funct7(void)
{
    static const uint32_t common[] = {
        0x00, 0x01, 0x04, 0x05, 0x07, 0x10, 0x14, 0x20, 0x24, 0x30, 0x34,
        0x02, 0x06, 0x08, 0x09, 0x0c, 0x0d, 0x2c, 0x2d, 0x50, 0x51, 0x60,
        0x61, 0x68, 0x69, 0x70, 0x71, 0x78, 0x79, 0x20, 0x21, 0x11, 0x15,
    };

    if (rnd() % 4 == 0)
        return rnd() % 128;
    return common[rnd() % (sizeof(common) / sizeof(common[0]))];
}

static uint32_t rnd_structured(void)
{
    unsigned major;

    do {
        major = rnd() % 32;
    } while (!major_is_32bit(major));
    return enc(major, rnd_reg(), rnd() % 8, rnd_reg(),
               rnd_funct7() << 5 | rnd_reg());
}

static uint32_t rnd_uniform(void)
{
    uint32_t w = rnd() | 3;

    if ((w & 0x1c) == 0x1c)         /* not a longer-instruction prefix */
        w &= ~0x10u;
    return w;
}

static void gen_random(uint64_t seed, unsigned long count)
{
    rng_state = seed ? seed : 1;
    for (unsigned long i = 0; i < count; i++)
        insn32(i % 2 ? rnd_structured() : rnd_uniform());
}

static void usage(void)
{
    fprintf(stderr, "usage: gen-insns exhaustive|rv32 OUT.S\n"
                    "       gen-insns random SEED COUNT OUT.S\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *path;

    if (argc == 3 && (!strcmp(argv[1], "exhaustive") ||
                      !strcmp(argv[1], "rv32")))
        path = argv[2];
    else if (argc == 5 && !strcmp(argv[1], "random"))
        path = argv[4];
    else
        usage();
    out = fopen(path, "w");
    if (!out) {
        perror(path);
        return 1;
    }
    fprintf(out, "/* generated by gen-insns %s */\n\t.text\n", argv[1]);
    if (!strcmp(argv[1], "exhaustive"))
        gen_exhaustive();
    else if (!strcmp(argv[1], "rv32"))
        gen_rv32();
    else
        gen_random(strtoull(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
    if (fclose(out) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}
