/* SiFive test finisher.  Stateless, so the region is lockless: the
 * handler only posts a shutdown or reset request, which is callable from
 * any thread with any lock held. */
#include <inttypes.h>
#include <stdlib.h>

#include "hw/misc/sifive-test.h"
#include "system/runstate.h"
#include "util/log.h"

struct SifiveTestState {
    MemoryRegion mr;            /* static region, owner NULL */
};

int sifive_test_fail_status(uint32_t code)
{
    return (code & 0xff) ? (int)(code & 0xff) : 1;
}

static uint64_t sifive_test_read(void *opaque, hwaddr off, unsigned size)
{
    return 0;
}

static void sifive_test_write(void *opaque, hwaddr off, uint64_t val,
                              unsigned size)
{
    uint32_t v = (uint32_t)val;

    /* OpenSBI writes the command as 16 bits, Linux's syscon drivers as
     * 32: both act.  Narrower writes cannot hold a command. */
    if (off != 0 || size < 2) {
        log_mask_printf(LOG_GUEST_ERROR, "sifive_test: write of %u bytes "
                        "at 0x%" PRIx64 " ignored\n", size, off);
        return;
    }
    switch (v & 0xffff) {
    case SIFIVE_TEST_PASS:
        qemu_system_shutdown_request(0);
        break;
    case SIFIVE_TEST_FAIL:
        qemu_system_shutdown_request(sifive_test_fail_status(v >> 16));
        break;
    case SIFIVE_TEST_RESET:
        qemu_system_reset_request();
        break;
    default:
        log_mask_printf(LOG_GUEST_ERROR, "sifive_test: unknown command "
                        "0x%" PRIx32 "\n", v);
        break;
    }
}

static const MemoryRegionOps sifive_test_ops = {
    .read = sifive_test_read,
    .write = sifive_test_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /* Every width is accepted so that odd accesses are harmless no-ops
     * rather than bus errors; the handler decides what acts. */
    .valid = { .min_access_size = 1, .max_access_size = 8,
               .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8,
              .unaligned = true },
};

SifiveTestState *sifive_test_create(MemoryRegion *sysmem, hwaddr base,
                                    Error **errp)
{
    SifiveTestState *s = calloc(1, sizeof(*s));

    if (!s) {
        error_setg(errp, "sifive_test: out of memory");
        return NULL;
    }
    memory_region_init_io(&s->mr, NULL, &sifive_test_ops, s, "sifive_test",
                          SIFIVE_TEST_SIZE);
    memory_region_set_lockless(&s->mr, true);
    memory_region_add_subregion(sysmem, base, &s->mr);
    return s;
}
