/* Shared by the guest programs: entry, pass/fail reporting, checks.
 * Check numbers go in gp; a failed check reports (gp << 1) | 1. */
#define TOHOST 0x10000000

    .section .text.init
    .globl _start
_start:
    la t0, unexpected_trap
    csrw mtvec, t0
    /* PMP: all memory RWX for S and U (none matches = no access) */
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f
    csrw pmpcfg0, t0
    j main

/* A trap nobody expected: report check 1000 + mcause. */
    .align 2
unexpected_trap:
    csrr gp, mcause
    addi gp, gp, 1000
    j fail

fail:
    li t0, TOHOST
    slli t1, gp, 1
    ori t1, t1, 1
    sd t1, 0(t0)
1:  j 1b

pass:
    li t0, TOHOST
    li t1, 1
    sd t1, 0(t0)
1:  j 1b

/* Expected traps: records mcause in s10, mtval in s11, and returns past
 * the trapping instruction (2 or 4 bytes) in the mode it came from.
 * Except an ecall with a7 = 99: continues at a6 in M-mode (TO_M). */
    .align 2
skip_trap:
    li t4, 99
    bne a7, t4, 2f
    li a7, 0
    jr a6
2:  csrr s10, mcause
    csrr s11, mtval
    csrr t5, mepc
    lhu t6, 0(t5)
    andi t6, t6, 3
    addi t5, t5, 2
    li t4, 3
    bne t6, t4, 1f
    addi t5, t5, 2
1:  csrw mepc, t5
    mret

#define CHECK(n, reg, val)  li gp, n; li t6, val; bne reg, t6, fail
#define CHECKR(n, a, b)     li gp, n; bne a, b, fail
#define EXPECT_TRAPS        la t0, skip_trap; csrw mtvec, t0; li s10, -1; li s11, -1
#define TO_M(label)         la a6, label; li a7, 99; ecall
#define UNEXPECTED_TRAPS    la t0, unexpected_trap; csrw mtvec, t0
