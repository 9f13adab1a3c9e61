/* Helpers shared by the memory tests: a refcounted test device with one
 * MMIO region backed by a register file that logs every handler call. */
#ifndef TESTS_UNIT_MEMORY_MEMTEST_H
#define TESTS_UNIT_MEMORY_MEMTEST_H

#include <stdlib.h>
#include <string.h>

#include "memory/memory.h"
#include "system/bql.h"
#include "test.h"
#include "util/compiler.h"

#define REGDEV_REGS 64
#define REGDEV_LOG 64
#define REGDEV_LIVE 0x11ae11aeu
#define REGDEV_DEAD 0xdeadd00du

typedef struct RegAccess {
    bool is_write;
    hwaddr offset;
    unsigned size;
    uint64_t value;
    bool bql_held;
} RegAccess;

/* A device whose registers are plain bytes: a read of (offset, size)
 * returns them as a number in the device's byte order, a write stores
 * them.  So whatever dispatch splits or widens, the bytes seen through
 * the bus must be these. */
typedef struct RegDev {
    Object obj;
    unsigned magic;
    MemoryRegion mr;
    MemoryRegionOps ops;
    uint8_t regs[REGDEV_REGS];
    RegAccess log[REGDEV_LOG];
    unsigned nlog;
    bool finalized;
} RegDev;

static inline void regdev_record(RegDev *d, bool is_write, hwaddr offset,
                                 unsigned size, uint64_t value)
{
    CHECK(d->magic == REGDEV_LIVE);
    if (d->nlog < REGDEV_LOG) {
        d->log[d->nlog++] = (RegAccess) { is_write, offset, size, value,
                                          bql_locked() };
    }
}

static inline uint64_t regdev_read(void *opaque, hwaddr offset, unsigned size)
{
    RegDev *d = opaque;
    bool big = d->ops.endianness == DEVICE_BIG_ENDIAN;
    uint64_t v = 0;

    for (unsigned i = 0; i < size; i++) {
        uint8_t b = offset + i < REGDEV_REGS ? d->regs[offset + i] : 0;

        v |= (uint64_t)b << (big ? (size - 1 - i) * 8 : i * 8);
    }
    regdev_record(d, false, offset, size, v);
    return v;
}

static inline void regdev_write(void *opaque, hwaddr offset, uint64_t v,
                                unsigned size)
{
    RegDev *d = opaque;
    bool big = d->ops.endianness == DEVICE_BIG_ENDIAN;

    regdev_record(d, true, offset, size, v);
    for (unsigned i = 0; i < size; i++) {
        if (offset + i < REGDEV_REGS) {
            d->regs[offset + i] =
                (uint8_t)(v >> (big ? (size - 1 - i) * 8 : i * 8));
        }
    }
}

static inline void regdev_finalize(Object *obj)
{
    RegDev *d = container_of(obj, RegDev, obj);

    memory_region_finalize(&d->mr);
    d->magic = REGDEV_DEAD;
    d->finalized = true;
    /* Not freed: tests check `finalized` afterwards and free it. */
}

/* The ops are copied into the device so that a test can tune them. */
static inline RegDev *regdev_new(const char *name, uint64_t size,
                                 const MemoryRegionOps *tmpl)
{
    RegDev *d = calloc(1, sizeof(*d));

    CHECK(d);
    object_init(&d->obj, "regdev", regdev_finalize);
    d->magic = REGDEV_LIVE;
    if (tmpl) {
        d->ops = *tmpl;
    }
    d->ops.read = regdev_read;
    d->ops.write = regdev_write;
    memory_region_init_io(&d->mr, &d->obj, &d->ops, d, name, size);
    for (unsigned i = 0; i < REGDEV_REGS; i++) {
        d->regs[i] = (uint8_t)(0x80 + i);
    }
    return d;
}

static inline void regdev_clear_log(RegDev *d)
{
    d->nlog = 0;
}

/* Waits for every pending view and object to be freed: no BQL, no read
 * section. */
static inline void memtest_drain(void)
{
    weft_rcu_barrier();
    weft_rcu_barrier();
    weft_rcu_barrier();
}

#endif
