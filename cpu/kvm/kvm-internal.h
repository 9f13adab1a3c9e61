/* Private to cpu/kvm/ and cpu/x86/ (the x86 half of the accelerator). */
#ifndef CPU_KVM_KVM_INTERNAL_H
#define CPU_KVM_KVM_INTERNAL_H

#include <linux/kvm.h>

#include "cpu/kvm/kvm-memory.h"
#include "cpu/kvm/kvm.h"

/* PIC master, PIC slave, IOAPIC: the chip ids of KVM_GET_IRQCHIP. */
#define KVM_NR_IRQCHIPS 3

/* Set once in kvm_open (BQL) and then read-only, except the listeners
 * (BQL) and irq_line_warned (atomic). */
struct KVMState {
    const char *device;
    int fd;                     /* /dev/kvm */
    int vm_fd;
    size_t run_size;            /* KVM_GET_VCPU_MMAP_SIZE */
    unsigned nr_slots;
    bool readonly_mem;
    KVMMemoryListener mem_listener;
    KVMMemoryListener io_listener;
    IrqLine gsi[KVM_NR_GSI];    /* static lines, owner NULL */
    unsigned irq_line_warned;
    /* The power-on state of the in-kernel PIC, IOAPIC and PIT, put back
     * at every machine reset (KVM has no reset ioctl for them). */
    struct kvm_irqchip irqchip_reset[KVM_NR_IRQCHIPS];
    struct kvm_pit_state2 pit_reset;
};

/* ioctl that retries on EINTR (a kick may land in any of them). */
int kvm_ioctl_retry(int fd, unsigned long req, void *arg);

bool kvm_irqchip_snapshot(KVMState *s, Error **errp);

#endif
