/* Entry of the benchmark workloads: M-mode, one hart.  Sets up the
 * stack, a trap handler that reports the cause, the FPU (mstatus.FS is
 * Off at reset) and a zeroed .bss, then calls main() and exits with its
 * return value through HTIF. */
    .section .tohost, "aw", @progbits
    .align 6
    .globl tohost
tohost: .dword 0
    .size tohost, 8
    .align 6
    .globl fromhost
fromhost: .dword 0
    .size fromhost, 8

    .section .text.init, "ax", @progbits
    .globl _start
_start:
    /* only hart 0 runs the workload; any other parks */
    csrr t0, mhartid
1:  bnez t0, 1b
    la sp, _stack_top
    la t0, bench_trap_entry
    csrw mtvec, t0
    li t0, 0x2000           /* mstatus.FS = Initial */
    csrs mstatus, t0
    csrwi fcsr, 0
    la t0, __bss_start
    la t1, __bss_end
2:  bgeu t0, t1, 3f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 2b
3:  call main
    call bench_exit
4:  j 4b

    .align 2
bench_trap_entry:
    la sp, _stack_top
    csrr a0, mcause
    csrr a1, mepc
    csrr a2, mtval
    call bench_trap
5:  j 5b
