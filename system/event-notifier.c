/* eventfd wrapper shared by the memory core (ioeventfd), the event loops
 * and KVM. */
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "system/event-loop.h"

bool event_notifier_init(EventNotifier *en, bool active, Error **errp)
{
    en->fd = eventfd(active ? 1 : 0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (en->fd < 0) {
        error_setg_errno(errp, errno, "eventfd");
        return false;
    }
    return true;
}

void event_notifier_cleanup(EventNotifier *en)
{
    if (en->fd >= 0) {
        close(en->fd);
        en->fd = -1;
    }
}

void event_notifier_set(EventNotifier *en)
{
    uint64_t one = 1;
    ssize_t r;

    do {
        r = write(en->fd, &one, sizeof(one));
    } while (r < 0 && errno == EINTR);
    /* EAGAIN means the counter is saturated: it is set already. */
}

bool event_notifier_test_and_clear(EventNotifier *en)
{
    uint64_t value;
    ssize_t r;

    do {
        r = read(en->fd, &value, sizeof(value));
    } while (r < 0 && errno == EINTR);
    return r == sizeof(value) && value != 0;
}
