#define _GNU_SOURCE
#include "CLinux.h"
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

int cl_openat2(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve) {
    struct open_how how = { .flags = (uint64_t)flags, .mode = mode, .resolve = resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}
