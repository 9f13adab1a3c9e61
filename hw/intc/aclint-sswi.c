/* ACLINT SSWI.  The device keeps no state (SETSSIP reads 0; the pending
 * bit lives in the hart's mip), so the region is lockless and needs no
 * lock: the set_irq callback is itself safe from any thread. */
#include <inttypes.h>
#include <stdlib.h>

#include "hw/intc/aclint-sswi.h"
#include "util/log.h"

struct AclintSswiState {
    MemoryRegion mr;            /* static region, owner NULL */
    unsigned nr_harts;          /* read-only after creation */
    AclintSswiSetIrq *set_irq;
    void *irq_opaque;
};

static uint64_t aclint_sswi_read(void *opaque, hwaddr off, unsigned size)
{
    return 0;
}

static void aclint_sswi_write(void *opaque, hwaddr off, uint64_t val,
                              unsigned size)
{
    AclintSswiState *s = opaque;
    unsigned hart = off / 4;

    if (size != 4 || (off & 3) || hart >= s->nr_harts) {
        log_mask_printf(LOG_GUEST_ERROR, "aclint-sswi: write of %u bytes "
                        "at 0x%" PRIx64 " ignored\n", size, off);
        return;
    }
    if (val & 1) {
        s->set_irq(s->irq_opaque, hart, ACLINT_IRQ_SSIP, true);
    }
}

static const MemoryRegionOps aclint_sswi_ops = {
    .read = aclint_sswi_read,
    .write = aclint_sswi_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /* Odd sizes are guest-visible no-ops, not bus errors. */
    .valid = { .min_access_size = 1, .max_access_size = 8,
               .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8,
              .unaligned = true },
};

AclintSswiState *aclint_sswi_create(MemoryRegion *sysmem, hwaddr base,
                                    unsigned nr_harts,
                                    AclintSswiSetIrq *set_irq,
                                    void *irq_opaque, Error **errp)
{
    AclintSswiState *s;

    if (!nr_harts || nr_harts > ACLINT_SSWI_MAX_HARTS) {
        error_setg(errp, "ACLINT SSWI: %u harts (1..%u)", nr_harts,
                   ACLINT_SSWI_MAX_HARTS);
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        error_setg(errp, "ACLINT SSWI: out of memory");
        return NULL;
    }
    s->nr_harts = nr_harts;
    s->set_irq = set_irq;
    s->irq_opaque = irq_opaque;
    memory_region_init_io(&s->mr, NULL, &aclint_sswi_ops, s, "aclint-sswi",
                          ACLINT_SSWI_SIZE);
    memory_region_set_lockless(&s->mr, true);
    memory_region_add_subregion(sysmem, base, &s->mr);
    return s;
}
