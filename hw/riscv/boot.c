/* Image placement and the reset vector for RISC-V boards (see boot.h). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/core/loader.h"
#include "hw/riscv/boot.h"

#define PAGE_SIZE_4K    0x1000ull
#define LOW_RAM_LIMIT   0xc0000000ull   /* 3 GiB */

/* A copy of guest memory [addr, addr + len) taken after loading. */
struct RiscvBootBlob {
    hwaddr addr;
    uint64_t len;
    uint8_t *data;
    RiscvBootBlob *next;
};

static uint64_t align_down(uint64_t v, uint64_t a)
{
    return v & ~(a - 1);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static hwaddr ram_end(const RiscvRam *ram)
{
    return ram->base + ram->size;
}

/* Snapshots [img->start, img->end) so that reset can restore it. */
static bool blob_take(const RiscvRam *ram, const char *path,
                      RiscvBootBlobs *blobs, const RiscvImage *img,
                      Error **errp)
{
    RiscvBootBlob *b = calloc(1, sizeof(*b));
    uint64_t len = img->end - img->start;

    if (!b || !(b->data = malloc(len ? len : 1))) {
        free(b);
        error_setg(errp, "'%s': out of memory keeping a copy of the image",
                   path);
        return false;
    }
    b->addr = img->start;
    b->len = len;
    if (address_space_read(ram->as, b->addr, MEMTXATTRS_UNSPECIFIED,
                           b->data, len) != MEMTX_OK) {
        free(b->data);
        free(b);
        error_setg(errp, "'%s': image lies outside RAM", path);
        return false;
    }
    b->next = blobs->first;
    blobs->first = b;
    return true;
}

bool riscv_boot_blobs_restore(const RiscvRam *ram,
                              const RiscvBootBlobs *blobs, Error **errp)
{
    for (RiscvBootBlob *b = blobs->first; b; b = b->next) {
        if (address_space_write(ram->as, b->addr, MEMTXATTRS_UNSPECIFIED,
                                b->data, b->len) != MEMTX_OK) {
            error_setg(errp, "cannot restore the image at 0x%" PRIx64,
                       b->addr);
            return false;
        }
    }
    return true;
}

/* Reads the first len bytes of path (fewer if the file is shorter). */
static ssize_t read_head(const char *path, void *buf, size_t len,
                         Error **errp)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0) {
        error_setg_errno(errp, errno, "'%s'", path);
        return -1;
    }
    n = read(fd, buf, len);
    if (n < 0) {
        error_setg_errno(errp, errno, "'%s'", path);
    }
    close(fd);
    return n;
}

static bool is_elf(const uint8_t *head, ssize_t n)
{
    return n >= SELFMAG && !memcmp(head, ELFMAG, SELFMAG);
}

/* ELF segments land anywhere the file says; ram->as holds nothing but
 * RAM, so a segment outside it fails instead of poking a device. */
static bool load_elf_image(const RiscvRam *ram, const char *path,
                           RiscvImage *img, Error **errp)
{
    ElfLoadInfo info;

    if (!load_elf(path, ram->as, EM_RISCV, 0, &info, errp)) {
        return false;
    }
    if (info.end <= info.low) {
        error_setg(errp, "'%s': ELF file loads nothing", path);
        return false;
    }
    img->start = info.low;
    img->end = info.end;
    img->entry = info.entry;
    return true;
}

static bool load_raw_image(const RiscvRam *ram, const char *path,
                           hwaddr addr, RiscvImage *img, Error **errp)
{
    int64_t size;

    if (addr < ram->base || addr >= ram_end(ram)) {
        error_setg(errp, "'%s': load address 0x%" PRIx64 " is outside RAM",
                   path, addr);
        return false;
    }
    size = load_image(path, ram->as, addr, ram_end(ram) - addr, errp);
    if (size < 0) {
        return false;
    }
    if (size == 0) {
        error_setg(errp, "'%s': empty file", path);
        return false;
    }
    img->start = addr;
    img->end = addr + (uint64_t)size;
    img->entry = addr;
    return true;
}

bool riscv_load_firmware(const RiscvRam *ram, const char *path,
                         RiscvBootBlobs *blobs, RiscvImage *img,
                         Error **errp)
{
    uint8_t head[SELFMAG];
    ssize_t n = read_head(path, head, sizeof(head), errp);
    bool ok;

    if (n < 0) {
        return false;
    }
    if (is_elf(head, n)) {
        ok = load_elf_image(ram, path, img, errp);
    } else {
        ok = load_raw_image(ram, path, ram->base, img, errp);
    }
    return ok && blob_take(ram, path, blobs, img, errp);
}

/* A Linux Image: header checked, the whole image_size (bss included)
 * must fit in RAM; only the file's bytes are loaded. */
static bool load_linux_image(const RiscvRam *ram, const char *path,
                             const uint8_t *head, size_t n, hwaddr addr,
                             RiscvImage *img, Error **errp)
{
    uint64_t text_offset, image_size;

    if (!riscv_image_header_parse(path, head, n, &text_offset, &image_size,
                                  errp)) {
        return false;
    }
    if (image_size > ram_end(ram) - addr) {
        error_setg(errp, "'%s': kernel needs 0x%" PRIx64 " bytes at 0x%"
                   PRIx64 ", RAM ends at 0x%" PRIx64 " (use a larger -m)",
                   path, image_size, addr, ram_end(ram));
        return false;
    }
    if (!load_raw_image(ram, path, addr, img, errp)) {
        return false;
    }
    if (img->end < addr + image_size) {
        img->end = addr + image_size;
    }
    return true;
}

bool riscv_load_kernel(const RiscvRam *ram, const char *path,
                       hwaddr load_addr, bool allow_raw,
                       RiscvBootBlobs *blobs, RiscvImage *img, Error **errp)
{
    uint8_t head[RISCV_IMAGE_HEADER_SIZE];
    ssize_t n = read_head(path, head, sizeof(head), errp);
    RiscvImage loaded;
    Error *err = NULL;
    bool ok;

    if (n < 0) {
        return false;
    }
    if (is_elf(head, n)) {
        ok = load_elf_image(ram, path, img, errp);
    } else if (riscv_image_header_parse(path, head, n, &(uint64_t){0},
                                        &(uint64_t){0}, &err) ||
               !allow_raw) {
        error_free(err);
        ok = load_linux_image(ram, path, head, n, load_addr, img, errp);
    } else {
        error_free(err);
        ok = load_raw_image(ram, path, load_addr, img, errp);
    }
    if (!ok) {
        return false;
    }
    /* The blob holds the loaded bytes; a bss beyond them is zero RAM. */
    loaded = *img;
    if (!is_elf(head, n)) {
        struct stat st;

        if (stat(path, &st) == 0 && (uint64_t)st.st_size < img->end -
            img->start) {
            loaded.end = img->start + st.st_size;
        }
    }
    return blob_take(ram, path, blobs, &loaded, errp);
}

bool riscv_load_initrd(const RiscvRam *ram, const char *path, hwaddr lowest,
                       hwaddr below, RiscvBootBlobs *blobs, RiscvImage *img,
                       Error **errp)
{
    struct stat st;
    hwaddr start;

    if (stat(path, &st) < 0) {
        error_setg_errno(errp, errno, "'%s'", path);
        return false;
    }
    if (!S_ISREG(st.st_mode) || st.st_size == 0) {
        error_setg(errp, "'%s': not a regular, non-empty file", path);
        return false;
    }
    if ((uint64_t)st.st_size > below - lowest) {
        error_setg(errp, "'%s': initrd of %" PRIu64 " bytes does not fit "
                   "between the kernel and the device tree (use a larger -m)",
                   path, (uint64_t)st.st_size);
        return false;
    }
    start = align_down(below - st.st_size, PAGE_SIZE_4K);
    if (start < lowest) {
        error_setg(errp, "'%s': initrd does not fit above the kernel", path);
        return false;
    }
    if (!load_raw_image(ram, path, start, img, errp)) {
        return false;
    }
    return blob_take(ram, path, blobs, img, errp);
}

hwaddr riscv_fdt_addr(const RiscvRam *ram)
{
    uint64_t top = ram_end(ram);

    if (ram->base < LOW_RAM_LIMIT && top > LOW_RAM_LIMIT) {
        top = LOW_RAM_LIMIT;
    }
    if (top - ram->base < RISCV_FDT_MAX_SIZE + RISCV_FDT_ALIGN) {
        return 0;
    }
    return align_down(top - RISCV_FDT_MAX_SIZE, RISCV_FDT_ALIGN);
}

/* ---- the reset vector, encoded by hand (RV64I base formats) */

enum {
    REG_T0 = 5, REG_A0 = 10, REG_A1 = 11, REG_A2 = 12,
    OPC_AUIPC = 0x17, OPC_OP_IMM = 0x13, OPC_LOAD = 0x03, OPC_JALR = 0x67,
    OPC_SYSTEM = 0x73,
    F3_ADDI = 0, F3_LD = 3, F3_CSRRS = 2,
    CSR_MHARTID_NUM = 0xf14,
};

static uint32_t insn_i(unsigned opc, unsigned rd, unsigned f3, unsigned rs1,
                       uint32_t imm12)
{
    return (imm12 & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = v >> (8 * i);
    }
}

static void put_le64(uint8_t *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}

void riscv_boot_rom_fill(uint8_t *rom, uint64_t jump_addr,
                         uint64_t fdt_addr, uint64_t next_addr,
                         unsigned next_mode)
{
    const uint32_t code[] = {
        /* t0 = address of this code (the data below is t0-relative) */
        OPC_AUIPC | REG_T0 << 7,
        insn_i(OPC_SYSTEM, REG_A0, F3_CSRRS, 0, CSR_MHARTID_NUM),
        insn_i(OPC_LOAD, REG_A1, F3_LD, REG_T0, RISCV_BOOT_ROM_FDT_OFF),
        insn_i(OPC_OP_IMM, REG_A2, F3_ADDI, REG_T0,
               RISCV_BOOT_ROM_FW_INFO_OFF),
        insn_i(OPC_LOAD, REG_T0, F3_LD, REG_T0, RISCV_BOOT_ROM_JUMP_OFF),
        insn_i(OPC_JALR, 0, 0, REG_T0, 0),
    };
    uint8_t *info = rom + RISCV_BOOT_ROM_FW_INFO_OFF;

    memset(rom, 0, RISCV_BOOT_ROM_SIZE);
    for (size_t i = 0; i < sizeof(code) / sizeof(code[0]); i++) {
        put_le32(rom + 4 * i, code[i]);
    }
    put_le64(rom + RISCV_BOOT_ROM_FDT_OFF, fdt_addr);
    put_le64(rom + RISCV_BOOT_ROM_JUMP_OFF, jump_addr);
    put_le64(info + 0, FW_DYNAMIC_INFO_MAGIC);
    put_le64(info + 8, FW_DYNAMIC_INFO_VERSION);
    put_le64(info + 16, next_addr);
    put_le64(info + 24, next_mode);
    put_le64(info + 32, 0);     /* options: boot prints on */
    put_le64(info + 40, 0);     /* boot_hart: hart 0 boots */
}

hwaddr riscv_kernel_addr_after(uint64_t fw_end)
{
    return align_up(fw_end, RISCV_KERNEL_ALIGN);
}
