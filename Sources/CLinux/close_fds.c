#define _GNU_SOURCE
#include "CLinux.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

// Marks every fd >= lowest close-on-exec, so exec drops whatever the service leaked into us
// (CVE-2024-21626) while error pipes stay usable until the exec itself succeeds.
int cl_mark_fds_cloexec_from(int lowest) {
    if (syscall(SYS_close_range, (unsigned)lowest, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return 0;
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) return -1;
    int own = dirfd(dir);
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        int fd = atoi(entry->d_name);
        if (fd >= lowest && fd != own) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    closedir(dir);
    return 0;
}

int cl_close_fds_from(int lowest) {
    return (int)syscall(SYS_close_range, (unsigned)lowest, ~0U, 0);
}
