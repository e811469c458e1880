#define _GNU_SOURCE
#include "CLinux.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

// Adds a close action for every descriptor >= lowest that is open now. Descriptors opened
// after this call (by another thread) are missed, so it is only the fallback.
static int add_close_listed(posix_spawn_file_actions_t *actions, int lowest) {
    DIR *dir = opendir("/proc/self/fd");
    if (dir) {
        int own = dirfd(dir);
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL) {
            if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
            int fd = atoi(entry->d_name);
            if (fd >= lowest && fd != own && posix_spawn_file_actions_addclose(actions, fd) != 0) {
                closedir(dir);
                return -1;
            }
        }
        closedir(dir);
        return 0;
    }
    // No /proc: every number up to the descriptor limit that is open.
    struct rlimit limit;
    long highest = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY ? (long)limit.rlim_cur : 65536;
    if (highest > 1048576) highest = 1048576;
    for (long fd = lowest; fd < highest; fd++) {
        if (fcntl((int)fd, F_GETFD) >= 0 && posix_spawn_file_actions_addclose(actions, (int)fd) != 0) return -1;
    }
    return 0;
}

// glibc >= 2.34 closes the range in the child itself (close_range, or its own /proc/self/fd
// walk on kernels before 5.9), so descriptors another thread opens without O_CLOEXEC between
// here and the spawn are closed too.
int cl_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest, int listed) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    if (!listed && posix_spawn_file_actions_addclosefrom_np(actions, lowest) == 0) return 0;
#endif
    return add_close_listed(actions, lowest);
}
