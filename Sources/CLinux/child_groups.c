#define _GNU_SOURCE
#include "CLinux.h"
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

// Process groups of running children, in a fixed table a signal handler can walk without
// locks or allocation. 0 is a free slot.
#define SLOTS 1024
static _Atomic pid_t groups[SLOTS];
static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM };

void cl_child_group_add(pid_t group) {
    for (int i = 0; i < SLOTS; i++) {
        pid_t free = 0;
        if (atomic_compare_exchange_strong(&groups[i], &free, group)) return;
    }
}

void cl_child_group_remove(pid_t group) {
    for (int i = 0; i < SLOTS; i++) {
        pid_t expected = group;
        if (atomic_compare_exchange_strong(&groups[i], &expected, 0)) return;
    }
}

// Passes the signal on to every child group, then dies of it as this process would have.
static void forward(int signal) {
    for (int i = 0; i < SLOTS; i++) {
        pid_t group = atomic_load(&groups[i]);
        if (group > 0) kill(-group, signal);
    }
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = SIG_DFL;
    sigaction(signal, &action, NULL);
    raise(signal);
}

// Only where the disposition is still the default (the process would just die): a command
// that handles a signal itself (cancels a run, shuts a server down) keeps its handler.
void cl_forward_signals_to_child_groups(void) {
    for (unsigned i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) {
        struct sigaction current;
        if (sigaction(forwarded[i], NULL, &current) != 0 || current.sa_handler != SIG_DFL
            || (current.sa_flags & SA_SIGINFO)) continue;
        struct sigaction action;
        memset(&action, 0, sizeof(action));
        action.sa_handler = forward;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        sigaction(forwarded[i], &action, NULL);
    }
}
