#define _GNU_SOURCE
#include "CLinux.h"
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

// keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL): a new anonymous session keyring, so nothing the
// parent's session keyring holds is possessed any more.
int cl_join_new_session_keyring(void) {
    long id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0);
    return id < 0 ? -1 : 0;
}
