#define _GNU_SOURCE
#include "CLinux.h"
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

// Blocks `signals` and returns an fd that reads them, so a single-threaded loop can poll
// signals, pipes and a deadline together.
int cl_signalfd_for(const int *signals, int count) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int cl_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof(info));
    if (n != (ssize_t)sizeof(info)) return -1;
    return (int)info.ssi_signo;
}

int cl_unblock_all_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
    }
    return sigprocmask(SIG_SETMASK, &set, NULL);
}
