/* Sv39: page tables built here, S-mode accesses through them, SUM,
 * read-only pages, unmapped addresses, sfence.vma after a remap, MPRV. */
#include "rvtest.h"

#define PTE_LEAF_RWX    0xcf    /* V R W X A D */
#define PTE_LEAF_RW     0xc7    /* V R W A D */
#define PTE_LEAF_URW    0xd7    /* V R W U A D */
#define PTE_LEAF_RO     0x43    /* V R A */

/* reg = PTE for the physical page at label, with flags */
#define PTE(reg, label, flags) la reg, label; srli reg, reg, 12; \
                               slli reg, reg, 10; ori reg, reg, flags

main:
    la t0, l2
    li t1, (0x80000 << 10) | PTE_LEAF_RWX
    sd t1, 16(t0)               /* 0x80000000: identity gigapage */
    li t1, PTE_LEAF_RW
    sd t1, 0(t0)                /* 0: identity gigapage (tohost) */
    PTE(t2, l1, 1)
    sd t2, 8(t0)                /* 0x40000000 -> l1 */
    la t0, l1
    PTE(t2, l0, 1)
    sd t2, 0(t0)
    la t0, l0
    PTE(t2, page_a, PTE_LEAF_URW)
    sd t2, 0(t0)                /* 0x40000000: page_a, user RW */
    PTE(t2, page_a, PTE_LEAF_RO)
    sd t2, 8(t0)                /* 0x40001000: page_a, read-only */
    la t2, page_a
    li t3, 0x1234
    sd t3, 0(t2)
    la t2, l2
    srli t2, t2, 12
    li t3, 8 << 60
    or t2, t2, t3
    csrw satp, t2
    sfence.vma
    EXPECT_TRAPS
    li t0, 3 << 11
    csrc mstatus, t0
    li t0, 1 << 11
    csrs mstatus, t0            /* MPP = S */
    la t0, in_s
    csrw mepc, t0
    mret

in_s:
    li a0, 0x40000000
    /* user page, SUM clear: load page fault, tval = address */
    li s10, -1
    ld a1, 0(a0)
    CHECK(1, s10, 13)
    CHECKR(2, s11, a0)
    li t0, 1 << 18
    csrs sstatus, t0            /* SUM */
    ld a1, 0(a0)
    CHECK(3, a1, 0x1234)
    /* read-only alias: loads work, stores fault with cause 15 */
    li a2, 0x40001000
    ld a1, 0(a2)
    CHECK(4, a1, 0x1234)
    li s10, -1
    sd a1, 0(a2)
    CHECK(5, s10, 15)
    CHECKR(6, s11, a2)
    /* nothing mapped at 0xc0000000 */
    li a3, 0xc0000000
    li s10, -1
    ld a1, 0(a3)
    CHECK(7, s10, 13)
    CHECKR(8, s11, a3)
    li t3, 0x5678
    sd t3, 8(a0)
    /* remap 0x40000000 to page_b; sfence.vma makes it visible */
    la t2, page_b
    li t3, 0x9999
    sd t3, 0(t2)
    PTE(t2, page_b, PTE_LEAF_URW)
    la t4, l0
    sd t2, 0(t4)
    sfence.vma a0
    ld a1, 0(a0)
    CHECK(9, a1, 0x9999)
    /* SUM off again: the cached translation must not leak */
    li t0, 1 << 18
    csrc sstatus, t0
    li s10, -1
    ld a1, 0(a0)
    CHECK(10, s10, 13)
    csrs sstatus, t0
    TO_M(in_m)

in_m:
    /* M ignores satp */
    la t2, page_a
    ld a1, 8(t2)
    CHECK(11, a1, 0x5678)
    /* MPRV with MPP = S: data accesses translated */
    li t0, 3 << 11
    csrc mstatus, t0
    li t0, (1 << 17) | (1 << 11)
    csrs mstatus, t0
    li a0, 0x40000000
    ld a1, 0(a0)
    li t0, 1 << 17
    csrc mstatus, t0
    CHECK(12, a1, 0x9999)
    j pass

    .data
    .align 12
l2: .fill 512, 8, 0
l1: .fill 512, 8, 0
l0: .fill 512, 8, 0
page_a: .fill 512, 8, 0
page_b: .fill 512, 8, 0
