#define _GNU_SOURCE
#include "CLinux.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

int cl_openat2(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve) {
    struct open_how how = { .flags = (uint64_t)flags, .mode = mode, .resolve = resolve };
    // With RESOLVE_IN_ROOT or RESOLVE_BENEATH the kernel answers EAGAIN when any rename or
    // mount on the machine raced the lookup (other sandboxes mounting at the same moment):
    // the lookup is safe to repeat, and openat2(2) says to.
    for (int attempt = 0; ; attempt++) {
        int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        if (fd >= 0 || errno != EAGAIN || attempt == 1000) return fd;
    }
}
