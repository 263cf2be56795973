// Linux interfaces Glibc's Swift module leaves out: epoll, eventfd, timerfd, signalfd, accept4.
#ifndef CHAT_CLINUX_SHIM_H
#define CHAT_CLINUX_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);

/// The calling thread's id as an integer (pthread_t is opaque in Swift on some platforms).
static inline unsigned long chat_thread_id(void) { return (unsigned long)pthread_self(); }

/// Pins the calling process to one CPU; returns 0 or -1 with errno set.
static inline int chat_pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set);
}
#endif
