/*
 * Differential test (included by test-riscv-exec.c): random streams of
 * non-memory integer instructions (I, M, Zba, Zbb, Zbc, Zbs) run on weft
 * and on qemu-riscv64 (user mode, the same code in a static ELF), and
 * the final registers are compared.
 *
 * Image at RAM_BASE: "auipc sp, 1" (sp = data page), loads of the
 * initial registers, the random stream, stores of the final registers
 * to sp + 256, then an epilogue: tohost on weft, write(1) + exit under
 * qemu.  sp (x2) is never a destination.
 */
#include <elf.h>
#include <sys/stat.h>

#define DIFF_INSNS      200
#define DIFF_CODE_MAX   0x1000
#define DIFF_DATA       0x1000          /* offset of the data page */

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

static unsigned rnd_reg(void)
{
    unsigned r = rnd() % 31;

    return r >= 2 ? r + 1 : r;      /* 0, 1, 3..31: never sp */
}

static uint64_t rnd_value(void)
{
    static const uint64_t edges[] = {
        0, 1, 2, UINT64_MAX, 0x8000000000000000ull, 0x7fffffffffffffffull,
        0x80000000, 0x7fffffff, 0xffffffff, 0xffffffff80000000ull, 31, 32,
        63, 64,
    };

    switch (rnd() % 3) {
    case 0:
        return edges[rnd() % (sizeof(edges) / sizeof(edges[0]))];
    case 1:
        return rnd() % 200 - 100;
    default:
        return rnd();
    }
}

static uint32_t rnd_insn(void)
{
    unsigned nr = sizeof(diff_rops) / sizeof(diff_rops[0]);
    unsigned ni = sizeof(diff_iops) / sizeof(diff_iops[0]);
    unsigned k = rnd() % (nr + ni + 2), rd = rnd_reg();

    if (rd == 2) {
        rd = 0;
    }
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
        return enc_r(0x04, 0, rnd_reg(), 4, rd, 0x3b);     /* zext.h */
    }
    return (uint32_t)(rnd() & 0xfffff000) | rd << 7 | 0x37;   /* lui */
}

/* Builds the image; returns the code size.  qemu: user-mode epilogue. */
static unsigned diff_build(uint8_t *img, const uint32_t *stream,
                           unsigned len, const uint64_t *init, bool qemu)
{
    uint32_t *c = (uint32_t *)img;
    unsigned n = 0;

    c[n++] = 0x00001117;                        /* auipc sp, 1 */
    for (unsigned r = 1; r < 32; r++) {
        if (r != 2) {
            c[n++] = enc_i(8 * r, 2, 3, r, 0x03);   /* ld xr, 8r(sp) */
        }
    }
    for (unsigned i = 0; i < len; i++) {
        c[n++] = stream[i];
    }
    for (unsigned r = 0; r < 32; r++) {         /* sd xr, 256+8r(sp) */
        unsigned off = 256 + 8 * r;

        c[n++] = (off >> 5) << 25 | r << 20 | 2 << 15 | 3 << 12 |
                 (off & 31) << 7 | 0x23;
    }
    if (qemu) {
        c[n++] = enc_i(256, 2, 0, 11, 0x13);    /* addi a1, sp, 256 */
        c[n++] = enc_i(64, 0, 0, 17, 0x13);     /* li a7, 64 (write) */
        c[n++] = enc_i(1, 0, 0, 10, 0x13);      /* li a0, 1 */
        c[n++] = enc_i(256, 0, 0, 12, 0x13);    /* li a2, 256 */
        c[n++] = 0x00000073;                    /* ecall */
        c[n++] = enc_i(93, 0, 0, 17, 0x13);     /* li a7, 93 (exit) */
        c[n++] = enc_i(0, 0, 0, 10, 0x13);      /* li a0, 0 */
        c[n++] = 0x00000073;
    } else {
        c[n++] = 0x100002b7;                    /* lui t0, 0x10000 */
        c[n++] = enc_i(1, 0, 0, 6, 0x13);       /* li t1, 1 */
        c[n++] = 0x0062b023;                    /* sd t1, 0(t0) */
        c[n++] = 0x0000006f;                    /* j . */
    }
    CHECK(n * 4 <= DIFF_CODE_MAX);
    memcpy(img + DIFF_DATA, init, 32 * 8);
    return n * 4;
}

/* Runs the image under qemu-riscv64; false if it did not report. */
static bool diff_qemu_run(const uint8_t *img, uint64_t *regs)
{
    char path[] = "/tmp/weft-diff-XXXXXX";
    int fd = mkstemp(path);
    Elf64_Ehdr eh = {
        .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64,
                     ELFDATA2LSB, EV_CURRENT },
        .e_type = ET_EXEC, .e_machine = EM_RISCV, .e_version = EV_CURRENT,
        .e_entry = RAM_BASE, .e_phoff = sizeof(Elf64_Ehdr),
        .e_flags = 0x4,     /* double-float ABI */
        .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
        .e_phnum = 1,
    };
    Elf64_Phdr ph = {
        .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
        .p_offset = 0x1000, .p_vaddr = RAM_BASE, .p_paddr = RAM_BASE,
        .p_filesz = DIFF_DATA + 0x200, .p_memsz = DIFF_DATA + 0x1000,
        .p_align = 0x1000,
    };
    static uint8_t file[0x1000 + DIFF_DATA + 0x200];
    char cmd[256];
    FILE *p;
    size_t n;

    CHECK(fd >= 0);
    memset(file, 0, sizeof(file));
    memcpy(file, &eh, sizeof(eh));
    memcpy(file + sizeof(eh), &ph, sizeof(ph));
    memcpy(file + 0x1000, img, DIFF_DATA + 0x200);
    CHECK(write(fd, file, sizeof(file)) == (ssize_t)sizeof(file));
    close(fd);
    chmod(path, 0700);
    snprintf(cmd, sizeof(cmd), "%s %s", diff_qemu, path);
    p = popen(cmd, "r");
    CHECK(p);
    n = fread(regs, 1, 256, p);
    pclose(p);
    unlink(path);
    return n == 256;
}

/* Runs the first len instructions on both; the first differing
 * register (other than sp), or -1 if they agree; -2 if a run failed. */
static int diff_compare(const uint32_t *stream, unsigned len,
                        const uint64_t *init, uint64_t *got, uint64_t *want)
{
    static uint8_t img[DIFF_DATA + 0x200];

    memset(img, 0, sizeof(img));
    diff_build(img, stream, len, init, true);
    if (!diff_qemu_run(img, want)) {
        fprintf(stderr, "diff: qemu-riscv64 gave no output\n");
        return -2;
    }
    memset(ram, 0, RAM_SIZE);
    diff_build(ram, stream, len, init, false);
    tb_invalidate_phys_range(RAM_BASE, RAM_BASE + RAM_SIZE);
    if (!run_loaded("diff")) {
        return -2;
    }
    memcpy(got, ram + DIFF_DATA + 256, 32 * 8);
    for (int r = 0; r < 32; r++) {
        if (r != 2 && got[r] != want[r]) {
            return r;
        }
    }
    return -1;
}

/* Reports the first instruction after which the two disagree. */
static void diff_explain(unsigned seed, const uint32_t *stream,
                         const uint64_t *init)
{
    uint64_t got[32], want[32], before[32], dummy[32];

    for (unsigned len = 1; len <= DIFF_INSNS; len++) {
        int r = diff_compare(stream, len, init, got, want);
        char buf[96];

        if (r == -1) {
            continue;
        }
        if (r >= 0) {
            riscv_disas(RAM_BASE, (const uint8_t *)&stream[len - 1], 4, buf,
                        sizeof(buf));
            diff_compare(stream, len - 1, init, dummy, before);
            fprintf(stderr, "diff seed %u: insn %u %08x \"%s\": x%d weft "
                    "%016" PRIx64 " qemu %016" PRIx64 "\n", seed, len - 1,
                    stream[len - 1], buf, r, got[r], want[r]);
            for (int i = 0; i < 32; i++) {
                fprintf(stderr, "x%-2d %016" PRIx64 "%s", i, before[i],
                        i % 4 == 3 ? "\n" : "  ");
            }
        }
        return;
    }
}

static bool diff_one(unsigned seed)
{
    uint32_t stream[DIFF_INSNS];
    uint64_t init[32], want[32], got[32];
    int r;

    diff_rng = 0x9e3779b97f4a7c15ull * (seed + 1);
    for (unsigned i = 0; i < 32; i++) {
        init[i] = rnd_value();
    }
    for (unsigned i = 0; i < DIFF_INSNS; i++) {
        struct riscv_insn insn;

        stream[i] = rnd_insn();
        /* the table must only produce real instructions */
        riscv_decode(&insn, stream[i], &(struct riscv_isa){
                         64, RV_EXT_GUEST_ALL });
        if (insn.op == RV_OP_ILLEGAL) {
            fprintf(stderr, "diff: generated illegal %08x\n", stream[i]);
            return false;
        }
    }
    r = diff_compare(stream, DIFF_INSNS, init, got, want);
    if (r >= 0) {
        diff_explain(seed, stream, init);
    }
    return r == -1;
}

static bool diff_run(int programs)
{
    for (int i = 0; i < programs; i++) {
        if (!diff_one((unsigned)i)) {
            printf("not ok - diff program %d\n", i);
            return false;
        }
    }
    printf("ok - diff: %d programs of %d instructions agree with qemu\n",
           programs, DIFF_INSNS);
    return true;
}
