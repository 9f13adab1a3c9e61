/*
 * Every instruction class weft's RISC-V decoder knows, with edge operands.
 * Assembled at build time; objdump's listing of the result is the
 * reference that test-riscv-disas compares weft's disassembler against.
 *
 * Rules for this file:
 *  - 32-bit code sits under ".option norvc" so the assembler cannot
 *    compress it behind our back; compressed code uses explicit c.*
 *    mnemonics under ".option rvc".
 *  - Encodings the assembler refuses (reserved, hints, extensions newer
 *    than binutils 2.40) are written with ".insn <len>, <value>".
 *  - Branch targets are written relative to "." so no symbol is needed.
 */
    .text
    .option norvc

/* ---- RV64I: upper immediates and jumps ---- */
    lui     a0, 0
    lui     a0, 0xfffff
    lui     t6, 0x80000
    lui     zero, 1
    auipc   a0, 0
    auipc   s11, 0xfffff
    auipc   ra, 0x80000
    jal     zero, . + 8
    jal     ra, . - 8
    jal     a0, . + 0xffffe
    jal     a0, . - 0x100000
    jal     zero, .
    jalr    zero, 0(ra)
    jalr    zero, 0(a0)
    jalr    zero, 4(a0)
    jalr    ra, 0(a0)
    jalr    ra, -4(a0)
    jalr    a1, 0(a0)
    jalr    a1, 2047(a0)
    jalr    a1, -2048(a0)
    jalr    zero, 0(zero)

/* ---- RV64I: branches and their aliases ---- */
    beq     a0, a1, . + 16
    beq     a0, zero, . - 16
    beq     zero, a0, . + 4094
    bne     a0, a1, . - 4096
    bne     a0, zero, . + 2
    bne     zero, a1, . + 4
    blt     a0, a1, . + 8
    blt     a0, zero, . + 8
    blt     zero, a1, . + 8
    bge     a0, a1, . + 8
    bge     a0, zero, . + 8
    bge     zero, a1, . + 8
    bltu    a0, a1, . + 8
    bltu    zero, a1, . + 8
    bgeu    a0, a1, . + 8
    bgeu    a0, zero, . + 8

/* ---- RV64I: loads and stores ---- */
    lb      a0, 0(a1)
    lh      a0, -1(a1)
    lw      a0, 2047(sp)
    ld      a0, -2048(sp)
    lbu     t0, 16(t1)
    lhu     zero, 0(zero)
    lwu     s1, 100(gp)
    sb      a0, 0(a1)
    sh      a0, -1(a1)
    sw      zero, 2047(sp)
    sd      ra, -2048(sp)

/* ---- RV64I: register-immediate ---- */
    addi    a0, a1, 5
    addi    a0, a1, -2048
    addi    a0, zero, 2047
    addi    a0, zero, -1
    addi    a0, a1, 0
    addi    zero, zero, 0
    addi    zero, a0, 1
    addi    sp, sp, -16
    slti    a0, a1, -1
    slti    a0, zero, 5
    sltiu   a0, a1, 1
    sltiu   a0, a1, -1
    sltiu   a0, a1, 2
    xori    a0, a1, -1
    xori    a0, a1, 1
    ori     a0, a1, 0
    ori     a0, a1, -2048
    andi    a0, a1, 255
    andi    a0, a1, -1
    slli    a0, a1, 0
    slli    a0, a1, 1
    slli    a0, a1, 31
    slli    a0, a1, 32
    slli    a0, a1, 63
    srli    a0, a1, 0
    srli    a0, a1, 63
    srai    a0, a1, 1
    srai    a0, a1, 63

/* ---- RV64I: register-register ---- */
    add     a0, a1, a2
    add     zero, zero, zero
    sub     a0, a1, a2
    sub     a0, zero, a2
    sll     a0, a1, a2
    slt     a0, a1, a2
    slt     a0, a1, zero
    slt     a0, zero, a2
    sltu    a0, a1, a2
    sltu    a0, zero, a2
    xor     a0, a1, a2
    srl     a0, a1, a2
    sra     a0, a1, a2
    or      a0, a1, a2
    and     a0, a1, a2

/* ---- RV64I: word ops ---- */
    addiw   a0, a1, 0
    addiw   a0, a1, -1
    addiw   a0, zero, 7
    slliw   a0, a1, 0
    slliw   a0, a1, 31
    srliw   a0, a1, 31
    sraiw   a0, a1, 17
    addw    a0, a1, a2
    subw    a0, a1, a2
    subw    a0, zero, a2
    sllw    a0, a1, a2
    srlw    a0, a1, a2
    sraw    a0, a1, a2

/* ---- RV64I: fences, system ---- */
    fence
    fence   iorw, iorw
    fence   rw, rw
    fence   r, r
    fence   w, w
    fence   i, o
    fence   io, rw
    fence   iorw, w
    fence.tso
    pause
    .insn 4, 0x0000000f         /* fence with empty sets */
    .insn 4, 0x8ff0000f         /* fm=8, not rw,rw: not fence.tso */
    .insn 4, 0x0ff5000f         /* fence with rs1 != 0 */
    .insn 4, 0x0ff0050f         /* fence with rd != 0 */
    .insn 4, 0x1ff0000f         /* fence with reserved fm=1 */
    ecall
    ebreak
    .insn 4, 0x00100073 | (1 << 7)   /* ebreak with rd != 0 */
    .insn 4, 0x00000073 | (1 << 15)  /* ecall with rs1 != 0 */
    fence.i
    .insn 4, 0x0000100f | (5 << 7)   /* fence.i with rd != 0 */
    .insn 4, 0x0010100f              /* fence.i with imm != 0 */
    unimp

/* ---- M ---- */
    mul     a0, a1, a2
    mulh    a0, a1, a2
    mulhsu  a0, a1, a2
    mulhu   a0, a1, a2
    div     a0, a1, a2
    divu    a0, a1, a2
    rem     a0, a1, a2
    remu    a0, a1, a2
    mulw    a0, a1, a2
    divw    a0, a1, a2
    divuw   a0, a1, a2
    remw    a0, a1, a2
    remuw   a0, a1, a2

/* ---- A ---- */
    lr.w        a0, (a1)
    lr.w.aq     a0, (a1)
    lr.w.rl     a0, (a1)
    lr.w.aqrl   a0, (a1)
    sc.w        a0, a2, (a1)
    sc.w.aq     a0, a2, (a1)
    sc.w.rl     a0, a2, (a1)
    sc.w.aqrl   a0, a2, (a1)
    lr.d        a0, (a1)
    lr.d.aqrl   t6, (sp)
    sc.d        a0, a2, (a1)
    sc.d.rl     a0, a2, (a1)
    amoswap.w   a0, a2, (a1)
    amoadd.w.aq a0, a2, (a1)
    amoxor.w.rl a0, a2, (a1)
    amoand.w.aqrl a0, a2, (a1)
    amoor.w     a0, a2, (a1)
    amomin.w    a0, a2, (a1)
    amomax.w    a0, a2, (a1)
    amominu.w   a0, a2, (a1)
    amomaxu.w   a0, a2, (a1)
    amoswap.d   a0, a2, (a1)
    amoadd.d    zero, a2, (a1)
    amoxor.d.aq a0, a2, (a1)
    amoand.d.rl a0, a2, (a1)
    amoor.d.aqrl a0, a2, (a1)
    amomin.d    a0, a2, (a1)
    amomax.d    a0, a2, (a1)
    amominu.d   a0, a2, (a1)
    amomaxu.d   a0, a2, (a1)
    .insn 4, 0x1005a52f | (3 << 20)  /* lr.w with rs2 != 0: reserved */
    .insn 4, 0x0805a52f | (7 << 27)  /* AMO funct5=7 (not defined) */

/* ---- F ---- */
    flw         fa0, 0(a1)
    flw         ft0, -2048(sp)
    fsw         fs11, 2047(a1)
    fmadd.s     fa0, fa1, fa2, fa3
    fmadd.s     fa0, fa1, fa2, fa3, rne
    fmsub.s     fa0, fa1, fa2, fa3, rtz
    fnmsub.s    fa0, fa1, fa2, fa3, rdn
    fnmadd.s    fa0, fa1, fa2, fa3, rup
    fadd.s      fa0, fa1, fa2
    fadd.s      fa0, fa1, fa2, rmm
    fsub.s      fa0, fa1, fa2
    fmul.s      fa0, fa1, fa2, rtz
    fdiv.s      fa0, fa1, fa2
    fsqrt.s     fa0, fa1
    fsqrt.s     fa0, fa1, rne
    fsgnj.s     fa0, fa1, fa2
    fsgnj.s     fa0, fa1, fa1
    fsgnjn.s    fa0, fa1, fa2
    fsgnjn.s    fa0, fa1, fa1
    fsgnjx.s    fa0, fa1, fa2
    fsgnjx.s    fa0, fa1, fa1
    fmin.s      fa0, fa1, fa2
    fmax.s      fa0, fa1, fa2
    fcvt.w.s    a0, fa1
    fcvt.w.s    a0, fa1, rtz
    fcvt.wu.s   a0, fa1
    fcvt.l.s    a0, fa1, rdn
    fcvt.lu.s   a0, fa1
    fmv.x.w     a0, fa1
    feq.s       a0, fa1, fa2
    flt.s       a0, fa1, fa2
    fle.s       a0, fa1, fa2
    fclass.s    a0, fa1
    fcvt.s.w    fa0, a1
    fcvt.s.w    fa0, a1, rne
    fcvt.s.wu   fa0, a1
    fcvt.s.l    fa0, a1
    fcvt.s.lu   fa0, a1, rup
    fmv.w.x     fa0, a1
    .insn 4, 0x00c5d553         /* fadd.s with reserved rm=5 */
    .insn 4, 0x00c5e553         /* fadd.s with reserved rm=6 */
    .insn 4, 0x68c5d543         /* fmadd.s with reserved rm=5 */
    .insn 4, 0x58059553 | (1 << 20)  /* fsqrt.s with rs2 != 0 */

/* ---- D ---- */
    fld         fa0, 8(a1)
    fsd         fa0, -8(a1)
    fmadd.d     fa0, fa1, fa2, fa3
    fmsub.d     ft0, ft1, ft2, ft3, rmm
    fnmsub.d    fa0, fa1, fa2, fa3
    fnmadd.d    fs0, fs1, fs2, fs3, rtz
    fadd.d      fa0, fa1, fa2
    fsub.d      fa0, fa1, fa2, rne
    fmul.d      fa0, fa1, fa2
    fdiv.d      fa0, fa1, fa2, rdn
    fsqrt.d     fa0, fa1
    fsgnj.d     fa0, fa1, fa2
    fsgnj.d     fa0, fa1, fa1
    fsgnjn.d    fa0, fa1, fa2
    fsgnjn.d    fa0, fa1, fa1
    fsgnjx.d    fa0, fa1, fa2
    fsgnjx.d    fa0, fa1, fa1
    fmin.d      fa0, fa1, fa2
    fmax.d      fa0, fa1, fa2
    fcvt.s.d    fa0, fa1
    fcvt.s.d    fa0, fa1, rtz
    fcvt.d.s    fa0, fa1
    feq.d       a0, fa1, fa2
    flt.d       a0, fa1, fa2
    fle.d       a0, fa1, fa2
    fclass.d    a0, fa1
    fcvt.w.d    a0, fa1
    fcvt.wu.d   a0, fa1, rtz
    fcvt.l.d    a0, fa1
    fcvt.lu.d   a0, fa1, rmm
    fcvt.d.w    fa0, a1
    fcvt.d.wu   fa0, a1
    fcvt.d.l    fa0, a1
    fcvt.d.lu   fa0, a1, rdn
    fmv.x.d     a0, fa1
    fmv.d.x     fa0, a1
    .insn 4, 0x4205f553         /* fcvt.d.s, rm=dyn */
    .insn 4, 0xd2058553 | (1 << 12)  /* fcvt.d.w, rm=rtz */
    .insn 4, 0x42c58553         /* fcvt.d.s with rs2 != 0 */

/* ---- Zicsr: every way objdump prints a CSR access ---- */
    csrrw   a0, mstatus, a1
    csrrw   zero, mstatus, a1
    csrrs   a0, mstatus, zero
    csrrs   a0, mstatus, a1
    csrrs   zero, mstatus, a1
    csrrc   a0, mstatus, a1
    csrrc   zero, mstatus, a1
    csrrwi  a0, mstatus, 0
    csrrwi  zero, mstatus, 31
    csrrsi  a0, mstatus, 1
    csrrsi  zero, mstatus, 1
    csrrci  a0, mstatus, 8
    csrrci  zero, mstatus, 8
    csrrs   a0, cycle, zero
    csrrs   a0, time, zero
    csrrs   a0, instret, zero
    csrrs   a0, cycleh, zero
    csrrs   a0, fflags, zero
    csrrw   a0, fflags, a1
    csrrw   zero, fflags, a1
    csrrwi  a0, fflags, 3
    csrrwi  zero, fflags, 3
    csrrs   a0, frm, zero
    csrrw   a0, frm, a1
    csrrw   zero, frm, a1
    csrrwi  a0, frm, 1
    csrrwi  zero, frm, 1
    csrrs   a0, fcsr, zero
    csrrw   a0, fcsr, a1
    csrrw   zero, fcsr, a1
    csrrs   a0, satp, zero
    csrrw   zero, stimecmp, a1
    csrrs   a0, menvcfg, zero
    csrrs   a0, pmpcfg0, zero
    csrrs   a0, pmpaddr63, zero
    csrrs   a0, mhpmcounter3, zero
    csrrs   a0, mhpmevent31, zero
    csrrs   a0, 0xfff, zero
    csrrw   zero, 0x800, a1
/* every CSR number, read with csrr: checks the whole name table */
    .set    csrno, 0
    .rept   4096
    .insn 4, 0x00002573 | (csrno << 20)
    .set    csrno, csrno + 1
    .endr

/* ---- privileged ---- */
    mret
    sret
    wfi
    sfence.vma
    sfence.vma  a0
    sfence.vma  a0, a1
    sfence.vma  zero, a1
    .insn 4, 0x30200073 | (1 << 7)   /* mret with rd != 0 */
    .insn 4, 0x10500073 | (1 << 15)  /* wfi with rs1 != 0 */
    .insn 4, 0x7b200073              /* dret */
    .insn 4, 0x00200073              /* uret (gone from the spec) */

/* ---- Zba ---- */
    add.uw      a0, a1, a2
    add.uw      a0, a1, zero
    sh1add      a0, a1, a2
    sh2add      a0, a1, a2
    sh3add      a0, a1, a2
    sh1add.uw   a0, a1, a2
    sh2add.uw   a0, a1, a2
    sh3add.uw   a0, a1, a2
    slli.uw     a0, a1, 0
    slli.uw     a0, a1, 63

/* ---- Zbb ---- */
    andn        a0, a1, a2
    orn         a0, a1, a2
    xnor        a0, a1, a2
    clz         a0, a1
    ctz         a0, a1
    cpop        a0, a1
    clzw        a0, a1
    ctzw        a0, a1
    cpopw       a0, a1
    max         a0, a1, a2
    maxu        a0, a1, a2
    min         a0, a1, a2
    minu        a0, a1, a2
    sext.b      a0, a1
    sext.h      a0, a1
    zext.h      a0, a1
    rol         a0, a1, a2
    ror         a0, a1, a2
    rolw        a0, a1, a2
    rorw        a0, a1, a2
    rori        a0, a1, 0
    rori        a0, a1, 63
    roriw       a0, a1, 31
    orc.b       a0, a1
    rev8        a0, a1
    .insn 4, 0x0805c533         /* packw a0,a1,a2 (Zbkb, not Zbb) */

/* ---- Zbc ---- */
    clmul       a0, a1, a2
    clmulh      a0, a1, a2
    clmulr      a0, a1, a2

/* ---- Zbs ---- */
    bclr        a0, a1, a2
    bclri       a0, a1, 63
    bext        a0, a1, a2
    bexti       a0, a1, 0
    binv        a0, a1, a2
    binvi       a0, a1, 32
    bset        a0, a1, a2
    bseti       a0, a1, 5

/* ---- Zicond (newer than binutils 2.40: see the test's exception list) ---- */
    .insn r OP, 5, 7, a0, a1, a2     /* czero.eqz a0,a1,a2 */
    .insn r OP, 7, 7, a0, a1, a2     /* czero.nez a0,a1,a2 */
    .insn r OP, 5, 7, zero, zero, t6 /* czero.eqz zero,zero,t6 */

/* ---- Zicbom / Zicboz / Zicbop ---- */
    cbo.clean   (a0)
    cbo.flush   (sp)
    cbo.inval   (t6)
    cbo.zero    (zero)
    prefetch.i  0(a0)
    prefetch.r  32(a1)
    prefetch.w  -32(sp)
    prefetch.r  2016(a1)
    prefetch.w  -2048(a1)
    .insn 4, 0x0035200f         /* cbo funct 3: not defined */
    .insn 4, 0x0015200f | (1 << 7)   /* cbo.clean with rd != 0 */

/* ---- shift-amount and funct7 edges, RV64 ---- */
    .insn 4, 0x04059513         /* slli, imm[11:6]=1: illegal */
    .insn 4, 0x0205951b         /* slliw with shamt[5]=1: illegal */
    .insn 4, 0x4205d51b         /* sraiw with shamt[5]=1: illegal */
    .insn 4, 0x42c58533         /* add with funct7=0x21: illegal */

/* ---- C: every RV64C instruction (objdump prints the expanded form) ---- */
    .option rvc
    c.addi4spn  a0, sp, 4
    c.addi4spn  s0, sp, 1020
    c.fld       fa0, 0(a1)
    c.fld       fs0, 248(a5)
    c.lw        a0, 0(a1)
    c.lw        a5, 124(s0)
    c.ld        a0, 8(a1)
    c.ld        s1, 248(a5)
    c.fsd       fa0, 16(a1)
    c.sw        a0, 4(a1)
    c.sd        a0, 248(a1)
    c.nop
    c.addi      a0, 1
    c.addi      a0, -32
    c.addi      sp, 31
    c.addiw     a0, 0
    c.addiw     a0, -1
    c.addiw     t6, 31
    c.li        a0, 0
    c.li        a0, -32
    c.li        ra, 31
    c.addi16sp  sp, 16
    c.addi16sp  sp, -512
    c.addi16sp  sp, 496
    c.lui       a0, 1
    c.lui       a0, 0xfffff
    c.lui       t6, 0x1f
    c.lui       ra, 0xfffe0
    c.srli      a0, 1
    c.srli      a5, 63
    c.srai      a0, 32
    c.andi      a0, 0
    c.andi      a0, -1
    c.andi      s1, 31
    c.sub       a0, a1
    c.xor       a0, a1
    c.or        a0, a1
    c.and       a0, a1
    c.subw      a0, a1
    c.addw      s0, a5
    c.j         . + 2
    c.j         . - 2048
    c.j         . + 2046
    c.beqz      a0, . + 8
    c.beqz      s0, . - 256
    c.bnez      a5, . + 254
    c.slli      a0, 1
    c.slli      t6, 63
    c.slli      ra, 32
    c.fldsp     fa0, 0(sp)
    c.fldsp     ft0, 504(sp)
    c.lwsp      a0, 252(sp)
    c.ldsp      a0, 8(sp)
    c.ldsp      ra, 504(sp)
    c.jr        ra
    c.jr        a0
    c.mv        a0, a1
    c.ebreak
    c.jalr      a0
    c.jalr      ra
    c.add       a0, a1
    c.add       sp, t6
    c.fsdsp     fa0, 504(sp)
    c.swsp      a0, 252(sp)
    c.sdsp      ra, 0(sp)
    c.sdsp      t6, 504(sp)
/* compressed hints: legal, executed as no-ops */
    .insn 2, 0x0005             /* c.nop with imm != 0 */
    .insn 2, 0x0501             /* c.addi a0,0 */
    .insn 2, 0x4005             /* c.li zero,1 */
    .insn 2, 0x6005             /* c.lui zero,1 */
    .insn 2, 0x802e             /* c.mv zero,a1 */
    .insn 2, 0x902e             /* c.add zero,a1 */
    .insn 2, 0x0006             /* c.slli zero,1 */
    .insn 2, 0x0502             /* c.slli a0,0 (c.slli64) */
    .insn 2, 0x8101             /* c.srli s0,0 (c.srli64) */
    .insn 2, 0x8501             /* c.srai s0,0 (c.srai64) */
/* compressed reserved and illegal encodings */
    .insn 2, 0x0000             /* all zero: defined illegal */
    .insn 2, 0x0004             /* c.addi4spn imm=0 */
    .insn 2, 0x6101             /* c.addi16sp imm=0 */
    .insn 2, 0x6501             /* c.lui a0,0 */
    .insn 2, 0x2001             /* c.addiw zero: reserved */
    .insn 2, 0x4002             /* c.lwsp zero: reserved */
    .insn 2, 0x6002             /* c.ldsp zero: reserved */
    .insn 2, 0x8002             /* c.jr zero: reserved */
    .insn 2, 0x9c41             /* c.subw funct 10, reserved */
    .insn 2, 0x9c61             /* c.subw funct 11, reserved */
    .insn 2, 0x8000             /* funct3=100 quadrant 0: reserved */
    .insn 2, 0x9002             /* c.ebreak */
    .insn 2, 0x1002             /* c.slli zero,32 (hint) */
    .insn 2, 0x9001             /* c.srli s0,32 */
    .option norvc

/* ---- lengths beyond 32 bits (not decoded, only measured) ---- */
    .insn 6, 0x12345678001f
    .insn 8, 0x123456780000003f
    .insn 10, 0x7f
    .insn 12, 0x107f
    .insn 2, 0x707f             /* reserved >= 192-bit prefix: 2 bytes */
