/*
 * RISC-V disassembler: GNU objdump-compatible text ("addi" written the
 * way objdump -d prints it, ABI register names, CSR names, branch
 * targets as absolute hex addresses without a symbol), one instruction
 * at a time and without state.
 *
 * Differences from objdump 2.40's default output, by design:
 *  - no "<symbol>" after targets and no "# address" comments (objdump
 *    derives those from symbols and from earlier lui/auipc);
 *  - newer instructions it does not know are named (czero.eqz, ...), and
 *    widening conversions with an rm other than rne print it
 *    ("fcvt.d.w fa0,a0,rtz") where objdump 2.40 prints ".4byte";
 *  - reserved encodings objdump 2.40 accepts (c.addi16sp with a zero
 *    immediate) print as data.
 * tests/unit/riscv/ checks everything else against objdump itself.
 */
#ifndef CPU_RISCV_DISAS_H
#define CPU_RISCV_DISAS_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/riscv/decode.h"

/*
 * Disassembles the instruction at 'bytes' (guest memory image, little
 * endian) located at 'pc', reading at most 'avail' bytes, into 'out'
 * (always NUL-terminated when outsz > 0; truncated if too small).  An
 * encoding that is not an instruction prints as objdump prints data
 * (".2byte 0x...", ".4byte 0x...", ".byte 0x.., ..."), and so do the
 * bytes left when 'avail' is shorter than the instruction.  Returns the
 * number of bytes consumed: the instruction length, or 'avail' if
 * shorter; 0 only when avail is 0.  Decodes for riscv_isa_disas.
 */
size_t riscv_disas(uint64_t pc, const uint8_t *bytes, size_t avail,
                   char *out, size_t outsz);

/* The same for a given ISA (RV32, or a guest without some extension). */
size_t riscv_disas_isa(const struct riscv_isa *isa, uint64_t pc,
                       const uint8_t *bytes, size_t avail,
                       char *out, size_t outsz);

/* Prints an instruction already decoded for 'isa' (the translator's
 * "-d in_asm" log uses the struct it translated from).  The struct holds
 * at most 4 bytes, so an encoding longer than that prints as the first
 * four bytes and ", ..."; riscv_disas() prints all of them. */
void riscv_disas_insn(const struct riscv_insn *insn,
                      const struct riscv_isa *isa, uint64_t pc,
                      char *out, size_t outsz);

#endif
