/* A tiny machine for the console tests: an ns16550a on the chardev named
 * by argv[1] and a "guest" thread that echoes every byte it receives,
 * driven by the UART's receive interrupt.  Guest commands (bytes it
 * receives): 0x04 powers off (exit status 0), 0x02 crashes (abort()).
 * --flood N: the guest first prints N bytes, then "flood done" goes to
 * stderr.  "ready" goes to stderr once the guest runs.
 *
 *   uart-echo SPEC [--flood N]
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hw/char/serial.h"
#include "memory/memory.h"
#include "system/bql.h"
#include "system/chardev.h"
#include "system/event-loop.h"
#include "system/runstate.h"

#define UART 0x10000000ull

static MemoryRegion sysmem;
static AddressSpace as;
static IrqLine uart_irq;
static unsigned long flood_bytes;

/* The guest's interrupt pin: uart lock -> pin_lock (a leaf). */
static pthread_mutex_t pin_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pin_cond = PTHREAD_COND_INITIALIZER;
static int pin_level;                   /* pin_lock */

static void pin_handler(void *opaque, int n, int level)
{
    pthread_mutex_lock(&pin_lock);
    pin_level = level;
    pthread_cond_broadcast(&pin_cond);
    pthread_mutex_unlock(&pin_lock);
}

static uint8_t rd(unsigned reg)
{
    uint64_t v = 0;

    address_space_load(&as, UART + reg, 1, DEVICE_LITTLE_ENDIAN,
                       MEMTXATTRS_UNSPECIFIED, &v);
    return v;
}

static void wr(unsigned reg, uint8_t v)
{
    address_space_store(&as, UART + reg, 1, DEVICE_LITTLE_ENDIAN,
                        MEMTXATTRS_UNSPECIFIED, v);
}

static void wait_for_irq(void)
{
    struct timespec ts;

    weft_rcu_go_offline();
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&pin_lock);
    if (!pin_level) {
        pthread_cond_timedwait(&pin_cond, &pin_lock, &ts);
    }
    pthread_mutex_unlock(&pin_lock);
    weft_rcu_go_online();
}

static void *guest(void *opaque)
{
    weft_rcu_register_thread();
    for (unsigned long i = 0; i < flood_bytes; i++) {
        wr(0, i % 64 == 63 ? '\n' : 'a' + i % 26);
    }
    if (flood_bytes) {
        fprintf(stderr, "flood done\n");
    }
    wr(2, 0x81);                /* FIFO on, trigger 8, as Linux */
    wr(1, 0x01);                /* receive interrupts */
    fprintf(stderr, "ready\n");
    for (;;) {
        while (rd(5) & 0x01) {
            uint8_t c = rd(0);

            if (c == 0x04) {
                qemu_system_shutdown_request(0);
                goto out;
            }
            if (c == 0x02) {
                abort();
            }
            wr(0, c);
        }
        if (shutdown_requested()) {
            break;
        }
        weft_rcu_quiescent_state();
        wait_for_irq();
    }
out:
    weft_rcu_unregister_thread();
    return NULL;
}

int main(int argc, char **argv)
{
    Error *err = NULL;
    Chardev *chr;
    pthread_t thread;
    sigset_t all, old;

    if (argc < 2) {
        fprintf(stderr, "usage: uart-echo SPEC [--flood N]\n");
        return 2;
    }
    if (argc == 4 && !strcmp(argv[2], "--flood")) {
        flood_bytes = strtoul(argv[3], NULL, 0);
    }
    weft_rcu_register_thread();
    if (!main_loop_init(&err)) {
        error_report_err(err);
        return 1;
    }
    bql_lock();
    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    address_space_init(&as, &sysmem, "memory");
    irq_init_in(&uart_irq, pin_handler, NULL, 0, NULL);
    chr = chardev_new("serial0", argv[1], &err);
    if (!chr || !serial_mm_create(&sysmem, UART, &uart_irq, chr, &err)) {
        error_report_err(err);
        return 1;
    }
    bql_unlock();
    /* Like a vCPU thread, the guest leaves asynchronous signals to the
     * main thread. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pthread_create(&thread, NULL, guest, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    main_loop_run_until_shutdown();
    pthread_mutex_lock(&pin_lock);
    pthread_cond_broadcast(&pin_cond);
    pthread_mutex_unlock(&pin_lock);
    pthread_join(thread, NULL);
    return shutdown_status();
}
