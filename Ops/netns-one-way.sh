#!/usr/bin/env bash
# One lane over a real one-way network path, on one machine, with network namespaces.
#
#   sudo bash Ops/netns-one-way.sh [FERRY_BINARY] [WORK_DIR]
#
# Builds two namespaces joined by a veth pair:
#   ferry-send  10.77.0.1  the extranet node (extranet-gw); may open connections to the
#                          receiver's port and nothing else; accepts no connection at all;
#   ferry-recv  10.77.0.2  the office-network node (jinhong-gw), receive-only: it accepts
#                          connections on 9464 from the sender and cannot open any (nftables
#                          drops every new connection it would start; only TCP's replies
#                          within the sender's connection go back, as through a 网闸's
#                          one-way TCP proxy; a hardware diode would carry UDP alone).
# The lane is one-way in the topology too (no return:, carousel: 2): bundles are pushed over
# HTTP, there are no receipts, and the receiver archives the second copy as a duplicate.
# The script proves the path is one-way (the receiver cannot reach a listener on the sender),
# runs `ferry sync` in ferry-send against `ferry run` in ferry-recv, checks every record
# arrived and both audit chains verify, and removes the namespaces on exit.
set -euo pipefail
# ip and nft live in sbin, which a service's or a test runner's PATH may leave out.
export PATH="/usr/local/sbin:/usr/sbin:/sbin:$PATH"
ferry=$(readlink -f "${1:-.build/debug/ferry}")
work=${2:-/tmp/ferry-netns}
records=${RECORDS:-50}
[ "$(id -u)" -eq 0 ] || { echo "run as root: network namespaces need CAP_NET_ADMIN" >&2; exit 2; }
[ -x "$ferry" ] || { echo "no ferry binary at $ferry: build it (swift build) or pass its path" >&2; exit 2; }
need=()
command -v nft >/dev/null || need+=(nftables)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Every process left in a namespace (the probe listener, a receiver) ends with it. KILL,
# not TERM: a parent that blocks signals (a test runner's thread) passes its mask on.
stop_namespace() { ip netns pids "$1" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true; }
cleanup() {
  stop_namespace ferry-send
  stop_namespace ferry-recv
  ip netns del ferry-send 2>/dev/null || true
  ip netns del ferry-recv 2>/dev/null || true
}
trap cleanup EXIT
cleanup
# Only a directory this script made (marked) is ever removed.
if [ -e "$work" ]; then
  [ -f "$work/.ferry-netns" ] || [ -z "$(ls -A "$work")" ] || { echo "$work exists and is not this script's: choose another directory" >&2; exit 2; }
  rm -rf "$work"
fi
mkdir -p "$work" && touch "$work/.ferry-netns"

# --- the path -------------------------------------------------------------------------
ip netns add ferry-send
ip netns add ferry-recv
ip link add ferry-s type veth peer name ferry-r
ip link set ferry-s netns ferry-send
ip link set ferry-r netns ferry-recv
ip -n ferry-send addr add 10.77.0.1/30 dev ferry-s
ip -n ferry-recv addr add 10.77.0.2/30 dev ferry-r
for ns in ferry-send ferry-recv; do ip -n $ns link set lo up; done
ip -n ferry-send link set ferry-s up
ip -n ferry-recv link set ferry-r up

ip netns exec ferry-recv nft -f - <<'NFT'
table inet ferry {
  chain input {
    type filter hook input priority 0; policy drop;
    iif lo accept
    ip saddr 10.77.0.1 tcp dport 9464 ct state { new, established } accept
  }
  chain output {
    type filter hook output priority 0; policy drop;
    oif lo accept
    # Replies within a connection the sender opened; never a connection of its own.
    ct state established accept
  }
}
NFT
ip netns exec ferry-send nft -f - <<'NFT'
table inet ferry {
  chain input {
    type filter hook input priority 0; policy drop;
    iif lo accept
    ct state established accept
  }
  chain output {
    type filter hook output priority 0; policy drop;
    oif lo accept
    ip daddr 10.77.0.2 tcp dport 9464 accept
  }
}
NFT

# The receiver cannot reach the sender, even where the sender listens.
ip netns exec ferry-send python3 -m http.server 8080 --bind 10.77.0.1 </dev/null >/dev/null 2>&1 &
for _ in $(seq 1 50); do
  ip netns exec ferry-send curl -s -m 1 -o /dev/null http://10.77.0.1:8080/ && break
  sleep 0.1
done
# The listener answers inside its own namespace, so a refusal below is the path's doing.
ip netns exec ferry-send curl -s -m 2 -o /dev/null http://10.77.0.1:8080/ || { echo "FAIL: the probe listener did not start" >&2; exit 1; }
if ip netns exec ferry-recv curl -s -m 3 -o /dev/null http://10.77.0.1:8080/; then
  echo "FAIL: the receive-only namespace reached the sender" >&2; exit 1
fi
stop_namespace ferry-send
echo "path: ferry-recv cannot open a connection to ferry-send (refused by nftables)"

# --- the deployment -------------------------------------------------------------------
cd "$work"
"$ferry" init site >/dev/null
# Records to send: the demo's generator makes valid applications; take its portal table.
"$ferry" demo --records "$records" --dir seed >/dev/null
sqlite3 seed/data/portal.db ".dump applications" | grep '^INSERT' | sqlite3 site/data/portal.db
cfg=site/ferry.yaml
python3 - "$cfg" <<'PY'
import sys, re
path = sys.argv[1]
text = open(path).read()
text = re.sub(r"  - \{ from: extranet, to: jinhong,.*\n",
    '  - { from: extranet, to: jinhong, via: { dir: gap/extranet-to-jinhong, http: "http://10.77.0.2:9464" }, carousel: 2 }\n', text)
text = re.sub(r"  - \{ name: progress-out.*\n", "", text)
open(path, "w").write(text)
PY
"$ferry" check --config "$cfg" >/dev/null

ip netns exec ferry-recv "$ferry" run --config "$cfg" --node jinhong-gw --listen 10.77.0.2:9464 --poll 0.5 </dev/null >"$work/receiver.log" 2>&1 &
receiver=$!
for _ in $(seq 1 50); do
  ip netns exec ferry-send curl -s -m 1 -o /dev/null http://10.77.0.2:9464/healthz && break
  sleep 0.2
done
ip netns exec ferry-send "$ferry" sync applications-in --config "$cfg" --node extranet-gw --flush

# The receiver writes approval.db while this polls it: wait out its locks rather than fail on
# SQLITE_BUSY (the CLI's default is not to wait at all).
count() { sqlite3 -cmd ".timeout 10000" "$1" "SELECT count(*) FROM $2"; }
want=$(count site/data/portal.db applications)
got=0
for _ in $(seq 1 100); do
  got=$(count site/data/approval.db sqsp)
  [ "$got" -ge "$want" ] && break
  sleep 0.2
done
kill -TERM "$receiver" 2>/dev/null || true; wait "$receiver" || true; receiver=""
echo "records: $want in the portal, $got applied in approval across the one-way path"
[ "$got" -eq "$want" ] || { echo "FAIL: not every record arrived (receiver log: $work/receiver.log)" >&2; exit 1; }
"$ferry" audit verify --config "$cfg" --node extranet-gw
"$ferry" audit verify --config "$cfg" --node jinhong-gw
echo "ok: one lane over a one-way path, audit chains verified"
