# syntax=docker/dockerfile:1
# chat-node image: built with the official Swift image on Debian 12, run on debian:bookworm-slim.
#
#   docker build -t chat-node .          (BuildKit, the default since Docker 23)
#   docker run --rm -p 8080:8080 -e JWT_SECRET=... -e VALKEY_HOSTS=host:6379 chat-node
#
# compose/docker-compose.yml builds it the same way. The expected size and why it is not the
# original plan's 15-20 MB: docs/deploy.md ("Image size").

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# MARK: builder
FROM ${SWIFT_IMAGE} AS builder
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libhiredis-dev libssl-dev libzstd-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# The package has no dependencies to resolve. Tests/ is copied because the manifest declares
# the test targets (SwiftPM checks their folders even when building one product).
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
# Parallel compile jobs; 1 keeps a build on a 1 GB VPS (with its swap file) out of the OOM
# killer, at the cost of time. Empty = one per core.
ARG SWIFT_BUILD_JOBS=
# The Swift runtime and Foundation are linked statically; hiredis, OpenSSL, zstd and zlib
# stay dynamic (Debian's packages below). The cache mount keeps .build between builds.
RUN --mount=type=cache,target=/build/.build \
    swift build -c release --static-swift-stdlib --product chat-node \
        ${SWIFT_BUILD_JOBS:+-j "$SWIFT_BUILD_JOBS"} \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/chat-node" /out/chat-node \
 && strip /out/chat-node

# MARK: runtime
FROM ${RUNTIME_IMAGE}
# Runtime libraries only; tini is PID 1 so that the node is not (a hung PID 1 cannot be
# SIGKILLed from inside the container, which the health check's watchdog relies on) and
# zombies are reaped.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libhiredis0.14 libssl3 libzstd1 zlib1g ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin chat
WORKDIR /app
COPY --from=builder /out/chat-node /usr/local/bin/chat-node
COPY --chmod=0755 ops/healthcheck.sh /usr/local/bin/chat-healthcheck
COPY web ./web
USER chat:chat
ENV PORT=8080 \
    HOST=0.0.0.0 \
    WEB_ROOT=/app/web \
    LOG_LEVEL=error \
    CONTROL_SOCKET=/tmp/chat-node/control.sock \
    CHAT_HEALTH_WATCHDOG=3
EXPOSE 8080
# SIGTERM makes the node drain: no new connections (Traefik's health check fails over to other
# nodes), WebSockets closed with 1001 "going away".
STOPSIGNAL SIGTERM
# The original plan: every 30 s, unhealthy after 3 failures (the watchdog restarts a hung node).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/chat-healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/chat-node"]
