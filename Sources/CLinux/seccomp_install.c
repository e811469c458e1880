#define _GNU_SOURCE
#include "CLinux.h"
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

// Installs a classic BPF seccomp program of `count` 8-byte instructions (as libseccomp's
// seccomp_export_bpf writes them). Needs no_new_privs (or CAP_SYS_ADMIN) first.
int cl_install_seccomp_filter(const void *instructions, int count) {
    if (count <= 0 || count > BPF_MAXINSNS) { errno = EINVAL; return -1; }
    struct sock_fprog program = { .len = (unsigned short)count, .filter = (struct sock_filter *)instructions };
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0);
}
