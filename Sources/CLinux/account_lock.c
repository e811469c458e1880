#define _GNU_SOURCE
#include "CLinux.h"
#include <shadow.h>

// The lock useradd, usermod and vipw take before changing /etc/passwd, /etc/subuid and the
// rest (glibc's lckpwdf: /etc/.pwd.lock, waiting up to 15 s).
int cl_lock_account_files(void) { return lckpwdf(); }
int cl_unlock_account_files(void) { return ulckpwdf(); }
