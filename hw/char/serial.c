/* ns16550a UART.
 *
 * Transmission is instantaneous: a byte written to THR goes to the chardev
 * before the guest's store completes, so THRE and TEMT always read as set
 * and the THRE interrupt comes back as soon as it is cleared by a THR
 * write.  The 8250 detail drivers rely on: enabling ETBEI in IER while THR
 * is empty raises the THRE interrupt again even if an IIR read had cleared
 * it (rising edge of ETBEI).
 *
 * Reception: the chardev delivers bytes in the main-loop thread, never more
 * than can_read() allows (free FIFO space; none in loopback mode), so input
 * is flow-controlled instead of overrun.  When can_read() had to say 0,
 * `input_blocked` remembers that the chardev waits for
 * chardev_accept_input(), which the next RBR read (or FIFO reset, or the
 * end of loopback) sends.  The character-timeout interrupt is a main-loop
 * timer armed for four character times (from the divisor and LCR, at the
 * virt board's 3.6864 MHz input clock) after each byte received or read.
 *
 * Locking: the region is lockless.  `lock` protects every register, the
 * RX FIFO, irq_level and input_blocked, and is held while the interrupt
 * line changes so that the line always matches the registers.  Lock
 * order: lock -> the interrupt controller's lock (via irq_set_level) and
 * the event loop's internal locks (timer, BH), all leaves.  The chardev's
 * output lock is never taken under `lock`: THR bytes are written after
 * unlocking, since a slow stdout may block the write.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hw/char/serial.h"
#include "system/event-loop.h"
#include "util/log.h"

#define SERIAL_CLOCK_HZ 3686400ull

/* register offsets (reg-shift 0) */
enum {
    REG_RBR_THR_DLL = 0,
    REG_IER_DLM = 1,
    REG_IIR_FCR = 2,
    REG_LCR = 3,
    REG_MCR = 4,
    REG_LSR = 5,
    REG_MSR = 6,
    REG_SCR = 7,
    NR_REGS = 8,
};

#define IER_RDI   0x01      /* receive data available (and timeout) */
#define IER_THRI  0x02      /* THR empty */
#define IER_RLSI  0x04      /* receiver line status */
#define IER_MSI   0x08      /* modem status */

#define IIR_NO_INT 0x01
#define IIR_MSI    0x00
#define IIR_THRI   0x02
#define IIR_RDI    0x04
#define IIR_RLSI   0x06
#define IIR_CTI    0x0c
#define IIR_FIFO_ENABLED 0xc0

#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_TRIGGER_SHIFT 6

#define LCR_WLEN_MASK 0x03
#define LCR_STOP      0x04
#define LCR_PARITY    0x08
#define LCR_DLAB      0x80

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR    0x01
#define LSR_OE    0x02
#define LSR_PE    0x04
#define LSR_FE    0x08
#define LSR_BI    0x10
#define LSR_THRE  0x20
#define LSR_TEMT  0x40
#define LSR_FIFOE 0x80
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS  0x01
#define MSR_DDSR  0x02
#define MSR_TERI  0x04
#define MSR_DDCD  0x08
#define MSR_DELTA 0x0f
#define MSR_CTS   0x10
#define MSR_DSR   0x20
#define MSR_RI    0x40
#define MSR_DCD   0x80

static const uint8_t rx_trigger_levels[4] = { 1, 4, 8, 14 };

struct SerialState {
    MemoryRegion mr;            /* static region, owner NULL, lockless */
    pthread_mutex_t lock;       /* see the file comment */
    IrqLine *irq;
    Chardev *chr;               /* may be NULL; output lock never under lock */
    Timer *timeout_timer;       /* main loop: character timeout */

    uint16_t divisor;
    uint8_t ier, lcr, mcr, lsr, msr, scr, fcr;
    uint8_t rbr;                /* last byte read, for reads of an empty RBR */
    bool thr_pending;           /* THRE interrupt latched */
    bool timeout_pending;       /* character-timeout interrupt latched */
    bool irq_level;             /* level the line was last driven to */
    bool input_blocked;         /* can_read() said 0: owe accept_input */
    uint8_t rx_fifo[SERIAL_FIFO_SIZE];
    unsigned rx_head, rx_count;
};

/* ---- lock held from here to the MMIO handlers */

static bool fifo_enabled(SerialState *s)
{
    return s->fcr & FCR_ENABLE;
}

static unsigned rx_capacity(SerialState *s)
{
    return fifo_enabled(s) ? SERIAL_FIFO_SIZE : 1;
}

static unsigned rx_trigger(SerialState *s)
{
    return fifo_enabled(s) ? rx_trigger_levels[s->fcr >> FCR_TRIGGER_SHIFT]
                           : 1;
}

static uint8_t serial_iir_id(SerialState *s)
{
    if ((s->ier & IER_RLSI) && (s->lsr & LSR_ERRORS)) {
        return IIR_RLSI;
    }
    if ((s->ier & IER_RDI) && s->rx_count >= rx_trigger(s)) {
        return IIR_RDI;
    }
    if ((s->ier & IER_RDI) && s->timeout_pending) {
        return IIR_CTI;
    }
    if ((s->ier & IER_THRI) && s->thr_pending) {
        return IIR_THRI;
    }
    if ((s->ier & IER_MSI) && (s->msr & MSR_DELTA)) {
        return IIR_MSI;
    }
    return IIR_NO_INT;
}

static void serial_update_irq(SerialState *s)
{
    bool level = serial_iir_id(s) != IIR_NO_INT;

    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set_level(s->irq, level);
    }
}

/* The chardev waits for a word from us before it delivers more. */
static void serial_unblock_input(SerialState *s)
{
    if (s->input_blocked && !(s->mcr & MCR_LOOP) &&
        s->rx_count < rx_capacity(s)) {
        s->input_blocked = false;
        chardev_accept_input(s->chr);
    }
}

static int64_t serial_char_time_ns(SerialState *s)
{
    unsigned bits = 1 + 5 + (s->lcr & LCR_WLEN_MASK) +
                    !!(s->lcr & LCR_PARITY) + (s->lcr & LCR_STOP ? 2 : 1);
    unsigned divisor = s->divisor ? s->divisor : 1;

    return (int64_t)(bits * 16ull * divisor * 1000000000ull /
                     SERIAL_CLOCK_HZ);
}

static void serial_restart_timeout(SerialState *s)
{
    s->timeout_pending = false;
    if (!fifo_enabled(s) || !s->rx_count) {
        timer_del(s->timeout_timer);
        return;
    }
    timer_mod_ns(s->timeout_timer,
                 clock_monotonic_ns() + 4 * serial_char_time_ns(s));
}

static void serial_timeout_cb(void *opaque)
{
    SerialState *s = opaque;

    pthread_mutex_lock(&s->lock);
    if (fifo_enabled(s) && s->rx_count) {
        s->timeout_pending = true;
        serial_update_irq(s);
    }
    pthread_mutex_unlock(&s->lock);
}

static void rx_clear(SerialState *s)
{
    s->rx_head = s->rx_count = 0;
    s->lsr &= ~LSR_DR;
    serial_restart_timeout(s);
    serial_unblock_input(s);
}

static void rx_push(SerialState *s, uint8_t byte)
{
    if (s->rx_count == rx_capacity(s)) {
        s->lsr |= LSR_OE;               /* the new byte is lost */
        return;
    }
    s->rx_fifo[(s->rx_head + s->rx_count) % SERIAL_FIFO_SIZE] = byte;
    s->rx_count++;
    s->lsr |= LSR_DR;
    serial_restart_timeout(s);
}

static uint8_t rx_pop(SerialState *s)
{
    if (s->rx_count) {
        s->rbr = s->rx_fifo[s->rx_head];
        s->rx_head = (s->rx_head + 1) % SERIAL_FIFO_SIZE;
        s->rx_count--;
    }
    if (!s->rx_count) {
        s->lsr &= ~LSR_DR;
    }
    serial_restart_timeout(s);
    serial_unblock_input(s);
    return s->rbr;
}

/* MSR status bits from MCR in loopback, else a present, ready peer. */
static void serial_update_msr(SerialState *s)
{
    uint8_t now, changed, delta = 0;

    if (s->mcr & MCR_LOOP) {
        now = (s->mcr & MCR_RTS ? MSR_CTS : 0) |
              (s->mcr & MCR_DTR ? MSR_DSR : 0) |
              (s->mcr & MCR_OUT1 ? MSR_RI : 0) |
              (s->mcr & MCR_OUT2 ? MSR_DCD : 0);
    } else {
        now = MSR_DCD | MSR_DSR | MSR_CTS;
    }
    changed = (s->msr ^ now) & 0xf0;
    delta |= changed & MSR_CTS ? MSR_DCTS : 0;
    delta |= changed & MSR_DSR ? MSR_DDSR : 0;
    delta |= changed & MSR_DCD ? MSR_DDCD : 0;
    /* TERI: trailing edge of RI only */
    delta |= (changed & MSR_RI) && !(now & MSR_RI) ? MSR_TERI : 0;
    s->msr = now | (s->msr & MSR_DELTA) | delta;
}

static void serial_write_fcr(SerialState *s, uint8_t val)
{
    bool was_enabled = fifo_enabled(s);

    if (!(val & FCR_ENABLE)) {
        s->fcr = 0;
        if (was_enabled) {
            rx_clear(s);
        }
        return;
    }
    s->fcr = val & (FCR_ENABLE | (3 << FCR_TRIGGER_SHIFT));
    if (!was_enabled || (val & FCR_CLEAR_RX)) {
        rx_clear(s);
    }
    /* FCR_CLEAR_TX: the transmitter is always empty. */
}

static void serial_write_ier(SerialState *s, uint8_t val)
{
    uint8_t old = s->ier;

    s->ier = val & 0x0f;
    if ((s->ier & IER_THRI) && !(old & IER_THRI)) {
        s->thr_pending = s->lsr & LSR_THRE;
    } else if (!(s->ier & IER_THRI)) {
        s->thr_pending = false;
    }
}

/* Returns true if *tx must be sent to the chardev once unlocked. */
static bool serial_write_thr(SerialState *s, uint8_t val, uint8_t *tx)
{
    bool send = false;

    if (s->mcr & MCR_LOOP) {
        rx_push(s, val);
    } else {
        *tx = val;
        send = s->chr != NULL;
    }
    /* Sent at once: THR and the shift register are empty again, and the
     * THRE interrupt, cleared by this write, comes back. */
    s->lsr |= LSR_THRE | LSR_TEMT;
    s->thr_pending = s->ier & IER_THRI;
    return send;
}

static bool serial_write_locked(SerialState *s, hwaddr off, uint8_t val,
                                uint8_t *tx)
{
    bool dlab = s->lcr & LCR_DLAB;
    bool send = false;

    switch (off) {
    case REG_RBR_THR_DLL:
        if (dlab) {
            s->divisor = (s->divisor & 0xff00) | val;
        } else {
            send = serial_write_thr(s, val, tx);
        }
        break;
    case REG_IER_DLM:
        if (dlab) {
            s->divisor = (s->divisor & 0x00ff) | (val << 8);
        } else {
            serial_write_ier(s, val);
        }
        break;
    case REG_IIR_FCR:
        serial_write_fcr(s, val);
        break;
    case REG_LCR:
        s->lcr = val;
        break;
    case REG_MCR:
        s->mcr = val & MCR_MASK;
        serial_update_msr(s);
        serial_unblock_input(s);
        break;
    case REG_SCR:
        s->scr = val;
        break;
    default:
        /* LSR and MSR are read-only (factory test writes are ignored). */
        break;
    }
    serial_update_irq(s);
    return send;
}

static uint8_t serial_read_locked(SerialState *s, hwaddr off)
{
    bool dlab = s->lcr & LCR_DLAB;
    uint8_t v;

    switch (off) {
    case REG_RBR_THR_DLL:
        v = dlab ? s->divisor & 0xff : rx_pop(s);
        break;
    case REG_IER_DLM:
        v = dlab ? s->divisor >> 8 : s->ier;
        break;
    case REG_IIR_FCR:
        v = serial_iir_id(s);
        if (v == IIR_THRI) {
            s->thr_pending = false;     /* reading IIR acknowledges THRE */
        }
        v |= fifo_enabled(s) ? IIR_FIFO_ENABLED : 0;
        break;
    case REG_LCR:
        v = s->lcr;
        break;
    case REG_MCR:
        v = s->mcr;
        break;
    case REG_LSR:
        v = s->lsr;
        s->lsr &= ~(LSR_ERRORS | LSR_FIFOE);
        break;
    case REG_MSR:
        v = s->msr;
        s->msr &= ~MSR_DELTA;
        break;
    default:
        v = s->scr;
        break;
    }
    serial_update_irq(s);
    return v;
}

static bool serial_access_ok(hwaddr off, unsigned size, bool is_write)
{
    if (size == 1 && off < NR_REGS) {
        return true;
    }
    log_mask_printf(LOG_GUEST_ERROR, "serial: %s of %u bytes at 0x%" PRIx64
                    " ignored\n", is_write ? "write" : "read", size, off);
    return false;
}

static uint64_t serial_read(void *opaque, hwaddr off, unsigned size)
{
    SerialState *s = opaque;
    uint8_t v;

    if (!serial_access_ok(off, size, false)) {
        return 0;
    }
    pthread_mutex_lock(&s->lock);
    v = serial_read_locked(s, off);
    pthread_mutex_unlock(&s->lock);
    return v;
}

static void serial_write(void *opaque, hwaddr off, uint64_t val,
                         unsigned size)
{
    SerialState *s = opaque;
    uint8_t tx = 0;
    bool send;

    if (!serial_access_ok(off, size, true)) {
        return;
    }
    pthread_mutex_lock(&s->lock);
    send = serial_write_locked(s, off, val, &tx);
    pthread_mutex_unlock(&s->lock);
    if (send) {
        chardev_write(s->chr, &tx, 1);
    }
}

/* Any size and offset reaches the handlers, which ignore all but byte
 * accesses to the eight registers: odd accesses are guest-visible no-ops
 * rather than bus errors, as on real boards. */
static const MemoryRegionOps serial_ops = {
    .read = serial_read,
    .write = serial_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8,
               .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8,
              .unaligned = true },
};

/* ---- chardev frontend, main-loop thread */

static size_t serial_can_read(void *opaque)
{
    SerialState *s = opaque;
    size_t room = 0;

    pthread_mutex_lock(&s->lock);
    if (!(s->mcr & MCR_LOOP)) {
        room = rx_capacity(s) - s->rx_count;
    }
    if (!room) {
        s->input_blocked = true;
    }
    pthread_mutex_unlock(&s->lock);
    return room;
}

static void serial_receive(void *opaque, const uint8_t *buf, size_t len)
{
    SerialState *s = opaque;

    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < len; i++) {
        rx_push(s, buf[i]);
    }
    serial_update_irq(s);
    pthread_mutex_unlock(&s->lock);
}

/* ---- creation and reset */

static void serial_reset_locked(SerialState *s)
{
    s->divisor = 12;
    s->ier = 0;
    s->lcr = 0;
    s->mcr = 0;
    s->scr = 0;
    s->fcr = 0;
    s->rbr = 0;
    s->lsr = LSR_THRE | LSR_TEMT;
    s->msr = MSR_DCD | MSR_DSR | MSR_CTS;
    s->thr_pending = false;
    rx_clear(s);
    s->input_blocked = false;
    /* The chardev may be waiting for room that the reset just made. */
    chardev_accept_input(s->chr);
    s->irq_level = false;
    irq_set_level(s->irq, 0);
}

void serial_reset(SerialState *s)
{
    pthread_mutex_lock(&s->lock);
    serial_reset_locked(s);
    pthread_mutex_unlock(&s->lock);
}

SerialState *serial_mm_create(MemoryRegion *sysmem, hwaddr base,
                              IrqLine *irq, Chardev *chr, Error **errp)
{
    SerialState *s;

    if (!main_loop()) {
        error_setg(errp, "serial: the main loop is not initialised");
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        abort();
    }
    pthread_mutex_init(&s->lock, NULL);
    s->irq = irq;
    s->chr = chr;
    s->timeout_timer = timer_new(main_loop(), serial_timeout_cb, s);
    serial_reset(s);
    memory_region_init_io(&s->mr, NULL, &serial_ops, s, "serial",
                          SERIAL_MM_SIZE);
    memory_region_set_lockless(&s->mr, true);
    memory_region_add_subregion(sysmem, base, &s->mr);
    if (chr) {
        chardev_set_frontend(chr, serial_can_read, serial_receive, s);
    }
    return s;
}
