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

int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);

/// The calling thread's id as an integer (pthread_t is opaque in Swift on some platforms).
static inline unsigned long chat_thread_id(void) { return (unsigned long)pthread_self(); }
#endif
