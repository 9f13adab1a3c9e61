/* IOMMU notifiers: a DMA user that caches translations registers one and
 * learns when a mapping appears or disappears. */
#include "memory/memory-internal.h"

/* The IOMMU region whose notifiers this thread is running, to catch a
 * notifier that calls back into the list (it would deadlock). */
static __thread MemoryRegion *notifying_region;

void iommu_notifier_init(IOMMUNotifier *n, IOMMUNotify *fn,
                         IOMMUNotifierFlag flags, hwaddr start, hwaddr end)
{
    assert(fn && flags != IOMMU_NOTIFIER_NONE && start <= end);
    n->notify = fn;
    n->flags = flags;
    n->start = start;
    n->end = end;
    n->iommu = NULL;
    n->next = NULL;
}

void memory_region_register_iommu_notifier(MemoryRegion *iommu,
                                           IOMMUNotifier *n)
{
    memory_region_check(iommu);
    assert(memory_region_is_iommu(iommu));
    assert(n->notify && !n->iommu);
    assert(notifying_region != iommu);
    pthread_mutex_lock(&iommu->iommu_lock);
    n->iommu = iommu;
    n->next = iommu->iommu_notifiers;
    iommu->iommu_notifiers = n;
    pthread_mutex_unlock(&iommu->iommu_lock);
}

void memory_region_unregister_iommu_notifier(MemoryRegion *iommu,
                                             IOMMUNotifier *n)
{
    IOMMUNotifier **link;

    memory_region_check(iommu);
    assert(n->iommu == iommu);
    assert(notifying_region != iommu);
    /* Waits for a notification in progress: afterwards n is never called. */
    pthread_mutex_lock(&iommu->iommu_lock);
    for (link = &iommu->iommu_notifiers; *link != n; link = &(*link)->next) {
        assert(*link);
    }
    *link = n->next;
    n->next = NULL;
    n->iommu = NULL;
    pthread_mutex_unlock(&iommu->iommu_lock);
}

void memory_region_notify_iommu(MemoryRegion *iommu,
                                const IOMMUTLBEvent *event)
{
    hwaddr first = event->entry.iova & ~event->entry.addr_mask;
    hwaddr last = first + event->entry.addr_mask;

    memory_region_check(iommu);
    assert(memory_region_is_iommu(iommu));
    assert(event->type == IOMMU_NOTIFIER_MAP ||
           event->type == IOMMU_NOTIFIER_UNMAP);
    assert(notifying_region == NULL);
    pthread_mutex_lock(&iommu->iommu_lock);
    notifying_region = iommu;
    for (IOMMUNotifier *n = iommu->iommu_notifiers; n; n = n->next) {
        if ((n->flags & event->type) && first <= n->end && last >= n->start) {
            n->notify(n, event);
        }
    }
    notifying_region = NULL;
    pthread_mutex_unlock(&iommu->iommu_lock);
}
