/* Macros shared by the guest tests.  Pass: 1 to tohost.  Fail: test
 * number n as (n << 1) | 1, which weft -M spike turns into exit status n. */
#ifndef TESTS_TCG_RISCV64_TEST_H
#define TESTS_TCG_RISCV64_TEST_H

#define PASS                        \
    li t6, 1;                       \
    la t5, tohost;                  \
    sd t6, 0(t5);                   \
1:  j 1b

#define FAIL(n)                     \
    li t6, ((n) << 1) | 1;          \
    la t5, tohost;                  \
    sd t6, 0(t5);                   \
1:  j 1b

/* Branches to a failure with number n unless reg == value. */
#define CHECK(n, reg, value)        \
    li t4, value;                   \
    beq reg, t4, 2f;                \
    FAIL(n);                        \
2:

/* The HTIF words and the entry: every hart gets a 4 KiB stack below
 * _stack_top and jumps to `main` (in M-mode, a0 = hartid). */
#define TEST_PROLOGUE                       \
    .section .tohost, "aw", @progbits;      \
    .align 6; .globl tohost; tohost: .dword 0; \
    .align 6; .globl fromhost; fromhost: .dword 0; \
    .section .text.init, "ax", @progbits;   \
    .globl _start;                          \
_start:                                     \
    csrr a0, mhartid;                       \
    la sp, _stack_top;                      \
    slli t0, a0, 12;                        \
    sub sp, sp, t0;                         \
    la t0, unexpected_trap;                 \
    csrw mtvec, t0;                         \
    j main;                                 \
    .align 2;                               \
unexpected_trap:                            \
    FAIL(99);                               \
    .text

#endif
