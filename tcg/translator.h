/* The generic translation loop that front ends plug into.
 *
 * A front end embeds DisasContextBase first in its own context, and
 * provides TranslatorOps.  translator_loop() calls init_disas_context,
 * tb_start, then for each instruction insn_start (which must emit
 * tcg_gen_insn_start) and translate_insn (which decodes at pc_next,
 * advances it and emits IR), and finally tb_stop (which ends the block
 * with goto_tb/exit_tb/goto_ptr according to is_jmp).
 *
 * The loop ends an instruction early when is_jmp != DISAS_NEXT; it stops
 * by itself (is_jmp = DISAS_TOO_MANY, tb_stop must then jump to pc_next)
 * when max_insns is reached, the op buffer is nearly full, or pc_next
 * leaves the first page (blocks span at most two pages: one instruction
 * may cross).
 *
 * Code must be read with translator_ld*(), which records the pages the
 * block depends on.  If a code fetch raises (the second page is not
 * mapped), the instruction is dropped and the block ends before it; the
 * next block starts with it and the fetch then raises for real.
 */
#ifndef TCG_TRANSLATOR_H
#define TCG_TRANSLATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "tcg/tb.h"

typedef enum DisasJumpType {
    DISAS_NEXT,         /* carry on */
    DISAS_TOO_MANY,     /* the loop stopped: continue at pc_next */
    DISAS_NORETURN,     /* the insn ended the block itself (exception) */
    DISAS_TARGET_0,     /* first value free for the front end */
} DisasJumpType;

typedef struct DisasContextBase {
    TranslationBlock *tb;
    uint64_t pc_first;
    uint64_t pc_next;
    DisasJumpType is_jmp;
    int num_insns;
    int max_insns;
    bool fetch_fault;       /* a code fetch raised in this insn */
    uint64_t page_first;    /* virtual page of pc_first */
} DisasContextBase;

typedef struct TranslatorOps {
    void (*init_disas_context)(DisasContextBase *db, CPUState *cpu);
    void (*tb_start)(DisasContextBase *db, CPUState *cpu);
    void (*insn_start)(DisasContextBase *db, CPUState *cpu);
    void (*translate_insn)(DisasContextBase *db, CPUState *cpu);
    void (*tb_stop)(DisasContextBase *db, CPUState *cpu);
} TranslatorOps;

void translator_loop(CPUState *cpu, TranslationBlock *tb, int max_insns,
                     const TranslatorOps *ops, DisasContextBase *db);

/* Code loads at pc (little-endian).  On a fault they return 0 and set
 * db->fetch_fault; the loop then drops the instruction. */
uint8_t translator_ldub(CPUState *cpu, DisasContextBase *db, uint64_t pc);
uint16_t translator_lduw(CPUState *cpu, DisasContextBase *db, uint64_t pc);
uint32_t translator_ldl(CPUState *cpu, DisasContextBase *db, uint64_t pc);
uint64_t translator_ldq(CPUState *cpu, DisasContextBase *db, uint64_t pc);

/* The TB being translated, for front ends that want it. */
static inline TranslationBlock *translator_tb(DisasContextBase *db)
{
    return db->tb;
}

#endif
