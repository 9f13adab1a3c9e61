/* The guest image loader: ELF64 files built by the test (valid, then
 * broken one field at a time, then randomly mutated), a real RISC-V ELF
 * built by the cross compiler, raw images, and RISC-V Image headers.
 *
 *   test-loader                      synthetic files, raw images, headers
 *   test-loader --guest ELF BIN NM   the cross-compiled ELF against
 *                                    objcopy -O binary and nm output
 *   test-loader --skip REASON
 */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/core/loader.h"
#include "memory/memory.h"
#include "system/bql.h"
#include "test.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (4ull << 20)
#define ROM_BASE 0x90000000ull
#define ROM_SIZE 0x10000ull
#define POISON 0xa5

static MemoryRegion sysmem, ram, rom;
static AddressSpace as;
static uint8_t *ram_host;
static char tmpdir[64];

/* ---- helpers */

static const char *tmp_path(const char *name)
{
    static char path[128];

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    return path;
}

static void write_file(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    CHECK(fd >= 0);
    CHECK(write(fd, buf, len) == (ssize_t)len);
    CHECK(close(fd) == 0);
}

/* err must be one line that starts with "'path': " and contains want. */
static void check_error(Error *err, const char *path, const char *want)
{
    const char *msg;
    char prefix[160];

    CHECK(err);
    msg = error_get_pretty(err);
    snprintf(prefix, sizeof(prefix), "'%s': ", path);
    if (strncmp(msg, prefix, strlen(prefix)) || !strstr(msg, want) ||
        strchr(msg, '\n')) {
        fprintf(stderr, "got \"%s\"\nwant \"%s...%s\"\n", msg, prefix, want);
        CHECK(0);
    }
    error_free(err);
}

static bool ram_is(uint64_t off, uint64_t len, uint8_t byte)
{
    for (uint64_t i = 0; i < len; i++) {
        if (ram_host[off + i] != byte) {
            return false;
        }
    }
    return true;
}

/* ---- a synthetic ELF: two PT_LOAD segments, .symtab, .strtab
 *
 *   0x000 Ehdr, 0x040 2 x Phdr
 *   0x200 segment 0 data (0x100 bytes) -> paddr 0x80000000
 *   0x300 segment 1 data (0x80 bytes, memsz 0x1000) -> paddr 0x80004000
 *   0x400 .symtab: null, tohost, fromhost
 *   0x480 .strtab
 *   0x500 3 x Shdr: null, .symtab, .strtab
 */
#define T_SEG0_OFF 0x200
#define T_SEG1_OFF 0x300
#define T_SYM_OFF 0x400
#define T_STR_OFF 0x480
#define T_SH_OFF 0x500
#define T_LEN (T_SH_OFF + 3 * sizeof(Elf64_Shdr))
#define T_SEG0_ADDR RAM_BASE
#define T_SEG1_ADDR (RAM_BASE + 0x4000)
#define T_VADDR_SHIFT 0x10000
#define T_TOHOST (T_SEG1_ADDR + 0x40)
#define T_FROMHOST (T_SEG1_ADDR + 0x48)

static const char t_strtab[] = "\0tohost\0fromhost";

typedef struct TestElf {
    union {
        uint8_t b[T_LEN + 0x100];     /* room for extra headers */
        Elf64_Ehdr eh;
    } u;
    size_t len;
} TestElf;

static Elf64_Phdr *t_ph(TestElf *t, unsigned i)
{
    return (Elf64_Phdr *)(t->u.b + sizeof(Elf64_Ehdr)) + i;
}

static Elf64_Shdr *t_sh(TestElf *t, unsigned i)
{
    return (Elf64_Shdr *)(t->u.b + T_SH_OFF) + i;
}

static Elf64_Sym *t_sym(TestElf *t, unsigned i)
{
    return (Elf64_Sym *)(t->u.b + T_SYM_OFF) + i;
}

static uint8_t t_byte(uint64_t off)
{
    return (uint8_t)(off * 7 + 1);
}

static void t_segment(TestElf *t, unsigned i, uint64_t off, uint64_t addr,
                      uint64_t filesz, uint64_t memsz)
{
    *t_ph(t, i) = (Elf64_Phdr) {
        .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X, .p_offset = off,
        .p_vaddr = addr + T_VADDR_SHIFT, .p_paddr = addr,
        .p_filesz = filesz, .p_memsz = memsz, .p_align = 0x1000,
    };
    for (uint64_t j = 0; j < filesz; j++) {
        t->u.b[off + j] = t_byte(off + j);
    }
}

static void t_symbols(TestElf *t)
{
    *t_sym(t, 1) = (Elf64_Sym) { .st_name = 1, .st_shndx = 1,
                                 .st_value = T_TOHOST, .st_size = 8 };
    *t_sym(t, 2) = (Elf64_Sym) { .st_name = 8, .st_shndx = 1,
                                 .st_value = T_FROMHOST, .st_size = 8 };
    memcpy(t->u.b + T_STR_OFF, t_strtab, sizeof(t_strtab));
    *t_sh(t, 1) = (Elf64_Shdr) {
        .sh_type = SHT_SYMTAB, .sh_offset = T_SYM_OFF,
        .sh_size = 3 * sizeof(Elf64_Sym), .sh_link = 2, .sh_info = 1,
        .sh_entsize = sizeof(Elf64_Sym),
    };
    *t_sh(t, 2) = (Elf64_Shdr) {
        .sh_type = SHT_STRTAB, .sh_offset = T_STR_OFF,
        .sh_size = sizeof(t_strtab),
    };
}

static void t_init(TestElf *t)
{
    Elf64_Ehdr *eh = &t->u.eh;

    memset(t, 0, sizeof(*t));
    t->len = T_LEN;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = ET_EXEC;
    eh->e_machine = EM_RISCV;
    eh->e_version = EV_CURRENT;
    eh->e_entry = T_SEG0_ADDR + 0x10;
    eh->e_phoff = sizeof(Elf64_Ehdr);
    eh->e_shoff = T_SH_OFF;
    eh->e_ehsize = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = 2;
    eh->e_shentsize = sizeof(Elf64_Shdr);
    eh->e_shnum = 3;
    t_segment(t, 0, T_SEG0_OFF, T_SEG0_ADDR, 0x100, 0x100);
    t_segment(t, 1, T_SEG1_OFF, T_SEG1_ADDR, 0x80, 0x1000);
    t_symbols(t);
}

static const char *t_write(TestElf *t, const char *name)
{
    const char *path = tmp_path(name);

    write_file(path, t->u.b, t->len);
    return path;
}

/* RAM around the two segments is poisoned, so that both the copy and
 * the zero fill show, and so does any byte written out of place. */
static void poison_ram(void)
{
    memset(ram_host, POISON, 0x10000 + 0x10000);
}

/* Segment bytes at base (paddr or vaddr layout), zero fill, and nothing
 * written around them. */
static void check_t_loaded(uint64_t shift)
{
    uint64_t s0 = T_SEG0_ADDR - RAM_BASE + shift;
    uint64_t s1 = T_SEG1_ADDR - RAM_BASE + shift;

    for (unsigned j = 0; j < 0x100; j++) {
        CHECK_EQ(ram_host[s0 + j], t_byte(T_SEG0_OFF + j));
    }
    for (unsigned j = 0; j < 0x80; j++) {
        CHECK_EQ(ram_host[s1 + j], t_byte(T_SEG1_OFF + j));
    }
    CHECK(ram_is(s1 + 0x80, 0x1000 - 0x80, 0));
    CHECK(ram_is(s0 + 0x100, s1 - s0 - 0x100, POISON));
    CHECK(ram_is(s1 + 0x1000, 0x100, POISON));
    if (s0) {
        CHECK(ram_is(s0 - 0x100, 0x100, POISON));
    }
}

/* ---- valid synthetic files */

static void test_elf_valid(void)
{
    TestElf t;
    ElfLoadInfo info;
    Error *err = NULL;
    ElfFile *elf;
    uint64_t v;
    const char *path;

    t_init(&t);
    path = t_write(&t, "valid.elf");
    poison_ram();
    CHECK(load_elf(path, &as, EM_RISCV, 0, &info, &err));
    CHECK(!err);
    CHECK_EQ(info.entry, T_SEG0_ADDR + 0x10);
    CHECK_EQ(info.low, T_SEG0_ADDR);
    CHECK_EQ(info.end, T_SEG1_ADDR + 0x1000);
    check_t_loaded(0);

    elf = elf_open(path, EM_RISCV, 0, &err);
    CHECK(elf);
    CHECK(elf_lookup_symbol(elf, "tohost", &v, &err));
    CHECK_EQ(v, T_TOHOST);
    CHECK(elf_lookup_symbol(elf, "fromhost", &v, &err));
    CHECK_EQ(v, T_FROMHOST);
    CHECK(!elf_lookup_symbol(elf, "tohos", &v, &err));
    check_error(err, path, "no symbol 'tohos'");
    err = NULL;
    CHECK(!elf_lookup_symbol(elf, "", &v, NULL));
    elf_close(elf);
}

static void test_elf_vaddr(void)
{
    TestElf t;
    ElfLoadInfo info;
    const char *path;

    t_init(&t);
    path = t_write(&t, "vaddr.elf");
    poison_ram();
    CHECK(load_elf(path, &as, EM_RISCV, ELF_LOAD_VADDR, &info, NULL));
    CHECK_EQ(info.low, T_SEG0_ADDR + T_VADDR_SHIFT);
    CHECK_EQ(info.end, T_SEG1_ADDR + 0x1000 + T_VADDR_SHIFT);
    check_t_loaded(T_VADDR_SHIFT);
    CHECK(ram_is(0, 0x100, POISON));
}

/* ET_DYN only with the flag; a PT_NOTE and an empty PT_LOAD are skipped. */
static void test_elf_dyn_and_skipped(void)
{
    TestElf t;
    Error *err = NULL;
    const char *path;

    t_init(&t);
    t.u.eh.e_type = ET_DYN;
    path = t_write(&t, "dyn.elf");
    CHECK(!load_elf(path, &as, EM_RISCV, 0, NULL, &err));
    check_error(err, path, "is a shared object (ET_DYN), expected an "
                "executable");
    poison_ram();
    CHECK(load_elf(path, &as, EM_RISCV, ELF_LOAD_ALLOW_DYN, NULL, NULL));
    check_t_loaded(0);

    t_init(&t);
    t.u.eh.e_phnum = 4;
    /* four headers would run into segment 0's data: move them to the end */
    t.u.eh.e_phoff = T_LEN;
    t.len = T_LEN + 4 * sizeof(Elf64_Phdr);
    memcpy(t.u.b + t.u.eh.e_phoff, t_ph(&t, 0), 2 * sizeof(Elf64_Phdr));
    {
        Elf64_Phdr *ph = (Elf64_Phdr *)(t.u.b + t.u.eh.e_phoff);

        ph[2] = (Elf64_Phdr) { .p_type = PT_NOTE, .p_offset = ~0ull,
                               .p_filesz = ~0ull, .p_paddr = 1 };
        ph[3] = ph[0];
        ph[3].p_filesz = ph[3].p_memsz = 0;   /* empty: overlaps nothing */
    }
    path = t_write(&t, "skipped.elf");
    poison_ram();
    CHECK(load_elf(path, &as, EM_RISCV, 0, NULL, NULL));
    check_t_loaded(0);
}

/* ---- broken files, one field at a time */

typedef struct BadCase {
    const char *name;
    void (*mutate)(TestElf *t);
    const char *want;
    bool partial;       /* a segment may have been written before the error */
} BadCase;

#define MUT(fn, body) static void fn(TestElf *t) { body; }
MUT(m_empty, t->len = 0)
MUT(m_trunc, t->len = 40)
MUT(m_short_magic, t->len = 3)
MUT(m_magic, t->u.b[1] = 'X')
MUT(m_elf32, t->u.b[EI_CLASS] = ELFCLASS32)
MUT(m_class, t->u.b[EI_CLASS] = 7)
MUT(m_msb, t->u.b[EI_DATA] = ELFDATA2MSB)
MUT(m_data, t->u.b[EI_DATA] = 0)
MUT(m_version, t->u.b[EI_VERSION] = 0)
MUT(m_x86, t->u.eh.e_machine = EM_X86_64)
MUT(m_mach, t->u.eh.e_machine = 0x1234)
MUT(m_rel, t->u.eh.e_type = ET_REL)
MUT(m_core, t->u.eh.e_type = ET_CORE)
MUT(m_phnum0, t->u.eh.e_phnum = 0)
MUT(m_phentsize, t->u.eh.e_phentsize = 32)
MUT(m_phoff_eof, t->u.eh.e_phoff = T_LEN + 8)
MUT(m_phoff_huge, t->u.eh.e_phoff = ~0ull - 8)
MUT(m_phnum_huge, t->u.eh.e_phnum = 0xfff0)
MUT(m_filesz, t_ph(t, 1)->p_filesz = 0x2000)
MUT(m_off_overflow, t_ph(t, 1)->p_offset = ~0ull - 0x10)
MUT(m_off_eof, t_ph(t, 1)->p_offset = T_LEN - 0x40)
MUT(m_wrap, t_ph(t, 1)->p_paddr = ~0ull - 0x10)
MUT(m_outside, t_ph(t, 0)->p_paddr = 0x10000000)
MUT(m_straddle, t_ph(t, 1)->p_paddr = RAM_BASE + RAM_SIZE - 0x800)
MUT(m_rom, t_ph(t, 0)->p_paddr = ROM_BASE)
MUT(m_overlap, t_ph(t, 1)->p_paddr = T_SEG0_ADDR + 0x80)
MUT(m_overlap_same, t_ph(t, 1)->p_paddr = T_SEG0_ADDR)
MUT(m_noload, t_ph(t, 0)->p_type = PT_NOTE; t_ph(t, 1)->p_type = PT_NULL)

static const BadCase bad_cases[] = {
    { "empty", m_empty, "empty file, not an ELF file" },
    { "truncated", m_trunc, "truncated ELF header (40 of 64 bytes)" },
    { "short", m_short_magic, "not an ELF file" },
    { "magic", m_magic, "not an ELF file" },
    { "elf32", m_elf32, "is a 32-bit ELF, expected 64-bit" },
    { "class", m_class, "invalid ELF class 7" },
    { "msb", m_msb, "is a big-endian ELF, expected little-endian" },
    { "data", m_data, "invalid ELF data encoding 0" },
    { "version", m_version, "unsupported ELF version 0" },
    { "x86", m_x86, "is a x86-64 ELF, expected RISC-V" },
    { "machine", m_mach, "is a machine 4660 ELF, expected RISC-V" },
    { "rel", m_rel, "is a relocatable object, expected an executable" },
    { "core", m_core, "ELF type 4 is not an executable" },
    { "phnum0", m_phnum0, "no program headers" },
    { "phentsize", m_phentsize, "program header size 32, expected 56" },
    { "phoff-eof", m_phoff_eof, "program headers (offset 0x5c8, 2 entries) "
      "lie outside the file (1472 bytes)" },
    { "phoff-huge", m_phoff_huge, "program headers (offset "
      "0xfffffffffffffff7, 2 entries) lie outside the file" },
    { "phnum-huge", m_phnum_huge, "program headers (offset 0x40, 65520 "
      "entries) lie outside the file" },
    { "filesz", m_filesz, "segment 1: file size 0x2000 exceeds memory "
      "size 0x1000" },
    { "off-overflow", m_off_overflow, "segment 1: data (offset "
      "0xffffffffffffffef size 0x80) lies outside the file (1472 bytes)" },
    { "off-eof", m_off_eof, "segment 1: data (offset 0x580 size 0x80) "
      "lies outside the file" },
    { "wrap", m_wrap, "segment 1 (0xffffffffffffffef+0x1000) wraps around "
      "the address space" },
    { "outside", m_outside, "segment 0 (0x10000000+0x100) lies outside "
      "guest memory" },
    { "straddle", m_straddle, "segment 1 (0x803ff800+0x1000) lies outside "
      "guest memory", true },
    { "rom", m_rom, "segment 0 (0x90000000+0x100) is not writable guest "
      "memory" },
    { "overlap", m_overlap, "segments 0 and 1 overlap at 0x80000080" },
    { "overlap-same", m_overlap_same, "segments 0 and 1 overlap at "
      "0x80000000" },
    { "noload", m_noload, "no loadable segments" },
};

static void test_elf_bad(void)
{
    for (unsigned i = 0; i < ARRAY_SIZE(bad_cases); i++) {
        const BadCase *c = &bad_cases[i];
        char name[64];
        Error *err = NULL;
        const char *path;
        TestElf t;

        t_init(&t);
        c->mutate(&t);
        snprintf(name, sizeof(name), "bad-%s.elf", c->name);
        path = t_write(&t, name);
        poison_ram();
        CHECK(!load_elf(path, &as, EM_RISCV, 0, NULL, &err));
        check_error(err, path, c->want);
        if (!c->partial) {
            /* refused before anything was written */
            CHECK(ram_is(0, 0x10000, POISON));
        }
    }
}

/* ---- broken symbol tables: the file loads, the lookup fails */

MUT(s_link, t_sh(t, 1)->sh_link = 9)
MUT(s_link0, t_sh(t, 1)->sh_link = 0)
MUT(s_name, t_sym(t, 1)->st_name = 0x1000)
MUT(s_name_edge, t_sym(t, 1)->st_name = sizeof(t_strtab))
MUT(s_unterminated, t_sh(t, 2)->sh_size = 4)
MUT(s_symoff, t_sh(t, 1)->sh_offset = ~0ull - 8)
MUT(s_symsize, t_sh(t, 1)->sh_size = 0x10000)
MUT(s_stroff, t_sh(t, 2)->sh_offset = T_LEN)
MUT(s_shnum0, t->u.eh.e_shnum = 0)
MUT(s_shoff, t->u.eh.e_shoff = T_LEN - 0x40)
MUT(s_shnum_huge, t->u.eh.e_shnum = 0xffff)
MUT(s_shentsize, t->u.eh.e_shentsize = 40)
MUT(s_nosymtab, t_sh(t, 1)->sh_type = SHT_PROGBITS)
MUT(s_entsize, t_sh(t, 1)->sh_entsize = 16)
MUT(s_strtype, t_sh(t, 2)->sh_type = SHT_PROGBITS)

static const BadCase sym_cases[] = {
    { "link", s_link, "symbol table's string table index 9 is out of "
      "range" },
    { "link0", s_link0, "string table index 0 is out of range" },
    { "name", s_name, "symbol 1: name offset 0x1000 is outside the string "
      "table (0x11 bytes)" },
    { "name-edge", s_name_edge, "symbol 1: name offset 0x11 is outside" },
    { "unterminated", s_unterminated, "symbol 1: name runs past the end of "
      "the string table" },
    { "symoff", s_symoff, "symbol table (offset 0xfffffffffffffff7 size "
      "0x48) lies outside the file" },
    { "symsize", s_symsize, "symbol table (offset 0x400 size 0x10000) lies "
      "outside the file" },
    { "stroff", s_stroff, "string table (offset 0x5c0 size 0x11) lies "
      "outside the file" },
    { "shnum0", s_shnum0, "no section headers" },
    { "shoff", s_shoff, "section headers (offset 0x580, 3 entries) lie "
      "outside the file" },
    { "shnum-huge", s_shnum_huge, "section headers (offset 0x500, 65535 "
      "entries) lie outside the file" },
    { "shentsize", s_shentsize, "section header size 40, expected 64" },
    { "nosymtab", s_nosymtab, "no symbol table" },
    { "entsize", s_entsize, "symbol size 16, expected 24" },
    { "strtype", s_strtype, "section 2 is not a string table" },
};

static void test_elf_bad_symbols(void)
{
    for (unsigned i = 0; i < ARRAY_SIZE(sym_cases); i++) {
        const BadCase *c = &sym_cases[i];
        char name[64];
        Error *err = NULL;
        const char *path;
        ElfFile *elf;
        uint64_t v = 0x1234;
        TestElf t;

        t_init(&t);
        c->mutate(&t);
        snprintf(name, sizeof(name), "badsym-%s.elf", c->name);
        path = t_write(&t, name);
        elf = elf_open(path, EM_RISCV, 0, &err);
        CHECK(elf && !err);
        CHECK(!elf_lookup_symbol(elf, "tohost", &v, &err));
        check_error(err, path, c->want);
        CHECK_EQ(v, 0x1234);
        elf_close(elf);
    }
}

/* ---- things that are not ELF files at all */

static void test_not_files(void)
{
    const char *path;
    Error *err = NULL;

    path = tmp_path("missing.elf");
    CHECK(!load_elf(path, &as, EM_RISCV, 0, NULL, &err));
    check_error(err, path, "No such file or directory");

    path = tmp_path("dir.elf");
    CHECK(mkdir(path, 0755) == 0);
    err = NULL;
    CHECK(!load_elf(path, &as, EM_RISCV, 0, NULL, &err));
    check_error(err, path, "is a directory");
    err = NULL;
    CHECK(load_image(path, &as, RAM_BASE, RAM_SIZE, &err) == -1);
    check_error(err, path, "is a directory");
    CHECK(rmdir(path) == 0);

    /* a FIFO with no writer would block a plain open() or read() */
    path = tmp_path("fifo.elf");
    CHECK(mkfifo(path, 0644) == 0);
    err = NULL;
    CHECK(!load_elf(path, &as, EM_RISCV, 0, NULL, &err));
    check_error(err, path, "not a regular file");
    err = NULL;
    CHECK(load_image(path, &as, RAM_BASE, RAM_SIZE, &err) == -1);
    check_error(err, path, "not a regular file");
    CHECK(unlink(path) == 0);

    /* no crash and the first error wins with a NULL errp too */
    CHECK(!load_elf(tmp_path("missing.elf"), &as, EM_RISCV, 0, NULL, NULL));
}

/* Random byte mutations of the headers and every truncation: whatever
 * happens must be a clean error or a load, never a crash (run this under
 * ASan/UBSan), and every error must name the file. */
static void try_mutant(TestElf *t, const char *path)
{
    Error *err = NULL;
    ElfFile *elf;
    uint64_t v;

    write_file(path, t->u.b, t->len);
    elf = elf_open(path, EM_RISCV, ELF_LOAD_ALLOW_DYN, &err);
    if (!elf) {
        check_error(err, path, "");
        return;
    }
    if (!elf_load(elf, &as, NULL, &err)) {
        check_error(err, path, "segment");
        err = NULL;
    }
    if (!elf_lookup_symbol(elf, "fromhost", &v, &err)) {
        check_error(err, path, "");
    }
    elf_close(elf);
}

static void test_elf_fuzz(void)
{
    const char *path = tmp_path("fuzz.elf");
    uint64_t state = 0x5eed10adull;
    TestElf t;

    for (size_t len = 0; len <= T_LEN; len++) {
        t_init(&t);
        t.len = len;
        try_mutant(&t, path);
    }
    for (unsigned i = 0; i < 4000; i++) {
        unsigned n;

        t_init(&t);
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        n = 1 + (state >> 60) % 4;
        for (unsigned k = 0; k < n; k++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            /* mostly headers and tables, where the checks are */
            t.u.b[(state >> 33) % T_LEN] = (uint8_t)(state >> 20);
        }
        try_mutant(&t, path);
    }
}

/* ---- raw images */

static void test_raw_image(void)
{
    size_t len = (3u << 19) + 3;          /* 1.5 MiB + 3: several chunks */
    uint8_t *buf = malloc(len);
    const char *path = tmp_path("image.bin");
    Error *err = NULL;

    CHECK(buf);
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(i * 13 + (i >> 12));
    }
    write_file(path, buf, len);
    memset(ram_host, POISON, RAM_SIZE);
    CHECK_EQ(load_image(path, &as, RAM_BASE + 0x1000, len, &err), len);
    CHECK(!err);
    CHECK(!memcmp(ram_host + 0x1000, buf, len));
    CHECK(ram_is(0, 0x1000, POISON));
    CHECK(ram_is(0x1000 + len, 0x100, POISON));

    CHECK_EQ(load_image(path, &as, RAM_BASE, len - 1, &err), -1);
    check_error(err, path, "image is too large (1572867 bytes, at most "
                "1572866 fit)");
    err = NULL;
    CHECK_EQ(load_image(path, &as, RAM_BASE + RAM_SIZE - len + 1, len, &err),
             -1);
    check_error(err, path, "image (0x8027fffe+0x180003) lies outside guest "
                "memory");
    err = NULL;
    CHECK_EQ(load_image(path, &as, ~0ull - 0x100, len, &err), -1);
    check_error(err, path, "wraps around the address space");
    err = NULL;
    write_file(path, buf, 0x100);
    CHECK_EQ(load_image(path, &as, ROM_BASE, len, &err), -1);
    check_error(err, path, "image (0x90000000+0x100) is not writable guest "
                "memory");
    err = NULL;
    CHECK_EQ(load_image(tmp_path("nope.bin"), &as, RAM_BASE, len, &err), -1);
    check_error(err, tmp_path("nope.bin"), "No such file or directory");

    write_file(path, buf, 0);
    CHECK_EQ(load_image(path, &as, RAM_BASE, 0, NULL), 0);
    free(buf);
}

/* ---- RISC-V Image headers */

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void make_header(uint8_t *h, uint64_t off, uint64_t size,
                        uint32_t version, bool magic1, bool magic2)
{
    memset(h, 0, RISCV_IMAGE_HEADER_SIZE);
    put_le(h, 0x0000006f, 4);             /* j . : code0 */
    put_le(h + 8, off, 8);
    put_le(h + 16, size, 8);
    put_le(h + 32, version, 4);
    if (magic1) {
        memcpy(h + 48, RISCV_IMAGE_MAGIC, 8);
    }
    if (magic2) {
        put_le(h + 56, RISCV_IMAGE_MAGIC2, 4);
    }
}

static void header_fails(const uint8_t *h, size_t len, const char *want)
{
    uint64_t off = 1, size = 2;
    Error *err = NULL;

    CHECK(!riscv_image_header_parse("Image", h, len, &off, &size, &err));
    check_error(err, "Image", want);
    CHECK_EQ(off, 1);
    CHECK_EQ(size, 2);
}

static void test_image_header(void)
{
    uint8_t h[128];
    uint64_t off, size;

    make_header(h, 0x200000, 0x1234000, 2, true, true);
    CHECK(riscv_image_header_parse("Image", h, sizeof(h), &off, &size, NULL));
    CHECK_EQ(off, 0x200000);
    CHECK_EQ(size, 0x1234000);
    CHECK(!memcmp(h + 56, "RSC\x05", 4));

    make_header(h, 0x400000, 0x1000, 2, false, true);
    CHECK(riscv_image_header_parse("Image", h, 64, &off, &size, NULL));
    CHECK_EQ(off, 0x400000);
    make_header(h, 0, 0x1000, 1, true, false);     /* a 0.1 header */
    CHECK(riscv_image_header_parse("Image", h, 64, &off, &size, NULL));
    CHECK_EQ(off, 0);

    make_header(h, 0x200000, 0x1000, 2, true, true);
    header_fails(h, 63, "too short for a RISC-V Image header (63 of 64 "
                 "bytes)");
    header_fails(h, 0, "too short");
    make_header(h, 0x200000, 0x1000, 2, false, false);
    header_fails(h, 64, "not a RISC-V Linux Image (bad magic)");
    make_header(h, 0x200000, 0x1000, 0x10002, true, true);
    header_fails(h, 64, "unsupported Image header version 1.2");
    make_header(h, 0x200000, 0x1000, 2, true, true);
    h[24] = 1;
    header_fails(h, 64, "big-endian kernel");
    make_header(h, 0x200000, 0, 2, true, true);
    header_fails(h, 64, "Image header gives no image size");
    make_header(h, 0x200800, 0x1000, 2, true, true);
    header_fails(h, 64, "text offset 0x200800 is not page-aligned");
    make_header(h, ~0ull << 12, 0x2000, 2, true, true);
    header_fails(h, 64, "text offset 0xfffffffffffff000 + image size 0x2000 "
                 "overflows");
}

/* ---- the cross-compiled guest */

/* nm lines: "ADDRESS TYPE NAME". */
static uint64_t nm_lookup(const char *nm, const char *name)
{
    FILE *f = fopen(nm, "r");
    char line[256], sym[200], type;
    unsigned long long addr;

    CHECK(f);
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%llx %c %199s", &addr, &type, sym) == 3 &&
            !strcmp(sym, name)) {
            fclose(f);
            return addr;
        }
    }
    fprintf(stderr, "%s: no %s\n", nm, name);
    CHECK(0);
    return 0;
}

static void test_guest(const char *elf_path, const char *bin_path,
                       const char *nm)
{
    uint64_t bss = nm_lookup(nm, "__bss_start") - RAM_BASE;
    uint64_t end = nm_lookup(nm, "_end") - RAM_BASE;
    ElfLoadInfo info;
    Error *err = NULL;
    ElfFile *elf;
    uint64_t v;
    uint8_t *bin;
    long len;
    FILE *f;

    f = fopen(bin_path, "rb");
    CHECK(f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0);
    CHECK(len <= (long)bss && bss < end && end < RAM_SIZE);
    bin = malloc(len);
    rewind(f);
    CHECK(bin && fread(bin, 1, len, f) == (size_t)len);
    fclose(f);

    /* gaps between sections are zero in both; bss and beyond poisoned */
    memset(ram_host, 0, RAM_SIZE);
    memset(ram_host + bss, POISON, end - bss + 0x100);
    elf = elf_open(elf_path, EM_RISCV, 0, &err);
    CHECK(elf && !err);
    CHECK(elf_load(elf, &as, &info, &err));
    CHECK(!memcmp(ram_host, bin, len));
    CHECK(ram_is(bss, end - bss, 0));
    CHECK(ram_is(end, 0x100, POISON));
    CHECK_EQ(info.entry, nm_lookup(nm, "_start"));
    CHECK_EQ(info.entry, RAM_BASE);
    CHECK_EQ(info.low, RAM_BASE);
    CHECK_EQ(info.end, end + RAM_BASE);

    CHECK(elf_lookup_symbol(elf, "tohost", &v, &err));
    CHECK_EQ(v, nm_lookup(nm, "tohost"));
    CHECK(elf_lookup_symbol(elf, "fromhost", &v, &err));
    CHECK_EQ(v, nm_lookup(nm, "fromhost"));
    CHECK_EQ(v % 64, 0);
    CHECK(elf_lookup_symbol(elf, "pattern", &v, &err));
    CHECK_EQ(address_space_ldq_le(&as, v, MEMTXATTRS_UNSPECIFIED, NULL),
             0x1122334455667788ull);
    elf_close(elf);

    CHECK(!load_elf(elf_path, &as, EM_X86_64, 0, NULL, &err));
    check_error(err, elf_path, "is a RISC-V ELF, expected x86-64");
    free(bin);
}

/* ---- main */

static void setup(void)
{
    weft_rcu_register_thread();
    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    CHECK(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, NULL));
    CHECK(memory_region_init_rom(&rom, NULL, "rom", ROM_SIZE, NULL));
    ram_host = memory_region_get_ram_ptr(&ram);
    bql_lock();
    memory_region_add_subregion(&sysmem, RAM_BASE, &ram);
    memory_region_add_subregion(&sysmem, ROM_BASE, &rom);
    address_space_init(&as, &sysmem, "memory");
    bql_unlock();
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/weft-loader-XXXXXX");
    CHECK(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[128];

    bql_lock();
    memory_region_del_subregion(&sysmem, &ram);
    memory_region_del_subregion(&sysmem, &rom);
    address_space_destroy(&as);
    bql_unlock();
    weft_rcu_unregister_thread();
    for (int i = 0; i < 3; i++) {
        weft_rcu_barrier();
    }
    memory_region_finalize(&ram);
    memory_region_finalize(&rom);
    memory_region_finalize(&sysmem);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    CHECK(system(cmd) == 0);
}

static const char *g_elf, *g_bin, *g_nm;

static void test_guest_elf(void)
{
    test_guest(g_elf, g_bin, g_nm);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--skip")) {
        test_skip(argv[2]);
    }
    setup();
    if (argc == 5 && !strcmp(argv[1], "--guest")) {
        g_elf = argv[2];
        g_bin = argv[3];
        g_nm = argv[4];
        RUN(test_guest_elf);
    } else {
        CHECK(argc == 1);
        RUN(test_elf_valid);
        RUN(test_elf_vaddr);
        RUN(test_elf_dyn_and_skipped);
        RUN(test_elf_bad);
        RUN(test_elf_bad_symbols);
        RUN(test_not_files);
        RUN(test_elf_fuzz);
        RUN(test_raw_image);
        RUN(test_image_header);
    }
    teardown();
    return 0;
}
