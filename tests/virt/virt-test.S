/* Bare-metal checks of the virt board, run with -bios none (every hart
 * enters here from the MROM in M-mode with a0 = hartid, a1 = the device
 * tree, a2 = fw_dynamic_info).  Hart 0 does the work; the others park.
 * Results go to the UART ("virt-test: ..." lines) and end with a write
 * to sifive_test.  Built in several flavours (-DMODE_...):
 *
 *   MODE_CHECKS  a1 points at a device tree, a2 at fw_dynamic_info, the
 *                ACLINT SSWI sets mip.SSIP, an Sstc stimecmp deadline
 *                wakes wfi, then power off (0x5555).
 *   MODE_FAIL    fail with code 42 (0x3333).
 *   MODE_RESET   first boot: mark RAM outside the image, reset (0x7777);
 *                second boot: see the mark, power off.
 */
#define UART        0x10000000
#define UART_LSR    5
#define LSR_THRE    0x20
#define TEST_DEV    0x100000
#define SSWI        0x2f00000
#define MARK_ADDR   0x80100000   /* beyond the image: survives reset */
#define MARK        0x5eb007ed
#define FDT_MAGIC_LE 0xedfe0dd0  /* 0xd00dfeed, big-endian in memory */
#define FW_DYN_MAGIC 0x4942534f

    .section .text.init, "ax", @progbits
    .globl _start
_start:
    la t0, trap
    csrw mtvec, t0
    bnez a0, park
#if defined(MODE_CHECKS)
    j checks
#elif defined(MODE_FAIL)
    la a0, msg_fail
    call puts
    li t0, (42 << 16) | 0x3333
    j finish
#elif defined(MODE_RESET)
    li t1, MARK_ADDR
    lwu t2, 0(t1)
    li t3, MARK
    beq t2, t3, second_boot
    sw t3, 0(t1)
    la a0, msg_boot1
    call puts
    li t0, 0x7777
    j finish
second_boot:
    sw zero, 0(t1)
    la a0, msg_boot2
    call puts
    li t0, 0x5555
    j finish
#endif

#ifdef MODE_CHECKS
checks:
    mv s0, a1
    mv s1, a2
    /* a1: the device tree's magic */
    lwu t1, 0(s0)
    li t2, FDT_MAGIC_LE
    bne t1, t2, fail
    la a0, msg_fdt
    call puts
    /* a2: fw_dynamic_info magic, version 2 */
    ld t1, 0(s1)
    li t2, FW_DYN_MAGIC
    bne t1, t2, fail
    ld t1, 8(s1)
    li t2, 2
    bne t1, t2, fail
    la a0, msg_fwdyn
    call puts
    /* SSWI: setssip of hart 0 raises mip.SSIP */
    csrr t1, mip
    andi t1, t1, 2
    bnez t1, fail
    li t1, SSWI
    li t2, 1
    sw t2, 0(t1)
    csrr t1, mip
    andi t1, t1, 2
    beqz t1, fail
    csrci mip, 2
    la a0, msg_sswi
    call puts
    /* Sstc: stimecmp 20 ms ahead, wfi until STIP (interrupts off
     * globally: wfi still wakes on a pending enabled interrupt). */
    li t1, 1
    slli t1, t1, 63
    csrs menvcfg, t1
    li t1, 2
    csrs mcounteren, t1
    csrr s2, time
    li t1, 200000
    add s3, s2, t1
    csrw stimecmp, s3
    li t1, 0x20
    csrs mie, t1
1:  wfi
    csrr t1, mip
    andi t1, t1, 0x20
    beqz t1, 1b
    csrr t1, time
    bltu t1, s3, fail       /* woke before the deadline */
    la a0, msg_sstc
    call puts
    li t0, 0x5555
    j finish
#endif

fail:
    la a0, msg_failed
    call puts
    li t0, (1 << 16) | 0x3333
finish:
    li t1, TEST_DEV
    sw t0, 0(t1)
1:  j 1b

park:
    wfi
    j park

trap:
    la a0, msg_trap
    call puts
    li t0, (3 << 16) | 0x3333
    j finish

/* puts(a0): polled UART output. */
puts:
    li t1, UART
1:  lbu t2, 0(a0)
    beqz t2, 3f
2:  lbu t3, UART_LSR(t1)
    andi t3, t3, LSR_THRE
    beqz t3, 2b
    sb t2, 0(t1)
    addi a0, a0, 1
    j 1b
3:  ret

    .section .rodata
msg_fdt:    .asciz "virt-test: fdt ok\n"
msg_fwdyn:  .asciz "virt-test: fw_dynamic_info ok\n"
msg_sswi:   .asciz "virt-test: sswi ok\n"
msg_sstc:   .asciz "virt-test: sstc ok\n"
msg_fail:   .asciz "virt-test: failing with 42\n"
msg_boot1:  .asciz "virt-test: boot 1\n"
msg_boot2:  .asciz "virt-test: boot 2\n"
msg_failed: .asciz "virt-test: FAILED\n"
msg_trap:   .asciz "virt-test: unexpected trap\n"
