/* Linux APIs that Swift's Glibc module leaves out: SwiftGlibc.h does not include <sys/epoll.h>,
 * <sys/eventfd.h> or <sys/timerfd.h>, and is built without _GNU_SOURCE, which hides accept4().
 * Defining _GNU_SOURCE globally is not an option: it turns every sockaddr argument into a
 * transparent union that Swift cannot pass nil or a pointer to. */
#ifndef SWITCHYARD_CLINUX_SHIM_H
#define SWITCHYARD_CLINUX_SHIM_H
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <malloc.h>
#include <errno.h>

/* prctl is variadic in glibc: a fixed-arity wrapper for Swift. */
static inline int sy_set_timer_slack(unsigned long nanoseconds) { return prctl(PR_SET_TIMERSLACK, nanoseconds, 0, 0, 0); }
static inline int sy_set_parent_death_signal(int signal) { return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0); }
extern int pipe2(int fds[2], int flags);
extern int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);
/* A GNU extension as well: the multipart reader finds its delimiter with it. */
extern void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);

/* syscall is variadic: fixed-arity wrappers. -1 with errno (ENOSYS on kernels before 5.3/5.9)
 * when the kernel lacks them; callers fall back. */
#include <sys/syscall.h>
#include <unistd.h>
static inline int sy_pidfd_open(int pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    errno = ENOSYS; return -1;
#endif
}
static inline int sy_close_range(unsigned int first, unsigned int last) {
#ifdef SYS_close_range
    return (int)syscall(SYS_close_range, first, last, 0);
#else
    errno = ENOSYS; return -1;
#endif
}

/* Glibc's `stdout`/`stderr` are mutable globals that Swift 6 refuses to touch. */
static inline FILE *sy_stdout(void) { return stdout; }
static inline FILE *sy_stderr(void) { return stderr; }
#endif
