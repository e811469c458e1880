#define _GNU_SOURCE
#include "CLinux.h"
#include <fcntl.h>
#include <errno.h>
#include <linux/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

// A detached copy of the mount tree at `path` (open_tree(OPEN_TREE_CLONE | AT_RECURSIVE)),
// shown through `userns_fd`'s id mapping, nosuid and nodev, read-only when asked. The id
// mapping needs CAP_SYS_ADMIN where `path`'s file system was mounted (host root) and a file
// system that supports it (EINVAL otherwise: ramfs, procfs, older kernels for tmpfs/overlay).
int cl_open_idmapped_tree(const char *path, int userns_fd, int read_only) {
    int fd = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (fd < 0) return -1;
    struct mount_attr attr = { 0 };
    attr.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (read_only ? MOUNT_ATTR_RDONLY : 0);
    attr.userns_fd = (unsigned long long)userns_fd;
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

// move_mount(2) of a detached tree onto the object `target_fd` refers to (an O_PATH fd).
int cl_attach_tree(int tree_fd, int target_fd) {
    return (int)syscall(SYS_move_mount, tree_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}
