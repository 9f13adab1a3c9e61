/* Character devices: stdio (with the Ctrl-a commands), file:PATH, null
 * and pty backends.
 *
 * Output: chardev_write() writes under the chardev's out_lock from any
 * thread.  stdio and file wait for a slow consumer (no lost data, as in
 * QEMU); a pty drops what its buffer cannot take, so a guest printing to
 * a pty nobody reads never stalls.
 *
 * Input runs in the main-loop thread only: an fd handler (or, for fds
 * epoll refuses such as regular files and /dev/null, a self-rescheduling
 * bottom half) reads at most what the frontend's can_read() allows, runs
 * the bytes through the Ctrl-a filter (stdio) into `pending`, and hands
 * them to receive().  When the frontend is full, the fd handler is removed
 * so that further input stays in the host's buffers; the frontend's
 * chardev_accept_input() schedules pump_bh, which delivers what is pending
 * and watches the fd again.  Nothing is ever dropped on the input side.
 *
 * The terminal: a stdio chardev on a tty saves the termios, switches to
 * raw mode and restores it from atexit, from chardev_cleanup_all() and
 * from handlers of the fatal signals (only for signals whose disposition
 * is still the default: a sanitizer's handlers stay in place).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <termios.h>
#include <unistd.h>

#include "system/chardev.h"
#include "system/event-loop.h"
#include "system/runstate.h"
#include "util/compiler.h"

#define CHR_READ_MAX 256
#define CTRL_A 0x01
/* How long a pty write waits for a reader before the output counts as
 * stalled and is dropped without waiting until the reader catches up. */
#define PTY_STALL_TIMEOUT_MS 100

typedef enum ChardevKind {
    CHR_NULL,
    CHR_STDIO,
    CHR_FILE,
    CHR_PTY,
} ChardevKind;

struct Chardev {
    char *label;
    ChardevKind kind;
    Chardev *next;              /* all_chardevs, BQL */

    /* Output.  out_lock is a leaf: it protects out_gone and out_stalled
     * and serialises writes to out_fd so that the bytes of two writers
     * never interleave. */
    pthread_mutex_t out_lock;
    int out_fd;                 /* -1: output discarded; fixed at creation */
    bool out_gone;              /* a write failed for good: drop the rest */
    bool out_stalled;           /* pty: the reader is not keeping up */

    /* Input: the fields below belong to the main-loop thread, except the
     * frontend callbacks and pump_bh, set under the BQL before the loop
     * reads input (chardev_set_frontend) and never changed after. */
    EventLoop *loop;
    int in_fd;                  /* -1: no input */
    bool in_pollable;           /* epoll accepts in_fd */
    bool in_watched;            /* the fd handler is installed */
    bool in_eof;                /* end of input (or Ctrl-a x): stop */
    bool mux;                   /* stdio: interpret Ctrl-a commands */
    bool mux_escape;            /* the previous byte was Ctrl-a */
    uint8_t pending[CHR_READ_MAX];
    size_t pending_start, pending_len;
    BH *pump_bh;
    size_t (*can_read)(void *opaque);
    void (*receive)(void *opaque, const uint8_t *buf, size_t len);
    void *opaque;

    int pty_slave_fd;           /* held open so the master never hangs up */
};

/* ---- the terminal */

/* Written once by the BQL holder that creates the stdio chardev, before
 * the signal handlers that read them are installed; tty_raw is cleared
 * by whoever restores first (atexit, a signal handler, cleanup_all). */
static struct termios tty_saved_modes;
static int tty_fd = -1;
static volatile sig_atomic_t tty_raw;
static bool stdio_in_use;              /* BQL */
/* Every chardev: they live until the process exits.  BQL. */
static Chardev *all_chardevs;

/* Async-signal-safe. */
static void tty_restore(int when)
{
    if (tty_raw) {
        tty_raw = 0;
        tcsetattr(tty_fd, when, &tty_saved_modes);
    }
}

void chardev_cleanup_all(void)
{
    tty_restore(TCSADRAIN);
}

static void fatal_signal_handler(int sig)
{
    struct sigaction dfl = { .sa_handler = SIG_DFL };

    tty_restore(TCSANOW);
    /* Die of the same signal, with its default action: the signal is
     * blocked while we run, so it is delivered when we return (and a
     * synchronous fault simply happens again). */
    sigaction(sig, &dfl, NULL);
    raise(sig);
}

static void install_fatal_signal_handlers(void)
{
    static const int sigs[] = {
        SIGTERM, SIGINT, SIGHUP, SIGQUIT,
        SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT,
    };
    struct sigaction sa = { .sa_handler = fatal_signal_handler };
    struct sigaction old;

    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
        if (sigaction(sigs[i], NULL, &old) == 0 &&
            old.sa_handler == SIG_DFL && !(old.sa_flags & SA_SIGINFO)) {
            sigaction(sigs[i], &sa, NULL);
        }
    }
}

/* Raw input (no echo, no line editing, no signals from Ctrl-C: those
 * bytes belong to the guest), but output post-processing stays on so a
 * guest's bare "\n" still starts a new line, as QEMU does. */
static void tty_set_raw(int fd)
{
    struct termios t;

    if (tcgetattr(fd, &tty_saved_modes) < 0) {
        return;
    }
    t = tty_saved_modes;
    t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
                   ICRNL | IXON);
    t.c_oflag |= OPOST;
    t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tty_fd = fd;
    install_fatal_signal_handlers();
    tty_raw = 1;
    if (tcsetattr(fd, TCSANOW, &t) < 0) {
        tty_raw = 0;
    }
}

/* ---- output */

/* out_lock held.  False: give up on the rest of this write. */
static bool chardev_wait_writable(Chardev *chr)
{
    struct pollfd pfd = { .fd = chr->out_fd, .events = POLLOUT };
    int timeout = -1;
    int r;

    if (chr->kind == CHR_PTY) {
        timeout = chr->out_stalled ? 0 : PTY_STALL_TIMEOUT_MS;
    }
    do {
        r = poll(&pfd, 1, timeout);
    } while (r < 0 && errno == EINTR);
    if (r <= 0) {
        chr->out_stalled = true;
        return false;
    }
    return true;
}

static void chardev_write_locked(Chardev *chr, const uint8_t *buf,
                                 size_t len)
{
    while (len && !chr->out_gone) {
        ssize_t n = write(chr->out_fd, buf, len);

        if (n > 0) {
            buf += n;
            len -= n;
            chr->out_stalled = false;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            if (!chardev_wait_writable(chr)) {
                return;
            }
        } else {
            chr->out_gone = true;
            warn_report("%s: output failed (%s); further output is dropped",
                        chr->label, n < 0 ? strerror(errno) : "short write");
        }
    }
}

void chardev_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    if (!chr || chr->out_fd < 0 || !len) {
        return;
    }
    pthread_mutex_lock(&chr->out_lock);
    chardev_write_locked(chr, buf, len);
    pthread_mutex_unlock(&chr->out_lock);
}

/* ---- input */

static void chardev_fd_read(void *opaque);

static void chardev_watch(Chardev *chr, bool on)
{
    if (chr->in_watched == on || !chr->in_pollable) {
        return;
    }
    chr->in_watched = on;
    event_loop_set_fd_handler(chr->loop, chr->in_fd,
                              on ? chardev_fd_read : NULL, NULL, chr);
}

static void chardev_stop_input(Chardev *chr)
{
    chardev_watch(chr, false);
    chr->in_eof = true;
}

static void mux_print_help(Chardev *chr)
{
    static const char help[] =
        "\r\n"
        "C-a h    print this help\r\n"
        "C-a x    exit weft\r\n"
        "C-a C-a  send C-a to the guest\r\n";

    chardev_write(chr, (const uint8_t *)help, sizeof(help) - 1);
}

/* Runs the Ctrl-a commands; returns how many bytes of in (copied to out)
 * are for the guest. */
static size_t mux_filter(Chardev *chr, const uint8_t *in, size_t len,
                         uint8_t *out)
{
    static const char bye[] = "\r\nweft: terminating on Ctrl-a x\r\n";
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        uint8_t c = in[i];

        if (!chr->mux_escape) {
            if (c == CTRL_A) {
                chr->mux_escape = true;
            } else {
                out[n++] = c;
            }
            continue;
        }
        chr->mux_escape = false;
        if (c == 'x') {
            if (write(STDERR_FILENO, bye, sizeof(bye) - 1) < 0) {
                /* nothing better to do than to quit anyway */
            }
            chardev_stop_input(chr);
            qemu_system_shutdown_request(0);
            return n;
        } else if (c == 'h' || c == '?') {
            mux_print_help(chr);
        } else if (c == CTRL_A) {
            out[n++] = c;
        }
        /* Other commands are ignored, like QEMU's unknown ones. */
    }
    return n;
}

/* Hands pending bytes to the frontend while it takes them. */
static void chardev_deliver(Chardev *chr)
{
    while (chr->pending_len) {
        size_t room = chr->can_read(chr->opaque);
        size_t n = MIN(room, chr->pending_len);

        if (!n) {
            return;
        }
        chr->receive(chr->opaque, chr->pending + chr->pending_start, n);
        chr->pending_start += n;
        chr->pending_len -= n;
    }
    chr->pending_start = 0;
}

/* A pollable fd may have lost its readiness (a nested poll); in_fd may be
 * a blocking fd shared with the shell (stdin), so check before reading. */
static bool chardev_fd_ready(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };

    return poll(&pfd, 1, 0) > 0;
}

/* Reads one chunk.  Returns true if more input may be read right away. */
static bool chardev_read_input(Chardev *chr)
{
    uint8_t raw[CHR_READ_MAX];
    size_t room = chr->can_read(chr->opaque);
    ssize_t n;

    if (!room) {
        /* The frontend calls chardev_accept_input() when it has room. */
        chardev_watch(chr, false);
        return false;
    }
    if (chr->in_pollable && !chardev_fd_ready(chr->in_fd)) {
        return false;
    }
    n = read(chr->in_fd, raw, MIN(room, sizeof(raw)));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return false;
    }
    if (n <= 0) {
        chardev_stop_input(chr);
        return false;
    }
    if (chr->mux) {
        chr->pending_len = mux_filter(chr, raw, n, chr->pending);
    } else {
        memcpy(chr->pending, raw, n);
        chr->pending_len = n;
    }
    chr->pending_start = 0;
    chardev_deliver(chr);
    if (chr->pending_len) {
        chardev_watch(chr, false);
        return false;
    }
    return !chr->in_eof;
}

static void chardev_fd_read(void *opaque)
{
    chardev_read_input(opaque);
}

/* pump_bh: start or resume input. */
static void chardev_pump(void *opaque)
{
    Chardev *chr = opaque;

    chardev_deliver(chr);
    if (chr->pending_len || chr->in_eof) {
        return;
    }
    if (chr->in_pollable) {
        chardev_watch(chr, true);
    } else if (chardev_read_input(chr)) {
        /* Regular files never block: read on, one chunk per iteration so
         * the rest of the main loop keeps running. */
        bh_schedule(chr->pump_bh);
    }
}

void chardev_accept_input(Chardev *chr)
{
    if (chr && chr->pump_bh) {
        bh_schedule(chr->pump_bh);
    }
}

void chardev_set_frontend(Chardev *chr, size_t (*can_read)(void *opaque),
                          void (*receive)(void *opaque, const uint8_t *buf,
                                          size_t len),
                          void *opaque)
{
    if (chr->can_read) {
        return;                         /* one frontend per chardev */
    }
    chr->can_read = can_read;
    chr->receive = receive;
    chr->opaque = opaque;
    if (chr->in_fd < 0) {
        return;                         /* output only */
    }
    chr->pump_bh = bh_new(chr->loop, chardev_pump, chr);
    bh_schedule(chr->pump_bh);
}

/* ---- backends */

static bool fd_is_pollable(int fd)
{
    struct epoll_event ev = { .events = EPOLLIN };
    int ep = epoll_create1(EPOLL_CLOEXEC);
    bool ok;

    if (ep < 0) {
        return false;
    }
    ok = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0;
    close(ep);
    return ok;
}

static bool chardev_open_stdio(Chardev *chr, Error **errp)
{
    if (stdio_in_use) {
        error_setg(errp, "stdio: already used by another character device");
        return false;
    }
    stdio_in_use = true;
    chr->out_fd = STDOUT_FILENO;
    chr->mux = true;
    if (fcntl(STDIN_FILENO, F_GETFL) < 0) {
        return true;                    /* stdin closed: output only */
    }
    chr->in_fd = STDIN_FILENO;
    chr->in_pollable = fd_is_pollable(STDIN_FILENO);
    if (isatty(STDIN_FILENO)) {
        tty_set_raw(STDIN_FILENO);
    }
    return true;
}

static bool chardev_open_file(Chardev *chr, const char *path, Error **errp)
{
    if (!*path) {
        error_setg(errp, "file: needs a path (file:PATH)");
        return false;
    }
    chr->out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (chr->out_fd < 0) {
        error_setg_errno(errp, errno, "could not open '%s'", path);
        return false;
    }
    return true;
}

static bool chardev_open_pty(Chardev *chr, Error **errp)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    char name[64];
    struct termios t;

    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
        ptsname_r(master, name, sizeof(name)) != 0) {
        error_setg_errno(errp, errno, "pty: could not create a pseudo-terminal");
        goto fail;
    }
    /* Keeping the slave open ourselves means the master never sees a
     * hang-up when clients come and go, and output waits in the pty
     * buffer for the next client (until the buffer is full). */
    chr->pty_slave_fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (chr->pty_slave_fd < 0) {
        error_setg_errno(errp, errno, "pty: could not open %s", name);
        goto fail;
    }
    if (tcgetattr(chr->pty_slave_fd, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(chr->pty_slave_fd, TCSANOW, &t);
    }
    if (fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK) < 0) {
        error_setg_errno(errp, errno, "pty: fcntl");
        goto fail;
    }
    chr->in_fd = chr->out_fd = master;
    chr->in_pollable = true;
    fprintf(stderr, "char device redirected to %s (label %s)\n", name,
            chr->label);
    return true;

fail:
    if (chr->pty_slave_fd >= 0) {
        close(chr->pty_slave_fd);
    }
    if (master >= 0) {
        close(master);
    }
    return false;
}

static bool chardev_open(Chardev *chr, const char *spec, Error **errp)
{
    if (!strcmp(spec, "null")) {
        chr->kind = CHR_NULL;
        return true;
    }
    if (!strcmp(spec, "stdio")) {
        chr->kind = CHR_STDIO;
        return chardev_open_stdio(chr, errp);
    }
    if (!strncmp(spec, "file:", 5)) {
        chr->kind = CHR_FILE;
        return chardev_open_file(chr, spec + 5, errp);
    }
    if (!strcmp(spec, "pty")) {
        chr->kind = CHR_PTY;
        return chardev_open_pty(chr, errp);
    }
    error_setg(errp, "'%s': unknown character device "
               "(stdio, file:PATH, null, pty)", spec);
    return false;
}

static void chardev_once(void)
{
    struct sigaction old, ign = { .sa_handler = SIG_IGN };

    atexit(chardev_cleanup_all);
    /* A closed stdout pipe must be a write error, not a silent death. */
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
        sigaction(SIGPIPE, &ign, NULL);
    }
}

Chardev *chardev_new(const char *label, const char *spec, Error **errp)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    Chardev *chr;

    if (!spec || !label) {
        error_setg(errp, "character device: missing %s",
                   label ? "backend" : "label");
        return NULL;
    }
    pthread_once(&once, chardev_once);
    chr = calloc(1, sizeof(*chr));
    if (!chr || !(chr->label = strdup(label))) {
        abort();
    }
    pthread_mutex_init(&chr->out_lock, NULL);
    chr->out_fd = chr->in_fd = chr->pty_slave_fd = -1;
    chr->loop = main_loop();
    if ((!strcmp(spec, "stdio") || !strcmp(spec, "pty")) && !chr->loop) {
        error_setg(errp, "%s: '%s' needs the main loop", label, spec);
        goto fail;
    }
    if (!chardev_open(chr, spec, errp)) {
        goto fail;
    }
    chr->next = all_chardevs;
    all_chardevs = chr;
    return chr;

fail:
    pthread_mutex_destroy(&chr->out_lock);
    free(chr->label);
    free(chr);
    return NULL;
}
