/* -M spike: the board riscv-tests and bare-metal programs expect, as
 * Spike and QEMU's spike machine lay it out.
 *
 *   0x02000000  ACLINT (CLINT layout), 64 KiB
 *   0x80000000  RAM (-m, default 256 MiB)
 *   HTIF        tohost/fromhost, at the addresses of the -kernel ELF's
 *               symbols (fallback 0x80001000/0x80001040 when absent)
 *
 * No firmware (-bios none is the only value) and no device tree: every
 * hart starts at the ELF entry with a0 = hartid, a1 = 0, in M-mode.
 */
#include <elf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/riscv/riscv-cpu.h"
#include "hw/core/loader.h"
#include "hw/intc/aclint.h"
#include "hw/misc/htif.h"
#include "memory/memory.h"
#include "system/machine.h"
#include "tcg/accel-tcg.h"

#define SPIKE_CLINT_BASE    0x02000000ull
#define SPIKE_RAM_BASE      0x80000000ull
#define SPIKE_TOHOST_DEFAULT    0x80001000ull
#define SPIKE_FROMHOST_DEFAULT  0x80001040ull
#define SPIKE_MAX_HARTS     8

/* The board's harts, indexed by hartid; set up once under the BQL, then
 * read-only (the ACLINT's line callback reads it from any thread). */
static RISCVCPU *spike_harts[SPIKE_MAX_HARTS];
static MemoryRegion spike_ram;      /* static region: lives with the machine */

static void spike_set_irq(void *opaque, unsigned hart, unsigned irq,
                          bool level)
{
    riscv_cpu_set_irq(spike_harts[hart], irq, level);
}

static bool spike_check_options(MachineState *ms, Error **errp)
{
    if (ms->bios_name && strcmp(ms->bios_name, "none")) {
        error_setg(errp, "spike: -bios %s: only 'none' is supported",
                   ms->bios_name);
        return false;
    }
    if (ms->initrd_filename || ms->kernel_cmdline) {
        error_setg(errp, "spike: -initrd and -append need a device tree, "
                   "which this board does not build");
        return false;
    }
    if (ms->dumpdtb) {
        error_setg(errp, "spike: dumpdtb: this board has no device tree");
        return false;
    }
    if (!ms->kernel_filename) {
        error_setg(errp, "spike: -kernel is required");
        return false;
    }
    return true;
}

/* The tohost/fromhost pair of the program, or the fixed fallback. */
static void spike_find_htif(ElfFile *elf, uint64_t *tohost,
                            uint64_t *fromhost)
{
    Error *err = NULL;

    if (!elf_lookup_symbol(elf, "tohost", tohost, &err)) {
        error_free(err);
        *tohost = SPIKE_TOHOST_DEFAULT;
        *fromhost = SPIKE_FROMHOST_DEFAULT;
        return;
    }
    if (!elf_lookup_symbol(elf, "fromhost", fromhost, &err)) {
        error_free(err);
        *fromhost = *tohost + 0x40;
    }
}

static bool spike_load_kernel(MachineState *ms, uint64_t *entry,
                              Error **errp)
{
    uint64_t tohost, fromhost;
    ElfLoadInfo info;
    ElfFile *elf;
    bool ok;

    elf = elf_open(ms->kernel_filename, EM_RISCV, 0, errp);
    if (!elf) {
        return false;
    }
    ok = elf_load(elf, ms->address_space_memory, &info, errp);
    if (ok) {
        spike_find_htif(elf, &tohost, &fromhost);
        ok = htif_create(ms->system_memory, ms->address_space_memory,
                         tohost, fromhost, errp) != NULL;
    }
    elf_close(elf);
    *entry = info.entry;
    return ok;
}

static bool spike_create_harts(MachineState *ms, uint64_t entry,
                               AclintState *clint, Error **errp)
{
    for (unsigned i = 0; i < ms->smp_cpus; i++) {
        RISCVCPU *cpu = riscv_cpu_new(i, entry, 0, aclint_read_mtime, clint,
                                      errp);

        if (!cpu) {
            return false;
        }
        spike_harts[i] = cpu;
        if (!cpu_create(&cpu->parent, &tcg_accel_ops, errp)) {
            return false;
        }
    }
    return true;
}

static bool spike_init(MachineState *ms, Error **errp)
{
    AclintState *clint;
    uint64_t entry;

    if (!spike_check_options(ms, errp)) {
        return false;
    }
    if (!memory_region_init_ram(&spike_ram, NULL, "ram", ms->ram_size,
                                errp)) {
        return false;
    }
    /* Device writes into RAM are logged for the CODE client so that the
     * TCG glue can invalidate blocks they overwrite. */
    memory_region_set_log(&spike_ram, true, DIRTY_CLIENT_CODE);
    memory_region_add_subregion(ms->system_memory, SPIKE_RAM_BASE,
                                &spike_ram);
    ms->ram = &spike_ram;

    riscv_tcg_init();
    tcg_accel_init(ms->address_space_memory);
    riscv_cpu_set_memory_ops(&tcg_accel_memory_ops);
    tcg_accel_set_has_work(riscv_cpu_accel_has_work);

    if (!spike_load_kernel(ms, &entry, errp)) {
        return false;
    }
    clint = aclint_create(ms->system_memory, SPIKE_CLINT_BASE, ms->smp_cpus,
                          spike_set_irq, NULL, errp);
    if (!clint) {
        return false;
    }
    return spike_create_harts(ms, entry, clint, errp);
}

static const MachineClass machine_spike = {
    .name = "spike",
    .desc = "RISC-V Spike board: RAM, CLINT, HTIF (bare-metal tests)",
    .default_ram_size = 256 << 20,
    .max_cpus = SPIKE_MAX_HARTS,
    .init = spike_init,
};
MACHINE_REGISTER(machine_spike)
