/* 64-bit entry of the test kernels.  weft's microvm starts the boot CPU
 * here in long mode: identity-mapped 4 GiB, flat CS/DS, interrupts off,
 * rsi = the zero page, rsp = a small stack below 0x9000.  Switch to our
 * own stack and run kmain(zero_page); if it returns, halt for good. */
    .section .text.start, "ax"
    .code64
    .globl _start
_start:
    cli
    lea     stack_top(%rip), %rsp
    mov     %rsi, %rdi
    call    kmain
1:  hlt
    jmp     1b

    .section .bss
    .balign 16
stack:
    .skip   16384
stack_top:

    .section .note.GNU-stack, "", @progbits
