/* ACLINT SSWI: supervisor software interrupts.  One 32-bit SETSSIP
 * register per hart at 4 * hart; writing 1 to bit 0 sets that hart's
 * mip.SSIP (an edge: software clears it through sip), writing 0 does
 * nothing, reads return 0.  Per the RISC-V ACLINT specification, 16 KiB
 * for up to 4095 harts.
 */
#ifndef HW_INTC_ACLINT_SSWI_H
#define HW_INTC_ACLINT_SSWI_H

#include <stdbool.h>

#include "memory/memory.h"
#include "util/error.h"

#define ACLINT_SSWI_SIZE        0x4000
#define ACLINT_SSWI_MAX_HARTS   4095
#define ACLINT_IRQ_SSIP         1

typedef struct AclintSswiState AclintSswiState;

/* Sets SSIP on one hart (irq = ACLINT_IRQ_SSIP, level true).  Any thread,
 * no lock held by the device: must not block or take the BQL. */
typedef void AclintSswiSetIrq(void *opaque, unsigned hart, unsigned irq,
                              bool level);

/* BQL.  Static device: lives with the machine. */
AclintSswiState *aclint_sswi_create(MemoryRegion *sysmem, hwaddr base,
                                    unsigned nr_harts,
                                    AclintSswiSetIrq *set_irq,
                                    void *irq_opaque, Error **errp);

#endif
