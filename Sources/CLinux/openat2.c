#define _GNU_SOURCE
#include "CLinux.h"
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

int cl_openat2(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve) {
    struct open_how how = { .flags = (uint64_t)flags, .mode = mode, .resolve = resolve };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int cl_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags) {
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

int cl_set_mtime(int dirfd, const char *path, int64_t seconds, int follow) {
    struct timespec ts[2] = { { .tv_sec = seconds, .tv_nsec = 0 }, { .tv_sec = seconds, .tv_nsec = 0 } };
    return utimensat(dirfd, path, ts, follow ? 0 : AT_SYMLINK_NOFOLLOW);
}
