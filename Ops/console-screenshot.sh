#!/usr/bin/env bash
# Screenshots of the web console for docs/: runs the three-network demo, adds an auditor,
# serves the console of jinhong-gw, and has headless Chromium (Debian's package) log in
# and capture the dashboard, the trace of one application and the audit log.
#
# Before that it plays an outsider (issue 16): a failed login whose user name is hostile
# markup (and one whose Host is, which the console refuses with 421), and a foreign *.bundle file named with it in a transfer area. The last
# screenshot, console-hostile.png, searches the audit log for the same text, so the page
# shows it in the search box and the rejections beside it. console_screenshot.py fails
# when any page gained an element, lost a row to a style, left its URL, or lost its
# stylesheet.
#
# Usage: bash Ops/console-screenshot.sh [OUT_DIR]   (default: docs/)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs}"
mkdir -p "$out"
if ! command -v chromium >/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-noto-cjk
fi
bash Ops/install-deps.sh
swift build --product ferry
ferry="$PWD/.build/debug/ferry"
demo="$(mktemp -d /tmp/ferry-screenshot-XXXXXX)"
"$ferry" demo --records 60 --dir "$demo" >/dev/null
password="screenshot-auditor-$(date +%s)"
echo "$password" | "$ferry" console user add auditor --role auditor --config "$demo/ferry.yaml" --node jinhong-gw >/dev/null
# U+0600 before "<" and U+0301 after ">" and '"': one grapheme cluster each, which an escape
# by Character would have let through.
payload=$'\u0600<img src=x onerror=alert(1)>\u0301"\u0301 data-x="1\'<style>tr{display:none}</style><meta http-equiv=refresh content=0;url=//example.invalid>'
# A file name cannot hold "/"; anyone who can write to the gap directory can drop this.
printf 'not a bundle\n' >"$demo/gap/extranet-to-jinhong/${payload//\//}.bundle"
# It quarantines the file, audits the rejection, and exits 3 for it.
"$ferry" receive --config "$demo/ferry.yaml" --node jinhong-gw >/dev/null 2>&1 || [ $? -eq 3 ]
"$ferry" console --config "$demo/ferry.yaml" --node jinhong-gw --listen 127.0.0.1:9471 >/dev/null 2>&1 &
console=$!
trap 'kill $console 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:9471/login && break; sleep 0.2; done
# Anyone who reaches the port, without a password: a failed login as the payload.
status="$(curl -s -o /dev/null -w '%{http_code}' --data-urlencode "user=$payload" \
    --data-urlencode "password=$payload" http://127.0.0.1:9471/login)"
[ "$status" = 401 ] || { echo "the hostile login was answered $status, not 401" >&2; exit 1; }
# A hostile Host never reaches the console: a loopback console answers only to loopback names.
status="$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $payload" --data-urlencode "user=$payload" \
    --data-urlencode "password=$payload" http://127.0.0.1:9471/login)"
[ "$status" = 421 ] || { echo "the login with a hostile Host was answered $status, not 421" >&2; exit 1; }
flow="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$payload")"
application="$(sqlite3 "$demo/data/portal.db" "SELECT app_no FROM applications ORDER BY app_no LIMIT 1 OFFSET 6" 2>/dev/null \
    || python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT app_no FROM applications ORDER BY app_no LIMIT 1 OFFSET 6').fetchone()[0])" "$demo/data/portal.db")"
python3 Ops/console_screenshot.py "$(command -v chromium)" http://127.0.0.1:9471 auditor "$password" "$out" \
    console-dashboard.png=/ "console-trace.png=/trace?key=$application" "console-audit.png=/audit?limit=40" \
    "console-hostile.png=/audit?limit=40&flow=$flow"
