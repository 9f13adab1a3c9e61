/* The IR opcode table, expanded with DEF(name, outputs, inputs, constant
 * arguments, flags) wherever a per-opcode list is needed.  No include
 * guard: include it after defining DEF.
 *
 * Semantics (tcg/semantics.h has the reference definitions):
 *  - every value is 64 bits; the "32" ops compute on the low 32 bits of
 *    their inputs and sign-extend the 32-bit result (RV64's *w ops);
 *  - shift and rotate counts are taken modulo the width (63 or 31);
 *  - division follows RISC-V: x/0 = -1, x%0 = x, INT_MIN/-1 = INT_MIN,
 *    INT_MIN%-1 = 0, no trap;
 *  - clz/ctz of 0 give the width (64, or 32 for the 32 forms);
 *  - bswap16/32 swap the low 2/4 bytes and zero-extend.
 */
/* control and bookkeeping */
DEF(nop,         0, 0, 0, 0)
DEF(insn_start,  0, 0, 2, OPF_SIDE_EFFECTS)      /* guest pc, extra word */
DEF(discard,     1, 0, 0, 0)                     /* temp is dead from here */
DEF(set_label,   0, 0, 1, OPF_BB_END | OPF_SIDE_EFFECTS)
DEF(br,          0, 0, 1, OPF_BB_END | OPF_SIDE_EFFECTS | OPF_NORETURN)
DEF(brcond,      0, 2, 2, OPF_BB_END | OPF_SIDE_EFFECTS) /* cond, label */
DEF(goto_tb,     0, 0, 1, OPF_SIDE_EFFECTS)      /* slot n */
DEF(exit_tb,     0, 0, 1, OPF_BB_END | OPF_SIDE_EFFECTS | OPF_NORETURN)
DEF(goto_ptr,    0, 0, 0, OPF_BB_END | OPF_SIDE_EFFECTS | OPF_NORETURN)
DEF(call,        1, 6, 1, OPF_SIDE_EFFECTS | OPF_CALL) /* see TCGHelperInfo */

DEF(mov,         1, 1, 0, 0)
DEF(setcond,     1, 2, 1, 0)                     /* cond */
DEF(movcond,     1, 4, 1, 0)   /* d = cond(c1, c2) ? v1 : v2; cond */

/* binary, 64-bit */
DEF(add,         1, 2, 0, OPF_BINARY | OPF_COMMUTATIVE)
DEF(sub,         1, 2, 0, OPF_BINARY)
DEF(and,         1, 2, 0, OPF_BINARY | OPF_COMMUTATIVE)
DEF(or,          1, 2, 0, OPF_BINARY | OPF_COMMUTATIVE)
DEF(xor,         1, 2, 0, OPF_BINARY | OPF_COMMUTATIVE)
DEF(andc,        1, 2, 0, OPF_BINARY)
DEF(orc,         1, 2, 0, OPF_BINARY)
DEF(eqv,         1, 2, 0, OPF_BINARY | OPF_COMMUTATIVE)
DEF(shl,         1, 2, 0, OPF_BINARY)
DEF(shr,         1, 2, 0, OPF_BINARY)
DEF(sar,         1, 2, 0, OPF_BINARY)
DEF(rotl,        1, 2, 0, OPF_BINARY)
DEF(rotr,        1, 2, 0, OPF_BINARY)
DEF(mul,         1, 2, 0, OPF_BINARY | OPF_COMMUTATIVE)
DEF(mulsh,       1, 2, 0, OPF_BINARY | OPF_COMMUTATIVE)
DEF(muluh,       1, 2, 0, OPF_BINARY | OPF_COMMUTATIVE)
DEF(mulsuh,      1, 2, 0, OPF_BINARY)
DEF(div,         1, 2, 0, OPF_BINARY)
DEF(divu,        1, 2, 0, OPF_BINARY)
DEF(rem,         1, 2, 0, OPF_BINARY)
DEF(remu,        1, 2, 0, OPF_BINARY)
DEF(min,         1, 2, 0, OPF_BINARY | OPF_COMMUTATIVE)
DEF(minu,        1, 2, 0, OPF_BINARY | OPF_COMMUTATIVE)
DEF(max,         1, 2, 0, OPF_BINARY | OPF_COMMUTATIVE)
DEF(maxu,        1, 2, 0, OPF_BINARY | OPF_COMMUTATIVE)

/* binary, 32-bit, result sign-extended */
DEF(add32,       1, 2, 0, OPF_BINARY | OPF_COMMUTATIVE)
DEF(sub32,       1, 2, 0, OPF_BINARY)
DEF(mul32,       1, 2, 0, OPF_BINARY | OPF_COMMUTATIVE)
DEF(shl32,       1, 2, 0, OPF_BINARY)
DEF(shr32,       1, 2, 0, OPF_BINARY)
DEF(sar32,       1, 2, 0, OPF_BINARY)
DEF(rotl32,      1, 2, 0, OPF_BINARY)
DEF(rotr32,      1, 2, 0, OPF_BINARY)
DEF(div32,       1, 2, 0, OPF_BINARY)
DEF(divu32,      1, 2, 0, OPF_BINARY)
DEF(rem32,       1, 2, 0, OPF_BINARY)
DEF(remu32,      1, 2, 0, OPF_BINARY)

/* unary */
DEF(not,         1, 1, 0, OPF_UNARY)
DEF(neg,         1, 1, 0, OPF_UNARY)
DEF(ext8s,       1, 1, 0, OPF_UNARY)
DEF(ext16s,      1, 1, 0, OPF_UNARY)
DEF(ext32s,      1, 1, 0, OPF_UNARY)
DEF(ext8u,       1, 1, 0, OPF_UNARY)
DEF(ext16u,      1, 1, 0, OPF_UNARY)
DEF(ext32u,      1, 1, 0, OPF_UNARY)
DEF(bswap16,     1, 1, 0, OPF_UNARY)
DEF(bswap32,     1, 1, 0, OPF_UNARY)
DEF(bswap64,     1, 1, 0, OPF_UNARY)
DEF(clz,         1, 1, 0, OPF_UNARY)
DEF(ctz,         1, 1, 0, OPF_UNARY)
DEF(ctpop,       1, 1, 0, OPF_UNARY)
DEF(clz32,       1, 1, 0, OPF_UNARY)
DEF(ctz32,       1, 1, 0, OPF_UNARY)
DEF(ctpop32,     1, 1, 0, OPF_UNARY)

/* CPU-state fields: env + offset */
DEF(ld8u,        1, 0, 1, OPF_ENV_LOAD)
DEF(ld8s,        1, 0, 1, OPF_ENV_LOAD)
DEF(ld16u,       1, 0, 1, OPF_ENV_LOAD)
DEF(ld16s,       1, 0, 1, OPF_ENV_LOAD)
DEF(ld32u,       1, 0, 1, OPF_ENV_LOAD)
DEF(ld32s,       1, 0, 1, OPF_ENV_LOAD)
DEF(ld64,        1, 0, 1, OPF_ENV_LOAD)
DEF(st8,         0, 1, 1, OPF_SIDE_EFFECTS)
DEF(st16,        0, 1, 1, OPF_SIDE_EFFECTS)
DEF(st32,        0, 1, 1, OPF_SIDE_EFFECTS)
DEF(st64,        0, 1, 1, OPF_SIDE_EFFECTS)

/* guest memory through the softmmu: memop, mmu index */
DEF(qemu_ld,     1, 1, 2, OPF_SIDE_EFFECTS | OPF_MAY_FAULT)
DEF(qemu_st,     0, 2, 2, OPF_SIDE_EFFECTS | OPF_MAY_FAULT) /* val, addr */
