/* Entry of the weft demo guest on -M virt -bios none: every hart arrives
 * here in M-mode with a0 = hartid and a1 = device-tree address (the boot
 * ROM's convention).  Each hart gets its own stack, then enters C. */
    .section .text.init, "ax", @progbits
    .globl _start
_start:
    csrr a0, mhartid
    li t0, DEMO_MAX_HARTS
    bgeu a0, t0, park           /* no stack for this hart: stay quiet */
    la t0, trap_entry
    csrw mtvec, t0
    la sp, stack_top
    slli t0, a0, 12             /* 4 KiB of stack per hart */
    sub sp, sp, t0
    call demo_main
park:
    wfi
    j park

/* Any trap is a bug in the demo: report it through the test device. */
    .align 2
trap_entry:
    li t0, 0x100000
    li t1, (1 << 16) | 0x3333   /* sifive_test: fail with exit code 1 */
    sw t1, 0(t0)
    j trap_entry

    .bss
    .align 12
    .space DEMO_MAX_HARTS * 4096
stack_top:
