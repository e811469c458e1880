#ifndef CLINUX_H
#define CLINUX_H
#include <spawn.h>
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
/// Returns the fd, or -1 with errno set (ENOSYS on kernels before 5.6). A lookup that a
/// rename or mount raced (EAGAIN) is repeated.
int cl_openat2(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve);

// ---- Sandbox: namespaces, mounts, capabilities, process control ----

#define CL_CLONE_NEWNS     0x00020000
#define CL_CLONE_NEWCGROUP 0x02000000
#define CL_CLONE_NEWUTS    0x04000000
#define CL_CLONE_NEWIPC    0x08000000
#define CL_CLONE_NEWUSER   0x10000000
#define CL_CLONE_NEWPID    0x20000000
#define CL_CLONE_NEWNET    0x40000000

/// clone(2) with fork semantics into new namespaces (`flags` are CL_CLONE_NEW*); 0 in the child.
/// Single-threaded callers only.
pid_t cl_clone_into_namespaces(int flags);

/// pivot_root(2).
int cl_pivot_root(const char *new_root, const char *put_old);

/// prctl(PR_SET_NO_NEW_PRIVS, 1): exec can never grant privileges (setuid, file caps).
int cl_set_no_new_privs(void);

/// prctl(PR_SET_PDEATHSIG): `signal` when the parent thread exits.
int cl_set_parent_death_signal(int signal);

/// Drops capabilities 0...last_capability from the bounding set (needs CAP_SETPCAP).
int cl_drop_bounding_set(int last_capability);

/// Clears the ambient set and sets effective, permitted and inheritable to empty.
int cl_clear_capabilities(void);

/// Sets `lo` up in the current network namespace.
int cl_bring_loopback_up(void);

/// Marks every fd >= lowest close-on-exec (close_range, /proc/self/fd fallback).
int cl_mark_fds_cloexec_from(int lowest);

/// Closes every fd >= lowest (close_range).
int cl_close_fds_from(int lowest);

/// pidfd_open(2) and pidfd_send_signal(2): signal a process without PID-reuse races.
int cl_pidfd_open(pid_t pid);
int cl_pidfd_send_signal(int pidfd, int signal);

/// Makes a posix_spawn close every descriptor >= lowest in the child (after its dup2 actions):
/// posix_spawn_file_actions_addclosefrom_np where glibc has it, else (or with `listed`) one
/// close action per descriptor open now. 0, or -1 with errno set.
int cl_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest, int listed);

/// Records and forgets a running child's process group (a table of 1024; more are not recorded).
void cl_child_group_add(pid_t group);
void cl_child_group_remove(pid_t group);

/// For SIGHUP, SIGINT, SIGQUIT and SIGTERM, where this process has no handler: a handler that
/// sends the signal on to every recorded child group, then lets it end this process as before.
void cl_forward_signals_to_child_groups(void);

/// pipe2(fds, O_CLOEXEC).
int cl_pipe_cloexec(int fds[2]);

/// Blocks `signals` and returns a non-blocking, close-on-exec signalfd for them.
int cl_signalfd_for(const int *signals, int count);

/// Reads one signal from a signalfd; its number, or -1 (EAGAIN when none is pending).
int cl_signalfd_read(int fd);

/// Resets every signal disposition to default and unblocks all signals (before exec).
int cl_unblock_all_signals(void);

// ---- Sandbox: user namespaces with subordinate ids, keyrings, seccomp ----

/// A detached, id-mapped copy of the mount tree at `path` (open_tree + mount_setattr with
/// MOUNT_ATTR_IDMAP from `userns_fd`), nosuid, nodev, and read-only when `read_only`.
/// Returns its fd, or -1 with errno (EINVAL where the file system cannot be id-mapped).
int cl_open_idmapped_tree(const char *path, int userns_fd, int read_only);

/// move_mount(2) of the detached tree `tree_fd` onto the O_PATH fd `target_fd`.
int cl_attach_tree(int tree_fd, int target_fd);

/// At most this many descriptors travel with one message.
#define CL_MAX_PASSED_FDS 64

/// One byte with `count` descriptors attached (SCM_RIGHTS). 0, or -1 with errno.
int cl_send_byte_with_fds(int socket_fd, unsigned char byte, const int *fds, int count);

/// One message: the byte into *byte and up to `capacity` descriptors (close-on-exec) into
/// `fds`. Returns how many descriptors arrived, 0 at EOF too (*byte untouched), or -1.
int cl_receive_byte_with_fds(int socket_fd, unsigned char *byte, int *fds, int capacity);

/// socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC).
int cl_socketpair_cloexec(int fds[2]);

/// setresgid(gid...) then setresuid(uid...).
int cl_become(uid_t uid, gid_t gid);

/// lckpwdf()/ulckpwdf(): the lock shadow-utils takes to edit /etc/passwd, /etc/subuid, ...
int cl_lock_account_files(void);
int cl_unlock_account_files(void);

/// keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL): a fresh anonymous session keyring.
int cl_join_new_session_keyring(void);

/// Installs a classic BPF seccomp filter of `count` instructions (8 bytes each).
int cl_install_seccomp_filter(const void *instructions, int count);

/// statvfs f_flag bits and rlimit resources Glibc leaves out of the Swift module.
#define CL_ST_RDONLY     1
#define CL_ST_NOEXEC     8
#define CL_ST_NOATIME    1024
#define CL_ST_NODIRATIME 2048
#define CL_ST_RELATIME   4096
#define CL_RLIMIT_CORE   4
#define CL_RLIMIT_NPROC  6
#define CL_RLIMIT_AS     9

// ---- CPU affinity ----

/// The size of a cpu_set_t (1024 CPUs).
#define CL_CPU_SET_BYTES 128

/// Holds the calling thread to the lowest CPU it may use, keeping its mask in `saved`; what
/// the thread starts inherits the one CPU. 0, or -1 with errno set.
int cl_hold_to_one_cpu(unsigned char saved[CL_CPU_SET_BYTES]);

/// Gives the calling thread back the mask `cl_hold_to_one_cpu` saved.
int cl_restore_cpus(const unsigned char saved[CL_CPU_SET_BYTES]);

#endif
