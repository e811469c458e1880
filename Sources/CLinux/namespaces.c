#define _GNU_SOURCE
#include "CLinux.h"
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

// A raw clone(2) with fork semantics (no new stack): the child starts in the new namespaces and,
// with CLONE_NEWPID, is PID 1 there. Only safe in a single-threaded process, which the sandbox
// helper is; bubblewrap does the same.
pid_t cl_clone_into_namespaces(int flags) {
    return (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, NULL);
}
