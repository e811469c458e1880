#define _GNU_SOURCE
#include "CLinux.h"
#include <signal.h>
#include <sys/prctl.h>

int cl_set_no_new_privs(void) {
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

int cl_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0);
}
