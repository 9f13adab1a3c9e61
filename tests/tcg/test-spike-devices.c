/* The spike board's devices without CPUs: ACLINT registers and its
 * timer-driven MTIP, HTIF exit codes, console syscalls and bad input. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hw/intc/aclint.h"
#include "hw/misc/htif.h"
#include "memory/memory.h"
#include "system/bql.h"
#include "system/event-loop.h"
#include "system/runstate.h"
#include "test.h"

#define CLINT 0x2000000ull
#define RAM 0x80000000ull
#define TOHOST 0x80001000ull
#define FROMHOST 0x80001040ull
#define NHARTS 2

static MemoryRegion sysmem, ram;
static AddressSpace as;
static AclintState *clint;
/* irq lines as the ACLINT last drove them; atomics (main loop thread and
 * this thread both write through the callback) */
static bool lines[NHARTS][16];

static void set_irq(void *opaque, unsigned hart, unsigned irq, bool level)
{
    CHECK(hart < NHARTS && irq < 16);
    atomic_store_release(&lines[hart][irq], level);
}

static uint64_t ld(hwaddr addr, unsigned size)
{
    uint64_t v = 0;

    CHECK_EQ(address_space_load(&as, addr, size, DEVICE_LITTLE_ENDIAN,
                                MEMTXATTRS_UNSPECIFIED, &v), MEMTX_OK);
    return v;
}

static void st(hwaddr addr, unsigned size, uint64_t v)
{
    CHECK_EQ(address_space_store(&as, addr, size, DEVICE_LITTLE_ENDIAN,
                                 MEMTXATTRS_UNSPECIFIED, v), MEMTX_OK);
}

static void test_msip(void)
{
    st(CLINT + 4, 4, 1);
    CHECK(atomic_load_acquire(&lines[1][ACLINT_IRQ_MSIP]));
    CHECK(!atomic_load_acquire(&lines[0][ACLINT_IRQ_MSIP]));
    CHECK_EQ(ld(CLINT + 4, 4), 1);
    st(CLINT + 4, 4, 0);
    CHECK(!atomic_load_acquire(&lines[1][ACLINT_IRQ_MSIP]));
}

static void test_mtime_runs(void)
{
    uint64_t a = ld(CLINT + ACLINT_MTIME, 8), b;

    usleep(1000);
    b = ld(CLINT + ACLINT_MTIME, 8);
    /* 10 MHz: 1 ms is 10000 ticks (allow a slow host anything above) */
    CHECK(b >= a + 10000);
    CHECK_EQ(ld(CLINT + ACLINT_MTIME + 4, 4), b >> 32);
}

static void test_mtimecmp_timer(void)
{
    uint64_t now = ld(CLINT + ACLINT_MTIME, 8);
    uint64_t deadline = now + 20000;       /* 2 ms */
    int64_t give_up = clock_monotonic_ns() + 2000000000;

    /* 32-bit halves, high first, as RV32 software writes them */
    st(CLINT + ACLINT_MTIMECMP_BASE + 4, 4, deadline >> 32);
    st(CLINT + ACLINT_MTIMECMP_BASE, 4, (uint32_t)deadline);
    CHECK_EQ(ld(CLINT + ACLINT_MTIMECMP_BASE, 8), deadline);
    CHECK(!atomic_load_acquire(&lines[0][ACLINT_IRQ_MTIP]));
    bql_unlock();
    while (!atomic_load_acquire(&lines[0][ACLINT_IRQ_MTIP])) {
        CHECK(clock_monotonic_ns() < give_up);
        event_loop_poll(main_loop(), true);
    }
    bql_lock();
    CHECK(ld(CLINT + ACLINT_MTIME, 8) >= deadline);
    CHECK(!atomic_load_acquire(&lines[1][ACLINT_IRQ_MTIP]));
    /* "never" lowers it; a deadline in the past raises it at once */
    st(CLINT + ACLINT_MTIMECMP_BASE, 8, UINT64_MAX);
    CHECK(!atomic_load_acquire(&lines[0][ACLINT_IRQ_MTIP]));
    st(CLINT + ACLINT_MTIMECMP_BASE + 8, 8, 1);
    CHECK(atomic_load_acquire(&lines[1][ACLINT_IRQ_MTIP]));
    st(CLINT + ACLINT_MTIMECMP_BASE + 8, 8, UINT64_MAX);
}

static void test_aclint_bad_access(void)
{
    uint64_t v;

    CHECK(address_space_load(&as, CLINT, 1, DEVICE_LITTLE_ENDIAN,
                             MEMTXATTRS_UNSPECIFIED, &v) != MEMTX_OK);
    /* MSIP of a hart that does not exist: ignored, reads 0 */
    st(CLINT + 4 * NHARTS, 4, 1);
    CHECK_EQ(ld(CLINT + 4 * NHARTS, 4), 0);
}

/* Runs a SYS_write of msg through HTIF with stdout redirected to a file;
 * returns what reached stdout. */
static void htif_write_syscall(const char *msg, char *got, size_t got_size)
{
    FILE *tmp = tmpfile();
    int saved = dup(1);
    uint64_t magic = RAM + 0x2000, buf = RAM + 0x3000;
    size_t n;

    CHECK(tmp && saved >= 0);
    address_space_write(&as, buf, MEMTXATTRS_UNSPECIFIED, msg, strlen(msg));
    st(magic, 8, 64);
    st(magic + 8, 8, 1);
    st(magic + 16, 8, buf);
    st(magic + 24, 8, strlen(msg));
    fflush(stdout);
    dup2(fileno(tmp), 1);
    st(TOHOST, 8, magic);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(tmp);
    n = fread(got, 1, got_size - 1, tmp);
    got[n] = 0;
    fclose(tmp);
    CHECK_EQ(ld(magic, 8), strlen(msg));
    CHECK_EQ(ld(FROMHOST, 8), 1);
    CHECK_EQ(ld(TOHOST, 8), 0);
    st(FROMHOST, 8, 0);
}

static void test_htif_console(void)
{
    char got[64];

    htif_write_syscall("hello\n", got, sizeof(got));
    CHECK(!strcmp(got, "hello\n"));
}

static void test_htif_bad_input(void)
{
    /* syscall block in a hole, unknown device, unknown syscall: logged,
     * nothing else happens */
    st(TOHOST, 8, 0x10000000);
    st(TOHOST, 8, 7ull << 56 | 5);
    st(RAM + 0x2000, 8, 12345);
    st(TOHOST, 8, RAM + 0x2000);
    CHECK_EQ(ld(RAM + 0x2000, 8), (uint64_t)-38);
    st(FROMHOST, 8, 0);
    CHECK(!shutdown_requested());
}

static void test_htif_exit(void)
{
    /* riscv-tests' order: low word, then high word */
    st(TOHOST, 4, (3 << 1) | 1);
    CHECK(!shutdown_requested());
    st(TOHOST + 4, 4, 0);
    CHECK(shutdown_requested());
    CHECK_EQ(shutdown_status(), 3);
    /* the first request wins */
    st(TOHOST, 8, 1);
    CHECK_EQ(shutdown_status(), 3);
}

int main(void)
{
    Error *err = NULL;

    weft_rcu_register_thread();
    CHECK(main_loop_init(&err));
    bql_lock();
    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    address_space_init(&as, &sysmem, "memory");
    CHECK(memory_region_init_ram(&ram, NULL, "ram", 1 << 20, &err));
    memory_region_add_subregion(&sysmem, RAM, &ram);
    clint = aclint_create(&sysmem, CLINT, NHARTS, set_irq, NULL, &err);
    CHECK(clint);
    CHECK(htif_create(&sysmem, &as, TOHOST, FROMHOST, &err));
    CHECK(!htif_create(&sysmem, &as, TOHOST, TOHOST + 3, &err));
    error_free(err);

    RUN(test_msip);
    RUN(test_mtime_runs);
    RUN(test_mtimecmp_timer);
    RUN(test_aclint_bad_access);
    RUN(test_htif_console);
    RUN(test_htif_bad_input);
    RUN(test_htif_exit);
    bql_unlock();
    return 0;
}
