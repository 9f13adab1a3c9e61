/* The QMP server: listeners, clients, JSON framing, dispatch and events.
 *
 * Framing.  QMP input is a stream of JSON values with nothing required
 * between them (QEMU does not need newlines either).  A small splitter
 * walks the bytes once, tracking only string/escape state and the stack
 * of open brackets, to find where each top-level value ends; the value is
 * then decoded by jansson.  A value with a syntax error therefore costs
 * one error reply and the stream goes on after it.  Two errors make the
 * end of a value unknowable, and the splitter then decides: a mismatched
 * closing bracket ends the value on the spot; a raw control character
 * inside a string (a line broken in the middle of a string) makes the
 * rest of the line part of the broken value, up to and including the
 * next newline after it.  So a client can always resynchronise by
 * sending a newline.  A value larger than QMP_MAX_INPUT or nested deeper
 * than QMP_MAX_NESTING gets an error reply and the connection is closed.
 *
 * Threads and locks.  Listeners and everything on the input side belong
 * to the main thread.  qmp_lock (a leaf, taken after the BQL when both
 * are needed, never held while calling out) protects the client list
 * and, in each client, the output queue, the state flags and the fd
 * handler registration, because events are queued from any thread.
 * Writes are non-blocking sends made by whoever queued the data; what
 * the socket does not take waits for the write handler.
 *
 * Client lifetime.  A client is referenced by the client list, by each
 * fd-handler call running on it (for the duration of the call) and by a
 * pending kill callback.  client_close() (main thread) takes it off the
 * list and closes the fd; the memory goes with the last reference, which
 * is always dropped in the main thread.
 */
#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "system/bql.h"
#include "system/event-loop.h"
#include "system/monitor/qmp-internal.h"
#include "system/monitor/qmp.h"
#include "system/runstate.h"
#include "util/compiler.h"
#include "util/keyval.h"
#include "util/rcu.h"

/* One JSON value may be this large; the connection is closed beyond. */
#define QMP_MAX_INPUT (1024 * 1024)
/* Brackets open at once, as in QEMU. */
#define QMP_MAX_NESTING 1024
#define QMP_READ_CHUNK 65536
/* Output queued for one client: above OUT_HIGH we stop reading its
 * commands until it has read its replies down to OUT_LOW; events beyond
 * OUT_MAX mean it does not read at all, and it is disconnected. */
#define QMP_OUT_HIGH (1024 * 1024)
#define QMP_OUT_LOW (64 * 1024)
#define QMP_OUT_MAX (8 * 1024 * 1024)
#define QMP_MAX_CLIENTS 64
#define QMP_MAX_LISTENERS 16
/* qmp_cleanup() waits at most this long for clients to take their
 * last output (the SHUTDOWN event, the reply to quit). */
#define QMP_CLEANUP_FLUSH_MS 1000
/* wait=on checks this often whether a signal asked for a shutdown (it
 * may arrive just before the poll, which would then not see it). */
#define QMP_WAIT_POLL_MS 200

/* Where the splitter is inside the current top-level value. */
typedef struct JsonSplitter {
    bool in_value;              /* a value has started */
    bool in_string;
    bool escape;                /* the previous string byte was '\' */
    bool in_scalar;             /* a bare top-level token: 12, true... */
    bool broken_line;           /* skipping to the end of a broken line */
    unsigned depth;
    char stack[QMP_MAX_NESTING]; /* the open brackets, innermost last */
} JsonSplitter;

typedef struct QmpClient QmpClient;
struct QmpClient {
    int fd;
    char *desc;                 /* "unix:PATH" or the peer, for messages */

    /* Main thread only. */
    char *in;                   /* unconsumed input */
    size_t in_len, in_cap;
    size_t scan;                /* bytes of in[] the splitter has seen */
    size_t value_start;         /* where the current value starts */
    JsonSplitter split;

    /* qmp_lock. */
    unsigned refs;
    bool negotiated;            /* qmp_capabilities done: events flow */
    bool closed;                /* off the list, fd closed */
    bool broken;                /* a write failed or overflowed: close */
    bool throttled;             /* too much output: input not read */
    bool read_armed, write_armed;  /* the installed fd handlers */
    char *out;
    size_t out_len, out_cap;
    LIST_ENTRY(QmpClient) link;
};

typedef struct QmpListener {
    int fd;
    char *unix_path;            /* to unlink at cleanup, or NULL */
    char *desc;
} QmpListener;

/* A leaf lock; see the header comment for what it protects. */
static pthread_mutex_t qmp_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(, QmpClient) clients = LIST_HEAD_INITIALIZER(clients);
static unsigned nr_clients;     /* qmp_lock */
static bool server_closed;      /* qmp_lock: qmp_cleanup() ran */

/* Main thread. */
static QmpListener listeners[QMP_MAX_LISTENERS];
static unsigned nr_listeners;
static bool hooks_installed;

static void client_read_cb(void *opaque);
static void client_write_cb(void *opaque);

static void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size);
    if (!p) {
        abort();
    }
    return p;
}

static char *xstrdup_nofail(const char *s)
{
    char *d = strdup(s);

    if (!d) {
        abort();
    }
    return d;
}

/* ------------------------------------------------------------------ */
/* Output */

/* qmp_lock.  Installs exactly the fd handlers the client's state asks
 * for; the event loop may be called with our lock held (its locks are
 * leaves). */
static void client_update_handlers_locked(QmpClient *c)
{
    bool want_read = !c->throttled && !c->broken;
    bool want_write = c->out_len > 0 || c->broken;

    if (c->closed) {
        return;
    }
    if (want_read == c->read_armed && want_write == c->write_armed) {
        return;
    }
    c->read_armed = want_read;
    c->write_armed = want_write;
    event_loop_set_fd_handler(main_loop(), c->fd,
                              want_read ? client_read_cb : NULL,
                              want_write ? client_write_cb : NULL, c);
}

/* qmp_lock.  Sends what the socket takes now, never blocks. */
static void client_flush_locked(QmpClient *c)
{
    size_t done = 0;

    while (!c->closed && !c->broken && done < c->out_len) {
        ssize_t n = send(c->fd, c->out + done, c->out_len - done,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n > 0) {
            done += n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            c->broken = true;   /* the peer is gone: close it */
        }
    }
    if (c->broken) {
        c->out_len = 0;
    } else if (done) {
        memmove(c->out, c->out + done, c->out_len - done);
        c->out_len -= done;
    }
    if (c->out_len < QMP_OUT_LOW) {
        c->throttled = false;
    }
    client_update_handlers_locked(c);
}

static void client_kill_cb(void *opaque);
static void client_unref(QmpClient *c);

/* qmp_lock.  Queues one JSON text followed by CR LF, as QEMU writes it. */
static void client_queue_locked(QmpClient *c, const char *text)
{
    size_t len = strlen(text);

    if (c->closed || c->broken) {
        return;
    }
    if (c->out_len + len + 2 > QMP_OUT_MAX) {
        /* It has not read megabytes of output: drop it.  The close must
         * happen in the main thread; the callback holds a reference. */
        c->broken = true;
        c->out_len = 0;
        c->refs++;
        event_loop_run_later(main_loop(), client_kill_cb, c);
        client_update_handlers_locked(c);
        return;
    }
    if (c->out_len + len + 2 > c->out_cap) {
        c->out_cap = MAX(c->out_cap * 2, c->out_len + len + 2);
        c->out = xrealloc(c->out, c->out_cap);
    }
    memcpy(c->out + c->out_len, text, len);
    c->out[c->out_len + len] = '\r';
    c->out[c->out_len + len + 1] = '\n';
    c->out_len += len + 2;
    if (c->out_len > QMP_OUT_HIGH) {
        c->throttled = true;
    }
    client_flush_locked(c);
}

/* Main thread: sends msg (a reply or the greeting) to one client; msg is
 * stolen. */
static void client_send(QmpClient *c, json_t *msg)
{
    char *text = json_dumps(msg, JSON_PRESERVE_ORDER);

    json_decref(msg);
    if (!text) {
        abort();                /* out of memory: jansson has no other */
    }
    pthread_mutex_lock(&qmp_lock);
    client_queue_locked(c, text);
    pthread_mutex_unlock(&qmp_lock);
    free(text);
}

/* ------------------------------------------------------------------ */
/* Client lifetime */

static QmpClient *client_new(int fd, const char *desc)
{
    QmpClient *c = calloc(1, sizeof(*c));

    if (!c) {
        abort();
    }
    c->fd = fd;
    c->desc = xstrdup_nofail(desc);
    c->refs = 1;                /* the list's */
    return c;
}

static void client_free(QmpClient *c)
{
    free(c->in);
    free(c->out);
    free(c->desc);
    free(c);
}

/* Main thread. */
static void client_unref(QmpClient *c)
{
    bool last;

    pthread_mutex_lock(&qmp_lock);
    assert(c->refs > 0);
    last = --c->refs == 0;
    pthread_mutex_unlock(&qmp_lock);
    if (last) {
        client_free(c);
    }
}

/* Discards input the peer already sent, so that closing a TCP socket
 * does not turn into a reset that could destroy our last output before
 * the peer has read it. */
static void drain_input(int fd)
{
    char buf[4096];

    for (int i = 0; i < 64; i++) {
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

        if (n <= 0 && !(n < 0 && errno == EINTR)) {
            break;
        }
    }
}

/* Main thread.  Idempotent. */
static void client_close(QmpClient *c)
{
    pthread_mutex_lock(&qmp_lock);
    if (c->closed) {
        pthread_mutex_unlock(&qmp_lock);
        return;
    }
    /* From the loop's own thread the removal is immediate: no handler
     * call on c starts after this. */
    if (c->read_armed || c->write_armed) {
        event_loop_set_fd_handler(main_loop(), c->fd, NULL, NULL, NULL);
    }
    c->read_armed = c->write_armed = false;
    c->closed = true;
    LIST_REMOVE(c, link);
    nr_clients--;
    pthread_mutex_unlock(&qmp_lock);

    shutdown(c->fd, SHUT_WR);
    drain_input(c->fd);
    close(c->fd);
    client_unref(c);            /* the list's reference */
}

static void client_kill_cb(void *opaque)
{
    QmpClient *c = opaque;

    client_close(c);
    client_unref(c);            /* the callback's reference */
}

/* ------------------------------------------------------------------ */
/* Replies */

const char *qmp_error_class_name(QmpErrorClass cls)
{
    switch (cls) {
    case QMP_ERROR_COMMAND_NOT_FOUND:
        return "CommandNotFound";
    case QMP_ERROR_DEVICE_NOT_FOUND:
        return "DeviceNotFound";
    default:
        return "GenericError";
    }
}

json_t *qmp_string(const char *s)
{
    json_t *j = json_string(s);
    char *copy;

    if (j) {
        return j;
    }
    copy = xstrdup_nofail(s);
    for (char *p = copy; *p; p++) {
        if ((unsigned char)*p >= 0x80) {
            *p = '?';
        }
    }
    j = json_string(copy);
    free(copy);
    if (!j) {
        abort();
    }
    return j;
}

/* {"error": {"class", "desc"}[, "id"]}; id is borrowed. */
static json_t *error_reply(QmpErrorClass cls, const char *desc, json_t *id)
{
    json_t *err = json_object();
    json_t *rsp = json_object();

    json_object_set_new(err, "class", json_string(qmp_error_class_name(cls)));
    json_object_set_new(err, "desc", qmp_string(desc));
    json_object_set_new(rsp, "error", err);
    if (id) {
        json_object_set(rsp, "id", id);
    }
    return rsp;
}

static json_t *error_replyf(QmpErrorClass cls, json_t *id,
                            const char *fmt, ...) WEFT_PRINTF(3, 4);

static json_t *error_replyf(QmpErrorClass cls, json_t *id,
                            const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return error_reply(cls, buf, id);
}

static json_t *greeting(void)
{
    json_t *qmp = json_object();
    json_t *msg = json_object();

    json_object_set_new(qmp, "version", qmp_version_info());
    json_object_set_new(qmp, "capabilities", json_array());
    json_object_set_new(msg, "QMP", qmp);
    return msg;
}

/* ------------------------------------------------------------------ */
/* Dispatch */

static const char *arg_type_name(QmpArgType type)
{
    switch (type) {
    case QMP_ARG_STR:
        return "string";
    case QMP_ARG_BOOL:
        return "boolean";
    case QMP_ARG_INT:
        return "integer";
    default:
        return "array";
    }
}

static bool arg_type_ok(json_t *v, QmpArgType type)
{
    switch (type) {
    case QMP_ARG_STR:
        return json_is_string(v);
    case QMP_ARG_BOOL:
        return json_is_boolean(v);
    case QMP_ARG_INT:
        return json_is_integer(v);
    default:
        return json_is_array(v);
    }
}

static const QmpArgSpec *arg_spec(const QmpArgSpec *specs, const char *name)
{
    for (; specs && specs->name; specs++) {
        if (!strcmp(specs->name, name)) {
            return specs;
        }
    }
    return NULL;
}

/* The arguments against the command's spec, with QEMU's messages. */
static bool check_args(const QmpCommand *cmd, json_t *args, Error **errp)
{
    const char *key;
    json_t *v;

    for (const QmpArgSpec *s = cmd->args; s && s->name; s++) {
        v = json_object_get(args, s->name);
        if (!v && !s->optional) {
            error_setg(errp, "Parameter '%s' is missing", s->name);
            return false;
        }
        if (v && !arg_type_ok(v, s->type)) {
            error_setg(errp, "Invalid parameter type for '%s', expected: %s",
                       s->name, arg_type_name(s->type));
            return false;
        }
    }
    json_object_foreach(args, key, v) {
        if (!cmd->extra_args && !arg_spec(cmd->args, key)) {
            error_setg(errp, "Parameter '%s' is unexpected", key);
            return false;
        }
    }
    return true;
}

/* qmp_capabilities: "enable" may only name capabilities we offer, and
 * we offer none (no out-of-band execution). */
static json_t *do_capabilities(QmpClient *c, json_t *args, json_t *id)
{
    json_t *enable = json_object_get(args, "enable");
    const char *key;
    size_t i;
    json_t *v;

    json_object_foreach(args, key, v) {
        if (strcmp(key, "enable")) {
            return error_replyf(QMP_ERROR_GENERIC, id,
                                "Parameter '%s' is unexpected", key);
        }
    }
    if (enable && !json_is_array(enable)) {
        return error_reply(QMP_ERROR_GENERIC, "Invalid parameter type for "
                           "'enable', expected: array", id);
    }
    json_array_foreach(enable, i, v) {
        if (!json_is_string(v)) {
            return error_replyf(QMP_ERROR_GENERIC, id, "Invalid parameter "
                                "type for 'enable[%zu]', expected: string",
                                i);
        }
        return error_replyf(QMP_ERROR_GENERIC, id,
                            "Capability '%s' not available",
                            json_string_value(v));
    }
    pthread_mutex_lock(&qmp_lock);
    c->negotiated = true;
    pthread_mutex_unlock(&qmp_lock);
    v = json_object();
    json_object_set_new(v, "return", json_object());
    if (id) {
        json_object_set(v, "id", id);
    }
    return v;
}

static json_t *run_command(const QmpCommand *cmd, json_t *args, json_t *id)
{
    QmpErrorClass cls = QMP_ERROR_GENERIC;
    Error *err = NULL;
    json_t *ret, *rsp;

    if (!check_args(cmd, args, &err)) {
        rsp = error_reply(QMP_ERROR_GENERIC, error_get_pretty(err), id);
        error_free(err);
        return rsp;
    }
    if (cmd->needs_bql) {
        bql_lock();
    }
    ret = cmd->fn(args, &cls, &err);
    if (cmd->needs_bql) {
        bql_unlock();
    }
    if (!ret) {
        rsp = error_reply(cls, err ? error_get_pretty(err) : "failed", id);
        error_free(err);
        return rsp;
    }
    rsp = json_object();
    json_object_set_new(rsp, "return", ret);
    if (id) {
        json_object_set(rsp, "id", id);
    }
    return rsp;
}

/* Checks the request's own members as QEMU does: execute (a string),
 * arguments (an object), id (anything); nothing else. */
static const char *check_request(json_t *req, json_t *id, json_t **rsp)
{
    const char *key, *name = NULL;
    json_t *v;

    json_object_foreach(req, key, v) {
        if (!strcmp(key, "execute")) {
            if (!json_is_string(v)) {
                *rsp = error_reply(QMP_ERROR_GENERIC, "QMP input member "
                                   "'execute' must be a string", id);
                return NULL;
            }
            name = json_string_value(v);
        } else if (!strcmp(key, "arguments")) {
            if (!json_is_object(v)) {
                *rsp = error_reply(QMP_ERROR_GENERIC, "QMP input member "
                                   "'arguments' must be an object", id);
                return NULL;
            }
        } else if (strcmp(key, "id")) {
            *rsp = error_replyf(QMP_ERROR_GENERIC, id, "QMP input member "
                                "'%s' is unexpected", key);
            return NULL;
        }
    }
    if (!name) {
        *rsp = error_reply(QMP_ERROR_GENERIC,
                           "QMP input lacks member 'execute'", id);
    }
    return name;
}

/* Main thread: the reply to one decoded request (a new reference). */
static json_t *dispatch(QmpClient *c, json_t *req)
{
    json_t *id, *args, *rsp = NULL, *empty;
    const QmpCommand *cmd;
    const char *name;
    bool negotiated;

    if (!json_is_object(req)) {
        return error_reply(QMP_ERROR_GENERIC,
                           "QMP input must be a JSON object", NULL);
    }
    id = json_object_get(req, "id");
    name = check_request(req, id, &rsp);
    if (!name) {
        return rsp;
    }
    args = json_object_get(req, "arguments");
    pthread_mutex_lock(&qmp_lock);
    negotiated = c->negotiated;
    pthread_mutex_unlock(&qmp_lock);

    if (!strcmp(name, "qmp_capabilities")) {
        if (negotiated) {
            return error_reply(QMP_ERROR_COMMAND_NOT_FOUND, "Capabilities "
                               "negotiation is already complete, command "
                               "ignored", id);
        }
        return do_capabilities(c, args, id);
    }
    if (!negotiated) {
        return error_reply(QMP_ERROR_COMMAND_NOT_FOUND, "Expecting "
                           "capabilities negotiation with "
                           "'qmp_capabilities'", id);
    }
    cmd = qmp_find_command(name);
    if (!cmd) {
        return error_replyf(QMP_ERROR_COMMAND_NOT_FOUND, id,
                            "The command %s has not been found", name);
    }
    empty = args ? NULL : json_object();
    rsp = run_command(cmd, args ? args : empty, id);
    json_decref(empty);
    return rsp;
}

/* ------------------------------------------------------------------ */
/* Input: splitting the stream into values */

static bool is_json_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Where a bare top-level token (a number, true...) ends. */
static bool ends_scalar(char ch)
{
    return is_json_space(ch) || ch == '{' || ch == '}' || ch == '[' ||
           ch == ']' || ch == '"';
}

typedef enum SplitResult {
    SPLIT_MORE,                 /* the value continues past the input */
    SPLIT_VALUE,                /* a value ends before *end */
    SPLIT_TOO_DEEP,
} SplitResult;

/* Feeds in[c->scan..] to the splitter until a value ends (*end: one past
 * its last byte) or the input is used up. */
static SplitResult split_step(QmpClient *c, size_t *end)
{
    JsonSplitter *s = &c->split;

    for (; c->scan < c->in_len; c->scan++) {
        char ch = c->in[c->scan];

        if (s->broken_line) {
            if (ch == '\n') {
                s->broken_line = false;
                *end = ++c->scan;   /* jansson reports the first error */
                return SPLIT_VALUE;
            }
            continue;
        }
        if (!s->in_value) {
            if (is_json_space(ch)) {
                continue;
            }
            memset(s, 0, offsetof(JsonSplitter, stack));
            s->in_value = true;
            c->value_start = c->scan;
            if (ch == '}' || ch == ']') {
                *end = ++c->scan;   /* a stray closer: jansson says why */
                return SPLIT_VALUE;
            }
            if (ch != '{' && ch != '[' && ch != '"') {
                s->in_scalar = true;
                continue;
            }
        } else if (s->in_scalar) {
            if (ends_scalar(ch)) {
                *end = c->scan;     /* ch starts what comes next */
                return SPLIT_VALUE;
            }
            continue;
        } else if (s->in_string) {
            if (s->escape) {
                s->escape = false;
            } else if (ch == '\\') {
                s->escape = true;
            } else if (ch == '"') {
                s->in_string = false;
                if (s->depth == 0) {
                    *end = ++c->scan;
                    return SPLIT_VALUE;
                }
            } else if ((unsigned char)ch < 0x20) {
                /* Invalid in a JSON string: where the string was meant
                 * to end is anyone's guess; drop the line. */
                s->in_string = false;
                s->broken_line = true;
            }
            continue;
        }
        switch (ch) {
        case '"':
            s->in_string = true;
            break;
        case '{':
        case '[':
            if (s->depth == QMP_MAX_NESTING) {
                return SPLIT_TOO_DEEP;
            }
            s->stack[s->depth++] = ch;
            break;
        case '}':
        case ']':
            /* A mismatched closer ends the value: it cannot be valid. */
            if (s->depth == 0 || s->stack[s->depth - 1] != (ch == '}' ?
                                                             '{' : '[')) {
                *end = ++c->scan;
                return SPLIT_VALUE;
            }
            if (--s->depth == 0) {
                *end = ++c->scan;
                return SPLIT_VALUE;
            }
            break;
        }
    }
    return SPLIT_MORE;
}

/* Main thread: decodes and runs one value, queues the reply. */
static void handle_value(QmpClient *c, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *req, *rsp;

    req = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                     &jerr);
    if (!req) {
        rsp = error_replyf(QMP_ERROR_GENERIC, NULL, "JSON parse error, %s",
                           jerr.text);
    } else {
        rsp = dispatch(c, req);
        json_decref(req);
    }
    client_send(c, rsp);
}

/* Sends a last error and closes: the stream cannot be resynchronised. */
static void client_abort(QmpClient *c, const char *why)
{
    client_send(c, error_reply(QMP_ERROR_GENERIC, why, NULL));
    client_close(c);
}

static bool client_gone(QmpClient *c)
{
    bool gone;

    pthread_mutex_lock(&qmp_lock);
    gone = c->closed || c->broken;
    pthread_mutex_unlock(&qmp_lock);
    return gone;
}

static bool client_throttled(QmpClient *c)
{
    bool throttled;

    pthread_mutex_lock(&qmp_lock);
    throttled = c->throttled;
    pthread_mutex_unlock(&qmp_lock);
    return throttled;
}

/* Main thread: runs every complete value in the input buffer, then
 * drops what was consumed.  Returns false if the client was closed. */
static bool client_process_input(QmpClient *c)
{
    size_t end, keep_from;
    SplitResult r;

    while (!client_gone(c) && !client_throttled(c)) {
        r = split_step(c, &end);
        if (r == SPLIT_TOO_DEEP) {
            client_abort(c, "JSON nesting too deep (limit 1024); closing "
                         "the connection");
            return false;
        }
        if (r == SPLIT_MORE) {
            break;
        }
        c->split.in_value = false;
        handle_value(c, c->in + c->value_start, end - c->value_start);
    }
    if (client_gone(c)) {
        client_close(c);
        return false;
    }
    keep_from = c->split.in_value ? c->value_start : c->scan;
    memmove(c->in, c->in + keep_from, c->in_len - keep_from);
    c->in_len -= keep_from;
    c->scan -= keep_from;
    c->value_start = 0;
    if (c->split.in_value && c->in_len > QMP_MAX_INPUT) {
        client_abort(c, "QMP input exceeds 1048576 bytes; closing the "
                     "connection");
        return false;
    }
    return true;
}

/* Main thread: one read per call keeps one busy client from starving
 * the others. */
static void client_read(QmpClient *c)
{
    ssize_t n;

    if (c->in_cap - c->in_len < QMP_READ_CHUNK) {
        c->in_cap = c->in_len + QMP_READ_CHUNK;
        c->in = xrealloc(c->in, c->in_cap);
    }
    n = recv(c->fd, c->in + c->in_len, QMP_READ_CHUNK, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN ||
                  errno == EWOULDBLOCK)) {
        return;
    }
    if (n <= 0) {
        client_close(c);        /* EOF or reset: mid-command or not */
        return;
    }
    c->in_len += n;
    client_process_input(c);
}

static void client_read_cb(void *opaque)
{
    QmpClient *c = opaque;

    pthread_mutex_lock(&qmp_lock);
    c->refs++;                  /* this call's */
    pthread_mutex_unlock(&qmp_lock);
    client_read(c);
    client_unref(c);
}

static void client_write_cb(void *opaque)
{
    QmpClient *c = opaque;
    bool was_throttled, resume, gone;

    pthread_mutex_lock(&qmp_lock);
    c->refs++;                  /* this call's */
    was_throttled = c->throttled;
    client_flush_locked(c);
    resume = was_throttled && !c->throttled;
    gone = c->broken;
    pthread_mutex_unlock(&qmp_lock);
    if (gone) {
        client_close(c);
    } else if (resume) {
        /* Commands read before the throttle may be waiting. */
        client_process_input(c);
    }
    client_unref(c);
}

/* ------------------------------------------------------------------ */
/* Events */

void qmp_event_emit(const char *name, json_t *data)
{
    json_t *msg = json_object();
    json_t *ts = json_object();
    struct timespec now;
    QmpClient *c;
    char *text;

    clock_gettime(CLOCK_REALTIME, &now);
    json_object_set_new(ts, "seconds", json_integer(now.tv_sec));
    json_object_set_new(ts, "microseconds",
                        json_integer(now.tv_nsec / 1000));
    json_object_set_new(msg, "timestamp", ts);
    json_object_set_new(msg, "event", json_string(name));
    if (data) {
        json_object_set_new(msg, "data", data);
    }
    text = json_dumps(msg, JSON_PRESERVE_ORDER);
    json_decref(msg);
    if (!text) {
        abort();
    }
    pthread_mutex_lock(&qmp_lock);
    LIST_FOREACH(c, &clients, link) {
        if (c->negotiated) {
            client_queue_locked(c, text);
        }
    }
    pthread_mutex_unlock(&qmp_lock);
    free(text);
}

/* ------------------------------------------------------------------ */
/* Listeners */

static void client_add(int fd, const char *desc)
{
    QmpClient *c;

    pthread_mutex_lock(&qmp_lock);
    if (server_closed || nr_clients >= QMP_MAX_CLIENTS) {
        pthread_mutex_unlock(&qmp_lock);
        close(fd);
        return;
    }
    c = client_new(fd, desc);
    LIST_INSERT_HEAD(&clients, c, link);
    nr_clients++;
    pthread_mutex_unlock(&qmp_lock);
    client_send(c, greeting());     /* installs the handlers */
}

static void listener_accept_cb(void *opaque)
{
    QmpListener *l = opaque;

    for (;;) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            /* EAGAIN: done; anything else (EMFILE, a peer that reset
             * before we took it) is retried at the next readiness. */
            return;
        }
        client_add(fd, l->desc);
    }
}

/* Refuses to steal a socket some live process is serving. */
static bool unix_path_free(const char *path, Error **errp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    int fd, r;

    if (lstat(path, &st) < 0) {
        if (errno == ENOENT) {
            return true;
        }
        error_setg_errno(errp, errno, "cannot access '%s'", path);
        return false;
    }
    if (!S_ISSOCK(st.st_mode)) {
        error_setg(errp, "'%s' exists and is not a socket", path);
        return false;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "socket");
        return false;
    }
    memcpy(sa.sun_path, path, strlen(path));
    r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    close(fd);
    if (r == 0) {
        error_setg(errp, "'%s' is in use by another process", path);
        return false;
    }
    unlink(path);               /* a stale socket from an earlier run */
    return true;
}

static int listen_unix(const char *path, Error **errp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (!*path || strlen(path) >= sizeof(sa.sun_path)) {
        error_setg(errp, "unix socket path must be 1 to %zu bytes long",
                   sizeof(sa.sun_path) - 1);
        return -1;
    }
    if (!unix_path_free(path, errp)) {
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "socket");
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 16) < 0) {
        error_setg_errno(errp, errno, "cannot listen on '%s'", path);
        close(fd);
        return -1;
    }
    return fd;
}

/* "HOST:PORT", HOST possibly "[v6]" or empty (every address). */
static bool split_host_port(const char *addr, char **host, char **port,
                            Error **errp)
{
    const char *colon = strrchr(addr, ':');
    size_t hlen;

    if (!colon || !colon[1]) {
        error_setg(errp, "'%s' is not HOST:PORT", addr);
        return false;
    }
    hlen = colon - addr;
    if (hlen >= 2 && addr[0] == '[' && addr[hlen - 1] == ']') {
        addr++;
        hlen -= 2;
    }
    *host = strndup(addr, hlen);
    *port = xstrdup_nofail(colon + 1);
    if (!*host) {
        abort();
    }
    return true;
}

static int listen_tcp(const char *addr, char **desc, Error **errp)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
    };
    struct addrinfo *res = NULL;
    char *host, *port, hbuf[NI_MAXHOST], pbuf[NI_MAXSERV];
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    uint64_t portnum;
    int fd = -1, r, one = 1;

    if (!split_host_port(addr, &host, &port, errp)) {
        return -1;
    }
    if (!parse_uint64(port, &portnum, errp) || portnum > 65535) {
        error_setg(errp, "port '%s' is not a number from 0 to 65535", port);
        goto out;
    }
    r = getaddrinfo(*host ? host : NULL, port, &hints, &res);
    if (r) {
        error_setg(errp, "address '%s': %s", addr, gai_strerror(r));
        goto out;
    }
    fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK |
                SOCK_CLOEXEC, res->ai_protocol);
    if (fd < 0) {
        error_setg_errno(errp, errno, "socket");
        goto out;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
        error_setg_errno(errp, errno, "cannot listen on '%s'", addr);
        close(fd);
        fd = -1;
        goto out;
    }
    if (getnameinfo((struct sockaddr *)&ss, sslen, hbuf, sizeof(hbuf), pbuf,
                    sizeof(pbuf), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
        if (asprintf(desc, "tcp:%s:%s", hbuf, pbuf) < 0) {
            abort();
        }
        if (portnum == 0) {
            /* Port 0: the kernel chose; say which (tests rely on it). */
            fprintf(stderr, "weft: QMP listening on %s\n", *desc);
        }
    }
out:
    if (res) {
        freeaddrinfo(res);
    }
    free(host);
    free(port);
    return fd;
}

/* wait=on: blocks until the first client connects, as QEMU does, or
 * until a termination signal requests a shutdown (main() then ends at
 * once, without running the guest). */
static void wait_first_client(QmpListener *l)
{
    struct pollfd pfd = { .fd = l->fd, .events = POLLIN };
    int fd = -1;

    fprintf(stderr, "weft: waiting for a QMP connection on %s\n", l->desc);
    weft_rcu_go_offline();      /* do not hold up grace periods */
    while (fd < 0 && !shutdown_requested()) {
        if (poll(&pfd, 1, QMP_WAIT_POLL_MS) > 0) {
            fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        }
    }
    weft_rcu_go_online();
    if (fd >= 0) {
        client_add(fd, l->desc);
    }
}

typedef struct QmpSpec {
    const char *addr;
    bool wait;
} QmpSpec;

static bool parse_spec(const KeyVal *kv, QmpSpec *spec, Error **errp)
{
    bool server = false;

    spec->wait = true;
    for (size_t i = 0; i < kv->count; i++) {
        const char *k = kv->pairs[i].key, *v = kv->pairs[i].value;

        if (keyval_count(kv, k) > 1) {
            error_setg(errp, "'%s' is given more than once", k);
            return false;
        }
        if (!strcmp(k, "server")) {
            if (!parse_bool(v, &server, errp)) {
                return false;
            }
        } else if (!strcmp(k, "wait")) {
            if (!parse_bool(v, &spec->wait, errp)) {
                return false;
            }
        } else if (strcmp(k, "addr")) {
            error_setg(errp, "unknown parameter '%s' (supported: server, "
                       "wait)", k);
            return false;
        }
    }
    spec->addr = keyval_get(kv, "addr");
    if (!spec->addr) {
        error_setg(errp, "the address is missing");
        return false;
    }
    if (!server) {
        error_setg(errp, "only listening sockets are supported: add "
                   "server=on");
        return false;
    }
    return true;
}

static bool open_listener(const QmpSpec *spec, QmpListener *l, Error **errp)
{
    char *desc = NULL;

    if (!strncmp(spec->addr, "unix:", 5)) {
        l->fd = listen_unix(spec->addr + 5, errp);
        if (l->fd < 0) {
            return false;
        }
        l->unix_path = xstrdup_nofail(spec->addr + 5);
        l->desc = xstrdup_nofail(spec->addr);
        return true;
    }
    if (!strncmp(spec->addr, "tcp:", 4)) {
        l->fd = listen_tcp(spec->addr + 4, &desc, errp);
        if (l->fd < 0) {
            return false;
        }
        l->desc = desc ? desc : xstrdup_nofail(spec->addr);
        return true;
    }
    error_setg(errp, "unsupported address '%s' (use unix:PATH or "
               "tcp:HOST:PORT)", spec->addr);
    return false;
}

bool qmp_server_add(const char *str, Error **errp)
{
    QmpListener *l;
    QmpSpec spec;
    KeyVal *kv;
    bool ok;

    assert(bql_locked() && main_loop());
    if (nr_listeners == QMP_MAX_LISTENERS) {
        error_setg(errp, "too many QMP sockets (at most %d)",
                   QMP_MAX_LISTENERS);
        return false;
    }
    kv = keyval_parse(str, "addr", errp);
    if (!kv) {
        return false;
    }
    l = &listeners[nr_listeners];
    ok = parse_spec(kv, &spec, errp) && open_listener(&spec, l, errp);
    keyval_free(kv);
    if (!ok) {
        return false;
    }
    nr_listeners++;
    if (!hooks_installed) {
        hooks_installed = true;
        qmp_commands_init();
    }
    if (spec.wait) {
        wait_first_client(l);
    }
    event_loop_set_fd_handler(main_loop(), l->fd, listener_accept_cb,
                              NULL, l);
    return true;
}

/* ------------------------------------------------------------------ */
/* Cleanup */

/* Blocks (bounded) until c's queue is written or the deadline passes. */
static void client_flush_until(QmpClient *c, int64_t deadline_ns)
{
    for (;;) {
        struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
        int64_t left_ms;
        bool pending;

        pthread_mutex_lock(&qmp_lock);
        client_flush_locked(c);
        pending = c->out_len > 0 && !c->broken;
        pthread_mutex_unlock(&qmp_lock);
        left_ms = (deadline_ns - clock_monotonic_ns()) / 1000000;
        if (!pending || left_ms <= 0) {
            return;
        }
        poll(&pfd, 1, (int)left_ms);
    }
}

void qmp_cleanup(void)
{
    int64_t deadline = clock_monotonic_ns() +
                       QMP_CLEANUP_FLUSH_MS * 1000000LL;
    QmpClient *c;

    for (unsigned i = 0; i < nr_listeners; i++) {
        event_loop_set_fd_handler(main_loop(), listeners[i].fd, NULL, NULL,
                                  NULL);
        close(listeners[i].fd);
        if (listeners[i].unix_path) {
            unlink(listeners[i].unix_path);
        }
        free(listeners[i].unix_path);
        free(listeners[i].desc);
    }
    nr_listeners = 0;
    pthread_mutex_lock(&qmp_lock);
    server_closed = true;
    pthread_mutex_unlock(&qmp_lock);
    for (;;) {
        pthread_mutex_lock(&qmp_lock);
        c = LIST_FIRST(&clients);
        if (c) {
            c->refs++;          /* ours, across the flush */
        }
        pthread_mutex_unlock(&qmp_lock);
        if (!c) {
            break;
        }
        client_flush_until(c, deadline);
        client_close(c);
        client_unref(c);
    }
}
