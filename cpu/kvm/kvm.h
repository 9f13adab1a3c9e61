/* The KVM accelerator: the VM, its memory slots, interrupt lines, and
 * vCPU threads running KVM_RUN (docs/kvm.md).
 *
 * Threads and locks:
 *  - kvm_open, kvm_listen_memory, kvm_vcpu_create: machine set-up, BQL.
 *  - The memory listeners run under the BQL (kvm-memory.h).
 *  - The GSI lines (kvm_gsi_line) and kvm_signal_msi may be used from any
 *    thread with any lock held: they are one ioctl on the VM fd, which
 *    the kernel serialises.
 *  - A vCPU thread runs KVM_RUN without the BQL and RCU-offline; an
 *    MMIO or port exit goes through address_space_read/write like a TCG
 *    I/O access (RCU lookup, owner reference, BQL only for regions not
 *    marked lockless).  Every vCPU ioctl is issued from the vCPU's own
 *    thread (creation in thread_init, register set-up in run_on_cpu
 *    work), as the KVM API asks.
 *
 * References: KVMState lives as long as the process (the machine owns
 * it); a KVMVcpu lives as long as its CPUState.
 *
 * Hosts: the real thing needs x86-64 Linux.  Elsewhere kvm-stub.c makes
 * kvm_open fail with a message saying so.
 */
#ifndef CPU_KVM_KVM_H
#define CPU_KVM_KVM_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "hw/core/irq.h"
#include "memory/memory.h"
#include "util/error.h"

#define KVM_DEFAULT_DEVICE "/dev/kvm"
/* Overrides the device path (tests use it to reach the error paths). */
#define KVM_DEVICE_ENV "WEFT_KVM_DEVICE"
/* GSIs of the in-kernel IOAPIC; ISA IRQ n is GSI n. */
#define KVM_NR_GSI 24

typedef struct KVMState KVMState;

/* Opens the KVM device (KVM_DEVICE_ENV or /dev/kvm), checks the API
 * version and the capabilities weft needs, creates the VM, and on x86
 * its TSS pages, in-kernel irqchip and PIT.  tss_addr: three free pages
 * below 4 GiB, followed by one for the identity map.  Errors are one
 * line naming the device and the errno. */
KVMState *kvm_open(uint64_t tss_addr, Error **errp);

/* Registers the listeners: RAM of mem_as becomes slots, ioeventfds of
 * both spaces kernel ioeventfds (io_as: port I/O).  BQL. */
void kvm_listen_memory(KVMState *s, AddressSpace *mem_as,
                       AddressSpace *io_as);

/* The input line of GSI n: a level change is KVM_IRQ_LINE.  Any thread. */
IrqLine *kvm_gsi_line(KVMState *s, unsigned n);
/* Delivers an MSI (KVM_SIGNAL_MSI).  Any thread.  False if refused. */
bool kvm_signal_msi(KVMState *s, uint64_t addr, uint32_t data);

/* Machine reset (BQL, vCPUs paused): the in-kernel PIC, IOAPIC and PIT
 * go back to their power-on state. */
void kvm_irqchip_reset(KVMState *s);

/* Per-architecture vCPU set-up, from the vCPU's thread. */
typedef struct KVMVcpu KVMVcpu;
typedef struct KVMArchOps {
    /* After the vCPU fd exists: CPUID, MSR lists, initial snapshots. */
    bool (*vcpu_init)(KVMVcpu *v, Error **errp);
} KVMArchOps;

struct KVMVcpu {
    CPUState parent;
    KVMState *kvm;
    const KVMArchOps *arch;
    unsigned id;                /* KVM vCPU id = APIC id */
    int fd;                     /* -1 until thread_init */
    struct kvm_run *run;        /* mmapped in thread_init */
    size_t run_size;
    AddressSpace *mem_as, *io_as;
    Error *init_error;          /* thread_init's failure, for the board */
    void *arch_state;           /* the architecture's (cpu/x86/) */
};

/* BQL, before the first vCPU.  Creates the vCPU thread, which creates
 * the KVM vCPU and runs arch->vcpu_init.  v is zeroed by the caller. */
bool kvm_vcpu_create(KVMState *s, KVMVcpu *v, unsigned id,
                     const KVMArchOps *arch, AddressSpace *mem_as,
                     AddressSpace *io_as, Error **errp);

/* The VM's system fd (for KVM_GET_SUPPORTED_CPUID and friends). */
int kvm_system_fd(KVMState *s);
int kvm_vm_fd(KVMState *s);

#endif
