/* PMP (priv spec 3.7): TOR, NA4 and NAPOT regions enforced for S/U,
 * the lowest-numbered matching entry wins, no match below M = fault,
 * pmpcfg WARL (R=0,W=1 reserved), and a locked entry binding M-mode
 * and ignoring writes.  Entries 0-15 all exist. */
#include "rvt.h"
RVT_PROLOGUE
#define R 1
#define W 2
#define X 4
#define TOR (1 << 3)
#define NA4 (2 << 3)
#define NAPOT (3 << 3)
#define L 0x80
main:
    la s0, area                 /* 4 KiB aligned, 3 pages */
    /* entries 0-15 all hold an address */
    li a1, 0x1234
    csrw pmpaddr14, a1
    csrr a2, pmpaddr14
    CHECK(1, a2, 0x1234)
    csrw pmpaddr14, zero
    /* TOR: entry 1 = [area, area + 4K) read-only (entry 0 = bottom) */
    srli t0, s0, 2
    csrw pmpaddr0, t0
    li t1, 4096 >> 2
    add t0, t0, t1
    csrw pmpaddr1, t0
    li t0, (TOR | R) << 8
    csrw pmpcfg0, t0
    GOTO_U
    ld a1, 0(s0)
    sd a1, 8(s0)                /* fault */
    li t0, 4096
    add s1, s0, t0
    ld a1, 0(s1)                /* next page: entry 15 (RWX) */
    sd a1, 0(s1)
    ld a1, -8(s0)               /* below: entry 15 */
    GOTO_M
    CHECK_TRAP(2, mtrap_rec, CAUSE_STORE_ACCESS)
    addi a2, s0, 8
    CHECK_REC_REG(3, mtrap_rec, REC_TVAL, a2)
    /* NA4: the 4 bytes at area + 16 get no access; entry 0 (NA4) comes
     * before entry 1 (TOR from pmpaddr0 still) */
    addi t0, s0, 16
    srli t0, t0, 2
    csrw pmpaddr0, t0
    li t0, NA4 | ((TOR | R | W) << 8)
    csrw pmpcfg0, t0
    GOTO_S
    lw a1, 16(s0)               /* NA4: fault */
    lw a1, 20(s0)               /* past the 4 bytes: TOR from area + 16 */
    GOTO_M
    CHECK_TRAP(4, mtrap_rec, CAUSE_LOAD_ACCESS)
    addi a2, s0, 16
    CHECK_REC_REG(5, mtrap_rec, REC_TVAL, a2)
    /* NAPOT 8 KiB over pages 1-2, execute-only; no other entry (15
     * off): everything else faults below M */
    li t0, 0
    csrw pmpcfg2, t0
    li t1, 4096
    add t0, s0, t1
    srli t0, t0, 2
    ori t0, t0, (8192 / 8 - 1) >> 1
    csrw pmpaddr0, t0
    li t0, NAPOT | X
    csrw pmpcfg0, t0
    li t1, 4096
    add a0, s0, t1
    /* page 1 holds "ld a1, 0(a0); ..." copied below: run it from U */
    la t0, probe
    lw t1, 0(t0)
    sw t1, 0(a0)
    lw t1, 4(t0)
    sw t1, 4(a0)
    lw t1, 8(t0)
    sw t1, 8(a0)
    fence.i
    la s2, back0
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    csrw mepc, a0
    li a7, TO_M_MAGIC
    mret                        /* U at page 1: the ld faults, then the
                                 * ecall (a7 = magic) brings us back */
back0:
    CHECK_TRAP(6, mtrap_rec, CAUSE_LOAD_ACCESS)
    CHECK_REC_REG(7, mtrap_rec, REC_TVAL, a0)
    /* U fetch outside every entry: fetch access fault */
    EXPECT_TRAP(mtrap_rec, back1)
    GOTO_U
back1:
    CHECK_TRAP(8, mtrap_rec, CAUSE_FETCH_ACCESS)
    CHECK_REC(9, mtrap_rec, REC_PRIV, 0)
    /* restore the catch-all */
    li t0, 0x1f << 56
    csrw pmpcfg2, t0
    csrw pmpcfg0, zero
    /* WARL: R=0 W=1 is reserved; the entry keeps its old permissions */
    li t0, NAPOT | W
    csrw pmpcfg0, t0
    csrr a1, pmpcfg0
    andi a1, a1, W
    CHECK(10, a1, 0)
    csrw pmpcfg0, zero
    /* locked NAPOT entry 0, no permission: binds M too, and ignores
     * writes to its cfg and address until reset */
    addi t0, s0, 0
    srli t0, t0, 2
    ori t0, t0, (4096 / 8 - 1) >> 1
    csrw pmpaddr0, t0
    li t0, NAPOT | R | L
    csrw pmpcfg0, t0
    ld a1, 0(s0)                /* M may read */
    CHECK_NO_TRAP(11, mtrap_rec)
    sd a1, 0(s0)                /* M may not write */
    CHECK_TRAP(12, mtrap_rec, CAUSE_STORE_ACCESS)
    csrw pmpcfg0, zero          /* ignored: locked */
    csrr a1, pmpcfg0
    CHECK(13, a1, NAPOT | R | L)
    csrr a1, pmpaddr0
    csrw pmpaddr0, zero
    csrr a2, pmpaddr0
    CHECK_EQ(14, a1, a2)
    sd a1, 0(s0)
    CHECK_TRAP(15, mtrap_rec, CAUSE_STORE_ACCESS)
    /* every access is checked, also after an allowed access to another
     * part of the same page: entry 2 NA4 at page 1 + 16, no access.
     * Last, because weft gets it wrong (see report). */
    li t0, 4096 + 16
    add s1, s0, t0
    srli t0, s1, 2
    csrw pmpaddr2, t0
    li t0, NA4 << 16
    csrs pmpcfg0, t0
    GOTO_S
    lw a1, -4(s1)               /* entry 15: allowed, fills the TLB */
    lw a1, 0(s1)                /* entry 2: fault */
    GOTO_M
    CHECK_TRAP(16, mtrap_rec, CAUSE_LOAD_ACCESS)
    CHECK_REC_REG(17, mtrap_rec, REC_TVAL, s1)
    PASS

    .align 2
    .option push
    .option norvc
probe:                          /* position-independent: copied */
    ld a1, 0(a0)
    ecall                       /* a7 = magic: back to M here */
    jr s2
    .option pop

    .data
    .align 12
area:   .space 3 * 4096
