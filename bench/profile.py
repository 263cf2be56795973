"""Where a server's time goes in one W3 step: `perf record` of the server while chat-load
sends the W1 shape at a given rate (server on CPU 0, chat-load on CPU 1, as bench/run).

    .venv/bin/python bench/profile.py node-memory 10000 [seconds]
    targets: node-valkey, node-memory, uws, node-ws   (build first: bench/run does, or
    swift build -c release --product chat-node --product chat-load; bench/peers/build-uws-peer)

Samples the software clock (`perf record -e cpu-clock -g`): this machine's virtual CPUs
expose no hardware counters (`perf stat -e instructions true` says <not supported>), and
valgrind 3.19 (callgrind, even --tool=none) dies with SIGSEGV in libdispatch's
`_dispatch_sigsuspend` on chat-node's main thread. Prints chat-load's summary, the split by
binary (kernel, the server, libswiftCore, libc...) and the top symbols; keeps the data in
/tmp/bench-profile-<target>-<rate>.data for `perf report -i`.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (bench/run.py: servers, pinning, chat-load)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in run.TARGETS:
        print(__doc__)
        return 2
    target, rate = sys.argv[1], int(sys.argv[2])
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    data = f"/tmp/bench-profile-{target}-{rate}.data"
    shards = run.Shards()
    server = run.start(target, shards)
    try:
        argv = run.pinned(1, [os.path.join(run.ROOT, ".build/release/chat-load"), "chat", "--connections", "1000",
                              "--rooms", "100", "--rate", str(rate), "--size", "64", "--duration", str(seconds),
                              "--url", server.url, "--secret", run.SECRET, "--pid", str(server.process.pid), "--quiet"])
        load = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        time.sleep(3)  # past the connects and joins: sending has begun
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "1999", "-g", "-p", str(server.process.pid),
                        "-o", data, "--", "sleep", str(max(1, seconds - 2))],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        summary, _ = load.communicate(timeout=seconds * 4 + 120)
    finally:
        server.stop()
        shards.stop()
    print(summary)
    for sort in ("dso", "sym"):
        report = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", sort, "-g", "none"],
                                capture_output=True, text=True).stdout
        lines = [l[:160] for l in report.splitlines() if l.strip() and not l.startswith("#")]
        print("\n".join(lines[:8 if sort == "dso" else 30]), "\n")
    print(f"data: {data}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
