#!/bin/sh
# Renders Traefik's configuration for chat-node: the static file and the dynamic file that
# lists the backend nodes. POSIX sh, so that it runs in the Traefik image (Alpine, busybox)
# as the container's entrypoint, and on any host for Traefik without containers.
#
#   render.sh OUTDIR   writes OUTDIR/traefik.yml and OUTDIR/dynamic/chat.yml
#   render.sh run      renders into $TRAEFIK_RENDER_DIR (/tmp/traefik) and execs
#                      `traefik --configFile=.../traefik.yml` (the compose entrypoint)
#
# Settings (environment), all optional; the defaults render the committed files
# compose/traefik/traefik.yml and compose/traefik/dynamic/chat.yml (with
# TRAEFIK_DYNAMIC_DIR=/etc/traefik/dynamic):
#   CHAT_BACKENDS          node URLs, comma or space separated (http://backend:8080)
#   CHAT_DOMAIN            serve only this host name (Host rule); needed for TLS
#   CHAT_HEALTH_INTERVAL   how often Traefik probes GET /health on each node (10s)
#   CHAT_RETRY_ATTEMPTS    tries per request when a node cannot be reached (3): a client whose
#                          node just died is sent to another node instead of getting 502
#   TRAEFIK_HTTP_ADDRESS   HTTP entry point (:80)
#   TRAEFIK_HTTPS_ADDRESS  HTTPS entry point when TLS is on (:443)
#   TRAEFIK_PING_ADDRESS   internal entry point of /ping for health checks (:8082)
#   TRAEFIK_DYNAMIC_DIR    folder the static file points the file provider at
#                          (OUTDIR/dynamic, as an absolute path)
#   TLS, either:
#   ACME_EMAIL             Let's Encrypt account e-mail: turns on TLS with ACME for CHAT_DOMAIN
#   ACME_CHALLENGE         dns-cloudflare (default when CF_DNS_API_TOKEN is set) | http | tls
#   ACME_STORAGE           certificate store (/data/acme.json, keep it on a volume)
#   ACME_CA_SERVER         e.g. Let's Encrypt staging while testing
#   or:
#   TRAEFIK_TLS_CERT, TRAEFIK_TLS_KEY   certificate files (e.g. a Cloudflare Origin CA pair)
set -eu

backends=${CHAT_BACKENDS:-http://backend:8080}
domain=${CHAT_DOMAIN:-}
interval=${CHAT_HEALTH_INTERVAL:-10s}
retry_attempts=${CHAT_RETRY_ATTEMPTS:-3}
http_address=${TRAEFIK_HTTP_ADDRESS:-:80}
https_address=${TRAEFIK_HTTPS_ADDRESS:-:443}
ping_address=${TRAEFIK_PING_ADDRESS:-:8082}
acme_email=${ACME_EMAIL:-}
tls_cert=${TRAEFIK_TLS_CERT:-}
tls_key=${TRAEFIK_TLS_KEY:-}

die() { echo "render.sh: $*" >&2; exit 2; }

case "${1:-}" in
    run) out=${TRAEFIK_RENDER_DIR:-/tmp/traefik} ;;
    "" | -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) out=$1 ;;
esac
mkdir -p "$out/dynamic"
out=$(cd "$out" && pwd)
dynamic_dir=${TRAEFIK_DYNAMIC_DIR:-$out/dynamic}

tls=none
if [ -n "$tls_cert$tls_key" ]; then
    [ -n "$tls_cert" ] && [ -n "$tls_key" ] || die "TRAEFIK_TLS_CERT and TRAEFIK_TLS_KEY go together"
    tls=files
elif [ -n "$acme_email" ]; then
    [ -n "$domain" ] || die "ACME_EMAIL needs CHAT_DOMAIN (the name the certificate is for)"
    tls=acme
    challenge=${ACME_CHALLENGE:-}
    if [ -z "$challenge" ]; then
        if [ -n "${CF_DNS_API_TOKEN:-}" ]; then challenge=dns-cloudflare; else challenge=http; fi
    fi
    case $challenge in
        dns-cloudflare | http | tls) ;;
        *) die "ACME_CHALLENGE must be dns-cloudflare, http or tls, got $challenge" ;;
    esac
fi

case $retry_attempts in
    '' | *[!0-9]*) die "CHAT_RETRY_ATTEMPTS must be a whole number, got $retry_attempts" ;;
esac

if [ -n "$domain" ]; then rule="Host(\`$domain\`)"; else rule="PathPrefix(\`/\`)"; fi
if [ "$tls" = none ]; then entry=web; else entry=websecure; fi

# MARK: static configuration
{
    echo "# Traefik static configuration for chat-node, rendered by compose/traefik/render.sh."
    echo "# File provider only (no Docker socket, no labels): less memory, nothing discovered."
    echo "global:"
    echo "  checkNewVersion: false"
    echo "  sendAnonymousUsage: false"
    echo "# Errors only, as JSON lines (the original plan); no access log."
    echo "# No api section: no dashboard, no API."
    echo "log:"
    echo "  level: ERROR"
    echo "  format: json"
    echo "  noColor: true"
    echo "# GET /ping on its own internal entry point, for \`traefik healthcheck --ping\`."
    echo "ping:"
    echo "  entryPoint: ping"
    echo "entryPoints:"
    echo "  web:"
    echo "    address: \"$http_address\""
    if [ "$tls" != none ]; then
        echo "    http:"
        echo "      redirections:"
        echo "        entryPoint:"
        echo "          to: websecure"
        echo "          scheme: https"
        echo "  websecure:"
        echo "    address: \"$https_address\""
    fi
    echo "  ping:"
    echo "    address: \"$ping_address\""
    echo "providers:"
    echo "  file:"
    echo "    directory: \"$dynamic_dir\""
    echo "    watch: true"
    if [ "$tls" = acme ]; then
        echo "certificatesResolvers:"
        echo "  letsencrypt:"
        echo "    acme:"
        echo "      email: \"$acme_email\""
        echo "      storage: \"${ACME_STORAGE:-/data/acme.json}\""
        if [ -n "${ACME_CA_SERVER:-}" ]; then echo "      caServer: \"$ACME_CA_SERVER\""; fi
        case $challenge in
            dns-cloudflare)
                echo "      # Reads CF_DNS_API_TOKEN (a Cloudflare token with Zone.DNS edit) from the environment;"
                echo "      # works behind Cloudflare's proxy."
                echo "      dnsChallenge:"
                echo "        provider: cloudflare" ;;
            http)
                echo "      httpChallenge:"
                echo "        entryPoint: web" ;;
            tls)
                echo "      tlsChallenge: {}" ;;
        esac
    fi
} > "$out/traefik.yml.tmp"

# MARK: dynamic configuration
{
    echo "# Traefik dynamic configuration for chat-node, rendered by compose/traefik/render.sh."
    echo "# One router to the chat service; WebSocket upgrades (/ws) pass through as they are"
    echo "# (Traefik forwards Upgrade/Connection and then copies bytes both ways)."
    echo "# Traefik probes GET /health on every node and sends no new connection to a node that"
    echo "# fails it: no answer (stopped) or 503 (draining after SIGTERM, no Valkey shard)."
    echo "# Between two probes, a node that refuses connections (just died) costs a retry on"
    echo "# another node, not an error (middleware chat-retry)."
    echo "http:"
    echo "  routers:"
    echo "    chat:"
    echo "      rule: \"$rule\""
    echo "      entryPoints:"
    echo "        - $entry"
    echo "      service: chat"
    if [ "$retry_attempts" -gt 1 ]; then
        echo "      middlewares:"
        echo "        - chat-retry"
    fi
    case $tls in
        acme)
            echo "      tls:"
            echo "        certResolver: letsencrypt"
            echo "        domains:"
            echo "          - main: \"$domain\"" ;;
        files)
            echo "      tls: {}" ;;
    esac
    if [ "$retry_attempts" -gt 1 ]; then
        echo "  middlewares:"
        echo "    chat-retry:"
        echo "      retry:"
        echo "        attempts: $retry_attempts"
        echo "        initialInterval: 100ms"
    fi
    echo "  services:"
    echo "    chat:"
    echo "      loadBalancer:"
    echo "        healthCheck:"
    echo "          path: /health"
    echo "          interval: \"$interval\""
    echo "          timeout: 3s"
    echo "        # The nodes: one line each (CHAT_BACKENDS)."
    echo "        servers:"
    count=0
    for url in $(echo "$backends" | tr ',' ' '); do
        case $url in
            http://?* | https://?*) ;;
            *) die "CHAT_BACKENDS: not an http(s) URL: $url" ;;
        esac
        echo "          - url: \"$url\""
        count=$((count + 1))
    done
    [ "$count" -gt 0 ] || die "CHAT_BACKENDS lists no node"
    if [ "$tls" = files ]; then
        echo "tls:"
        echo "  certificates:"
        echo "    - certFile: \"$tls_cert\""
        echo "      keyFile: \"$tls_key\""
    fi
} > "$out/dynamic/chat.yml.tmp"

mv "$out/traefik.yml.tmp" "$out/traefik.yml"
mv "$out/dynamic/chat.yml.tmp" "$out/dynamic/chat.yml"

if [ "${1:-}" = run ]; then
    exec traefik --configFile="$out/traefik.yml"
fi
