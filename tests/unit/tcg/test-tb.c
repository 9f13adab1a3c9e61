/* The code cache: concurrent lookup and insertion, chaining and
 * unchaining, invalidation of exactly the blocks of a range, blocks that
 * cross pages, and the full flush. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "toy.h"
#include "util/rcu.h"

#define I TOY_INSN

static ToyCPU *cpu;

static TranslationBlock *get_tb(ToyCPU *c, uint64_t pc, unsigned max_insns)
{
    TranslationBlock *tb = tb_lookup(&c->parent, pc, 0, c->env.priv);

    if (!tb) {
        tb = tb_gen_code(&c->parent, pc, 0, c->env.priv, max_insns);
    }
    CHECK(tb && tb->pc == pc);
    return tb;
}

static void fill_addi(uint64_t base, unsigned n)
{
    uint32_t *code = malloc(4 * n);

    for (unsigned i = 0; i < n; i++) {
        code[i] = I(TOY_ADDI, 1, 1, 1);
    }
    toy_load(base, code, n);
    free(code);
}

/* ---- several threads translate and look up the same pcs */

#define NB_PCS 1024
#define AREA (TOY_RAM_BASE + 0x100000)

static TranslationBlock *seen[NB_PCS];

static void *lookup_thread(void *arg)
{
    ToyCPU *c = toy_cpu_new();
    uint64_t r = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;

    weft_rcu_register_thread();
    for (int i = 0; i < 20000; i++) {
        unsigned k;
        TranslationBlock *tb, *prev;

        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        k = r % NB_PCS;
        tb = get_tb(c, AREA + 4 * k, 4);
        prev = atomic_cmpxchg(&seen[k], NULL, tb);
        /* one key, one block, whoever translated it */
        CHECK(prev == NULL || prev == tb);
        CHECK(!tb_is_invalid(tb));
    }
    weft_rcu_unregister_thread();
    toy_cpu_free(c);
    return NULL;
}

static void test_concurrent_lookup_insert(void)
{
    enum { N = 4 };
    pthread_t th[N];
    unsigned long translations = atomic_read(&tcg_stats.translations);
    unsigned distinct = 0;

    tb_flush_exclusive();
    fill_addi(AREA, NB_PCS + 8);
    for (uintptr_t i = 0; i < N; i++) {
        CHECK(!pthread_create(&th[i], NULL, lookup_thread, (void *)i));
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
    }
    for (int k = 0; k < NB_PCS; k++) {
        distinct += seen[k] != NULL;
    }
    CHECK_EQ(tb_count(), distinct);
    CHECK_EQ(atomic_read(&tcg_stats.translations) - translations, distinct);
    CHECK(distinct > NB_PCS * 9 / 10);
}

/* ---- chaining */

static void test_chain_unchain(void)
{
    uint64_t a = TOY_RAM_BASE + 0x1000, b = a + 8;
    const uint32_t prog[] = {
        I(TOY_ADDI, 1, 1, 1), I(TOY_JMP, 0, 0, 1),      /* a */
        I(TOY_ADDI, 2, 2, 1), I(TOY_HALT, 0, 0, 0),     /* b */
    };
    TranslationBlock *ta, *tb;
    unsigned long execs;

    tb_flush_exclusive();
    toy_load(a, prog, ARRAY_SIZE(prog));
    cpu->env.pc = a;
    CHECK_EQ(toy_run(cpu), CPU_EXEC_STOP);
    ta = get_tb(cpu, a, 0);
    tb = get_tb(cpu, b, 0);
    CHECK(ta->jmp_dest[0] == (uintptr_t)tb);
    CHECK(tb->jmp_list_head == ((uintptr_t)ta | 0));

    /* chained: one entry from the loop runs both blocks */
    cpu->env.pc = a;
    execs = cpu->env.tcg.tb_execs;
    CHECK_EQ(toy_run(cpu), CPU_EXEC_STOP);
    CHECK_EQ(cpu->env.tcg.tb_execs - execs, 1);
    CHECK_EQ(cpu->env.regs[2], 2);

    /* new code at b: b is invalidated and a's jump cut */
    toy_load(b, (uint32_t[]){ I(TOY_ADDI, 2, 2, 10) }, 1);
    CHECK(tb_is_invalid(tb));
    CHECK(!tb_is_invalid(ta));
    CHECK_EQ(ta->jmp_dest[0], 0);
    CHECK_EQ(tb->jmp_list_head, 0);
    cpu->env.pc = a;
    CHECK_EQ(toy_run(cpu), CPU_EXEC_STOP);
    CHECK_EQ(cpu->env.regs[2], 12);     /* the new b ran */
    CHECK(ta->jmp_dest[0] == (uintptr_t)get_tb(cpu, b, 0));

    /* invalidating the source cuts its outgoing jump too */
    tb = get_tb(cpu, b, 0);
    toy_load(a, (uint32_t[]){ I(TOY_ADDI, 1, 1, 1) }, 1);
    CHECK(tb_is_invalid(ta));
    CHECK_EQ(tb->jmp_list_head, 0);
}

/* ---- invalidation by range */

static void test_invalidate_exact(void)
{
    uint64_t p1 = TOY_RAM_BASE + 0x20000, p2 = p1 + TCG_PAGE_SIZE;
    TranslationBlock *t1[4], *t2[2], *cross;

    tb_flush_exclusive();
    fill_addi(p1, 3 * TCG_PAGE_SIZE / 4);
    for (int i = 0; i < 4; i++) {
        t1[i] = get_tb(cpu, p1 + 0x100 * i, 4);       /* 16 bytes each */
    }
    t2[0] = get_tb(cpu, p2, 4);
    t2[1] = get_tb(cpu, p2 + 0x100, 4);
    /* a misaligned pc: its first insn straddles into p2 */
    cross = get_tb(cpu, p2 - 2, 4);
    CHECK_EQ(cross->page_addr[0], p1);
    CHECK_EQ(cross->page_addr[1], p2);
    CHECK(tb_page_has_code(p1) && tb_page_has_code(p2));

    /* one byte inside t1[1] */
    tb_invalidate_phys_range(p1 + 0x10c, p1 + 0x10d);
    CHECK(tb_is_invalid(t1[1]));
    CHECK(!tb_is_invalid(t1[0]) && !tb_is_invalid(t1[2]));
    CHECK(!tb_is_invalid(cross));
    /* the byte just after t1[2] */
    tb_invalidate_phys_range(p1 + 0x210, p1 + 0x211);
    CHECK(!tb_is_invalid(t1[2]));

    /* the first bytes of p2: the crossing block and t2[0] only */
    tb_invalidate_phys_range(p2, p2 + 4);
    CHECK(tb_is_invalid(cross) && tb_is_invalid(t2[0]));
    CHECK(!tb_is_invalid(t2[1]) && !tb_is_invalid(t1[0]));

    /* all of p1: its blocks go, p2's stay and are still found */
    tb_invalidate_phys_range(p1, p1 + TCG_PAGE_SIZE);
    for (int i = 0; i < 4; i++) {
        CHECK(tb_is_invalid(t1[i]));
    }
    CHECK(!tb_page_has_code(p1));
    CHECK(tb_page_has_code(p2));
    CHECK(!tb_is_invalid(t2[1]));
    CHECK(tb_lookup(&cpu->parent, p2 + 0x100, 0, 0) == t2[1]);
    CHECK(tb_lookup(&cpu->parent, p1, 0, 0) == NULL);
    CHECK(get_tb(cpu, p1, 4) != t1[0]);                /* retranslated */
}

/* The same virtual pc under different flags gives different blocks; a
 * block whose second page maps elsewhere is not reused. */
static void test_keys(void)
{
    uint64_t p = TOY_RAM_BASE + 0x30000, v = 0x40000000ull;
    TranslationBlock *k0, *k1, *x, *y;

    tb_flush_exclusive();
    fill_addi(p, 4 * TCG_PAGE_SIZE / 4);
    k0 = get_tb(cpu, p, 4);
    cpu->env.priv = 2;
    k1 = get_tb(cpu, p, 4);
    cpu->env.priv = 0;
    CHECK(k0 != k1);
    CHECK(tb_lookup(&cpu->parent, p, 0, 0) == k0);

    /* v, v+1 pages map to p, p+1; a block straddles into v+1 */
    toy_mmu_reset();
    toy_map_page(v, p);
    toy_map_page(v + TCG_PAGE_SIZE, p + TCG_PAGE_SIZE);
    tlb_flush(&cpu->parent);
    x = get_tb(cpu, v + TCG_PAGE_SIZE - 2, 4);
    CHECK_EQ(x->page_addr[1], p + TCG_PAGE_SIZE);
    /* remap the second page: same key, different code */
    toy_map_page(v + TCG_PAGE_SIZE, p + 2 * TCG_PAGE_SIZE);
    tlb_flush(&cpu->parent);
    y = get_tb(cpu, v + TCG_PAGE_SIZE - 2, 4);
    CHECK(y != x);
    CHECK_EQ(y->page_addr[1], p + 2 * TCG_PAGE_SIZE);
    toy_mmu_reset();
    tlb_flush(&cpu->parent);
}

static void test_full_flush(void)
{
    uint64_t base = TOY_RAM_BASE + 0x40000;
    unsigned gen = tb_flush_count();
    TranslationBlock *t;

    fill_addi(base, 64);
    for (int i = 0; i < 16; i++) {
        get_tb(cpu, base + 4 * i, 2);
    }
    CHECK(tb_count() >= 16);
    CHECK(tb_page_has_code(base));
    tb_flush(NULL);                 /* start_exclusive, no vCPU running */
    CHECK_EQ(tb_flush_count(), gen + 1);
    CHECK_EQ(tb_count(), 0);
    CHECK_EQ(tb_code_used(), 0);
    CHECK(!tb_page_has_code(base));
    CHECK(tb_lookup(&cpu->parent, base, 0, 0) == NULL);
    t = get_tb(cpu, base, 2);
    CHECK(!tb_is_invalid(t));
    CHECK_EQ(tb_count(), 1);
}

int main(void)
{
    toy_init(0);
    weft_rcu_register_thread();
    cpu = toy_cpu_new();
    RUN(test_concurrent_lookup_insert);
    RUN(test_chain_unchain);
    RUN(test_invalidate_exact);
    RUN(test_keys);
    RUN(test_full_flush);
    toy_cpu_free(cpu);
    weft_rcu_unregister_thread();
    return 0;
}
