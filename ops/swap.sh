#!/usr/bin/env bash
# Creates and enables a swap file for emergency overflow (the original plan: 1 GB on the
# VPS's disk), and makes it permanent in /etc/fstab. Idempotent: run it again and it only
# checks. Refuses when not root.
#
#   sudo ops/swap.sh [SIZE_MB]        (default 1024; SWAP_FILE=/swapfile)
#
# vm.swappiness=10 (ops/sysctl.d/99-chat.conf) keeps it for real pressure; containers and the
# systemd units are capped with no swap of their own, so it serves the kernel, Docker and
# builds (a Swift build on a 1 GB VPS needs it).
set -euo pipefail

size_mb=${1:-1024}
file=${SWAP_FILE:-/swapfile}

if [ "$(id -u)" -ne 0 ]; then
    echo "swap.sh: must run as root (sudo $0)" >&2
    exit 1
fi
if ! [[ $size_mb =~ ^[0-9]+$ ]] || [ "$size_mb" -lt 64 ]; then
    echo "swap.sh: SIZE_MB must be a number of megabytes, at least 64, got $size_mb" >&2
    exit 2
fi

if [ -f "$file" ]; then
    have_mb=$(( $(stat -c %s "$file") / 1024 / 1024 ))
    if [ "$have_mb" -ne "$size_mb" ]; then
        echo "swap.sh: $file exists with ${have_mb} MB, not ${size_mb} MB; leaving it (swapoff and remove it to resize)" >&2
    fi
else
    echo "swap.sh: creating $file (${size_mb} MB)"
    # fallocate is instant; some file systems (and older kernels) need real blocks: dd then.
    fallocate -l "${size_mb}M" "$file" 2>/dev/null || dd if=/dev/zero of="$file" bs=1M count="$size_mb" status=none
    chmod 600 "$file"
    mkswap "$file" >/dev/null
fi
chmod 600 "$file"

if swapon --show=NAME --noheadings | grep -qxF "$file"; then
    echo "swap.sh: $file already in use"
else
    swapon "$file"
    echo "swap.sh: $file enabled"
fi

if ! awk -v f="$file" '$1 == f && $3 == "swap" { found = 1 } END { exit !found }' /etc/fstab; then
    echo "$file none swap sw 0 0" >> /etc/fstab
    echo "swap.sh: added $file to /etc/fstab"
fi
swapon --show
