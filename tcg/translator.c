/* The generic translation loop and code loads (see tcg/translator.h). */
#include "tcg/translator.h"
#include "tcg/softmmu.h"

/* Records the second page when the code at [pc, pc + size) reaches past
 * the first one.  False if that page is not mapped (exception raised).
 * The probe, and so the fault address, is the first byte of the code on
 * the second page: what RISC-V's xtval and x86's CR2 report for an
 * instruction whose second part faults. */
static bool translator_note_page(CPUState *cpu, DisasContextBase *db,
                                 uint64_t pc, unsigned size)
{
    uint64_t last = pc + size - 1, paddr;
    uint64_t probe;

    if ((last & TCG_PAGE_MASK) == db->page_first &&
        (pc & TCG_PAGE_MASK) == db->page_first) {
        return true;
    }
    probe = (pc & TCG_PAGE_MASK) == db->page_first ? last & TCG_PAGE_MASK
                                                   : pc;
    paddr = get_page_addr_code(cpu, probe);
    if (paddr == UINT64_MAX) {
        return false;
    }
    if (db->tb->page_addr[1] == UINT64_MAX) {
        db->tb->page_addr[1] = paddr & TCG_PAGE_MASK;
        db->tb->page_seq[1] = tb_mark_code_page(paddr);
    }
    return true;
}

static uint64_t translator_ld(CPUState *cpu, DisasContextBase *db,
                              uint64_t pc, unsigned size)
{
    uint64_t val;

    if (db->fetch_fault) {
        return 0;
    }
    if (!translator_note_page(cpu, db, pc, size) ||
        !tcg_code_ld(cpu, pc, size, &val)) {
        db->fetch_fault = true;
        return 0;
    }
    return val;
}

uint8_t translator_ldub(CPUState *cpu, DisasContextBase *db, uint64_t pc)
{
    return (uint8_t)translator_ld(cpu, db, pc, 1);
}

uint16_t translator_lduw(CPUState *cpu, DisasContextBase *db, uint64_t pc)
{
    return (uint16_t)translator_ld(cpu, db, pc, 2);
}

uint32_t translator_ldl(CPUState *cpu, DisasContextBase *db, uint64_t pc)
{
    return (uint32_t)translator_ld(cpu, db, pc, 4);
}

uint64_t translator_ldq(CPUState *cpu, DisasContextBase *db, uint64_t pc)
{
    return translator_ld(cpu, db, pc, 8);
}

/* Drops the instruction whose fetch faulted: its ops are cut off and the
 * pending exception is forgotten; it will raise again when it starts a
 * block of its own.  Returns false if it was the first one. */
static bool translator_drop_insn(CPUState *cpu, DisasContextBase *db,
                                 uint32_t op_mark, uint64_t pc)
{
    tcg_ctx->nb_ops = op_mark;
    db->num_insns--;
    db->pc_next = pc;
    if (db->num_insns == 0) {
        return false;       /* keep the exception: the loop delivers it */
    }
    tcg_cpu_state(cpu)->exception_index = EXCP_NONE;
    db->is_jmp = DISAS_TOO_MANY;
    return true;
}

void translator_loop(CPUState *cpu, TranslationBlock *tb, int max_insns,
                     const TranslatorOps *ops, DisasContextBase *db)
{
    db->tb = tb;
    db->pc_first = db->pc_next = tb->pc;
    db->is_jmp = DISAS_NEXT;
    db->num_insns = 0;
    db->max_insns = max_insns;
    db->fetch_fault = false;
    db->page_first = tb->pc & TCG_PAGE_MASK;

    ops->init_disas_context(db, cpu);
    ops->tb_start(db, cpu);
    for (;;) {
        uint32_t op_mark = tcg_ctx->nb_ops;
        uint64_t pc = db->pc_next;

        db->num_insns++;
        ops->insn_start(db, cpu);
        ops->translate_insn(db, cpu);
        if (db->fetch_fault) {
            if (!translator_drop_insn(cpu, db, op_mark, pc)) {
                tb->icount = 0;
                return;
            }
            break;
        }
        if (db->is_jmp != DISAS_NEXT) {
            break;
        }
        if (db->num_insns >= db->max_insns || tcg_op_buf_full() ||
            (db->pc_next & TCG_PAGE_MASK) != db->page_first) {
            db->is_jmp = DISAS_TOO_MANY;
            break;
        }
    }
    ops->tb_stop(db, cpu);
    tb->size = (uint32_t)(db->pc_next - db->pc_first);
    tb->icount = (uint32_t)db->num_insns;
}
