/* Memory dispatch benchmark: lookups and accesses per second per reader
 * thread (1 and 2 readers), and the latency of a memory-map change
 * (commit, then until the old view is reclaimed) with 0, 1 and 2 readers
 * running.  Readers behave like vCPUs: registered QSBR readers that
 * report a quiescent state only when one is wanted.
 *
 * Usage: memory-dispatch [seconds-per-measure]   (default 0.5) */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memory/memory.h"
#include "system/bql.h"

#define A MEMTXATTRS_UNSPECIFIED
#define NR_DEVICES 64
#define DEV_STRIDE 0x10000
#define NR_ADDRS 4096
#define MAP_CHANGES 300

typedef enum Workload {
    WL_LOOKUP,
    WL_MMIO,
    WL_RAM,
} Workload;

static const char *const workload_names[] = {
    [WL_LOOKUP] = "lookup (address_space_translate)",
    [WL_MMIO] = "lockless MMIO ldl (full dispatch)",
    [WL_RAM] = "RAM ldl (full dispatch)",
};

static MemoryRegion sysmem, mmio[NR_DEVICES], ram[NR_DEVICES];
static AddressSpace as;
static hwaddr mmio_addrs[NR_ADDRS], ram_addrs[NR_ADDRS];
static double measure_seconds = 0.5;

static bool running;                /* atomic: readers loop while set */
static Workload workload;           /* set before readers start */

static uint64_t bench_read(void *opaque, hwaddr offset, unsigned size)
{
    return offset;
}

static const MemoryRegionOps bench_ops = {
    .read = bench_read,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *reader_main(void *arg)
{
    unsigned long *count = arg, n = 0;
    uint64_t sink = 0;

    weft_rcu_register_thread();
    while (atomic_load_acquire(&running)) {
        for (unsigned i = 0; i < 256; i++, n++) {
            unsigned k = (unsigned)(n * 2654435761u) % NR_ADDRS;
            MemoryRegionSection s;

            switch (workload) {
            case WL_LOOKUP:
                weft_rcu_read_lock();
                address_space_translate(&as, mmio_addrs[k], false, A, &s);
                sink += s.offset_within_region;
                weft_rcu_read_unlock();
                break;
            case WL_MMIO:
                sink += address_space_ldl(&as, mmio_addrs[k], A, NULL);
                break;
            case WL_RAM:
                sink += address_space_ldl(&as, ram_addrs[k], A, NULL);
                break;
            }
        }
        if (weft_rcu_quiescent_state_wanted()) {
            weft_rcu_quiescent_state();
        }
    }
    weft_rcu_unregister_thread();
    *count = n + (sink == 42);      /* keep sink alive */
    return NULL;
}

static void start_readers(pthread_t *t, unsigned long *counts, unsigned n)
{
    atomic_store_release(&running, true);
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&t[i], NULL, reader_main, &counts[i])) {
            abort();
        }
    }
}

static void stop_readers(pthread_t *t, unsigned n)
{
    atomic_store_release(&running, false);
    for (unsigned i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
    }
}

static void measure_throughput(Workload wl, unsigned readers)
{
    pthread_t t[2];
    unsigned long counts[2] = { 0 };
    double t0, elapsed, total = 0;

    workload = wl;
    t0 = now();
    start_readers(t, counts, readers);
    while (now() - t0 < measure_seconds) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };

        nanosleep(&ts, NULL);
    }
    stop_readers(t, readers);
    elapsed = now() - t0;
    for (unsigned i = 0; i < readers; i++) {
        total += counts[i];
    }
    printf("  %-36s %u reader%s: %8.2f M/s per reader\n",
           workload_names[wl], readers, readers > 1 ? "s" : " ",
           total / readers / elapsed / 1e6);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Toggles one device on and off; times the commit and the wait until
 * every view replaced so far has been freed. */
static void measure_map_change(unsigned readers)
{
    static double commit_us[MAP_CHANGES], reclaim_us[MAP_CHANGES];
    pthread_t t[2];
    unsigned long counts[2];

    workload = WL_MMIO;
    start_readers(t, counts, readers);
    for (unsigned i = 0; i < MAP_CHANGES; i++) {
        MemoryStats st;
        double t0 = now(), t1;

        bql_lock();
        memory_region_set_enabled(&mmio[i % NR_DEVICES],
                                  !mmio[i % NR_DEVICES].enabled);
        bql_unlock();
        t1 = now();
        do {
            sched_yield();
            memory_get_stats(&st);
        } while (st.views_freed + 1 < st.views_created);
        commit_us[i] = (t1 - t0) * 1e6;
        reclaim_us[i] = (now() - t0) * 1e6;
    }
    stop_readers(t, readers);
    qsort(commit_us, MAP_CHANGES, sizeof(double), cmp_double);
    qsort(reclaim_us, MAP_CHANGES, sizeof(double), cmp_double);
    printf("  map change, %u reader%s: commit median %7.1f us, "
           "old view reclaimed median %8.1f us, p99 %8.1f us\n",
           readers, readers == 1 ? " " : "s",
           commit_us[MAP_CHANGES / 2], reclaim_us[MAP_CHANGES / 2],
           reclaim_us[MAP_CHANGES * 99 / 100]);
}

static void setup(void)
{
    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    bql_lock();
    memory_region_transaction_begin();
    for (unsigned i = 0; i < NR_DEVICES; i++) {
        memory_region_init_io(&mmio[i], NULL, &bench_ops, NULL, "mmio",
                              0x1000);
        memory_region_set_lockless(&mmio[i], true);
        memory_region_add_subregion(&sysmem, i * DEV_STRIDE, &mmio[i]);
        if (!memory_region_init_ram(&ram[i], NULL, "ram", 0x4000, NULL)) {
            abort();
        }
        memory_region_add_subregion(&sysmem, i * DEV_STRIDE + 0x8000,
                                    &ram[i]);
    }
    memory_region_transaction_commit();
    address_space_init(&as, &sysmem, "memory");
    bql_unlock();
    for (unsigned k = 0; k < NR_ADDRS; k++) {
        unsigned dev = (unsigned)(k * 40503u) % NR_DEVICES;

        mmio_addrs[k] = dev * DEV_STRIDE + (k * 4) % 0x1000;
        ram_addrs[k] = dev * DEV_STRIDE + 0x8000 + (k * 4) % 0x4000;
    }
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        measure_seconds = atof(argv[1]);
    }
    setup();
    printf("memory-dispatch: %u ranges in the view, %.2f s per measure\n",
           flatview_nr_ranges(address_space_get_flatview(&as)),
           measure_seconds);
    for (Workload wl = WL_LOOKUP; wl <= WL_RAM; wl++) {
        measure_throughput(wl, 1);
        measure_throughput(wl, 2);
    }
    for (unsigned readers = 0; readers <= 2; readers++) {
        measure_map_change(readers);
    }
    return 0;
}
