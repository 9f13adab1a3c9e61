/*
 * Runs bare-metal RISC-V programs on one hart, directly on the tcg core
 * (no board, no vCPU thread): flat RAM at RAM_BASE backed by a host
 * buffer, and one I/O page whose first word is "tohost": a program
 * writes 1 there when it passed, or (n << 1) | 1 when its check n
 * failed (riscv-tests convention).  The next word sets an irq line
 * (value: irq | level << 8), the one after prints a character.  A hart
 * that halts in wfi with nothing pending gets MSIP raised.
 *
 * Usage: test-riscv-exec prog.bin...   (raw images loaded at RAM_BASE)
 * Without arguments (no cross compiler at build time) the test skips.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpu/riscv/decode.h"
#include "cpu/riscv/disas.h"
#include "cpu/riscv/riscv-cpu.h"
#include "tcg/tb.h"
#include "test.h"
#include "util/log.h"
#include "util/rcu.h"

#define RAM_BASE    0x80000000ull
#define RAM_SIZE    (16u << 20)
#define TOHOST      0x10000000ull
#define TIMEOUT_S   20

static uint8_t *ram;
static uint64_t tohost;             /* 0 until the program reports */
/* Harts the watchdog kicks (atomic pointers), and its stop flag. */
static RISCVCPU *running;
#define SMP_MAX 8
static RISCVCPU *smp_harts[SMP_MAX];
static bool stop_watchdog;
/* Held by the watchdog while it kicks: unpublishing a hart under it
 * makes sure the watchdog no longer touches it when it is freed. */
static pthread_mutex_t watchdog_lock = PTHREAD_MUTEX_INITIALIZER;

static void publish(RISCVCPU **slot, RISCVCPU *cpu)
{
    pthread_mutex_lock(&watchdog_lock);
    atomic_store_release(slot, cpu);
    pthread_mutex_unlock(&watchdog_lock);
}

static void *phys_to_host(CPUState *cs, uint64_t paddr, bool *writable)
{
    *writable = true;
    if (paddr >= RAM_BASE && paddr - RAM_BASE < RAM_SIZE) {
        return ram + (paddr - RAM_BASE);
    }
    return NULL;
}

static bool io_read(CPUState *cs, uint64_t paddr, unsigned size,
                    uint64_t *val)
{
    *val = 0;
    return (paddr & TCG_PAGE_MASK) == TOHOST;
}

static bool io_write(CPUState *cs, uint64_t paddr, unsigned size,
                     uint64_t val)
{
    if ((paddr & TCG_PAGE_MASK) != TOHOST) {
        return false;
    }
    if (paddr == TOHOST && val) {
        atomic_set(&tohost, val);
        cpu_exit(cs);
    } else if (paddr == TOHOST + 8) {
        riscv_cpu_set_irq(running, val & 0xff, (val >> 8) & 1);
    } else if (paddr == TOHOST + 16) {
        putchar((int)val);          /* debug console */
    }
    return true;
}

static const TCGMemoryOps mem_ops = {
    .phys_to_host = phys_to_host,
    .io_read = io_read,
    .io_write = io_write,
};

/* Makes the hart leave guest code regularly so a looping program times
 * out instead of hanging the test. */
static void *watchdog(void *arg)
{
    while (!atomic_load_acquire(&stop_watchdog)) {
        RISCVCPU *cpu;

        pthread_mutex_lock(&watchdog_lock);
        cpu = atomic_load_acquire(&running);
        if (cpu) {
            cpu_exit(&cpu->parent);
        }
        for (int i = 0; i < SMP_MAX; i++) {
            cpu = atomic_load_acquire(&smp_harts[i]);
            if (cpu) {
                cpu_exit(&cpu->parent);
            }
        }
        pthread_mutex_unlock(&watchdog_lock);
        usleep(20000);
    }
    return NULL;
}

static void dump(RISCVCPU *cpu)
{
    CPURISCVState *env = &cpu->env;

    fprintf(stderr, "pc %016" PRIx64 " priv %" PRIu64 " mcause %" PRIx64
            " mepc %" PRIx64 " mtval %" PRIx64 "\n", env->pc, env->priv,
            env->mcause, env->mepc, env->mtval);
    for (int i = 0; i < 32; i++) {
        fprintf(stderr, "x%-2d %016" PRIx64 "%s", i, env->x[i],
                i % 4 == 3 ? "\n" : "  ");
    }
}

static bool load(const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return false;
    }
    memset(ram, 0, RAM_SIZE);
    n = fread(ram, 1, RAM_SIZE, f);
    fclose(f);
    tb_invalidate_phys_range(RAM_BASE, RAM_BASE + RAM_SIZE);
    return n > 0;
}

/* Runs the program in RAM; true if it reported a pass. */
static bool run_loaded(const char *path)
{
    RISCVCPU *cpu;
    time_t start = time(NULL);
    int r = CPU_EXEC_EXIT;

    cpu = riscv_cpu_new(0, RAM_BASE, 0, NULL, NULL, NULL);
    CHECK(cpu);
    tcg_cpu_init(&cpu->parent);
    tohost = 0;
    publish(&running, cpu);
    while (!atomic_read(&tohost) && time(NULL) - start < TIMEOUT_S) {
        r = tcg_cpu_exec(&cpu->parent);
        atomic_set(&cpu->parent.exit_request, 0);
        if (r == CPU_EXEC_HALTED) {
            /* what the vCPU loop does: sleep until has_work; the
             * "device" here wakes it with a software interrupt */
            if (!riscv_cpu_accel_has_work(&cpu->parent)) {
                riscv_cpu_set_irq(cpu, RISCV_IRQ_M_SOFT, true);
            }
            CHECK(riscv_cpu_accel_has_work(&cpu->parent));
            continue;
        }
        if (r != CPU_EXEC_EXIT) {
            break;
        }
    }
    publish(&running, NULL);
    if (tohost != 1) {
        fprintf(stderr, "%s: %s (tohost %#" PRIx64 ", check %" PRIu64
                ", exec %d)\n", path, tohost ? "FAILED" : "no report",
                tohost, tohost >> 1, r);
        dump(cpu);
    }
    tcg_cpu_exit(&cpu->parent);
    riscv_cpu_free(cpu);
    return tohost == 1;
}

static bool run(const char *path)
{
    return load(path) && run_loaded(path);
}

#include "diff.c"

/* --smp N prog.bin: N harts on N host threads, same program (a0 =
 * hartid), until one reports. */
static void *smp_thread(void *arg)
{
    RISCVCPU *cpu = arg;
    time_t start = time(NULL);

    weft_rcu_register_thread();
    tcg_cpu_init(&cpu->parent);
    while (!atomic_read(&tohost) && time(NULL) - start < TIMEOUT_S) {
        int r = tcg_cpu_exec(&cpu->parent);

        atomic_set(&cpu->parent.exit_request, 0);
        if (r != CPU_EXEC_EXIT) {
            fprintf(stderr, "hart %u: exec returned %d\n", cpu->hartid, r);
            break;
        }
    }
    tcg_cpu_exit(&cpu->parent);
    weft_rcu_unregister_thread();
    return NULL;
}

static bool run_smp(const char *path, int n)
{
    pthread_t threads[SMP_MAX];

    CHECK(n > 0 && n <= SMP_MAX);
    if (!load(path)) {
        return false;
    }
    tohost = 0;
    for (int i = 0; i < n; i++) {
        RISCVCPU *cpu = riscv_cpu_new((unsigned)i, RAM_BASE, 0, NULL, NULL,
                                      NULL);

        CHECK(cpu);
        publish(&smp_harts[i], cpu);
    }
    for (int i = 0; i < n; i++) {
        CHECK(!pthread_create(&threads[i], NULL, smp_thread, smp_harts[i]));
    }
    for (int i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
    }
    if (tohost != 1) {
        fprintf(stderr, "%s: %s (tohost %#" PRIx64 ", check %" PRIu64 ")\n",
                path, tohost ? "FAILED" : "no report", tohost, tohost >> 1);
        dump(smp_harts[0]);
    }
    for (int i = 0; i < n; i++) {
        RISCVCPU *cpu = smp_harts[i];

        publish(&smp_harts[i], NULL);
        riscv_cpu_free(cpu);
    }
    return tohost == 1;
}

int main(int argc, char **argv)
{
    pthread_t wd;
    int failed = 0;

    if (argc < 2) {
        test_skip("no RISC-V cross compiler: guest programs not built");
    }
    if (!strcmp(argv[1], "--diff") && !diff_available()) {
        test_skip("qemu-riscv64 not found: no differential test");
    }
    if (getenv("WEFT_LOG")) {
        uint32_t mask;

        CHECK(log_parse_items(getenv("WEFT_LOG"), &mask, NULL));
        log_mask = mask;
    }
    ram = calloc(1, RAM_SIZE);
    CHECK(ram);
    riscv_tcg_init();
    riscv_cpu_set_memory_ops(&mem_ops);
    weft_rcu_register_thread();
    CHECK(!pthread_create(&wd, NULL, watchdog, NULL));
    if (!strcmp(argv[1], "--diff")) {
        failed = !diff_run(argc > 2 ? atoi(argv[2]) : 50);
    } else if (!strcmp(argv[1], "--smp") && argc > 3) {
        bool ok = run_smp(argv[3], atoi(argv[2]));

        printf("%s - %s on %s harts\n", ok ? "ok" : "not ok", argv[3],
               argv[2]);
        failed = !ok;
    }
    for (int i = 1; i < argc && argv[1][0] != '-'; i++) {
        const char *name = strrchr(argv[i], '/');
        bool ok = run(argv[i]);

        printf("%s - %s\n", ok ? "ok" : "not ok", name ? name + 1 : argv[i]);
        fflush(stdout);
        failed += !ok;
    }
    atomic_store_release(&stop_watchdog, true);
    pthread_join(wd, NULL);
    weft_rcu_unregister_thread();
    free(ram);
    return failed ? 1 : 0;
}
