/* Refcounted objects: the base of devices and of memory-region owners.
 *
 * Reference rules: whoever creates an object holds the first reference.
 * Anyone who keeps a pointer beyond the current RCU read section or BQL
 * section takes its own reference with object_ref() and says at that site
 * who owns it.  When the count drops to zero, finalize runs exactly once,
 * after an RCU grace period (so a reader that found the object under RCU
 * and has not yet taken its reference is safe), in the finalize context:
 * the main loop once one runs, else the RCU reclaim thread.
 */
#ifndef HW_CORE_OBJECT_H
#define HW_CORE_OBJECT_H

#include <stdbool.h>
#include "util/rcu.h"

typedef struct Object Object;
typedef void ObjectFinalize(Object *obj);

struct Object {
    const char *type;          /* type name, for dumps and errors */
    unsigned refcount;         /* atomic */
    unsigned finalized;        /* atomic; finalize ran (assertion aid) */
    ObjectFinalize *finalize;  /* releases everything and frees obj */
    RcuHead rcu;
};

/* refcount = 1, owned by the caller. */
void object_init(Object *obj, const char *type, ObjectFinalize *finalize);
/* Both accept NULL.  object_ref requires a count above zero. */
Object *object_ref(Object *obj);
void object_unref(Object *obj);
unsigned object_refcount(const Object *obj);

/* Installed by the main loop: run fn(opaque) later on the main thread.
 * Callable from any thread. */
typedef void ObjectDeferFn(void (*fn)(void *opaque), void *opaque);
void object_set_finalize_context(ObjectDeferFn *defer);
/* Runs fn(opaque) later in the finalize context (the main loop) and
 * returns true; returns false, doing nothing, while none is installed.
 * Callable from any thread.  The device lifecycle uses it to bring an
 * asynchronous drain completion back to the main thread. */
bool object_defer_to_main(void (*fn)(void *opaque), void *opaque);

/* Counters for tests: objects initialised and finalized since start. */
unsigned long object_count_live(void);

#endif
