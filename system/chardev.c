/* Character devices: stdio (with the Ctrl-a commands), file:PATH, null,
 * pty and (from -chardev) socket backends, and the registry of -chardev
 * ids.
 *
 * Output: chardev_write() writes under the chardev's out_lock from any
 * thread.  stdio, file and a connected socket client wait for a slow
 * consumer (no lost data, as in QEMU); a pty drops what its buffer cannot
 * take, so a guest printing to a pty nobody reads never stalls; a socket
 * without a client drops its output.
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
 * Sockets serve one client at a time: the listening fd is watched only
 * while nobody is connected.  A client's fd is both in_fd and out_fd; the
 * main-loop thread installs it, and on end of input (or a read error)
 * clears out_fd under out_lock before closing it, so a writer never
 * writes to a closed or reused fd.  Bytes already read from a client that
 * left are still delivered.
 *
 * The terminal: a stdio chardev on a tty saves the termios, switches to
 * raw mode and restores it from atexit, from chardev_cleanup_all() and
 * from handlers of the fatal signals (only for signals whose disposition
 * is still the default: a sanitizer's handlers stay in place).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "system/chardev.h"
#include "system/event-loop.h"
#include "system/runstate.h"
#include "util/compiler.h"
#include "util/keyval.h"

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
    CHR_SOCKET,
} ChardevKind;

struct Chardev {
    char *label;
    char *id;                   /* -chardev id (== label), else NULL */
    ChardevKind kind;
    Chardev *next;              /* all_chardevs, BQL */

    /* Output.  out_lock is a leaf: it protects out_fd, out_gone and
     * out_stalled and serialises writes to out_fd so that the bytes of
     * two writers never interleave. */
    pthread_mutex_t out_lock;
    int out_fd;                 /* -1: output discarded; fixed at creation
                                 * except for a socket (its client) */
    bool out_gone;              /* a write failed for good: drop the rest
                                 * (socket: until the next client) */
    bool out_stalled;           /* pty: the reader is not keeping up */

    /* Input: the fields below belong to the main-loop thread, except the
     * frontend callbacks and pump_bh, set and cleared under the BQL in
     * the main-loop thread (chardev_set_frontend/remove_frontend); the
     * frontend stops calling chardev_accept_input() before it goes. */
    EventLoop *loop;
    bool has_input;             /* the backend may ever deliver input */
    int in_fd;                  /* -1: no input (socket: no client) */
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

    /* Socket: set at creation; listen_fd is watched by the main loop
     * while no client is connected. */
    int listen_fd;
    bool tcp;
    char *unix_path;            /* unlinked at exit */
};

/* ---- the terminal */

/* Written once by the BQL holder that creates the stdio chardev, before
 * the signal handlers that read them are installed; tty_raw is cleared
 * by whoever restores first (atexit, a signal handler, cleanup_all). */
static struct termios tty_saved_modes;
static int tty_fd = -1;
static volatile sig_atomic_t tty_raw;
static const char *stdio_user;         /* label of its chardev, BQL */
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
    /* At exit: nothing adds chardevs any more. */
    for (Chardev *chr = all_chardevs; chr; chr = chr->next) {
        if (chr->unix_path) {
            unlink(chr->unix_path);
            free(chr->unix_path);
            chr->unix_path = NULL;
        }
    }
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
        /* A client gone is an error return, whatever SIGPIPE does. */
        ssize_t n = chr->kind == CHR_SOCKET
                    ? send(chr->out_fd, buf, len, MSG_NOSIGNAL)
                    : write(chr->out_fd, buf, len);

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
        } else if (chr->kind == CHR_SOCKET) {
            /* The client left; the main loop notices it on the read side
             * and accepts the next one. */
            chr->out_gone = true;
        } else {
            chr->out_gone = true;
            warn_report("%s: output failed (%s); further output is dropped",
                        chr->label, n < 0 ? strerror(errno) : "short write");
        }
    }
}

void chardev_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    if (!chr || !len) {
        return;
    }
    pthread_mutex_lock(&chr->out_lock);
    if (chr->out_fd >= 0) {
        chardev_write_locked(chr, buf, len);
    }
    pthread_mutex_unlock(&chr->out_lock);
}

/* ---- input */

static void chardev_fd_read(void *opaque);
static void socket_disconnect(Chardev *chr);

static void chardev_watch(Chardev *chr, bool on)
{
    if (chr->in_watched == on || !chr->in_pollable ||
        (on && chr->in_fd < 0)) {
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
    if (n <= 0 && chr->kind == CHR_SOCKET) {
        socket_disconnect(chr);
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
    if (chr->pending_len || chr->in_eof || chr->in_fd < 0) {
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

bool chardev_set_frontend(Chardev *chr, size_t (*can_read)(void *opaque),
                          void (*receive)(void *opaque, const uint8_t *buf,
                                          size_t len),
                          void *opaque)
{
    if (chr->can_read) {
        return false;                   /* one frontend per chardev */
    }
    chr->can_read = can_read;
    chr->receive = receive;
    chr->opaque = opaque;
    if (!chr->has_input) {
        return true;                    /* output only */
    }
    chr->pump_bh = bh_new(chr->loop, chardev_pump, chr);
    bh_schedule(chr->pump_bh);
    return true;
}

void chardev_remove_frontend(Chardev *chr)
{
    if (!chr || !chr->can_read) {
        return;
    }
    chardev_watch(chr, false);
    if (chr->pump_bh) {
        bh_delete(chr->pump_bh);
        chr->pump_bh = NULL;
    }
    chr->can_read = NULL;
    chr->receive = NULL;
    chr->opaque = NULL;
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
    if (stdio_user) {
        error_setg(errp, "stdio is already used by character device '%s' "
                   "(one at most; e.g. -serial null frees it)", stdio_user);
        return false;
    }
    stdio_user = chr->label;
    chr->out_fd = STDOUT_FILENO;
    chr->mux = true;
    if (fcntl(STDIN_FILENO, F_GETFL) < 0) {
        return true;                    /* stdin closed: output only */
    }
    chr->in_fd = STDIN_FILENO;
    chr->has_input = true;
    chr->in_pollable = fd_is_pollable(STDIN_FILENO);
    if (isatty(STDIN_FILENO)) {
        tty_set_raw(STDIN_FILENO);
    }
    return true;
}

static bool chardev_open_file(Chardev *chr, const char *path, bool append,
                              Error **errp)
{
    if (!*path) {
        error_setg(errp, "file: needs a path (file:PATH)");
        return false;
    }
    chr->out_fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
                       (append ? O_APPEND : O_TRUNC), 0666);
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
    chr->has_input = true;
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

/* ---- socket backend */

static void socket_accept(void *opaque);

/* Main-loop thread (or creation, under the BQL): fd becomes the client. */
static void socket_attach(Chardev *chr, int fd)
{
    int one = 1;

    if (chr->tcp) {
        /* Interactive traffic: no Nagle delay on single keystrokes. */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    /* One client at a time: later ones wait in the backlog. */
    event_loop_set_fd_handler(chr->loop, chr->listen_fd, NULL, NULL, chr);
    pthread_mutex_lock(&chr->out_lock);
    chr->out_fd = fd;
    chr->out_gone = false;
    pthread_mutex_unlock(&chr->out_lock);
    chr->in_fd = fd;
    if (chr->pump_bh) {
        bh_schedule(chr->pump_bh);
    }
}

/* Main-loop thread: the client left (end of input or a read error). */
static void socket_disconnect(Chardev *chr)
{
    int fd = chr->in_fd;

    chardev_watch(chr, false);
    chr->in_fd = -1;
    /* Wakes a writer waiting for the client to read, so that out_lock
     * comes free. */
    shutdown(fd, SHUT_RDWR);
    pthread_mutex_lock(&chr->out_lock);
    chr->out_fd = -1;
    pthread_mutex_unlock(&chr->out_lock);
    close(fd);
    event_loop_set_fd_handler(chr->loop, chr->listen_fd, socket_accept,
                              NULL, chr);
}

static void socket_accept(void *opaque)
{
    Chardev *chr = opaque;
    int fd;

    if (chr->in_fd >= 0) {
        return;                         /* a stale readiness */
    }
    fd = accept4(chr->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
        socket_attach(chr, fd);
    }
    /* Errors (the client gave up, EMFILE): try again at the next one. */
}

/* wait=on: blocks until the first client connects, as QEMU does. */
static bool socket_wait_client(Chardev *chr, const char *where, Error **errp)
{
    struct pollfd pfd = { .fd = chr->listen_fd, .events = POLLIN };
    int fd = -1;

    fprintf(stderr, "weft: chardev '%s': waiting for a connection on %s\n",
            chr->label, where);
    while (fd < 0) {
        if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
            error_setg_errno(errp, errno, "socket: poll");
            return false;
        }
        fd = accept4(chr->listen_fd, NULL, NULL,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && errno != EAGAIN && errno != EINTR &&
            errno != ECONNABORTED) {
            error_setg_errno(errp, errno, "socket: accept");
            return false;
        }
    }
    socket_attach(chr, fd);
    return true;
}

static int socket_listen_unix(Chardev *chr, const char *path, Error **errp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    int fd;

    if (!*path || strlen(path) >= sizeof(sa.sun_path)) {
        error_setg(errp, "socket: path '%s' is empty or longer than %zu "
                   "bytes", path, sizeof(sa.sun_path) - 1);
        return -1;
    }
    /* A socket left by an earlier run is replaced, anything else kept. */
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            error_setg(errp, "socket: '%s' exists and is not a socket", path);
            return -1;
        }
        unlink(path);
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 1) < 0) {
        error_setg_errno(errp, errno, "socket: cannot listen on '%s'", path);
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    chr->unix_path = strdup(path);
    if (!chr->unix_path) {
        abort();
    }
    return fd;
}

static int socket_bind_tcp(const struct addrinfo *ai)
{
    int one = 1;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
                    SOCK_CLOEXEC, ai->ai_protocol);

    if (fd < 0) {
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1) < 0) {
        int err = errno;

        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* The port actually bound (port=0 asks the kernel for a free one). */
static unsigned socket_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        return 0;
    }
    if (ss.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static int socket_listen_tcp(Chardev *chr, const char *host,
                             const char *port, Error **errp)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
    };
    struct addrinfo *res, *ai;
    int fd = -1, err = 0, gai;

    gai = getaddrinfo(host, port, &hints, &res);
    if (gai) {
        error_setg(errp, "socket: host '%s', port '%s': %s", host, port,
                   gai_strerror(gai));
        return -1;
    }
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket_bind_tcp(ai);
        err = fd < 0 ? errno : 0;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        error_setg_errno(errp, err, "socket: cannot listen on %s:%s", host,
                         port);
        return -1;
    }
    chr->tcp = true;
    if (!strcmp(port, "0")) {
        /* An IPv6 address goes in brackets: [::1]:PORT. */
        bool v6 = strchr(host, ':');

        fprintf(stderr, "weft: chardev '%s' listening on tcp:%s%s%s:%u\n",
                chr->label, v6 ? "[" : "", host, v6 ? "]" : "",
                socket_local_port(fd));
    }
    return fd;
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
        return chardev_open_file(chr, spec + 5, false, errp);
    }
    if (!strcmp(spec, "pty")) {
        chr->kind = CHR_PTY;
        return chardev_open_pty(chr, errp);
    }
    error_setg(errp, "'%s': unknown character device "
               "(stdio, file:PATH, null, pty, chardev:ID)", spec);
    return false;
}

static void chardev_once(void)
{
    struct sigaction old, ign = { .sa_handler = SIG_IGN };

    atexit(chardev_cleanup_all);
    /* A closed stdout pipe (or a socket client that left) must be a
     * write error, not a silent death. */
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
        sigaction(SIGPIPE, &ign, NULL);
    }
}

static Chardev *chardev_alloc(const char *label)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    Chardev *chr;

    pthread_once(&once, chardev_once);
    chr = calloc(1, sizeof(*chr));
    if (!chr || !(chr->label = strdup(label))) {
        abort();
    }
    pthread_mutex_init(&chr->out_lock, NULL);
    chr->out_fd = chr->in_fd = chr->pty_slave_fd = chr->listen_fd = -1;
    chr->loop = main_loop();
    return chr;
}

/* A chardev whose backend failed to open (it opened nothing). */
static void chardev_discard(Chardev *chr)
{
    pthread_mutex_destroy(&chr->out_lock);
    free(chr->unix_path);
    free(chr->label);
    free(chr);
}

static void chardev_add(Chardev *chr)
{
    chr->next = all_chardevs;
    all_chardevs = chr;
}

Chardev *chardev_find(const char *id)
{
    for (Chardev *chr = all_chardevs; chr; chr = chr->next) {
        if (chr->id && !strcmp(chr->id, id)) {
            return chr;
        }
    }
    return NULL;
}

const char *chardev_label(const Chardev *chr)
{
    return chr->label;
}

Chardev *chardev_new(const char *label, const char *spec, Error **errp)
{
    Chardev *chr;

    if (!spec || !label) {
        error_setg(errp, "character device: missing %s",
                   label ? "backend" : "label");
        return NULL;
    }
    if (!strncmp(spec, "chardev:", 8)) {
        chr = chardev_find(spec + 8);
        if (!chr) {
            error_setg(errp, "%s: no character device with id '%s' (create "
                       "it with -chardev BACKEND,id=%s)", label, spec + 8,
                       spec + 8);
        }
        return chr;
    }
    chr = chardev_alloc(label);
    if ((!strcmp(spec, "stdio") || !strcmp(spec, "pty")) && !chr->loop) {
        error_setg(errp, "%s: '%s' needs the main loop", label, spec);
        goto fail;
    }
    if (!chardev_open(chr, spec, errp)) {
        goto fail;
    }
    chardev_add(chr);
    return chr;

fail:
    chardev_discard(chr);
    return NULL;
}

/* ---- -chardev BACKEND,id=ID,... */

typedef struct ChardevBackend {
    const char *name;
    const char *const *params;  /* besides backend and id */
    const char *usage;
    bool (*open)(Chardev *chr, const KeyVal *kv, Error **errp);
} ChardevBackend;

static bool opts_bool(const KeyVal *kv, const char *key, bool def,
                      bool *out, Error **errp)
{
    const char *v = keyval_get(kv, key);
    Error *err = NULL;

    *out = def;
    if (v && !parse_bool(v, out, &err)) {
        error_setg(errp, "%s: %s", key, error_get_pretty(err));
        error_free(err);
        return false;
    }
    return true;
}

static bool opts_open_null(Chardev *chr, const KeyVal *kv, Error **errp)
{
    chr->kind = CHR_NULL;
    return true;
}

static bool opts_open_stdio(Chardev *chr, const KeyVal *kv, Error **errp)
{
    chr->kind = CHR_STDIO;
    return chardev_open_stdio(chr, errp);
}

static bool opts_open_pty(Chardev *chr, const KeyVal *kv, Error **errp)
{
    chr->kind = CHR_PTY;
    return chardev_open_pty(chr, errp);
}

static bool opts_open_file(Chardev *chr, const KeyVal *kv, Error **errp)
{
    const char *path = keyval_get(kv, "path");
    bool append;

    chr->kind = CHR_FILE;
    if (!path) {
        error_setg(errp, "file: parameter 'path' is missing");
        return false;
    }
    return opts_bool(kv, "append", false, &append, errp) &&
           chardev_open_file(chr, path, append, errp);
}

/* Checks the socket parameters; *port is NULL for a unix socket. */
static bool socket_opts_check(const KeyVal *kv, const char **port,
                              bool *wait, Error **errp)
{
    const char *path = keyval_get(kv, "path");
    uint64_t n;
    bool server;
    Error *err = NULL;

    *port = keyval_get(kv, "port");
    if (!opts_bool(kv, "server", false, &server, errp) ||
        !opts_bool(kv, "wait", true, wait, errp)) {
        return false;
    }
    if (!server) {
        error_setg(errp, "socket: only server mode is supported "
                   "(server=on)");
        return false;
    }
    if (!path == !*port || (path && keyval_get(kv, "host"))) {
        error_setg(errp, "socket: needs either path=PATH (unix) or "
                   "port=PORT[,host=HOST] (tcp)");
        return false;
    }
    if (*port && (!parse_uint64(*port, &n, &err) || n > 65535)) {
        error_setg(errp, "socket: port '%s' is not a number up to 65535",
                   *port);
        error_free(err);
        return false;
    }
    return true;
}

static bool opts_open_socket(Chardev *chr, const KeyVal *kv, Error **errp)
{
    const char *path = keyval_get(kv, "path");
    const char *host = keyval_get(kv, "host");
    const char *port;
    char where[300];
    bool wait;

    chr->kind = CHR_SOCKET;
    if (!socket_opts_check(kv, &port, &wait, errp)) {
        return false;
    }
    /* Loopback unless asked otherwise: a guest console is no service to
     * offer the network by default (QEMU listens everywhere). */
    host = host ? host : "127.0.0.1";
    chr->listen_fd = port ? socket_listen_tcp(chr, host, port, errp)
                          : socket_listen_unix(chr, path, errp);
    if (chr->listen_fd < 0) {
        return false;
    }
    chr->in_pollable = true;
    chr->has_input = true;
    if (port) {
        snprintf(where, sizeof(where), strchr(host, ':') ? "tcp:[%s]:%s"
                                                         : "tcp:%s:%s",
                 host, port);
    } else {
        snprintf(where, sizeof(where), "unix:%s", path);
    }
    if (wait && !socket_wait_client(chr, where, errp)) {
        close(chr->listen_fd);
        if (chr->unix_path) {
            unlink(chr->unix_path);
        }
        return false;
    }
    if (chr->in_fd < 0) {
        event_loop_set_fd_handler(chr->loop, chr->listen_fd, socket_accept,
                                  NULL, chr);
    }
    return true;
}

static const char *const no_params[] = { NULL };
static const char *const file_params[] = { "path", "append", NULL };
static const char *const socket_params[] = {
    "path", "host", "port", "server", "wait", NULL
};

static const ChardevBackend chardev_backends[] = {
    { "null", no_params, "output discarded, no input", opts_open_null },
    { "stdio", no_params, "the terminal, with the Ctrl-a commands (one "
      "stdio chardev at most)", opts_open_stdio },
    { "file", file_params, "path=PATH[,append=on]: output to PATH, no "
      "input", opts_open_file },
    { "pty", no_params, "a new pseudo-terminal (its name goes to stderr)",
      opts_open_pty },
    { "socket", socket_params, "path=PATH|port=PORT[,host=HOST],server=on"
      "[,wait=off]: a unix or TCP (default host 127.0.0.1) socket server "
      "for one client at a time; wait=on (default) waits for it at start",
      opts_open_socket },
};

void chardev_print_help(FILE *f)
{
    fprintf(f, "-chardev BACKEND,id=ID[,...], backends:\n");
    for (size_t i = 0; i < ARRAY_SIZE(chardev_backends); i++) {
        fprintf(f, "  %-7s %s\n", chardev_backends[i].name,
                chardev_backends[i].usage);
    }
}

static bool chardev_id_valid(const char *id)
{
    if (!isalpha((unsigned char)*id)) {
        return false;
    }
    for (; *id; id++) {
        if (!isalnum((unsigned char)*id) && !strchr("-._", *id)) {
            return false;
        }
    }
    return true;
}

static bool backend_has_param(const ChardevBackend *b, const char *key)
{
    if (!strcmp(key, "backend") || !strcmp(key, "id")) {
        return true;
    }
    for (const char *const *p = b->params; *p; p++) {
        if (!strcmp(*p, key)) {
            return true;
        }
    }
    return false;
}

/* The backend named in kv, once its id and parameters check out. */
static const ChardevBackend *chardev_opts_check(const KeyVal *kv,
                                                Error **errp)
{
    const char *name = keyval_get(kv, "backend");
    const char *id = keyval_get(kv, "id");
    const ChardevBackend *b = NULL;

    for (size_t i = 0; name && i < ARRAY_SIZE(chardev_backends); i++) {
        if (!strcmp(chardev_backends[i].name, name)) {
            b = &chardev_backends[i];
        }
    }
    if (!b) {
        error_setg(errp, "unknown backend '%s' (null, stdio, file, pty, "
                   "socket; try -chardev help)", name ? name : "");
        return NULL;
    }
    for (size_t i = 0; i < kv->count; i++) {
        const char *key = kv->pairs[i].key;

        if (!backend_has_param(b, key)) {
            error_setg(errp, "%s: unknown parameter '%s'", name, key);
            return NULL;
        }
        if (keyval_count(kv, key) > 1) {
            error_setg(errp, "parameter '%s' given twice", key);
            return NULL;
        }
    }
    if (!id) {
        error_setg(errp, "parameter 'id' is missing");
        return NULL;
    }
    if (!chardev_id_valid(id)) {
        error_setg(errp, "'%s' is not a valid id (a letter, then letters, "
                   "digits, '-', '.' or '_')", id);
        return NULL;
    }
    if (chardev_find(id)) {
        error_setg(errp, "character device id '%s' is already in use", id);
        return NULL;
    }
    return b;
}

Chardev *chardev_new_from_opts(const char *opts, Error **errp)
{
    KeyVal *kv = keyval_parse(opts, "backend", errp);
    const ChardevBackend *b;
    Chardev *chr = NULL;

    if (!kv) {
        return NULL;
    }
    b = chardev_opts_check(kv, errp);
    if (b && !main_loop()) {
        error_setg(errp, "character devices need the main loop");
    } else if (b) {
        chr = chardev_alloc(keyval_get(kv, "id"));
        if (b->open(chr, kv, errp)) {
            chr->id = chr->label;
            chardev_add(chr);
        } else {
            chardev_discard(chr);
            chr = NULL;
        }
    }
    keyval_free(kv);
    return chr;
}
