/* Shutdown and reset requests: flags, the status, and a wake-up of the
 * main loop.  The loop is stopped with event_loop_stop(), which is
 * callable from any thread and keeps a stop requested before the loop
 * runs (so a guest that exits before main() reaches the loop is not
 * missed).  Also the run state (running/paused) that QMP stop/cont
 * change, the causes and the event hook QMP reports them through. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "system/bql.h"
#include "system/event-loop.h"
#include "system/runstate.h"
#include "util/atomic.h"
#include "util/compiler.h"

/* Set once, by the first request: the compare-exchange on `requested` decides
 * who writes `status`; readers load `requested` (acquire) first. */
static int requested;
static int status;
static int shutdown_cause;      /* ShutdownCause, published like status */

/* A pending reset request: its ShutdownCause, 0 when none (atomic: set by
 * any thread, cleared by the main thread).  no_reboot is written before
 * the vCPUs start. */
static int reset_pending;
static bool no_reboot;
/* Main thread: the cause of the reset request reset_request_consume()
 * took, for the RESET event of the qemu_system_reset() that follows. */
static ShutdownCause reset_cause;

/* RunState (atomic to read; written under the BQL, or by the main thread
 * once the main loop saw the shutdown). */
static int run_state = RUN_STATE_PRELAUNCH;
/* The first termination signal and its sender's pid (0 if none or
 * unknown): written by its handler before that makes the shutdown
 * request, read by the main thread when the cause is HOST_SIGNAL. */
static volatile sig_atomic_t term_signal;
static volatile sig_atomic_t term_pid;
/* Main thread: SHUTDOWN was reported. */
static bool shutdown_reported;
/* Set before the machine runs; read atomically. */
static RunstateEventHook *event_hook;
/* BQL: the board's power button. */
static void (*powerdown_fn)(void *opaque);
static void *powerdown_opaque;

typedef struct ResetEntry {
    ResetHandler *fn;
    void *opaque;
    struct ResetEntry *next;
} ResetEntry;

/* BQL: the reset handler list, in registration order. */
static ResetEntry *reset_first, **reset_tail = &reset_first;

static void wake_main_loop(void)
{
    EventLoop *loop = main_loop();

    if (loop) {
        event_loop_stop(loop);
    }
}

static void report(RunstateEvent event, ShutdownCause cause)
{
    RunstateEventHook *hook = atomic_read(&event_hook);

    if (hook) {
        hook(event, cause);
    }
}

void runstate_set_event_hook(RunstateEventHook *hook)
{
    atomic_set(&event_hook, hook);
}

void qemu_system_shutdown_request(int exit_status)
{
    qemu_system_shutdown_request_cause(exit_status,
                                       SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
}

/* Async-signal-safe: lock-free atomics and event_loop_stop(). */
bool qemu_system_shutdown_request_cause(int exit_status, ShutdownCause cause)
{
    int expected = 0;

    /* 0 -> 1 claims the right to write status; 2 publishes it. */
    if (!__atomic_compare_exchange_n(&requested, &expected, 1, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        return false;
    }
    atomic_set(&status, exit_status);
    atomic_set(&shutdown_cause, cause);
    atomic_store_release(&requested, 2);
    wake_main_loop();
    return true;
}

bool shutdown_requested(void)
{
    return atomic_load_acquire(&requested) == 2;
}

int shutdown_status(void)
{
    return shutdown_requested() ? atomic_read(&status) : 0;
}

void runstate_set_no_reboot(bool value)
{
    no_reboot = value;
}

void qemu_system_reset_request(void)
{
    qemu_system_reset_request_cause(SHUTDOWN_CAUSE_GUEST_RESET);
}

void qemu_system_reset_request_cause(ShutdownCause cause)
{
    assert(cause != SHUTDOWN_CAUSE_NONE);   /* 0 means "no request" */
    if (no_reboot) {
        qemu_system_shutdown_request_cause(0, cause);
        return;
    }
    atomic_store_release(&reset_pending, (int)cause);
    wake_main_loop();
}

bool reset_request_consume(void)
{
    int cause = atomic_xchg(&reset_pending, 0);

    if (cause) {
        reset_cause = cause;
    }
    return cause != 0;
}

void qemu_register_reset(ResetHandler *fn, void *opaque)
{
    ResetEntry *e = calloc(1, sizeof(*e));

    assert(bql_locked());
    if (!e) {
        abort();
    }
    e->fn = fn;
    e->opaque = opaque;
    *reset_tail = e;
    reset_tail = &e->next;
}

void qemu_system_reset(void)
{
    ShutdownCause cause = reset_cause;

    assert(bql_locked());
    for (ResetEntry *e = reset_first; e; e = e->next) {
        e->fn(e->opaque);
    }
    /* The power-on reset has no cause and no event, as in QEMU. */
    reset_cause = SHUTDOWN_CAUSE_NONE;
    if (cause != SHUTDOWN_CAUSE_NONE) {
        report(RUNSTATE_EVENT_RESET, cause);
    }
}

/* ---- termination signals */

/* Any thread that does not block the signal. */
static void termination_signal(int sig, siginfo_t *info, void *ctx)
{
    static int claimed;
    int saved_errno = errno;
    int unclaimed = 0;

    /* The first signal makes the request; later ones find it made.  It
     * writes who sent it before the request publishes the cause, and
     * the main thread reads it after seeing the request (the release
     * and acquire on `requested` order them). */
    if (__atomic_compare_exchange_n(&claimed, &unclaimed, 1, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        term_signal = sig;
        term_pid = info->si_code <= 0 ? info->si_pid : 0;  /* kill, tkill */
        qemu_system_shutdown_request_cause(0, SHUTDOWN_CAUSE_HOST_SIGNAL);
    }
    errno = saved_errno;
}

void runstate_init_signals(void)
{
    static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
    struct sigaction sa = {
        .sa_sigaction = termination_signal,
        .sa_flags = SA_SIGINFO | SA_RESTART,
    };

    sigfillset(&sa.sa_mask);
    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
        if (sigaction(sigs[i], &sa, NULL) < 0) {
            perror("weft: sigaction");
            abort();
        }
    }
}

/* The sender's command name, as QEMU prints it; "" if unknown. */
static void pid_name(int pid, char *buf, size_t size)
{
    char path[64];
    ssize_t n = 0;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/comm", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        n = read(fd, buf, size - 1);
        close(fd);
    }
    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
}

/* Main thread, when the main loop acts on a signal's request. */
static void report_termination_signal(void)
{
    int sig = term_signal, pid = term_pid;
    char name[64];

    if (!sig) {
        return;
    }
    if (!pid) {
        fprintf(stderr, "weft: terminating on signal %d\n", sig);
        return;
    }
    pid_name(pid, name, sizeof(name));
    fprintf(stderr, "weft: terminating on signal %d from pid %d (%s)\n",
            sig, pid, *name ? name : "<unknown process>");
}

void main_loop_run_until_shutdown(void)
{
    EventLoop *loop = main_loop();

    while (!shutdown_requested() && !atomic_read(&reset_pending)) {
        event_loop_run(loop);
    }
    if (shutdown_requested() && !shutdown_reported) {
        ShutdownCause cause = atomic_read(&shutdown_cause);

        shutdown_reported = true;
        if (cause == SHUTDOWN_CAUSE_HOST_SIGNAL) {
            report_termination_signal();
        }
        atomic_set(&run_state, RUN_STATE_SHUTDOWN);
        report(RUNSTATE_EVENT_SHUTDOWN, cause);
    }
}

/* ---- causes, run state, power button */

const char *shutdown_cause_name(ShutdownCause cause)
{
    static const char *const names[] = {
        [SHUTDOWN_CAUSE_NONE] = "none",
        [SHUTDOWN_CAUSE_HOST_QMP_QUIT] = "host-qmp-quit",
        [SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET] = "host-qmp-system-reset",
        [SHUTDOWN_CAUSE_GUEST_SHUTDOWN] = "guest-shutdown",
        [SHUTDOWN_CAUSE_GUEST_RESET] = "guest-reset",
        [SHUTDOWN_CAUSE_HOST_SIGNAL] = "host-signal",
    };

    return (unsigned)cause < ARRAY_SIZE(names) ? names[cause] : "none";
}

bool shutdown_cause_is_guest(ShutdownCause cause)
{
    return cause == SHUTDOWN_CAUSE_GUEST_SHUTDOWN ||
           cause == SHUTDOWN_CAUSE_GUEST_RESET;
}

RunState runstate_get(void)
{
    return atomic_read(&run_state);
}

const char *runstate_name(RunState state)
{
    static const char *const names[] = {
        [RUN_STATE_PRELAUNCH] = "prelaunch",
        [RUN_STATE_RUNNING] = "running",
        [RUN_STATE_PAUSED] = "paused",
        [RUN_STATE_SHUTDOWN] = "shutdown",
    };

    return (unsigned)state < ARRAY_SIZE(names) ? names[state] : "unknown";
}

void vm_start(void)
{
    RunState st = runstate_get();

    assert(bql_locked());
    if (st == RUN_STATE_RUNNING || st == RUN_STATE_SHUTDOWN) {
        return;
    }
    resume_all_vcpus();
    atomic_set(&run_state, RUN_STATE_RUNNING);
    report(RUNSTATE_EVENT_RESUME, SHUTDOWN_CAUSE_NONE);
}

void vm_stop(void)
{
    assert(bql_locked());
    if (runstate_get() != RUN_STATE_RUNNING) {
        return;
    }
    pause_all_vcpus();
    atomic_set(&run_state, RUN_STATE_PAUSED);
    report(RUNSTATE_EVENT_STOP, SHUTDOWN_CAUSE_NONE);
}

void qemu_register_powerdown_handler(void (*fn)(void *opaque), void *opaque)
{
    assert(bql_locked() && !powerdown_fn);
    powerdown_fn = fn;
    powerdown_opaque = opaque;
}

bool qemu_system_powerdown_request(void)
{
    assert(bql_locked());
    if (!powerdown_fn) {
        return false;
    }
    report(RUNSTATE_EVENT_POWERDOWN, SHUTDOWN_CAUSE_NONE);
    powerdown_fn(powerdown_opaque);
    return true;
}
