#include <assert.h>

#include "hw/core/object.h"
#include "util/atomic.h"
#include "util/compiler.h"

static ObjectDeferFn *finalize_context;  /* atomic pointer */
static unsigned long objects_created, objects_finalized;  /* atomic */

void object_set_finalize_context(ObjectDeferFn *defer)
{
    atomic_store_release(&finalize_context, defer);
}

bool object_defer_to_main(void (*fn)(void *opaque), void *opaque)
{
    ObjectDeferFn *defer = atomic_load_acquire(&finalize_context);

    if (!defer) {
        return false;
    }
    defer(fn, opaque);
    return true;
}

unsigned long object_count_live(void)
{
    return atomic_read(&objects_created) - atomic_read(&objects_finalized);
}

void object_init(Object *obj, const char *type, ObjectFinalize *finalize)
{
    assert(finalize);
    obj->type = type;
    obj->refcount = 1;
    obj->finalized = 0;
    obj->finalize = finalize;
    atomic_fetch_inc(&objects_created);
}

Object *object_ref(Object *obj)
{
    if (obj) {
        unsigned old = atomic_fetch_inc(&obj->refcount);

        assert(old > 0);  /* nobody may revive a dying object */
    }
    return obj;
}

unsigned object_refcount(const Object *obj)
{
    return atomic_read(&obj->refcount);
}

static void object_run_finalize(void *opaque)
{
    Object *obj = opaque;
    unsigned was_finalized = atomic_xchg(&obj->finalized, 1);

    assert(atomic_read(&obj->refcount) == 0);
    assert(!was_finalized);
    (void)was_finalized;
    atomic_fetch_inc(&objects_finalized);
    obj->finalize(obj);
}

static void object_after_grace_period(RcuHead *head)
{
    Object *obj = container_of(head, Object, rcu);
    ObjectDeferFn *defer = atomic_load_acquire(&finalize_context);

    if (defer) {
        defer(object_run_finalize, obj);
    } else {
        object_run_finalize(obj);
    }
}

void object_unref(Object *obj)
{
    unsigned old;

    if (!obj) {
        return;
    }
    old = atomic_fetch_dec(&obj->refcount);
    assert(old > 0);
    if (old == 1) {
        weft_call_rcu(&obj->rcu, object_after_grace_period);
    }
}
