/* A reset-only i8042: see i8042.h. */
#include "hw/x86/i8042.h"
#include "system/runstate.h"

static uint64_t i8042_read(void *opaque, hwaddr offset, unsigned size)
{
    /* Status: OBF and IBF clear, so a driver waiting to send a command
     * goes ahead and one waiting for data gives up. */
    return 0;
}

static void i8042_cmd_write(void *opaque, hwaddr offset, uint64_t value,
                            unsigned size)
{
    if (value == I8042_CMD_RESET) {
        /* With -no-reboot runstate turns this into a shutdown. */
        qemu_system_reset_request();
    }
}

static void i8042_data_write(void *opaque, hwaddr offset, uint64_t value,
                             unsigned size)
{
}

static const MemoryRegionOps i8042_data_ops = {
    .read = i8042_read,
    .write = i8042_data_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 1 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static const MemoryRegionOps i8042_cmd_ops = {
    .read = i8042_read,
    .write = i8042_cmd_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 1 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

void i8042_init(I8042State *s, MemoryRegion *io)
{
    memory_region_init_io(&s->data, NULL, &i8042_data_ops, s, "i8042-data",
                          1);
    memory_region_init_io(&s->cmd, NULL, &i8042_cmd_ops, s, "i8042-cmd", 1);
    memory_region_set_lockless(&s->data, true);
    memory_region_set_lockless(&s->cmd, true);
    memory_region_add_subregion(io, I8042_DATA_PORT, &s->data);
    memory_region_add_subregion(io, I8042_CMD_PORT, &s->cmd);
}
