/* Names of the standard RISC-V CSRs, for the disassembler and for
 * anything else that prints a CSR (traces, the gdbstub). */
#ifndef CPU_RISCV_CSR_NAMES_H
#define CPU_RISCV_CSR_NAMES_H

#include <stddef.h>

/* Longest name plus its NUL ("mhpmcounter31h"). */
#define RISCV_CSR_NAME_MAX 16

/*
 * The assembler name of CSR 'csr' (0..4095), or NULL if the privileged
 * spec 1.12 and the ratified extensions binutils 2.40 knows give it
 * none.  Numbered families (pmpaddr12, hpmcounter7h) are written into
 * 'buf'; fixed names come back as static strings.
 */
const char *riscv_csr_name(unsigned csr, char buf[RISCV_CSR_NAME_MAX]);

#endif
