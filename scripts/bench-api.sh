#!/usr/bin/env bash
# Measures link generation for campaigns over real TCP against the release server on SQLite:
# single-link API calls from 64 connections (POST /api/v1/links for a campaign, and the seed
# system's route), then 10,000 personalised protected short links in one batch call.
# Per-key rate limits are off here: this measures the server, not the budget.
#   scripts/bench-api.sh            # 10 s per target
#   DURATION=30s scripts/bench-api.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=64
command -v wrk >/dev/null || { echo "==> Installing wrk"; sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd=sudo; $sudo_cmd apt-get install -y -qq wrk >/dev/null; }
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"
if [ ! -x target/release/flowshare ] || [ ! -f target/release/hash.txt ]; then
  scripts/setup.sh
  cargo leptos build --release --precompress
fi

work=$(mktemp -d /tmp/flowshare-bench-api.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
base="http://127.0.0.1:$port"
export DATABASE_URL="sqlite://$work/bench.db"
FLOWSHARE_LIMIT_LINK_GENERATIONS_PER_USER=off LEPTOS_SITE_ROOT=target/site RUST_LOG=warn \
  target/release/flowshare serve --demo --listen "127.0.0.1:$port" --public-url "$base" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 240); do curl -fsS -o /dev/null "$base/login" 2>/dev/null && break; sleep 0.25; done
key=$(target/release/flowshare apikey create "bench" --scope links:create 2>/dev/null)

cat >"$work/api.lua" <<LUA
-- Each call one recipient's link of the demo campaign, with a parameter of its own.
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/api/v1/links", {
    ["Authorization"] = "Bearer $key", ["Content-Type"] = "application/json" },
    '{"campaign":"order-status-by-sms","params":"customer=' .. n .. '"}')
end
LUA
cat >"$work/seed.lua" <<LUA
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/interact/version/2/account/demo/resources/campaign/url/order-status-by-sms", {
    ["Application-Key"] = "$key", ["Content-Type"] = "application/json" },
    '{"additionalParams":"customer=' .. n .. '","shortenUrl":true}')
end
LUA
measure() { # LUA -> "requests/s p99_ms non2xx"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$1" "$base" 2>&1 | awk '
    /Requests\/sec/ { rps = $2 }
    /Non-2xx/ { bad = $NF }
    / 99%/ { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } p99 = v }
    END { printf "%.0f %.2f %d\n", rps, p99, bad }'
}
echo "==> wrk, $CONNECTIONS connections, $DURATION each, loopback, $(nproc) cores, SQLite"
read -r api_rps api_p99 api_bad <<<"$(measure "$work/api.lua")"
read -r seed_rps seed_p99 seed_bad <<<"$(measure "$work/seed.lua")"

node -e '
const rows = Array.from({ length: 10000 }, (_, i) => `customer=${i}&name=Recipient%20${i}`);
console.log(JSON.stringify({ campaign: "order-status-by-sms", rows }));' >"$work/batch.json"
batch=$(curl -sS -o "$work/batch.out" -w '%{http_code} %{time_total}' -X POST "$base/api/v1/links/batch" \
  -H "Authorization: Bearer $key" -H 'Content-Type: application/json' --data-binary @"$work/batch.json")
read -r batch_status batch_seconds <<<"$batch"
made=$(node -e 'const a = JSON.parse(require("fs").readFileSync(process.argv[1])); console.log((a.links || []).length)' "$work/batch.out")

printf '%-44s %12s %10s %8s %s\n' target 'calls/s' 'p99 ms' 'non-2xx' 'target'
printf '%-44s %12s %10s %8s %s\n' 'POST /api/v1/links (campaign)' "$api_rps" "$api_p99" "$api_bad" '>= 2000/s'
printf '%-44s %12s %10s %8s\n' 'POST /interact/…/campaign/url/{campaign}' "$seed_rps" "$seed_p99" "$seed_bad"
printf '%-44s %12s %10s %8s %s\n' "one batch call: $made links (HTTP $batch_status)" "$(node -e "console.log(Math.round($made / $batch_seconds))")/s" "${batch_seconds}s" '' '<= 2 s'
