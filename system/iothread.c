/* IOThreads (-object iothread,id=NAME): threads that each run their own
 * event loop, so that a device's I/O can leave the main thread. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/event-loop-internal.h"

/* Long enough for any sensible name, short enough for messages. */
#define IOTHREAD_ID_MAX 63

struct IOThread {
    char *id;
    EventLoop *loop;          /* owned; freed by iothread_destroy() */
    pthread_t thread;
    sem_t started;            /* posted once the thread owns loop */
    IOThread *next;           /* registry link, under iothreads.lock */
};

/* iothreads.lock protects the registry: the list and so the set of ids
 * in use.  It is never held while waiting for a thread. */
static struct {
    pthread_mutex_t lock;
    IOThread *list;
} iothreads = { PTHREAD_MUTEX_INITIALIZER, NULL };

/* QEMU's rule for object ids: a letter, then letters, digits, '-', '.'
 * and '_'.  Management tools already generate ids that follow it. */
static bool iothread_id_valid(const char *id)
{
    size_t len = id ? strlen(id) : 0;

    if (len == 0 || len > IOTHREAD_ID_MAX || !isalpha((unsigned char)id[0])) {
        return false;
    }
    for (size_t i = 1; i < len; i++) {
        unsigned char c = id[i];

        if (!isalnum(c) && c != '-' && c != '.' && c != '_') {
            return false;
        }
    }
    return true;
}

static IOThread *find_locked(const char *id)
{
    for (IOThread *iot = iothreads.list; iot; iot = iot->next) {
        if (!strcmp(iot->id, id)) {
            return iot;
        }
    }
    return NULL;
}

/* Reserves iot->id; fails if it is taken. */
static bool registry_insert(IOThread *iot, Error **errp)
{
    bool ok;

    pthread_mutex_lock(&iothreads.lock);
    ok = !find_locked(iot->id);
    if (ok) {
        iot->next = iothreads.list;
        iothreads.list = iot;
    }
    pthread_mutex_unlock(&iothreads.lock);
    if (!ok) {
        error_setg(errp, "iothread id '%s' is already in use", iot->id);
    }
    return ok;
}

static void registry_remove(IOThread *iot)
{
    pthread_mutex_lock(&iothreads.lock);
    for (IOThread **p = &iothreads.list; *p; p = &(*p)->next) {
        if (*p == iot) {
            *p = iot->next;
            break;
        }
    }
    pthread_mutex_unlock(&iothreads.lock);
}

static void *iothread_main(void *opaque)
{
    IOThread *iot = opaque;   /* freed only after we are joined */

    weft_rcu_register_thread();
    event_loop_attach_thread(iot->loop);
    sem_post(&iot->started);
    event_loop_run(iot->loop);
    /* Work posted before iothread_destroy() and thread-pool requests
     * submitted from this loop complete here. */
    event_loop_flush(iot->loop);
    event_loop_detach_thread(iot->loop);
    weft_rcu_unregister_thread();
    return NULL;
}

static void iothread_free(IOThread *iot)
{
    event_loop_free(iot->loop);
    sem_destroy(&iot->started);
    free(iot->id);
    free(iot);
}

/* Waits until the thread owns its loop, so that the caller can rely on
 * event_loop_in_own_thread() and on the thread being an RCU reader. */
static void wait_started(IOThread *iot)
{
    bool offline = rcu_offline_begin();

    while (sem_wait(&iot->started) < 0 && errno == EINTR) {
        continue;
    }
    rcu_offline_end(offline);
}

IOThread *iothread_create(const char *id, Error **errp)
{
    char name[32];
    IOThread *iot;

    if (!iothread_id_valid(id)) {
        error_setg(errp, "invalid iothread id '%s': an id starts with a "
                   "letter and holds at most %d letters, digits, '-', '.' "
                   "and '_'", id ? id : "", IOTHREAD_ID_MAX);
        return NULL;
    }
    iot = calloc(1, sizeof(*iot));
    if (!iot || !(iot->id = strdup(id))) {
        abort();
    }
    sem_init(&iot->started, 0, 0);
    iot->loop = event_loop_new(id, errp);
    if (!iot->loop || !registry_insert(iot, errp)) {
        iothread_free(iot);
        return NULL;
    }
    snprintf(name, sizeof(name), "io-%s", id);
    if (!system_thread_create(&iot->thread, name, iothread_main, iot, errp)) {
        registry_remove(iot);
        iothread_free(iot);
        return NULL;
    }
    wait_started(iot);
    return iot;
}

IOThread *iothread_find(const char *id)
{
    IOThread *iot;

    pthread_mutex_lock(&iothreads.lock);
    iot = id ? find_locked(id) : NULL;
    pthread_mutex_unlock(&iothreads.lock);
    return iot;
}

EventLoop *iothread_get_loop(IOThread *iot)
{
    return iot->loop;
}

const char *iothread_get_id(IOThread *iot)
{
    return iot->id;
}

void iothread_destroy(IOThread *iot)
{
    bool offline;

    if (!iot) {
        return;
    }
    assert(!event_loop_in_own_thread(iot->loop));  /* cannot join itself */
    registry_remove(iot);
    event_loop_stop(iot->loop);
    offline = rcu_offline_begin();
    pthread_join(iot->thread, NULL);
    rcu_offline_end(offline);
    iothread_free(iot);
}

void iothread_destroy_all(void)
{
    for (;;) {
        IOThread *iot;

        pthread_mutex_lock(&iothreads.lock);
        iot = iothreads.list;
        pthread_mutex_unlock(&iothreads.lock);
        if (!iot) {
            break;
        }
        iothread_destroy(iot);
    }
}
