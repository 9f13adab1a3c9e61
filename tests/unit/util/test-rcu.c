/* RCU wrapper: publication, deferred free after readers' quiescent states,
 * barrier, and the kick hook that makes long-running readers report. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include "util/compiler.h"
#include "util/rcu.h"

typedef struct Box {
    unsigned magic;
    unsigned value;
    RcuHead rcu;
} Box;

#define BOX_LIVE 0x600df00du
#define BOX_DEAD 0xdeadbeefu

static Box *current;
static bool stop;
static unsigned long freed;
static unsigned long kicks;
static __thread bool kicked_here;
static bool reader_kicked[4];

static void box_free(RcuHead *head)
{
    Box *b = container_of(head, Box, rcu);

    CHECK(b->magic == BOX_LIVE);
    b->magic = BOX_DEAD;
    atomic_fetch_inc(&freed);
    free(b);
}

/* Readers that only report when a grace period is wanted, like vCPUs. */
static void *reader(void *arg)
{
    unsigned long reads = 0;
    bool *kicked = arg;

    weft_rcu_register_thread();
    while (!atomic_load_acquire(&stop)) {
        Box *b;

        weft_rcu_read_lock();
        b = weft_rcu_dereference(current);
        CHECK(b->magic == BOX_LIVE);
        weft_rcu_read_unlock();
        reads++;
        if (weft_rcu_quiescent_state_wanted()) {
            weft_rcu_quiescent_state();
            *kicked = true;
        }
    }
    (void)kicked_here;
    weft_rcu_unregister_thread();
    CHECK(reads > 0);
    return NULL;
}

static void kick_all(void)
{
    atomic_fetch_inc(&kicks);
}

static Box *box_new(unsigned v)
{
    Box *b = malloc(sizeof(*b));

    b->magic = BOX_LIVE;
    b->value = v;
    return b;
}

static void test_publish_and_reclaim(void)
{
    pthread_t t[4];
    const unsigned updates = 2000;

    weft_rcu_set_kick_hook(kick_all);
    current = box_new(0);
    for (int i = 0; i < 4; i++) {
        pthread_create(&t[i], NULL, reader, &reader_kicked[i]);
    }
    for (unsigned i = 1; i <= updates; i++) {
        Box *old = current;

        weft_rcu_assign_pointer(current, box_new(i));
        weft_call_rcu(&old->rcu, box_free);
        if (i % 200 == 0) {
            usleep(1000);
        }
    }
    weft_rcu_barrier();
    CHECK_EQ(atomic_read(&freed), updates);
    atomic_store_release(&stop, true);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK(reader_kicked[i]);
    }
    CHECK(weft_rcu_grace_periods() > 0);
    free(current);
}

/* An offline thread does not hold up grace periods. */
static void test_offline_reader_ignored(void)
{
    weft_rcu_register_thread();
    weft_rcu_go_offline();
    weft_synchronize_rcu();
    weft_rcu_go_online();
    /* an online caller of synchronize does not wait for itself */
    weft_synchronize_rcu();
    weft_rcu_unregister_thread();
}

int main(void)
{
    RUN(test_publish_and_reclaim);
    RUN(test_offline_reader_ignored);
    return 0;
}
