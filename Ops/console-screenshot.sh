#!/usr/bin/env bash
# Screenshots of the web console for docs/: runs the three-network demo, adds an auditor,
# serves the console of jinhong-gw, and has headless Chromium (Debian's package) log in
# and capture the dashboard and the trace of one application.
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
"$ferry" console --config "$demo/ferry.yaml" --node jinhong-gw --listen 127.0.0.1:9471 >/dev/null 2>&1 &
console=$!
trap 'kill $console 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:9471/login && break; sleep 0.2; done
application="$(sqlite3 "$demo/data/portal.db" "SELECT app_no FROM applications ORDER BY app_no LIMIT 1 OFFSET 6" 2>/dev/null \
    || python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT app_no FROM applications ORDER BY app_no LIMIT 1 OFFSET 6').fetchone()[0])" "$demo/data/portal.db")"
python3 Ops/console_screenshot.py "$(command -v chromium)" http://127.0.0.1:9471 auditor "$password" "$out" \
    console-dashboard.png=/ "console-trace.png=/trace?key=$application" "console-audit.png=/audit?limit=40"
