/* ns16550a registers, FIFOs, interrupt priorities and line, DLAB,
 * loopback, odd accesses, and the chardev input path with flow control
 * (stdin replaced by a pipe: the stdio backend in its non-tty mode). */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hw/char/serial.h"
#include "memory/memory.h"
#include "system/bql.h"
#include "system/chardev.h"
#include "system/event-loop.h"
#include "system/runstate.h"
#include "test.h"

#define UART 0x10000000ull          /* no chardev */
#define UART_FILE 0x10001000ull     /* file: chardev */
#define UART_IN 0x10002000ull       /* stdio chardev, stdin = pipe */

#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

static MemoryRegion sysmem;
static AddressSpace as;
static SerialState *uart, *uart_file, *uart_in;
static Chardev *chr_file, *chr_in;
static char out_path[] = "/tmp/weft-test-serial-XXXXXX";

/* What the UART drove its lines to: written by whichever thread accesses
 * the UART (under its lock), read by the test thread. */
typedef struct IrqProbe {
    IrqLine line;
    int level;          /* atomic */
    unsigned raises;    /* atomic */
} IrqProbe;

static IrqProbe irq, irq_file, irq_in;

static void probe_handler(void *opaque, int n, int level)
{
    IrqProbe *p = opaque;

    if (level && !atomic_read(&p->level)) {
        atomic_set(&p->raises, atomic_read(&p->raises) + 1);
    }
    atomic_store_release(&p->level, level);
}

static int irq_level(IrqProbe *p)
{
    return atomic_load_acquire(&p->level);
}

static uint64_t ld_n(hwaddr addr, unsigned size)
{
    uint64_t v = 0;

    CHECK_EQ(address_space_load(&as, addr, size, DEVICE_LITTLE_ENDIAN,
                                MEMTXATTRS_UNSPECIFIED, &v), MEMTX_OK);
    return v;
}

static void st_n(hwaddr addr, unsigned size, uint64_t v)
{
    CHECK_EQ(address_space_store(&as, addr, size, DEVICE_LITTLE_ENDIAN,
                                 MEMTXATTRS_UNSPECIFIED, v), MEMTX_OK);
}

static uint8_t rd(hwaddr base, unsigned reg)
{
    return ld_n(base + reg, 1);
}

static void wr(hwaddr base, unsigned reg, uint8_t v)
{
    st_n(base + reg, 1, v);
}

/* Runs the main loop (timers, chardev input) until cond() or 5 s. */
static void poll_until(bool (*cond)(void))
{
    int64_t give_up = clock_monotonic_ns() + 5000000000ll;

    while (!cond()) {
        CHECK(clock_monotonic_ns() < give_up);
        event_loop_poll(main_loop(), false);
        usleep(100);
    }
}

static void test_reset_values(void)
{
    serial_reset(uart);
    CHECK_EQ(rd(UART, IER), 0);
    CHECK_EQ(rd(UART, IIR), 0x01);
    CHECK_EQ(rd(UART, LCR), 0);
    CHECK_EQ(rd(UART, MCR), 0);
    CHECK_EQ(rd(UART, LSR), 0x60);
    CHECK_EQ(rd(UART, MSR), 0xb0);
    CHECK_EQ(rd(UART, SCR), 0);
    CHECK(!irq_level(&irq));
    /* scratch register, as 8250 probing uses it */
    wr(UART, SCR, 0xa5);
    CHECK_EQ(rd(UART, SCR), 0xa5);
    wr(UART, SCR, 0x5a);
    CHECK_EQ(rd(UART, SCR), 0x5a);
}

static void test_dlab(void)
{
    serial_reset(uart);
    wr(UART, IER, 0x05);
    wr(UART, LCR, 0x83);
    wr(UART, DLL, 0x34);
    wr(UART, DLM, 0x12);
    CHECK_EQ(rd(UART, DLL), 0x34);
    CHECK_EQ(rd(UART, DLM), 0x12);
    CHECK_EQ(rd(UART, LCR), 0x83);
    /* DLAB writes did not reach THR (no data looped back, LSR idle) */
    CHECK_EQ(rd(UART, LSR), 0x60);
    wr(UART, LCR, 0x03);
    CHECK_EQ(rd(UART, IER), 0x05);      /* IER unchanged by DLM */
    wr(UART, LCR, 0x83);
    CHECK_EQ(rd(UART, DLL), 0x34);      /* divisor kept */
    wr(UART, LCR, 0x03);
    /* IER's upper bits do not exist */
    wr(UART, IER, 0xf0);
    CHECK_EQ(rd(UART, IER), 0);
}

static void test_thre_interrupt(void)
{
    serial_reset(uart);
    CHECK(!irq_level(&irq));
    wr(UART, IER, 0x02);
    CHECK(irq_level(&irq));
    CHECK_EQ(rd(UART, IIR), 0x02);
    /* the IIR read acknowledged it */
    CHECK(!irq_level(&irq));
    CHECK_EQ(rd(UART, IIR), 0x01);
    /* 8250: a rising edge of ETBEI re-triggers while THR is empty */
    wr(UART, IER, 0x00);
    wr(UART, IER, 0x02);
    CHECK(irq_level(&irq));
    /* writing IER again without an edge does not */
    CHECK_EQ(rd(UART, IIR), 0x02);
    wr(UART, IER, 0x02);
    CHECK(!irq_level(&irq));
    /* a transmitted byte empties THR again: THRE comes back */
    wr(UART, THR, 'x');
    CHECK(irq_level(&irq));
    CHECK_EQ(rd(UART, LSR) & 0x60, 0x60);
    wr(UART, IER, 0x00);
    CHECK(!irq_level(&irq));
    CHECK_EQ(rd(UART, IIR), 0x01);
}

static void test_loopback_and_msr(void)
{
    serial_reset(uart);
    /* Linux's probe: loopback with RTS and OUT2 must show CTS and DCD */
    wr(UART, MCR, 0x10 | 0x0a);
    CHECK_EQ(rd(UART, MSR) & 0xf0, 0x90);
    wr(UART, MCR, 0x10);
    CHECK_EQ(rd(UART, MSR), 0x09);      /* DCTS and DDCD, now clear */
    CHECK_EQ(rd(UART, MSR), 0x00);
    /* modem-status interrupt */
    wr(UART, IER, 0x08);
    CHECK(!irq_level(&irq));
    wr(UART, MCR, 0x10 | 0x01);          /* DTR -> DSR */
    CHECK(irq_level(&irq));
    CHECK_EQ(rd(UART, IIR), 0x00);
    CHECK_EQ(rd(UART, MSR), 0x22);
    CHECK(!irq_level(&irq));
    /* RI: only its trailing edge sets TERI */
    wr(UART, MCR, 0x10 | 0x01 | 0x04);
    CHECK_EQ(rd(UART, MSR), 0x60);
    wr(UART, MCR, 0x10 | 0x01);
    CHECK_EQ(rd(UART, MSR), 0x24);
    wr(UART, IER, 0x00);
    /* data loops back without FIFO: one byte, the next one overruns */
    wr(UART, THR, 'a');
    CHECK_EQ(rd(UART, LSR), 0x61);
    wr(UART, THR, 'b');
    CHECK_EQ(rd(UART, LSR), 0x63);      /* OE, cleared by reading LSR */
    CHECK_EQ(rd(UART, LSR), 0x61);
    CHECK_EQ(rd(UART, RBR), 'a');
    CHECK_EQ(rd(UART, LSR), 0x60);
    /* leaving loopback: the peer is back to ready */
    wr(UART, MCR, 0x00);
    CHECK_EQ(rd(UART, MSR) & 0xf0, 0xb0);
}

static void test_fifo(void)
{
    serial_reset(uart);
    wr(UART, MCR, 0x10);
    wr(UART, FCR, 0x07 | 0xc0);          /* enable, clear, trigger 14 */
    CHECK_EQ(rd(UART, IIR), 0xc1);
    for (int i = 0; i < 16; i++) {
        wr(UART, THR, 'A' + i);
    }
    CHECK_EQ(rd(UART, LSR), 0x61);
    wr(UART, THR, '!');                   /* 17th: overrun, lost */
    CHECK_EQ(rd(UART, LSR), 0x63);
    for (int i = 0; i < 16; i++) {
        CHECK_EQ(rd(UART, LSR) & 0x01, 1);
        CHECK_EQ(rd(UART, RBR), 'A' + i);
    }
    CHECK_EQ(rd(UART, LSR), 0x60);
    /* FCR clear-RX discards what is queued */
    wr(UART, THR, 'z');
    CHECK_EQ(rd(UART, LSR) & 0x01, 1);
    wr(UART, FCR, 0x03);
    CHECK_EQ(rd(UART, LSR), 0x60);
    /* disabling the FIFO: IIR says so, and one byte is the capacity */
    wr(UART, FCR, 0x00);
    CHECK_EQ(rd(UART, IIR), 0x01);
    wr(UART, THR, '1');
    wr(UART, THR, '2');
    CHECK_EQ(rd(UART, LSR), 0x63);
    CHECK_EQ(rd(UART, RBR), '1');
    wr(UART, MCR, 0x00);
}

static bool uart_irq_high(void)
{
    return irq_level(&irq);
}

static void test_iir_priorities(void)
{
    serial_reset(uart);
    wr(UART, MCR, 0x10);
    wr(UART, FCR, 0x01 | 0x40);          /* trigger level 4 */
    wr(UART, IER, 0x07);                 /* RLS, RDA, THRE */
    CHECK_EQ(rd(UART, IIR), 0xc2);       /* only THRE so far */
    /* below the trigger level: no RDA yet, the timeout comes later */
    for (int i = 0; i < 3; i++) {
        wr(UART, THR, '0' + i);
    }
    CHECK_EQ(rd(UART, IIR), 0xc2);
    CHECK_EQ(rd(UART, IIR), 0xc1);
    CHECK(!irq_level(&irq));
    poll_until(uart_irq_high);
    CHECK_EQ(rd(UART, IIR), 0xcc);       /* character timeout */
    /* reaching the trigger level: RDA */
    wr(UART, THR, '3');
    CHECK_EQ(rd(UART, IIR), 0xc4);
    /* fill up and overrun: line status first */
    for (int i = 4; i < 17; i++) {
        wr(UART, THR, '0' + i);
    }
    CHECK_EQ(rd(UART, IIR), 0xc6);
    CHECK_EQ(rd(UART, LSR), 0x63);
    CHECK_EQ(rd(UART, IIR), 0xc4);
    /* drain to below the trigger: the timeout is armed again */
    for (int i = 0; i < 14; i++) {
        CHECK_EQ(rd(UART, RBR), '0' + i);
    }
    CHECK_EQ(rd(UART, IIR), 0xc2);       /* THRE re-latched by the writes */
    CHECK(!irq_level(&irq));
    poll_until(uart_irq_high);
    CHECK_EQ(rd(UART, IIR), 0xcc);
    CHECK_EQ(rd(UART, RBR), '0' + 14);
    CHECK_EQ(rd(UART, RBR), '0' + 15);
    CHECK_EQ(rd(UART, IIR), 0xc1);
    CHECK_EQ(rd(UART, LSR), 0x60);
    CHECK(!irq_level(&irq));
    wr(UART, IER, 0);
    wr(UART, MCR, 0);
}

static void test_odd_accesses(void)
{
    serial_reset(uart);
    wr(UART, MCR, 0x10);
    wr(UART, THR, 'q');
    /* wide reads: 0 and no side effect on the FIFO */
    CHECK_EQ(ld_n(UART, 4), 0);
    CHECK_EQ(ld_n(UART, 2), 0);
    CHECK_EQ(ld_n(UART + 3, 8), 0);      /* unaligned as well */
    CHECK_EQ(rd(UART, LSR), 0x61);
    /* wide writes: ignored */
    st_n(UART + IER, 2, 0x0f0f);
    st_n(UART, 4, 0xffffffff);
    st_n(UART + 5, 8, ~0ull);
    CHECK_EQ(rd(UART, IER), 0);
    CHECK_EQ(rd(UART, LCR), 0);
    /* offsets past the eight registers, inside the region */
    CHECK_EQ(rd(UART, 8), 0);
    CHECK_EQ(rd(UART, 0xff), 0);
    wr(UART, 0x80, 0x55);
    wr(UART, 0xff, 0x55);
    CHECK_EQ(rd(UART, RBR), 'q');
    CHECK_EQ(rd(UART, LSR), 0x60);
    /* LSR and MSR writes are ignored */
    CHECK_EQ(rd(UART, MSR), 0x0b);      /* deltas of entering loopback */
    wr(UART, LSR, 0x00);
    wr(UART, MSR, 0x0f);
    CHECK_EQ(rd(UART, LSR), 0x60);
    CHECK_EQ(rd(UART, MSR) & 0x0f, 0);
    wr(UART, MCR, 0xff);
    CHECK_EQ(rd(UART, MCR), 0x1f);
    wr(UART, MCR, 0);
}

static void test_reset_clears(void)
{
    wr(UART, MCR, 0x10);
    wr(UART, FCR, 0x01);
    wr(UART, THR, 'r');
    wr(UART, IER, 0x0f);
    CHECK(irq_level(&irq));
    serial_reset(uart);
    CHECK(!irq_level(&irq));
    CHECK_EQ(rd(UART, LSR), 0x60);
    CHECK_EQ(rd(UART, IIR), 0x01);
    CHECK_EQ(rd(UART, MCR), 0);
}

static void test_output_to_file(void)
{
    const char *msg = "hello, weft\n";
    char got[64] = { 0 };
    FILE *f;

    for (const char *p = msg; *p; p++) {
        wr(UART_FILE, THR, *p);
    }
    /* loopback output does not leave the UART */
    wr(UART_FILE, MCR, 0x10);
    wr(UART_FILE, THR, '#');
    CHECK_EQ(rd(UART_FILE, RBR), '#');
    wr(UART_FILE, MCR, 0x00);
    f = fopen(out_path, "r");
    CHECK(f);
    CHECK_EQ(fread(got, 1, sizeof(got) - 1, f), strlen(msg));
    fclose(f);
    CHECK(!strcmp(got, msg));
    /* the file chardev has no input: nothing arrives */
    CHECK_EQ(rd(UART_FILE, LSR), 0x60);
}

static void test_bad_specs(void)
{
    Error *err = NULL;

    CHECK(!chardev_new("x", "bogus", &err));
    CHECK(strstr(error_get_pretty(err), "bogus"));
    error_free(err);
    err = NULL;
    CHECK(!chardev_new("x", "file:", &err));
    error_free(err);
    err = NULL;
    CHECK(!chardev_new("x", "file:/nonexistent-dir/x", &err));
    CHECK(strstr(error_get_pretty(err), "nonexistent"));
    error_free(err);
    err = NULL;
    /* one stdio user at most */
    CHECK(!chardev_new("x", "stdio", &err));
    error_free(err);
    err = NULL;
    CHECK(chardev_new("x", "null", &err));
    chardev_write(NULL, (const uint8_t *)"ignored", 7);
}

/* ---- input through the chardev, with a slow guest */

#define NR_INPUT 1000

static int in_pipe[2];
static uint8_t expected[NR_INPUT];
static size_t nr_expected;
static int guest_done;                /* atomic */
static unsigned guest_overruns;       /* written by the guest thread */
static bool guest_order_ok;

/* The bytes the writer sends for expected[]: 0x01 is doubled because the
 * stdio backend reads Ctrl-a as its command key. */
static void *input_writer(void *opaque)
{
    for (size_t i = 0; i < nr_expected; i++) {
        uint8_t b[2] = { expected[i], expected[i] };
        size_t len = expected[i] == 0x01 ? 2 : 1;

        CHECK_EQ(write(in_pipe[1], b, len), len);
    }
    return NULL;
}

/* Reads like a polling driver with a slow inner loop. */
static void *slow_guest(void *opaque)
{
    size_t got = 0;

    weft_rcu_register_thread();
    guest_order_ok = true;
    while (got < nr_expected) {
        uint8_t lsr = rd(UART_IN, LSR);

        if (lsr & 0x02) {
            guest_overruns++;
        }
        if (!(lsr & 0x01)) {
            weft_rcu_quiescent_state();
            usleep(got % 64 ? 20 : 2000);   /* slow, sometimes very */
            continue;
        }
        if (rd(UART_IN, RBR) != expected[got]) {
            guest_order_ok = false;
        }
        got++;
    }
    weft_rcu_unregister_thread();
    atomic_store_release(&guest_done, 1);
    return NULL;
}

static bool guest_finished(void)
{
    return atomic_load_acquire(&guest_done);
}

static void run_input(uint8_t fcr)
{
    pthread_t writer, guest;

    wr(UART_IN, FCR, fcr);
    atomic_set(&guest_done, 0);
    guest_overruns = 0;
    CHECK(!pthread_create(&writer, NULL, input_writer, NULL));
    CHECK(!pthread_create(&guest, NULL, slow_guest, NULL));
    poll_until(guest_finished);
    pthread_join(writer, NULL);
    pthread_join(guest, NULL);
    CHECK(guest_order_ok);
    CHECK_EQ(guest_overruns, 0);
    CHECK_EQ(rd(UART_IN, LSR), 0x60);
}

static void test_input_flow_control(void)
{
    for (size_t i = 0; i < NR_INPUT; i++) {
        expected[i] = (i * 7 + i / 256) & 0xff;
    }
    nr_expected = NR_INPUT;
    run_input(0xc1);        /* FIFO, trigger 14 */
    run_input(0x00);        /* no FIFO: one byte at a time */
}

static bool in_irq_high(void)
{
    return irq_level(&irq_in);
}

static void test_input_interrupt(void)
{
    static const uint8_t line[] = "ls\r";

    wr(UART_IN, FCR, 0x81);              /* trigger 8, as Linux sets */
    wr(UART_IN, IER, 0x01);
    CHECK(!irq_level(&irq_in));
    CHECK_EQ(write(in_pipe[1], line, 3), 3);
    poll_until(in_irq_high);
    /* three bytes, below the trigger: a character timeout */
    CHECK_EQ(rd(UART_IN, IIR), 0xcc);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(rd(UART_IN, RBR), line[i]);
    }
    CHECK(!irq_level(&irq_in));
    CHECK_EQ(rd(UART_IN, IIR), 0xc1);
    wr(UART_IN, IER, 0);
}

int main(void)
{
    Error *err = NULL;
    int fd;

    weft_rcu_register_thread();
    CHECK(main_loop_init(&err));
    bql_lock();
    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    address_space_init(&as, &sysmem, "memory");
    irq_init_in(&irq.line, probe_handler, &irq, 0, NULL);
    irq_init_in(&irq_file.line, probe_handler, &irq_file, 0, NULL);
    irq_init_in(&irq_in.line, probe_handler, &irq_in, 0, NULL);

    uart = serial_mm_create(&sysmem, UART, &irq.line, NULL, &err);
    CHECK(uart);
    fd = mkstemp(out_path);
    CHECK(fd >= 0);
    close(fd);
    {
        char spec[64];

        snprintf(spec, sizeof(spec), "file:%s", out_path);
        chr_file = chardev_new("serial1", spec, &err);
        CHECK(chr_file);
    }
    uart_file = serial_mm_create(&sysmem, UART_FILE, &irq_file.line,
                                 chr_file, &err);
    CHECK(uart_file);
    /* stdin becomes a pipe the test writes: the stdio backend's non-tty
     * mode, with its Ctrl-a filter */
    CHECK(!pipe(in_pipe));
    CHECK(dup2(in_pipe[0], STDIN_FILENO) == STDIN_FILENO);
    chr_in = chardev_new("serial2", "stdio", &err);
    CHECK(chr_in);
    uart_in = serial_mm_create(&sysmem, UART_IN, &irq_in.line, chr_in, &err);
    CHECK(uart_in);
    bql_unlock();

    RUN(test_reset_values);
    RUN(test_dlab);
    RUN(test_thre_interrupt);
    RUN(test_loopback_and_msr);
    RUN(test_fifo);
    RUN(test_iir_priorities);
    RUN(test_odd_accesses);
    RUN(test_reset_clears);
    RUN(test_output_to_file);
    RUN(test_bad_specs);
    RUN(test_input_flow_control);
    RUN(test_input_interrupt);
    unlink(out_path);
    CHECK(!shutdown_requested());
    return 0;
}
