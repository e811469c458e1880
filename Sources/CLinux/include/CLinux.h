#ifndef CLINUX_H
#define CLINUX_H
#include <sys/types.h>
#include <stdint.h>

// Resolve flags for cl_openat2, mirroring <linux/openat2.h>.
/// O_PATH, which Glibc does not export to Swift.
#define CL_O_PATH 010000000

#define CL_RESOLVE_NO_XDEV       0x01
#define CL_RESOLVE_NO_MAGICLINKS 0x02
#define CL_RESOLVE_NO_SYMLINKS   0x04
#define CL_RESOLVE_BENEATH       0x08
#define CL_RESOLVE_IN_ROOT       0x10

/// openat2(2): open `path` relative to `dirfd` with kernel-enforced resolution rules.
/// Returns the fd, or -1 with errno set (ENOSYS on kernels before 5.6).
int cl_openat2(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve);

/// renameat2(2) with flags (RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2).
int cl_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);

/// Set a file's timestamps without following symlinks (utimensat AT_SYMLINK_NOFOLLOW).
int cl_set_mtime(int dirfd, const char *path, int64_t seconds, int follow);

#endif
