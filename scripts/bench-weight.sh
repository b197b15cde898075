#!/usr/bin/env bash
# What a page weighs on the wire, in Chromium with a cold cache at 360 px: the console (sign-in
# then Flows, a flow's Share dialog, a repeat visit's static files) and a recipient's pages (a
# protected link's first open, a repeat open, a step with and without JavaScript, a refusal),
# by kind, against their targets; and the time until a recipient can use the first step on a
# throttled phone (1.6 Mbit/s, 150 ms round trip, CPU slowed 4x). Uses the release build
# (precompressed, hashed static files, as scripts/run.sh serves them).
#   scripts/bench-weight.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test >/dev/null
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"
if [ ! -x target/release/flowshare ] || [ ! -f target/release/hash.txt ]; then
  cargo leptos build --release --precompress
fi
work=$(mktemp -d /tmp/flowshare-weight.XXXXXX)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
DATABASE_URL="sqlite://$work/weight.db" LEPTOS_SITE_ROOT=target/site RUST_LOG=warn \
  target/release/flowshare serve --demo --listen "127.0.0.1:$port" --public-url "http://127.0.0.1:$port" \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 240); do curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && break; sleep 0.25; done
node scripts/bench-weight.mjs "http://127.0.0.1:$port"
