#!/usr/bin/env bash
# Measures the recipients' hot paths against nginx on this machine: nginx's static `return 302`,
# Flowshare's short-link redirect, a protected full-link open (token check + page), and redirects
# of random codes among 1,000,000 stored links (LINKS=… to change, 0 to skip), so the cache is cold for most.
# wrk, 64 connections, loopback; prints requests per second, p99 latency and the ratios to nginx,
# the median of ROUNDS rounds (each target measured right after nginx in every round).
#   scripts/bench-links.sh            # 3 rounds of 5 s per target
#   ROUNDS=5 DURATION=10s scripts/bench-links.sh
#   METRICS=off LINKS=0 scripts/bench-links.sh   # without recording metrics, for comparison
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
LINKS=${LINKS:-1000000}
CONNECTIONS=64
for tool in nginx wrk; do
  command -v "$tool" >/dev/null || { echo "==> Installing $tool"; scripts/setup.sh >/dev/null; sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd=sudo; $sudo_cmd apt-get install -y -qq "$tool" >/dev/null; }
done
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"
if [ ! -x target/release/flowshare ] || [ ! -f target/release/hash.txt ]; then
  scripts/setup.sh
  cargo leptos build --release --precompress
fi

work=$(mktemp -d /tmp/flowshare-bench.XXXXXX)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

app_port=$(free_port)
# Metrics are recorded as in production (METRICS=off compares without: recording must cost < 5 %).
metrics=()
[ "${METRICS:-on}" = off ] || metrics=(--metrics-listen "127.0.0.1:$(free_port)")
DATABASE_URL="sqlite://$work/bench.db" LEPTOS_SITE_ROOT=target/site RUST_LOG=warn \
  target/release/flowshare serve --demo --listen "127.0.0.1:$app_port" "${metrics[@]}" >"$work/server.log" 2>&1 &
pids+=($!)

nginx_port=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$nginx_port; location / { return 302 /f/app/flow/link; } }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)

# Wait for the server, then make one protected, shortened link the way the Share dialog does.
links=$(node - "$app_port" <<'JS'
const base = `http://127.0.0.1:${process.argv[2]}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  for (let i = 0; i < 240; i++) { try { if ((await fetch(`${base}/login`)).ok) break; } catch {} await sleep(250); }
  const res = await fetch(`${base}/api/login`, { method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'name=publisher&password=demo-publisher-pass' });
  const cookie = res.headers.get('set-cookie').split(';')[0];
  const out = await fetch(`${base}/api/generate_link`, { method: 'POST', headers: { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'flow=order-status-lookup&application=order-widget&params=%26name%3DAda&protect=true&shorten=true' });
  const link = await out.json();
  const local = (u) => { const p = new URL(u); return `${base}${p.pathname}${p.search}`; };
  console.log(local(link.short_url), local(link.full_url));
})().catch((e) => { console.error(e); process.exit(1); });
JS
)
read -r short full <<<"$links"

measure() { # URL [LUA_SCRIPT SCRIPT_ARGUMENT] -> "requests/s p99_ms"
  local script=()
  [ $# -eq 3 ] && script=(-s "$2" "$1" -- "$3") || script=("$1")
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "${script[@]}" 2>&1 | awk '
    /Requests\/sec/ { rps = $2 }
    / 99%/ { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } p99 = v }
    END { printf "%.0f %.2f\n", rps, p99 }'
}
curl -fsS -o /dev/null -w '' "$full" || { echo "the full link did not open"; exit 1; }

if [ "$LINKS" -gt 0 ]; then
  echo "==> Storing $LINKS more short links (open, Order Status Lookup via the help centre)"
  DATABASE_URL="sqlite://$work/bench.db" target/release/flowshare links synthetic "$LINKS" \
    --flow order-status-lookup --application help-centre >"$work/codes.txt"
fi
cat >"$work/random.lua" <<'LUA'
-- Each request asks for a random one of the stored codes.
local codes = {}
init = function(args)
  for line in io.lines(args[1]) do codes[#codes + 1] = line end
  -- Each thread its own sequence: seeded from the address of a fresh table.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000003)
end
request = function()
  return wrk.format("GET", "/s/" .. codes[math.random(#codes)])
end
LUA
sleep 1 # the server's cache watcher notices the new links within 250 ms
# This machine's speed drifts by ±10 % over minutes (shared virtual cores), so one figure each
# says little: each round measures nginx right before every target, and the table shows the
# median of the rounds' ratios, with the requests/s and p99 of that median round.
targets=(short full)
[ "$LINKS" -gt 0 ] && targets+=(random)
echo "==> wrk, $CONNECTIONS connections, $DURATION each, loopback, $(nproc) cores, $ROUNDS rounds"
: >"$work/rounds"
for round in $(seq "$ROUNDS"); do
  for target in "${targets[@]}"; do
    read -r nginx_rps nginx_p99 <<<"$(measure "http://127.0.0.1:$nginx_port/")"
    case $target in
      short) read -r rps p99 <<<"$(measure "$short")" ;;
      full) read -r rps p99 <<<"$(measure "$full")" ;;
      random) read -r rps p99 <<<"$(measure "http://127.0.0.1:$app_port/" "$work/random.lua" "$work/codes.txt")" ;;
    esac
    echo "$target $((1000 * rps / nginx_rps)) $rps $p99 $nginx_rps $nginx_p99" | tee -a "$work/rounds" |
      awk -v r="$round" '{ printf "    round %s  %-6s %7d/s vs nginx %7d/s  %5.1f%%\n", r, $1, $3, $5, $2 / 10 }'
  done
done
# The median round of a target (by ratio; the lower middle one for an even count).
median() { grep "^$1 " "$work/rounds" | sort -k2,2n | awk '{ row[NR] = $0 } END { print row[int((NR + 1) / 2)] }'; }
printf '%-30s %12s %10s %10s %s\n' target 'requests/s' 'p99 ms' 'vs nginx' 'target'
row() { # TARGET LABEL GOAL
  read -r _ permille rps p99 nrps np99 <<<"$(median "$1")"
  printf '%-30s %12s %10s %10s\n' '  nginx return 302 (same round)' "$nrps" "$np99" '100%'
  printf '%-30s %12s %10s %9s%% %s\n' "$2" "$rps" "$p99" "$((permille / 10))" "$3"
}
row short 'short-link redirect' '>= 85%'
row full 'protected full-link open' '>= 60%'
if [ "$LINKS" -gt 0 ]; then
  row random "random codes of $LINKS" '>= 30%'
fi
