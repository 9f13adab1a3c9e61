/* A tiny bare-metal RISC-V program for the loader tests: text, data with
 * the HTIF tohost/fromhost words (as riscv-tests place them), and bss. */
    .section .text
    .globl _start
_start:
    la      t0, tohost
    li      t1, 1
    sd      t1, 0(t0)
1:  j       1b

    .section .tohost, "aw", @progbits
    .align  6
    .globl  tohost
tohost:
    .dword  0
    .align  6
    .globl  fromhost
fromhost:
    .dword  0

    .section .data
    .globl  pattern
pattern:
    .dword  0x1122334455667788, 0x99aabbccddeeff00

    .section .bss
    .globl  scratch
scratch:
    .space  4096
