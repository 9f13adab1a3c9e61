#include "util/atomic.h"

#ifdef WEFT_TSAN
int atomic_tsan_fence_word;     /* see smp_mb() */
#endif
