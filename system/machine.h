/* Boards: a registry of machine types (-M NAME) and the state of the one
 * machine a weft process runs. */
#ifndef SYSTEM_MACHINE_H
#define SYSTEM_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include "util/error.h"

typedef struct MachineState MachineState;

typedef struct MachineClass {
    const char *name;
    const char *desc;
    uint64_t default_ram_size;
    unsigned max_cpus;
    /* The accelerator the board runs on, and the default: NULL = "tcg"
     * (microvm: "kvm"). */
    const char *accel;
    /* Builds the board: memory map, devices, CPUs.  Called under the BQL. */
    bool (*init)(MachineState *ms, Error **errp);
    /* Optional, BQL: after the command line's devices (-device, -drive
     * if=virtio), before machine_done.  microvm opens /dev/kvm and
     * creates its vCPUs here, so that every device error is reported
     * before, and alike on hosts without KVM. */
    bool (*devices_done)(MachineState *ms, Error **errp);
} MachineClass;

struct MachineState {
    const MachineClass *mc;
    uint64_t ram_size;
    unsigned smp_cpus;
    const char *accel;          /* "tcg" or "kvm" */
    bool nographic;
    /* -kernel, -bios, -initrd, -append (NULL when absent); the strings
     * belong to the command line and live as long as the process. */
    const char *kernel_filename;
    const char *bios_name;
    const char *initrd_filename;
    const char *kernel_cmdline;
    const char *serial;         /* -serial SPEC, NULL: board default */
    const char *dumpdtb;        /* -M ...,dumpdtb=FILE */
    bool no_reboot;             /* -no-reboot: a guest reset exits */
    struct MemoryRegion *system_memory;   /* root of the "memory" space */
    struct MemoryRegion *ram;
    struct AddressSpace *address_space_memory;
    struct Bus *system_bus;     /* root bus of board devices */
};

void machine_register(const MachineClass *mc);
const MachineClass *machine_find(const char *name);
void machine_print_list(void);
/* Creates the system address space and root bus and calls mc->init. */
bool machine_create(MachineState *ms, Error **errp);
/* After the command line's devices: later plugs are hot-plugs. */
void machine_done(MachineState *ms);

#define MACHINE_REGISTER(mc)                                        \
    static void __attribute__((constructor)) register_##mc(void)    \
    {                                                               \
        machine_register(&mc);                                      \
    }

#endif
