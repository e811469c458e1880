#define _GNU_SOURCE
#include "CLinux.h"
#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

// The bounding set goes first, while CAP_SETPCAP is still held (setuid to a non-root uid
// clears it); capset to empty comes last, after setuid, which itself needs CAP_SETUID.
int cl_drop_bounding_set(int last_capability) {
    for (int cap = 0; cap <= last_capability; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return -1;
    }
    return 0;
}

// Ambient, effective, permitted and inheritable sets to empty: nothing is regained by exec.
int cl_clear_capabilities(void) {
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return -1;
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
    return (int)syscall(SYS_capset, &header, data);
}
