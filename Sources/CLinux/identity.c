#define _GNU_SOURCE
#include "CLinux.h"
#include <unistd.h>

// setresgid then setresuid to `uid`/`gid` for real, effective and saved ids: in a fresh user
// namespace whose maps the parent just wrote, this is what turns the still-unmapped host
// identity the child was cloned with into the namespace's own root.
int cl_become(uid_t uid, gid_t gid) {
    if (setresgid(gid, gid, gid) != 0) return -1;
    return setresuid(uid, uid, uid);
}
