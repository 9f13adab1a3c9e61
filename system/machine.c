#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "hw/core/device.h"
#include "memory/memory.h"
#include "system/bql.h"
#include "system/machine.h"

#define MAX_MACHINES 16

/* Written only by constructors before main() runs; read-only after. */
static const MachineClass *machines[MAX_MACHINES];
static unsigned nr_machines;

void machine_register(const MachineClass *mc)
{
    assert(nr_machines < MAX_MACHINES);
    machines[nr_machines++] = mc;
}

const MachineClass *machine_find(const char *name)
{
    for (unsigned i = 0; i < nr_machines; i++) {
        if (!strcmp(machines[i]->name, name)) {
            return machines[i];
        }
    }
    return NULL;
}

void machine_print_list(void)
{
    printf("Supported machines are:\n");
    for (unsigned i = 0; i < nr_machines; i++) {
        printf("%-20s %s\n", machines[i]->name, machines[i]->desc);
    }
}

/* The machine's memory and root bus live as long as the process. */
static MemoryRegion system_memory;
static AddressSpace address_space_memory;

/* Devices mapped by the board at fixed addresses; not hot-pluggable. */
static const BusInfo system_bus_info = {
    .type = "System",
};

bool machine_create(MachineState *ms, Error **errp)
{
    assert(bql_locked());
    /* An unplug's isolate step (bus and device) is one map change. */
    device_set_transaction_hooks(memory_region_transaction_begin,
                                 memory_region_transaction_commit);
    memory_region_init(&system_memory, NULL, "system", UINT64_MAX);
    address_space_init(&address_space_memory, &system_memory, "memory");
    ms->system_memory = &system_memory;
    ms->address_space_memory = &address_space_memory;
    ms->system_bus = bus_new(NULL, &system_bus_info, "main-system-bus");
    return ms->mc->init(ms, errp);
}

void machine_done(MachineState *ms)
{
    assert(bql_locked());
    /* From here every plug is a hot-plug. */
    device_set_hotplug_phase(true);
}

/* -M none: an empty board with RAM at 0 and no CPUs, to inspect the memory
 * core (`weft -M none -m 64M -d mtree`). */
static MemoryRegion none_ram;

static bool none_init(MachineState *ms, Error **errp)
{
    if (ms->dumpdtb) {
        error_setg(errp, "none: dumpdtb: this board has no device tree");
        return false;
    }
    if (!memory_region_init_ram(&none_ram, NULL, "ram", ms->ram_size, errp)) {
        return false;
    }
    memory_region_add_subregion(ms->system_memory, 0, &none_ram);
    ms->ram = &none_ram;
    return true;
}

static const MachineClass machine_none = {
    .name = "none",
    .desc = "empty machine: RAM at address 0, no CPUs",
    .default_ram_size = 128 << 20,
    .max_cpus = 1,
    .init = none_init,
};
MACHINE_REGISTER(machine_none)
