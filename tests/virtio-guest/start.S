/* Entry of the hostile virtio driver on -M virt -bios none: harts arrive
 * in M-mode with a0 = hartid.  Hart 0 gets a stack and runs the tests;
 * the others park.  Any trap fails the run through sifive_test (code 2). */
    .section .text.init, "ax", @progbits
    .globl _start
_start:
    la t0, trap_entry
    csrw mtvec, t0
    bnez a0, park
    la sp, stack_top
    call hostile_main
park:
    wfi
    j park

    .align 2
trap_entry:
    li t0, 0x100000
    li t1, (2 << 16) | 0x3333
    sw t1, 0(t0)
    j trap_entry

    .bss
    .align 12
    .space 16384
stack_top:
