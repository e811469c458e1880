#define _GNU_SOURCE
#include "CLinux.h"
#include <fcntl.h>
#include <unistd.h>

// pipe2(O_CLOEXEC): atomic, so a concurrent posix_spawn on another thread cannot inherit it.
int cl_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}
