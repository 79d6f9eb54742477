#!/usr/bin/env bash
# Installs what the operations-kit tests check Ops/ with, when it is missing: promtool
# (Debian's prometheus package) for the alert rules, systemd-analyze for the units,
# logrotate, and nftables and iproute2 for Ops/netns-one-way.sh. Prints nothing on success.
set -euo pipefail
export PATH="/usr/local/sbin:/usr/sbin:/sbin:$PATH"
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v logrotate >/dev/null 2>&1 || need+=(logrotate)
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v curl >/dev/null 2>&1 || need+=(curl)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
# Only promtool is used; on a host running systemd, Debian's prometheus package also
# enables its server (systemctl disable --now prometheus if that is unwanted).
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
