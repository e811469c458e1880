#define _GNU_SOURCE
#include "CLinux.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

// One byte with up to CL_MAX_PASSED_FDS descriptors attached (SCM_RIGHTS), in one message.
int cl_send_byte_with_fds(int socket_fd, unsigned char byte, const int *fds, int count) {
    if (count < 0 || count > CL_MAX_PASSED_FDS) { errno = EINVAL; return -1; }
    struct iovec io = { &byte, 1 };
    union { char buffer[CMSG_SPACE(sizeof(int) * CL_MAX_PASSED_FDS)]; struct cmsghdr align; } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = { 0 };
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    if (count > 0) {
        message.msg_control = control.buffer;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count);
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
        memcpy(CMSG_DATA(header), fds, sizeof(int) * (size_t)count);
    }
    ssize_t sent;
    do { sent = sendmsg(socket_fd, &message, MSG_NOSIGNAL); } while (sent < 0 && errno == EINTR);
    return sent == 1 ? 0 : -1;
}

// Receives one message: its byte into *byte, its descriptors (close-on-exec) into fds; returns
// how many arrived, 0 at EOF with *byte untouched, or -1.
int cl_receive_byte_with_fds(int socket_fd, unsigned char *byte, int *fds, int capacity) {
    struct iovec io = { byte, 1 };
    union { char buffer[CMSG_SPACE(sizeof(int) * CL_MAX_PASSED_FDS)]; struct cmsghdr align; } control;
    struct msghdr message = { 0 };
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    message.msg_control = control.buffer;
    message.msg_controllen = sizeof control.buffer;
    ssize_t received;
    do { received = recvmsg(socket_fd, &message, MSG_CMSG_CLOEXEC); } while (received < 0 && errno == EINTR);
    if (received < 0) return -1;
    if (received == 0) return 0;
    int count = 0;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        int n = (int)((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(header) + sizeof(int) * (size_t)i, sizeof fd);
            if (count < capacity) fds[count++] = fd; else close(fd);
        }
    }
    return count;
}

// socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC).
int cl_socketpair_cloexec(int fds[2]) {
    return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds);
}
