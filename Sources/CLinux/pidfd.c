#define _GNU_SOURCE
#include "CLinux.h"
#include <sys/syscall.h>
#include <unistd.h>

int cl_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int cl_pidfd_send_signal(int pidfd, int signal) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0);
}
