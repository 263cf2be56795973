#!/usr/bin/env bash
# Backups of chat-node's Valkey shards: snapshot, compress, keep 7 days, upload; and restore.
#
#   ops/backup.sh [backup] [HOST:PORT ...]   every shard of VALKEY_HOSTS when none is given
#   ops/backup.sh restore FILE HOST:PORT     FILE (.rdb.zst or .rdb) into a running shard
#   ops/backup.sh prune                      delete local backups older than BACKUP_KEEP_DAYS
#   ops/backup.sh list                       local backups, newest first
#
# Backup, per shard: BGSAVE, wait until it has finished (rdb_saves / LASTSAVE and
# rdb_bgsave_in_progress in INFO persistence) and succeeded (rdb_last_bgsave_status:ok),
# take the dump (the file BGSAVE wrote when this machine can read it, else a copy streamed
# with `valkey-cli --rdb`), check it, compress it with zstd into
# BACKUP_DIR/valkey-HOST-PORT-YYYYmmddTHHMMSSZ.rdb.zst, upload it when a destination is
# configured, then delete local backups older than BACKUP_KEEP_DAYS.
#
# Restore, live and without persistence (the shards run with save "" and appendonly no): a
# throwaway valkey-server on a free loopback port loads the dump, and MIGRATE ... COPY REPLACE
# copies every key, with its TTL, into the target shard, which keeps running and serving. Keys
# in the dump replace keys of the same name; other keys of the target stay.
#
# Settings (environment; also read from CHAT_BACKUP_ENV, /etc/chat/backup.env by default):
#   VALKEY_HOSTS           host:port,... when no shard is named (as the node's setting)
#   BACKUP_DIR             where backups are kept (/var/backups/chat)
#   BACKUP_KEEP_DAYS       age in days after which local backups are deleted (7)
#   BACKUP_WAIT_SECONDS    how long one BGSAVE may take (300)
#   BACKUP_FETCH           auto | local | rdb: how the dump is taken (auto: the BGSAVE file when
#                          the shard is on this machine and the file is readable, else --rdb)
#   ZSTD_LEVEL             compression level (6)
#   VALKEY_CLI             client command (valkey-cli, else redis-cli); may hold arguments
#   VALKEY_SERVER          server for restore (valkey-server on PATH); same major version as the
#                          shards, e.g. "docker run --rm --network host -v /tmp:/tmp
#                          valkey/valkey:8-alpine valkey-server" next to the compose stack
#   REDISCLI_AUTH          password of the shards, if they have one
#   Upload (only when set; the local copy stays either way):
#   BACKUP_S3_URL          s3://bucket/prefix, through the aws CLI (AWS_ACCESS_KEY_ID,
#                          AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION from the environment)
#   BACKUP_S3_ENDPOINT     S3-compatible endpoint, e.g. Backblaze B2's
#                          https://s3.us-west-004.backblazeb2.com
#   BACKUP_RCLONE_REMOTE   remote:bucket/prefix, through rclone (its own configuration); old
#                          uploads there are deleted after BACKUP_KEEP_DAYS too
#
# Exit status: 0 done; 1 a shard could not be backed up or restored; 2 usage; 3 backups taken
# but an upload failed.
set -euo pipefail
umask 077

env_file=${CHAT_BACKUP_ENV:-/etc/chat/backup.env}
if [ -r "$env_file" ]; then
    set -a
    # shellcheck disable=SC1090
    . "$env_file"
    set +a
fi

backup_dir=${BACKUP_DIR:-/var/backups/chat}
keep_days=${BACKUP_KEEP_DAYS:-7}
wait_seconds=${BACKUP_WAIT_SECONDS:-300}
fetch_mode=${BACKUP_FETCH:-auto}
zstd_level=${ZSTD_LEVEL:-6}

log() { printf '%s backup.sh: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
fail() { log "error: $*" >&2; return 1; }
usage() { sed -n '2,/^set -euo pipefail/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }

# MARK: the client

cli_command=()
if [ -n "${VALKEY_CLI:-}" ]; then
    read -r -a cli_command <<< "$VALKEY_CLI"
elif command -v valkey-cli >/dev/null 2>&1; then
    cli_command=(valkey-cli)
elif command -v redis-cli >/dev/null 2>&1; then
    cli_command=(redis-cli)
fi

# cli HOST PORT ARGS...: one command, reply on stdout (raw, as when not on a terminal).
cli() {
    local host=$1 port=$2
    shift 2
    "${cli_command[@]}" -h "$host" -p "$port" --no-auth-warning "$@" < /dev/null
}

# split HOST:PORT into the globals host and port (the port is after the last colon).
split() {
    host=${1%:*}
    port=${1##*:}
    if [ -z "$host" ] || [ "$host" = "$1" ] || ! [[ $port =~ ^[0-9]+$ ]]; then
        fail "not host:port: $1"
        return 1
    fi
}

# info_field HOST PORT FIELD: one value of INFO persistence (empty when absent).
info_field() {
    cli "$1" "$2" INFO persistence | tr -d '\r' | sed -n "s/^$3://p"
}

is_loopback() {
    case $1 in
        localhost | 127.* | ::1 | "[::1]") return 0 ;;
        *) return 1 ;;
    esac
}

# MARK: backup

# bgsave HOST PORT: starts a BGSAVE and waits until it has finished and succeeded.
bgsave() {
    local host=$1 port=$2 reply saves_before lastsave_before deadline in_progress saves lastsave status
    deadline=$(( $(date +%s) + wait_seconds ))
    for attempt in 1 2; do
        saves_before=$(info_field "$host" "$port" rdb_saves)
        lastsave_before=$(cli "$host" "$port" LASTSAVE | tr -d '\r')
        reply=$(cli "$host" "$port" BGSAVE SCHEDULE 2>&1 | tr -d '\r') || true
        case $reply in
            *started* | *scheduled*) break ;;
            *"already in progress"*)
                # Someone else's save began before our data was written: let it end, then ours.
                [ "$attempt" = 1 ] || { fail "$host:$port: BGSAVE: $reply"; return 1; }
                while [ "$(info_field "$host" "$port" rdb_bgsave_in_progress)" = 1 ]; do
                    [ "$(date +%s)" -lt "$deadline" ] || { fail "$host:$port: a BGSAVE in progress did not end in ${wait_seconds}s"; return 1; }
                    sleep 0.2
                done ;;
            *) fail "$host:$port: BGSAVE: ${reply:-no answer}"; return 1 ;;
        esac
    done
    while true; do
        in_progress=$(info_field "$host" "$port" rdb_bgsave_in_progress)
        saves=$(info_field "$host" "$port" rdb_saves)
        lastsave=$(cli "$host" "$port" LASTSAVE | tr -d '\r')
        if [ "$in_progress" = 0 ]; then
            # rdb_saves counts every snapshot (Valkey, Redis 7+); LASTSAVE (1 s resolution)
            # is the fallback for servers without it.
            if [ -n "$saves" ] && [ -n "$saves_before" ]; then
                [ "$saves" -gt "$saves_before" ] && break
            elif [ "$lastsave" -gt "$lastsave_before" ]; then
                break
            fi
        fi
        [ "$(date +%s)" -lt "$deadline" ] || { fail "$host:$port: BGSAVE did not finish in ${wait_seconds}s"; return 1; }
        sleep 0.2
    done
    status=$(info_field "$host" "$port" rdb_last_bgsave_status)
    [ "$status" = ok ] || { fail "$host:$port: BGSAVE failed (rdb_last_bgsave_status:$status; see the shard's log)"; return 1; }
}

# fetch HOST PORT STARTED OUT: the dump of the shard into OUT.
fetch() {
    local host=$1 port=$2 started=$3 out=$4 dir file path mtime
    if [ "$fetch_mode" != rdb ]; then
        dir=$(cli "$host" "$port" CONFIG GET dir | tr -d '\r' | sed -n 2p) || true
        file=$(cli "$host" "$port" CONFIG GET dbfilename | tr -d '\r' | sed -n 2p) || true
        path="$dir/$file"
        if [ -n "$dir" ] && [ -n "$file" ] && [ -r "$path" ] && { [ "$fetch_mode" = local ] || is_loopback "$host"; }; then
            mtime=$(stat -c %Y "$path")
            if [ "$mtime" -ge $((started - 1)) ]; then
                cp "$path" "$out"
                return 0
            fi
        fi
        if [ "$fetch_mode" = local ]; then
            fail "$host:$port: BACKUP_FETCH=local but ${path:-the dump} is not readable here or older than this BGSAVE"
            return 1
        fi
    fi
    # The shard is elsewhere (another host, a container): stream a snapshot over the wire.
    cli "$host" "$port" --rdb "$out" >/dev/null 2>&1 || { fail "$host:$port: valkey-cli --rdb failed"; return 1; }
}

# check_rdb FILE: an RDB file starts with REDIS or VALKEY and its version.
check_rdb() {
    local magic
    magic=$(head -c 6 "$1" | tr -d '\0')
    case $magic in
        REDIS* | VALKEY) return 0 ;;
        *) fail "$1 is not an RDB file"; return 1 ;;
    esac
}

# upload FILE: to the configured destination, if any.
upload() {
    local file=$1 name
    name=$(basename "$file")
    if [ -n "${BACKUP_S3_URL:-}" ]; then
        command -v aws >/dev/null 2>&1 || { fail "BACKUP_S3_URL is set but the aws CLI is not installed"; return 1; }
        local endpoint=()
        [ -n "${BACKUP_S3_ENDPOINT:-}" ] && endpoint=(--endpoint-url "$BACKUP_S3_ENDPOINT")
        aws s3 cp --only-show-errors "${endpoint[@]}" "$file" "${BACKUP_S3_URL%/}/$name" \
            || { fail "upload of $name to $BACKUP_S3_URL failed"; return 1; }
        log "uploaded $name to ${BACKUP_S3_URL%/}/"
    fi
    if [ -n "${BACKUP_RCLONE_REMOTE:-}" ]; then
        command -v rclone >/dev/null 2>&1 || { fail "BACKUP_RCLONE_REMOTE is set but rclone is not installed"; return 1; }
        rclone copyto "$file" "${BACKUP_RCLONE_REMOTE%/}/$name" \
            || { fail "upload of $name to $BACKUP_RCLONE_REMOTE failed"; return 1; }
        log "uploaded $name to ${BACKUP_RCLONE_REMOTE%/}/"
    fi
}

prune() {
    local minutes=$((keep_days * 24 * 60)) old
    [ -d "$backup_dir" ] || return 0
    while IFS= read -r old; do
        rm -f -- "$old"
        log "deleted $(basename "$old") (older than $keep_days days)"
    done < <(find "$backup_dir" -maxdepth 1 -type f -name 'valkey-*.rdb.zst' -mmin +"$minutes")
    if [ -n "${BACKUP_RCLONE_REMOTE:-}" ] && command -v rclone >/dev/null 2>&1; then
        rclone delete --min-age "${keep_days}d" --include 'valkey-*.rdb.zst' "${BACKUP_RCLONE_REMOTE%/}" \
            || log "warning: deleting old uploads at $BACKUP_RCLONE_REMOTE failed"
    fi
    # S3 (B2): a lifecycle rule on the bucket deletes old uploads (docs/deploy.md).
}

# backup_one HOST:PORT: one shard; prints the backup's path on success.
backup_one() {
    local host port started tmp name final
    split "$1" || return 1
    cli "$host" "$port" PING 2>/dev/null | grep -q PONG || { fail "$host:$port does not answer PING"; return 1; }
    started=$(date +%s)
    bgsave "$host" "$port" || return 1
    tmp="$backup_dir/.incoming-$host-$port-$$"
    rm -f "$tmp.rdb" "$tmp.zst"
    fetch "$host" "$port" "$started" "$tmp.rdb" || { rm -f "$tmp.rdb"; return 1; }
    check_rdb "$tmp.rdb" || { rm -f "$tmp.rdb"; return 1; }
    zstd -q -"$zstd_level" -o "$tmp.zst" "$tmp.rdb" && zstd -q -t "$tmp.zst" \
        || { rm -f "$tmp.rdb" "$tmp.zst"; fail "$host:$port: zstd failed"; return 1; }
    local stem n=1
    stem="valkey-${host//[^A-Za-z0-9._-]/_}-$port-$(date -u +%Y%m%dT%H%M%SZ)"
    name="$stem.rdb.zst"
    # Two runs within one second keep both files.
    while [ -e "$backup_dir/$name" ]; do
        n=$((n + 1))
        name="$stem-$n.rdb.zst"
    done
    final="$backup_dir/$name"
    mv "$tmp.zst" "$final"
    rm -f "$tmp.rdb"
    log "$host:$port: $name ($(stat -c %s "$final") bytes)"
    echo "$final" >&3
}

run_backup() {
    local shards=("$@") shard failed=0 upload_failed=0 file
    if [ ${#shards[@]} -eq 0 ]; then
        [ -n "${VALKEY_HOSTS:-}" ] || { echo "backup.sh: name shards (HOST:PORT ...) or set VALKEY_HOSTS" >&2; exit 2; }
        IFS=', ' read -r -a shards <<< "$VALKEY_HOSTS"
    fi
    [ ${#cli_command[@]} -gt 0 ] || { echo "backup.sh: valkey-cli or redis-cli is needed (apt install redis-tools)" >&2; exit 1; }
    command -v zstd >/dev/null 2>&1 || { echo "backup.sh: zstd is needed (apt install zstd)" >&2; exit 1; }
    mkdir -p "$backup_dir"
    chmod 700 "$backup_dir" 2>/dev/null || true
    # One run at a time (a slow upload must not overlap the next timer).
    exec 9> "$backup_dir/.lock"
    flock -n 9 || { echo "backup.sh: another backup is running ($backup_dir/.lock)" >&2; exit 1; }
    local made
    made=$(mktemp)
    for shard in "${shards[@]}"; do
        [ -n "$shard" ] || continue
        backup_one "$shard" 3>> "$made" || failed=1
    done
    while IFS= read -r file; do
        upload "$file" || upload_failed=1
    done < "$made"
    rm -f "$made"
    prune
    [ "$failed" = 0 ] || exit 1
    [ "$upload_failed" = 0 ] || exit 3
}

# MARK: restore

# free_port: a loopback port nothing listens on (the server retries when it loses a race).
free_port() {
    local candidate
    for _ in $(seq 1 50); do
        candidate=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# The throwaway server of a restore, stopped and removed on exit however the script ends.
restore_work=""
restore_pid=""
restore_port=""
restore_cleanup() {
    if [ -n "$restore_pid" ]; then
        cli 127.0.0.1 "$restore_port" SHUTDOWN NOSAVE >/dev/null 2>&1 || kill "$restore_pid" 2>/dev/null || true
        wait "$restore_pid" 2>/dev/null || true
    fi
    [ -z "$restore_work" ] || rm -rf "$restore_work"
}

run_restore() {
    [ $# -eq 2 ] || usage
    local file=$1 target=$2 host port server_command=() ready
    [ -r "$file" ] || { echo "backup.sh: cannot read $file" >&2; exit 2; }
    split "$target" || exit 2
    local target_host=$host target_port=$port
    [ ${#cli_command[@]} -gt 0 ] || { echo "backup.sh: valkey-cli or redis-cli is needed (apt install redis-tools)" >&2; exit 1; }
    if [ -n "${VALKEY_SERVER:-}" ]; then
        read -r -a server_command <<< "$VALKEY_SERVER"
    elif command -v valkey-server >/dev/null 2>&1; then
        server_command=(valkey-server)
    else
        echo "backup.sh: restore needs valkey-server (VALKEY_SERVER), of the shards' major version" >&2
        exit 1
    fi
    cli "$target_host" "$target_port" PING 2>/dev/null | grep -q PONG \
        || { echo "backup.sh: $target_host:$target_port does not answer PING" >&2; exit 1; }

    restore_work=$(mktemp -d "${TMPDIR:-/tmp}/chat-restore.XXXXXX")
    trap restore_cleanup EXIT
    case $file in
        *.zst) zstd -q -d -o "$restore_work/dump.rdb" "$file" ;;
        *) cp "$file" "$restore_work/dump.rdb" ;;
    esac
    check_rdb "$restore_work/dump.rdb" || exit 1

    # A throwaway server loads the dump (no persistence, loopback only).
    ready=0
    for _ in 1 2 3; do
        restore_port=$(free_port) || break
        "${server_command[@]}" --port "$restore_port" --bind 127.0.0.1 --dir "$restore_work" \
            --dbfilename dump.rdb --save "" --appendonly no --daemonize no \
            --logfile "$restore_work/server.log" > /dev/null 2>&1 &
        restore_pid=$!
        for _ in $(seq 1 600); do
            if cli 127.0.0.1 "$restore_port" PING 2>/dev/null | grep -q PONG; then ready=1; break; fi
            kill -0 "$restore_pid" 2>/dev/null || break
            sleep 0.1
        done
        [ "$ready" = 1 ] && break
        kill "$restore_pid" 2>/dev/null || true
        wait "$restore_pid" 2>/dev/null || true
        restore_pid=""
    done
    if [ "$ready" != 1 ]; then
        echo "backup.sh: the temporary server did not load $file:" >&2
        tail -n 5 "$restore_work/server.log" >&2 2>/dev/null || true
        exit 1
    fi
    local temp_port=$restore_port

    # MIGRATE ... COPY REPLACE, 100 keys at a time, database by database.
    local auth=() total=0 db keys cursor reply batch
    [ -n "${REDISCLI_AUTH:-}" ] && auth=(AUTH "$REDISCLI_AUTH")
    for db in $(cli 127.0.0.1 "$temp_port" INFO keyspace | tr -d '\r' | sed -n 's/^db\([0-9]*\):.*/\1/p'); do
        keys=0
        cursor=0
        while true; do
            mapfile -t reply < <(cli 127.0.0.1 "$temp_port" -n "$db" SCAN "$cursor" COUNT 100 | tr -d '\r')
            [ ${#reply[@]} -gt 0 ] || { echo "backup.sh: SCAN failed on the temporary server" >&2; exit 1; }
            cursor=${reply[0]}
            batch=("${reply[@]:1}")
            if [ ${#batch[@]} -gt 0 ]; then
                local answer
                answer=$(cli 127.0.0.1 "$temp_port" -n "$db" MIGRATE "$target_host" "$target_port" "" "$db" 5000 \
                    COPY REPLACE "${auth[@]}" KEYS "${batch[@]}" 2>&1 | tr -d '\r')
                case $answer in
                    OK | NOKEY) keys=$((keys + ${#batch[@]})) ;;
                    *) echo "backup.sh: MIGRATE to $target_host:$target_port failed: $answer" >&2; exit 1 ;;
                esac
            fi
            [ "$cursor" = 0 ] && break
        done
        log "restored db$db: $keys keys into $target_host:$target_port"
        total=$((total + keys))
    done
    log "restored $total keys from $(basename "$file") into $target_host:$target_port"
}

run_list() {
    [ -d "$backup_dir" ] || return 0
    find "$backup_dir" -maxdepth 1 -type f -name 'valkey-*.rdb.zst' -printf '%TY-%Tm-%Td %TH:%TM  %10s  %p\n' | sort -r
}

case "${1:-backup}" in
    backup) shift || true; run_backup "$@" ;;
    restore) shift; run_restore "$@" ;;
    prune) prune ;;
    list) run_list ;;
    -h | --help | help) usage ;;
    *:*) run_backup "$@" ;;
    *) usage ;;
esac
