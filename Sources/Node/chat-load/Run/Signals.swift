@preconcurrency import Glibc
import Synchronization

/// Set by SIGINT or SIGTERM: the run skips to closing and prints its summary.
let interruptRequested = Atomic<Bool>(false)

/// Installs the handlers. A second signal exits at once. Formed outside `main.swift`, whose
/// top-level code is main-actor isolated (TOOLCHAIN.md: a C callback formed there traps
/// when another thread calls it).
func installInterruptHandlers() {
    for number in [SIGINT, SIGTERM] {
        signal(number) { _ in
            if interruptRequested.exchange(true, ordering: .relaxed) { _exit(130) }
        }
    }
    // A peer that resets a connection must not kill the generator.
    signal(SIGPIPE, SIG_IGN)
}
