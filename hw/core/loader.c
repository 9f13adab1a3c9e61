/* Guest image loader: ELF64 executables, raw images, RISC-V Image headers.
 *
 * An ELF file is read whole into memory (one allocation of the file's
 * size) and every offset, size and count in it is checked against that
 * size before it is used, with overflow-safe arithmetic.  All the checks
 * that depend only on the file run in elf_open(), so a malformed file is
 * refused before anything is written to the guest.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/core/loader.h"

/* The headers are copied out of the file with memcpy into glibc's
 * structs, which is only right when the host is little-endian too. */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "hw/core/loader.c reads little-endian ELF fields natively"
#endif

struct ElfFile {
    char *path;
    uint8_t *data;
    size_t size;
    unsigned flags;
    Elf64_Ehdr eh;
};

/* One PT_LOAD segment in guest terms, for the overlap check. */
typedef struct SegRange {
    hwaddr start;
    uint64_t size;
    unsigned index;
} SegRange;

/* ---- files */

/* Opens path for reading and returns its size; refuses anything but a
 * regular file (a FIFO or device could block or never end). */
static int open_regular(const char *path, uint64_t *size, Error **errp)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

    if (fd < 0) {
        error_setg_errno(errp, errno, "'%s'", path);
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        error_setg_errno(errp, errno, "'%s'", path);
        close(fd);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        error_setg(errp, "'%s': is a directory", path);
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        error_setg(errp, "'%s': not a regular file", path);
        close(fd);
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

/* Reads exactly len bytes at offset; a short read means the file shrank
 * under us. */
static bool read_full(int fd, const char *path, uint64_t offset, void *buf,
                      size_t len, Error **errp)
{
    uint8_t *p = buf;

    while (len) {
        ssize_t n = pread(fd, p, len, (off_t)offset);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            error_setg_errno(errp, errno, "'%s': read error", path);
            return false;
        }
        if (n == 0) {
            error_setg(errp, "'%s': file shrank while being read", path);
            return false;
        }
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return true;
}

/* True if [off, off + len) lies inside a file of size bytes. */
static bool in_file(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

/* ---- ELF header checks */

static const char *machine_name(uint16_t m)
{
    switch (m) {
    case EM_RISCV:
        return "RISC-V";
    case EM_X86_64:
        return "x86-64";
    case EM_386:
        return "i386";
    case EM_AARCH64:
        return "AArch64";
    case EM_ARM:
        return "ARM";
    default:
        return NULL;
    }
}

static void machine_str(uint16_t m, char *buf, size_t len)
{
    const char *name = machine_name(m);

    if (name) {
        snprintf(buf, len, "%s", name);
    } else {
        snprintf(buf, len, "machine %u", m);
    }
}

/* e_ident: magic, class, byte order, version.  The file is at least
 * EI_NIDENT bytes long. */
static bool check_ident(const ElfFile *elf, Error **errp)
{
    const uint8_t *id = elf->data;

    if (id[EI_CLASS] == ELFCLASS32) {
        error_setg(errp, "'%s': is a 32-bit ELF, expected 64-bit", elf->path);
        return false;
    }
    if (id[EI_CLASS] != ELFCLASS64) {
        error_setg(errp, "'%s': invalid ELF class %u", elf->path,
                   id[EI_CLASS]);
        return false;
    }
    if (id[EI_DATA] == ELFDATA2MSB) {
        error_setg(errp, "'%s': is a big-endian ELF, expected little-endian",
                   elf->path);
        return false;
    }
    if (id[EI_DATA] != ELFDATA2LSB) {
        error_setg(errp, "'%s': invalid ELF data encoding %u", elf->path,
                   id[EI_DATA]);
        return false;
    }
    if (id[EI_VERSION] != EV_CURRENT) {
        error_setg(errp, "'%s': unsupported ELF version %u", elf->path,
                   id[EI_VERSION]);
        return false;
    }
    return true;
}

static bool check_type(const ElfFile *elf, Error **errp)
{
    switch (elf->eh.e_type) {
    case ET_EXEC:
        return true;
    case ET_DYN:
        if (elf->flags & ELF_LOAD_ALLOW_DYN) {
            return true;
        }
        error_setg(errp, "'%s': is a shared object (ET_DYN), expected an "
                   "executable", elf->path);
        return false;
    case ET_REL:
        error_setg(errp, "'%s': is a relocatable object, expected an "
                   "executable", elf->path);
        return false;
    default:
        error_setg(errp, "'%s': ELF type %u is not an executable", elf->path,
                   elf->eh.e_type);
        return false;
    }
}

static bool check_machine(const ElfFile *elf, uint16_t machine, Error **errp)
{
    char have[32], want[32];

    if (elf->eh.e_machine == machine) {
        return true;
    }
    machine_str(elf->eh.e_machine, have, sizeof(have));
    machine_str(machine, want, sizeof(want));
    error_setg(errp, "'%s': is a %s ELF, expected %s", elf->path, have, want);
    return false;
}

static bool check_header(ElfFile *elf, uint16_t machine, Error **errp)
{
    if (elf->size < SELFMAG || memcmp(elf->data, ELFMAG, SELFMAG)) {
        error_setg(errp, "'%s': not an ELF file", elf->path);
        return false;
    }
    if (elf->size < sizeof(Elf64_Ehdr)) {
        error_setg(errp, "'%s': truncated ELF header (%zu of %zu bytes)",
                   elf->path, elf->size, sizeof(Elf64_Ehdr));
        return false;
    }
    memcpy(&elf->eh, elf->data, sizeof(elf->eh));
    return check_ident(elf, errp) && check_machine(elf, machine, errp) &&
           check_type(elf, errp);
}

/* ---- program headers */

static Elf64_Phdr elf_phdr(const ElfFile *elf, unsigned i)
{
    Elf64_Phdr ph;

    memcpy(&ph, elf->data + elf->eh.e_phoff + (uint64_t)i * sizeof(ph),
           sizeof(ph));
    return ph;
}

static hwaddr seg_addr(const ElfFile *elf, const Elf64_Phdr *ph)
{
    return (elf->flags & ELF_LOAD_VADDR) ? ph->p_vaddr : ph->p_paddr;
}

static bool check_phdr_table(const ElfFile *elf, Error **errp)
{
    const Elf64_Ehdr *eh = &elf->eh;

    if (eh->e_phnum == 0) {
        error_setg(errp, "'%s': no program headers", elf->path);
        return false;
    }
    if (eh->e_phentsize != sizeof(Elf64_Phdr)) {
        error_setg(errp, "'%s': program header size %u, expected %zu",
                   elf->path, eh->e_phentsize, sizeof(Elf64_Phdr));
        return false;
    }
    /* e_phnum is 16 bits, so the product cannot overflow. */
    if (!in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr),
                 elf->size)) {
        error_setg(errp, "'%s': program headers (offset 0x%" PRIx64
                   ", %u entries) lie outside the file (%zu bytes)",
                   elf->path, (uint64_t)eh->e_phoff, eh->e_phnum, elf->size);
        return false;
    }
    return true;
}

static bool check_segment(const ElfFile *elf, unsigned i,
                          const Elf64_Phdr *ph, Error **errp)
{
    hwaddr addr = seg_addr(elf, ph);

    if (ph->p_filesz > ph->p_memsz) {
        error_setg(errp, "'%s': segment %u: file size 0x%" PRIx64
                   " exceeds memory size 0x%" PRIx64, elf->path, i,
                   (uint64_t)ph->p_filesz, (uint64_t)ph->p_memsz);
        return false;
    }
    if (!in_file(ph->p_offset, ph->p_filesz, elf->size)) {
        error_setg(errp, "'%s': segment %u: data (offset 0x%" PRIx64
                   " size 0x%" PRIx64 ") lies outside the file (%zu bytes)",
                   elf->path, i, (uint64_t)ph->p_offset,
                   (uint64_t)ph->p_filesz, elf->size);
        return false;
    }
    /* 2^64 - 1 is never addressable (docs/memory.md), so end <= max. */
    if (ph->p_memsz > UINT64_MAX - addr) {
        error_setg(errp, "'%s': segment %u (0x%" PRIx64 "+0x%" PRIx64
                   ") wraps around the address space", elf->path, i, addr,
                   (uint64_t)ph->p_memsz);
        return false;
    }
    return true;
}

static int seg_cmp(const void *a, const void *b)
{
    const SegRange *x = a, *y = b;

    return x->start < y->start ? -1 : x->start > y->start;
}

/* Sorting makes the check O(n log n): e_phnum may be 65535. */
static bool check_overlaps(const ElfFile *elf, SegRange *segs, unsigned n,
                           Error **errp)
{
    qsort(segs, n, sizeof(*segs), seg_cmp);
    for (unsigned i = 1; i < n; i++) {
        const SegRange *a = &segs[i - 1], *b = &segs[i];

        if (b->start - a->start < a->size) {
            error_setg(errp, "'%s': segments %u and %u overlap at 0x%" PRIx64,
                       elf->path, MIN(a->index, b->index),
                       MAX(a->index, b->index), b->start);
            return false;
        }
    }
    return true;
}

/* Checks every PT_LOAD segment against the file and against the others. */
static bool check_segments(const ElfFile *elf, Error **errp)
{
    SegRange *segs = calloc(elf->eh.e_phnum, sizeof(*segs));
    unsigned n = 0;
    bool ok = true;

    if (!segs) {
        error_setg(errp, "'%s': out of memory", elf->path);
        return false;
    }
    for (unsigned i = 0; ok && i < elf->eh.e_phnum; i++) {
        Elf64_Phdr ph = elf_phdr(elf, i);

        if (ph.p_type != PT_LOAD) {
            continue;
        }
        ok = check_segment(elf, i, &ph, errp);
        if (ok && ph.p_memsz) {
            segs[n++] = (SegRange) { seg_addr(elf, &ph), ph.p_memsz, i };
        }
    }
    if (ok && n == 0) {
        error_setg(errp, "'%s': no loadable segments", elf->path);
        ok = false;
    }
    ok = ok && check_overlaps(elf, segs, n, errp);
    free(segs);
    return ok;
}

/* ---- open, load, close */

static bool elf_read_file(ElfFile *elf, Error **errp)
{
    uint64_t size;
    int fd = open_regular(elf->path, &size, errp);
    bool ok;

    if (fd < 0) {
        return false;
    }
    if (size == 0) {
        error_setg(errp, "'%s': empty file, not an ELF file", elf->path);
        close(fd);
        return false;
    }
    if (size > SIZE_MAX || !(elf->data = malloc(size))) {
        error_setg(errp, "'%s': too large to read (%" PRIu64 " bytes)",
                   elf->path, size);
        close(fd);
        return false;
    }
    elf->size = size;
    ok = read_full(fd, elf->path, 0, elf->data, size, errp);
    close(fd);
    return ok;
}

ElfFile *elf_open(const char *path, uint16_t machine, unsigned flags,
                  Error **errp)
{
    ElfFile *elf = calloc(1, sizeof(*elf));

    if (!elf || !(elf->path = strdup(path))) {
        free(elf);
        error_setg(errp, "'%s': out of memory", path);
        return NULL;
    }
    elf->flags = flags;
    if (!elf_read_file(elf, errp) || !check_header(elf, machine, errp) ||
        !check_phdr_table(elf, errp) || !check_segments(elf, errp)) {
        elf_close(elf);
        return NULL;
    }
    return elf;
}

void elf_close(ElfFile *elf)
{
    if (elf) {
        free(elf->data);
        free(elf->path);
        free(elf);
    }
}

static void report_write_error(const ElfFile *elf, unsigned i,
                               const Elf64_Phdr *ph, MemTxResult r,
                               Error **errp)
{
    hwaddr addr = seg_addr(elf, ph);

    if (r & MEMTX_DECODE_ERROR) {
        error_setg(errp, "'%s': segment %u (0x%" PRIx64 "+0x%" PRIx64
                   ") lies outside guest memory", elf->path, i, addr,
                   (uint64_t)ph->p_memsz);
    } else {
        error_setg(errp, "'%s': segment %u (0x%" PRIx64 "+0x%" PRIx64
                   ") is not writable guest memory", elf->path, i, addr,
                   (uint64_t)ph->p_memsz);
    }
}

/* Zeroes [addr, addr + len) in bounded chunks: p_memsz may be far larger
 * than anything worth allocating, and the write stops at the first hole. */
static MemTxResult write_zeros(AddressSpace *as, hwaddr addr, uint64_t len)
{
    static const uint8_t zeros[65536];

    while (len) {
        uint64_t n = MIN(len, sizeof(zeros));
        MemTxResult r = address_space_write(as, addr, MEMTXATTRS_UNSPECIFIED,
                                            zeros, n);

        if (r != MEMTX_OK) {
            return r;
        }
        addr += n;
        len -= n;
    }
    return MEMTX_OK;
}

static bool load_segment(const ElfFile *elf, AddressSpace *as, unsigned i,
                         const Elf64_Phdr *ph, Error **errp)
{
    hwaddr addr = seg_addr(elf, ph);
    MemTxResult r = MEMTX_OK;

    if (ph->p_filesz) {
        r = address_space_write(as, addr, MEMTXATTRS_UNSPECIFIED,
                                elf->data + ph->p_offset, ph->p_filesz);
    }
    if (r == MEMTX_OK) {
        r = write_zeros(as, addr + ph->p_filesz, ph->p_memsz - ph->p_filesz);
    }
    if (r != MEMTX_OK) {
        report_write_error(elf, i, ph, r, errp);
        return false;
    }
    return true;
}

bool elf_load(ElfFile *elf, AddressSpace *as, ElfLoadInfo *info,
              Error **errp)
{
    hwaddr low = UINT64_MAX, end = 0;

    for (unsigned i = 0; i < elf->eh.e_phnum; i++) {
        Elf64_Phdr ph = elf_phdr(elf, i);
        hwaddr addr = seg_addr(elf, &ph);

        if (ph.p_type != PT_LOAD || !ph.p_memsz) {
            continue;
        }
        if (!load_segment(elf, as, i, &ph, errp)) {
            return false;
        }
        low = MIN(low, addr);
        end = MAX(end, addr + ph.p_memsz);
    }
    if (info) {
        *info = (ElfLoadInfo) { elf->eh.e_entry, low, end };
    }
    return true;
}

bool load_elf(const char *path, AddressSpace *as, uint16_t machine,
              unsigned flags, ElfLoadInfo *info, Error **errp)
{
    ElfFile *elf = elf_open(path, machine, flags, errp);
    bool ok;

    if (!elf) {
        return false;
    }
    ok = elf_load(elf, as, info, errp);
    elf_close(elf);
    return ok;
}

/* ---- symbols */

/* Section header i; the table's bounds were checked by find_symtab. */
static Elf64_Shdr elf_shdr(const ElfFile *elf, unsigned i)
{
    Elf64_Shdr sh;

    memcpy(&sh, elf->data + elf->eh.e_shoff + (uint64_t)i * sizeof(sh),
           sizeof(sh));
    return sh;
}

static bool check_shdr_table(const ElfFile *elf, Error **errp)
{
    const Elf64_Ehdr *eh = &elf->eh;

    /* e_shnum 0 with e_shoff set means extended numbering: a table too
     * large for a loader to need; treat it like a stripped file. */
    if (eh->e_shnum == 0) {
        error_setg(errp, "'%s': no section headers (stripped?)", elf->path);
        return false;
    }
    if (eh->e_shentsize != sizeof(Elf64_Shdr)) {
        error_setg(errp, "'%s': section header size %u, expected %zu",
                   elf->path, eh->e_shentsize, sizeof(Elf64_Shdr));
        return false;
    }
    if (!in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr),
                 elf->size)) {
        error_setg(errp, "'%s': section headers (offset 0x%" PRIx64
                   ", %u entries) lie outside the file (%zu bytes)",
                   elf->path, (uint64_t)eh->e_shoff, eh->e_shnum, elf->size);
        return false;
    }
    return true;
}

static bool check_section_data(const ElfFile *elf, const char *what,
                               const Elf64_Shdr *sh, Error **errp)
{
    if (!in_file(sh->sh_offset, sh->sh_size, elf->size)) {
        error_setg(errp, "'%s': %s (offset 0x%" PRIx64 " size 0x%" PRIx64
                   ") lies outside the file", elf->path, what,
                   (uint64_t)sh->sh_offset, (uint64_t)sh->sh_size);
        return false;
    }
    return true;
}

/* Finds .symtab and its string table and checks both. */
static bool find_symtab(const ElfFile *elf, Elf64_Shdr *symtab,
                        Elf64_Shdr *strtab, Error **errp)
{
    unsigned i;

    if (!check_shdr_table(elf, errp)) {
        return false;
    }
    for (i = 0; i < elf->eh.e_shnum; i++) {
        *symtab = elf_shdr(elf, i);
        if (symtab->sh_type == SHT_SYMTAB) {
            break;
        }
    }
    if (i == elf->eh.e_shnum) {
        error_setg(errp, "'%s': no symbol table (stripped?)", elf->path);
        return false;
    }
    if (symtab->sh_entsize != sizeof(Elf64_Sym)) {
        error_setg(errp, "'%s': symbol size %" PRIu64 ", expected %zu",
                   elf->path, (uint64_t)symtab->sh_entsize,
                   sizeof(Elf64_Sym));
        return false;
    }
    if (symtab->sh_link == 0 || symtab->sh_link >= elf->eh.e_shnum) {
        error_setg(errp, "'%s': symbol table's string table index %u is out "
                   "of range", elf->path, symtab->sh_link);
        return false;
    }
    *strtab = elf_shdr(elf, symtab->sh_link);
    if (strtab->sh_type != SHT_STRTAB) {
        error_setg(errp, "'%s': section %u is not a string table", elf->path,
                   symtab->sh_link);
        return false;
    }
    return check_section_data(elf, "symbol table", symtab, errp) &&
           check_section_data(elf, "string table", strtab, errp);
}

/* Compares symbol j's name with name, refusing names that start or run
 * past the end of the string table. */
static int sym_name_matches(const ElfFile *elf, const Elf64_Shdr *strtab,
                            unsigned j, uint32_t off, const char *name,
                            Error **errp)
{
    const char *str = (const char *)elf->data + strtab->sh_offset;
    uint64_t room;

    if (off >= strtab->sh_size) {
        error_setg(errp, "'%s': symbol %u: name offset 0x%x is outside the "
                   "string table (0x%" PRIx64 " bytes)", elf->path, j, off,
                   (uint64_t)strtab->sh_size);
        return -1;
    }
    room = strtab->sh_size - off;
    if (!memchr(str + off, '\0', room)) {
        error_setg(errp, "'%s': symbol %u: name runs past the end of the "
                   "string table", elf->path, j);
        return -1;
    }
    return strcmp(str + off, name) == 0;
}

bool elf_lookup_symbol(ElfFile *elf, const char *name, uint64_t *value,
                       Error **errp)
{
    Elf64_Shdr symtab, strtab;
    uint64_t nsyms;

    if (!find_symtab(elf, &symtab, &strtab, errp)) {
        return false;
    }
    nsyms = symtab.sh_size / sizeof(Elf64_Sym);
    /* Symbol 0 is the reserved null symbol. */
    for (uint64_t j = 1; j < nsyms; j++) {
        Elf64_Sym sym;
        int m;

        memcpy(&sym, elf->data + symtab.sh_offset + j * sizeof(sym),
               sizeof(sym));
        if (sym.st_name == 0 || sym.st_shndx == SHN_UNDEF) {
            continue;
        }
        m = sym_name_matches(elf, &strtab, (unsigned)j, sym.st_name, name,
                             errp);
        if (m < 0) {
            return false;
        }
        if (m) {
            *value = sym.st_value;
            return true;
        }
    }
    error_setg(errp, "'%s': no symbol '%s'", elf->path, name);
    return false;
}

/* ---- raw images */

/* Copies the file through a bounded buffer, so that an initrd of any size
 * costs no more than the buffer. */
static bool copy_to_guest(int fd, const char *path, AddressSpace *as,
                          hwaddr addr, uint64_t size, Error **errp)
{
    enum { CHUNK = 1 << 20 };
    uint8_t *buf = malloc(MIN(size, (uint64_t)CHUNK));
    uint64_t done = 0;
    bool ok = buf != NULL;

    if (!buf) {
        error_setg(errp, "'%s': out of memory", path);
    }
    while (ok && done < size) {
        size_t n = MIN(size - done, (uint64_t)CHUNK);
        MemTxResult r;

        ok = read_full(fd, path, done, buf, n, errp);
        if (!ok) {
            break;
        }
        r = address_space_write(as, addr + done, MEMTXATTRS_UNSPECIFIED,
                                buf, n);
        if (r != MEMTX_OK) {
            error_setg(errp, "'%s': image (0x%" PRIx64 "+0x%" PRIx64 ") %s",
                       path, addr, size, (r & MEMTX_DECODE_ERROR) ?
                       "lies outside guest memory" :
                       "is not writable guest memory");
            ok = false;
        }
        done += n;
    }
    free(buf);
    return ok;
}

int64_t load_image(const char *path, AddressSpace *as, hwaddr addr,
                   uint64_t max_size, Error **errp)
{
    uint64_t size;
    int fd = open_regular(path, &size, errp);
    bool ok;

    if (fd < 0) {
        return -1;
    }
    if (size > max_size) {
        error_setg(errp, "'%s': image is too large (%" PRIu64 " bytes, at "
                   "most %" PRIu64 " fit)", path, size, max_size);
        close(fd);
        return -1;
    }
    if (size && size - 1 > UINT64_MAX - 1 - addr) {
        error_setg(errp, "'%s': image (0x%" PRIx64 "+0x%" PRIx64 ") wraps "
                   "around the address space", path, addr, size);
        close(fd);
        return -1;
    }
    ok = copy_to_guest(fd, path, as, addr, size, errp);
    close(fd);
    return ok ? (int64_t)size : -1;
}

/* ---- RISC-V Linux Image header */

static uint32_t get_le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
    return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

bool riscv_image_header_parse(const char *name, const void *buf, size_t len,
                              uint64_t *text_offset, uint64_t *image_size,
                              Error **errp)
{
    const uint8_t *h = buf;
    uint64_t offset, size, flags;
    uint32_t version;

    if (len < RISCV_IMAGE_HEADER_SIZE) {
        error_setg(errp, "'%s': too short for a RISC-V Image header (%zu of "
                   "%d bytes)", name, len, RISCV_IMAGE_HEADER_SIZE);
        return false;
    }
    /* 0.1 headers carry only the first magic; 0.2 ones both. */
    if (get_le32(h + 56) != RISCV_IMAGE_MAGIC2 &&
        memcmp(h + 48, RISCV_IMAGE_MAGIC, 8)) {
        error_setg(errp, "'%s': not a RISC-V Linux Image (bad magic)", name);
        return false;
    }
    offset = get_le64(h + 8);
    size = get_le64(h + 16);
    flags = get_le64(h + 24);
    version = get_le32(h + 32);
    if (version >> 16 != 0) {
        error_setg(errp, "'%s': unsupported Image header version %u.%u",
                   name, version >> 16, version & 0xffff);
        return false;
    }
    if (flags & 1) {
        error_setg(errp, "'%s': big-endian kernel", name);
        return false;
    }
    if (size == 0) {
        error_setg(errp, "'%s': Image header gives no image size", name);
        return false;
    }
    if (offset & 0xfff) {
        error_setg(errp, "'%s': text offset 0x%" PRIx64 " is not page-aligned",
                   name, offset);
        return false;
    }
    if (size > UINT64_MAX - offset) {
        error_setg(errp, "'%s': text offset 0x%" PRIx64 " + image size 0x%"
                   PRIx64 " overflows", name, offset, size);
        return false;
    }
    *text_offset = offset;
    *image_size = size;
    return true;
}
