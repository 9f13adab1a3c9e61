/* A SiFive CLINT-compatible ACLINT: per-hart MSIP (machine software
 * interrupt) at +0, MTIMECMP at +0x4000, the shared MTIME at +0xbff8.
 * mtime counts at 10 MHz from the host's monotonic clock; MTIP is raised
 * by a main-loop timer at the exact deadline, never by polling.
 */
#ifndef HW_INTC_ACLINT_H
#define HW_INTC_ACLINT_H

#include <stdbool.h>
#include <stdint.h>

#include "memory/memory.h"
#include "util/error.h"

#define ACLINT_SIZE         0x10000
#define ACLINT_MSIP_BASE    0x0
#define ACLINT_MTIMECMP_BASE 0x4000
#define ACLINT_MTIME        0xbff8
#define ACLINT_TIMEBASE_FREQ 10000000ull
#define ACLINT_MAX_HARTS    4095

#define ACLINT_IRQ_MSIP 3
#define ACLINT_IRQ_MTIP 7

typedef struct AclintState AclintState;

/* Drives one hart's interrupt line (irq = ACLINT_IRQ_*).  Called from any
 * thread with the ACLINT's lock held: must not block or take the BQL. */
typedef void AclintSetIrq(void *opaque, unsigned hart, unsigned irq,
                          bool level);

/* BQL, after main_loop_init().  Static device: lives with the machine. */
AclintState *aclint_create(MemoryRegion *sysmem, hwaddr base,
                           unsigned nr_harts, AclintSetIrq *set_irq,
                           void *irq_opaque, Error **errp);
/* Machine reset (BQL): every msip clear and every mtimecmp at "never",
 * so no interrupt of the previous boot survives into the next; mtime
 * keeps counting. */
void aclint_reset(AclintState *s);
/* The current mtime; any thread.  opaque is the AclintState (the shape
 * of riscv_cpu_new's read_time callback). */
uint64_t aclint_read_mtime(void *opaque);

#endif
