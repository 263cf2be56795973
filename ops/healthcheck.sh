#!/usr/bin/env bash
# Health probe of chat-node, for Docker's HEALTHCHECK (the image installs it as
# /usr/local/bin/chat-healthcheck). debian:bookworm-slim has no curl: the probe speaks
# HTTP/1.1 over bash's /dev/tcp, bounded by coreutils' `timeout`.
#
#   exit 0  GET /health answered 200
#   exit 1  anything else (503 while draining or without Valkey, no answer, ...)
#
# Watchdog (CHAT_HEALTH_WATCHDOG=N, 0 turns it off): Docker restarts a container whose
# process exits, never one that is merely unhealthy. After N consecutive probes that got no
# HTTP answer at all (the node hangs), the probe stops the node: SIGTERM, then SIGKILL after
# CHAT_HEALTH_KILL_GRACE seconds (in the background), and the restart policy starts a fresh one. A 503 is an
# answer: a node that lost its Valkey shards or is draining is left alone (restarting it
# would drop every connection and fix nothing).
#
# Settings: PORT (8080, read like the node), CHAT_HEALTH_HOST (127.0.0.1),
# CHAT_HEALTH_TIMEOUT (3 s), CHAT_HEALTH_WATCHDOG (0), CHAT_HEALTH_KILL_GRACE (10 s),
# CHAT_HEALTH_STATE (/tmp/chat-health.failures: consecutive probes without an answer),
# CHAT_NODE_PID (else the process named chat-node).
set -u

host=${CHAT_HEALTH_HOST:-127.0.0.1}
port=${PORT:-8080}
seconds=${CHAT_HEALTH_TIMEOUT:-3}
watchdog=${CHAT_HEALTH_WATCHDOG:-0}
grace=${CHAT_HEALTH_KILL_GRACE:-10}
state=${CHAT_HEALTH_STATE:-/tmp/chat-health.failures}

# The status line of GET /health, or nothing when no answer came in time.
status=$(timeout "$seconds" bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "GET /health HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" "$1" >&3
    IFS= read -r line <&3 && printf "%s" "$line"
' probe "$host" "$port" 2>/dev/null) || true
status=${status%$'\r'}

if [[ $status == HTTP/1.?\ * ]]; then
    [ "$watchdog" -gt 0 ] && rm -f "$state"
    code=${status#* }
    code=${code%% *}
    echo "chat-node /health: $code"
    [ "$code" = 200 ] && exit 0
    exit 1
fi

echo "chat-node /health: no answer from $host:$port within ${seconds}s"
[ "$watchdog" -gt 0 ] || exit 1

failures=$(( $(cat "$state" 2>/dev/null || echo 0) + 1 ))
echo "$failures" > "$state"
[ "$failures" -ge "$watchdog" ] || exit 1

# The node: CHAT_NODE_PID, else the process whose name is chat-node.
pid=${CHAT_NODE_PID:-}
if [ -z "$pid" ]; then
    for comm in /proc/[0-9]*/comm; do
        if [ "$(cat "$comm" 2>/dev/null)" = chat-node ]; then
            pid=${comm#/proc/}
            pid=${pid%/comm}
            break
        fi
    done
fi
[ -n "$pid" ] || { echo "watchdog: chat-node process not found"; exit 1; }
echo "watchdog: $failures probes without an answer: stopping chat-node (pid $pid), SIGKILL after ${grace}s"
rm -f "$state"
kill -TERM "$pid" 2>/dev/null || exit 1
# The SIGKILL waits in the background: Docker ends a probe at its own timeout (5 s), which
# must not cancel it. Detached from the probe's output, so that Docker does not wait for it.
( sleep "$grace"; kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" ) < /dev/null > /dev/null 2>&1 &
exit 1
