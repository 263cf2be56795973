// Linux interfaces Glibc's Swift module leaves out: epoll, eventfd, timerfd, signalfd,
// accept4. No _GNU_SOURCE here: it would give these headers definitions that clash with
// SwiftGlibc's, so accept4 is declared by hand.
#ifndef CHAT_CLINUX_SHIM_H
#define CHAT_CLINUX_SHIM_H
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <pthread.h>
#include <sys/prctl.h>

int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);

/// Names the calling thread (at most 15 bytes are kept): prctl is variadic, which Swift
/// cannot call.
static inline int chat_set_thread_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }

/// The calling thread's id as an integer (pthread_t is opaque in Swift on some platforms).
static inline unsigned long chat_thread_id(void) { return (unsigned long)pthread_self(); }
#endif
