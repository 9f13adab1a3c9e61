/* SiFive PLIC (RISC-V Platform-Level Interrupt Controller) with the
 * register layout of QEMU's virt board:
 *
 *   0x000000 + 4*src          priority of source src (0..7; 0 = never)
 *   0x001000 + 4*word         pending bits, 32 sources a word (read-only)
 *   0x002000 + 0x80*ctx       enable bits of context ctx, 32 a word
 *   0x200000 + 0x1000*ctx     priority threshold of context ctx
 *   0x200004 + 0x1000*ctx     claim (read) / complete (write)
 *
 * Context 2*h is hart h's M-mode (drives MEIP, irq 11), context 2*h+1 its
 * S-mode (drives SEIP, irq 9).  Sources are level-triggered.  All
 * registers are 32 bits wide and must be accessed as aligned words.
 *
 * Threads: the region is lockless; MMIO from any hart and plic_source()
 * lines from any thread are serialised by the PLIC's own lock.
 */
#ifndef HW_INTC_PLIC_H
#define HW_INTC_PLIC_H

#include <stdbool.h>

#include "hw/core/irq.h"
#include "memory/memory.h"
#include "util/error.h"

#define PLIC_PRIORITY_BASE   0x0
#define PLIC_PENDING_BASE    0x1000
#define PLIC_ENABLE_BASE     0x2000
#define PLIC_ENABLE_STRIDE   0x80
#define PLIC_CONTEXT_BASE    0x200000
#define PLIC_CONTEXT_STRIDE  0x1000
#define PLIC_THRESHOLD       0x0     /* within a context's page */
#define PLIC_CLAIM           0x4     /* within a context's page */

#define PLIC_MAX_PRIORITY    7       /* 7 levels: priorities 1..7 */
#define PLIC_MAX_SOURCES     1023    /* source IDs 1..1023 */
#define PLIC_MAX_HARTS       512     /* fits PLIC_VIRT_WINDOW */

/* Bytes plic_create maps: every context of nr_harts harts, no more.
 * Accesses beyond it inside the board's window decode to nothing. */
#define PLIC_SIZE(nr_harts) \
    (PLIC_CONTEXT_BASE + (nr_harts) * 2 * PLIC_CONTEXT_STRIDE)
/* The window QEMU's virt board reserves at 0xc000000 and puts in the
 * device tree's "reg" (room for 512 harts): PLIC_SIZE(512). */
#define PLIC_VIRT_WINDOW     0x600000

/* External-interrupt pin numbers (mip bits) the contexts drive. */
#define PLIC_IRQ_MEIP        11
#define PLIC_IRQ_SEIP        9

typedef struct PlicState PlicState;

/* Drives one hart's external-interrupt pin: irq is 11 (MEIP) or 9 (SEIP).
 * Called from any thread with the PLIC's lock held: must not block or
 * take the BQL. */
typedef void PlicSetIrq(void *opaque, unsigned hart, unsigned irq,
                        bool level);

/* BQL.  Contexts as QEMU virt: context 2*h is hart h M-mode, 2*h+1 is
 * hart h S-mode.  nr_sources counts sources 1..nr_sources (virt: 95,
 * i.e. "riscv,ndev" = 95 with 96 IDs incl. 0).  7 priority levels.
 * Maps PLIC_SIZE(nr_harts) bytes at base.  Static device: lives with the
 * machine. */
PlicState *plic_create(MemoryRegion *sysmem, hwaddr base, unsigned nr_harts,
                       unsigned nr_sources, PlicSetIrq *set_irq,
                       void *opaque, Error **errp);

/* Input line of source n (1..nr_sources), level-triggered, any thread
 * (hw/core/irq.h).  NULL for n out of range. */
IrqLine *plic_source(PlicState *s, unsigned n);

/* Machine reset (BQL): priorities, enables, thresholds and claims go back
 * to 0; pending follows the lines' current levels; outputs are lowered. */
void plic_reset(PlicState *s);

#endif
