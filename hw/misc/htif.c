/* HTIF tohost/fromhost.
 *
 * tohost = device (bits 63..56) | command (55..48) | payload (47..0).
 *  - device 0, payload bit 0 set: exit with status payload >> 1;
 *  - device 0, bit 0 clear: payload points to a "magic_mem" block of
 *    eight 64-bit words {syscall number, arguments...}; the result goes
 *    to word 0 and fromhost is set to 1 (riscv-tests' syscalls.c waits
 *    for that).  write (64) to fd 1/2 and exit (93) are implemented;
 *  - device 1, command 1: console putchar (payload & 0xff); the reply
 *    echoes device and command in fromhost.
 * A command runs when the most significant byte of tohost is written:
 * riscv-tests writes the low word, then the high word.  Afterwards tohost
 * reads 0 again (the host took the command).
 *
 * Locking: not lockless, so the handlers run under the BQL.  That lets a
 * syscall read guest buffers with address_space_read wherever they lie
 * (I/O included) without a device lock held across a BQL acquisition.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

#include "hw/misc/htif.h"
#include "system/bql.h"
#include "system/runstate.h"
#include "util/log.h"

#define HTIF_MAX_SPAN   4096
#define HTIF_DEV_SYSCALL 0
#define HTIF_DEV_CONSOLE 1
#define HTIF_CONSOLE_PUTC 1

#define SYS_WRITE 64
#define SYS_EXIT 93
#define HTIF_ENOSYS 38
#define HTIF_EBADF 9
/* Bound on one write syscall, so a bogus length cannot stall the vCPU. */
#define HTIF_MAX_WRITE (1u << 20)

struct HTIFState {
    MemoryRegion mr;            /* static region, owner NULL */
    AddressSpace *as;
    hwaddr base;                /* guest address of mem[0] */
    hwaddr tohost_off, fromhost_off;
    uint32_t span;
    /* BQL: the bytes of the window (tohost, fromhost and whatever lies
     * between them, which behaves like RAM). */
    uint8_t mem[HTIF_MAX_SPAN];
};

static uint64_t htif_word(HTIFState *s, hwaddr off)
{
    uint64_t v;

    memcpy(&v, &s->mem[off], 8);
    return le64toh(v);
}

static void htif_set_word(HTIFState *s, hwaddr off, uint64_t v)
{
    v = htole64(v);
    memcpy(&s->mem[off], &v, 8);
}

static int64_t htif_sys_write(HTIFState *s, uint64_t fd, uint64_t buf,
                              uint64_t len)
{
    FILE *out = fd == 1 ? stdout : fd == 2 ? stderr : NULL;
    uint8_t chunk[256];
    uint64_t done = 0;

    if (!out) {
        log_mask_printf(LOG_GUEST_ERROR, "htif: write to fd %" PRIu64
                        " (only 1 and 2)\n", fd);
        return -HTIF_EBADF;
    }
    if (len > HTIF_MAX_WRITE) {
        log_mask_printf(LOG_GUEST_ERROR, "htif: write of %" PRIu64
                        " bytes cut to %u\n", len, HTIF_MAX_WRITE);
        len = HTIF_MAX_WRITE;
    }
    while (done < len) {
        uint64_t n = MIN(len - done, sizeof(chunk));

        if (address_space_read(s->as, buf + done, MEMTXATTRS_UNSPECIFIED,
                               chunk, n) != MEMTX_OK) {
            log_mask_printf(LOG_GUEST_ERROR, "htif: write buffer 0x%" PRIx64
                            " unreadable\n", buf + done);
            break;
        }
        fwrite(chunk, 1, n, out);
        done += n;
    }
    fflush(out);
    return done;
}

static void htif_syscall(HTIFState *s, uint64_t magic)
{
    uint64_t args[4];
    int64_t ret;

    if (address_space_read(s->as, magic, MEMTXATTRS_UNSPECIFIED, args,
                           sizeof(args)) != MEMTX_OK) {
        log_mask_printf(LOG_GUEST_ERROR, "htif: syscall block at 0x%" PRIx64
                        " unreadable\n", magic);
        return;
    }
    for (int i = 0; i < 4; i++) {
        args[i] = le64toh(args[i]);
    }
    switch (args[0]) {
    case SYS_WRITE:
        ret = htif_sys_write(s, args[1], args[2], args[3]);
        break;
    case SYS_EXIT:
        qemu_system_shutdown_request(args[1] ? 1 : 0);
        ret = 0;
        break;
    default:
        log_mask_printf(LOG_UNIMP, "htif: syscall %" PRIu64 "\n", args[0]);
        ret = -HTIF_ENOSYS;
        break;
    }
    address_space_stq_le(s->as, magic, ret, MEMTXATTRS_UNSPECIFIED, NULL);
    htif_set_word(s, s->fromhost_off, 1);
}

/* Exit status of the process for a guest exit code: 0 stays 0 (pass),
 * others keep their low 8 bits, and a code whose low 8 bits are 0 gives
 * 1, so a failing test never exits as a pass. */
static int htif_exit_status(uint64_t code)
{
    if (code == 0) {
        return 0;
    }
    return (code & 0xff) ? (int)(code & 0xff) : 1;
}

static void htif_command(HTIFState *s, uint64_t cmd)
{
    unsigned dev = cmd >> 56, op = (cmd >> 48) & 0xff;
    uint64_t payload = cmd & ((1ull << 48) - 1);

    if (dev == HTIF_DEV_SYSCALL && (payload & 1)) {
        qemu_system_shutdown_request(htif_exit_status(payload >> 1));
    } else if (dev == HTIF_DEV_SYSCALL && op == 0) {
        htif_syscall(s, payload);
    } else if (dev == HTIF_DEV_CONSOLE && op == HTIF_CONSOLE_PUTC) {
        putchar(payload & 0xff);
        fflush(stdout);
        htif_set_word(s, s->fromhost_off, cmd & ~((1ull << 48) - 1));
    } else {
        log_mask_printf(LOG_GUEST_ERROR, "htif: unknown command device %u"
                        " cmd %u payload 0x%" PRIx64 "\n", dev, op, payload);
    }
}

static uint64_t htif_read(void *opaque, hwaddr off, unsigned size)
{
    HTIFState *s = opaque;
    uint64_t v = 0;

    memcpy(&v, &s->mem[off], size);
    return le64toh(v);
}

static void htif_write(void *opaque, hwaddr off, uint64_t val, unsigned size)
{
    HTIFState *s = opaque;
    uint64_t le = htole64(val);
    hwaddr last = s->tohost_off + 7;
    uint64_t cmd;

    memcpy(&s->mem[off], &le, size);
    if (off > last || off + size <= last) {
        return;
    }
    cmd = htif_word(s, s->tohost_off);
    if (!cmd) {
        return;
    }
    htif_set_word(s, s->tohost_off, 0);
    htif_command(s, cmd);
}

static const MemoryRegionOps htif_ops = {
    .read = htif_read,
    .write = htif_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

HTIFState *htif_create(MemoryRegion *sysmem, AddressSpace *as,
                       hwaddr tohost, hwaddr fromhost, Error **errp)
{
    hwaddr lo = MIN(tohost, fromhost), hi = MAX(tohost, fromhost);
    HTIFState *s;

    if ((tohost | fromhost) & 7 || hi - lo >= HTIF_MAX_SPAN - 8 ||
        tohost == fromhost) {
        error_setg(errp, "HTIF: tohost 0x%" PRIx64 " and fromhost 0x%" PRIx64
                   " must be distinct, 8-byte aligned, within 4 KiB",
                   tohost, fromhost);
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        abort();
    }
    s->as = as;
    s->base = lo;
    s->tohost_off = tohost - lo;
    s->fromhost_off = fromhost - lo;
    s->span = hi - lo + 8;
    /* The window hides the RAM under it: start from its bytes (the loaded
     * image's), so data placed between the two words survives. */
    address_space_read(as, lo, MEMTXATTRS_UNSPECIFIED, s->mem, s->span);
    memory_region_init_io(&s->mr, NULL, &htif_ops, s, "htif", s->span);
    /* Above RAM: the words live inside the program's image. */
    memory_region_add_subregion_overlap(sysmem, lo, &s->mr, 1);
    return s;
}
