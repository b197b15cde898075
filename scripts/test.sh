#!/usr/bin/env bash
# Runs every test: Rust unit and integration tests on SQLite and PostgreSQL, lints, the browser
# tests in Chromium against a freshly built server, and Schemathesis fuzzing the API against its
# OpenAPI document. Installs only the tools that are missing.
# PostgreSQL: a throwaway cluster is started here, unless FLOWSHARE_TEST_POSTGRES_URL names a server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"
# cargo-leptos bakes this into the server build; setting it for every cargo call lets the test
# builds and the server build share their compiled dependencies instead of rebuilding them.
export LEPTOS_OUTPUT_NAME=flowshare
# The tests' debug site is built beside, not over, the release site a running `scripts/run.sh`
# serves.
export LEPTOS_SITE_ROOT=target/test-site

work=$(mktemp -d /tmp/flowshare-test.XXXXXX)
chmod 755 "$work"  # the PostgreSQL cluster inside runs as the postgres user when we are root
server_pid=""
fuzz_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$fuzz_pid" ] && kill "$fuzz_pid" 2>/dev/null || true
  scripts/postgres.sh stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${FLOWSHARE_TEST_POSTGRES_URL:-}" ]; then
  echo "==> Starting a throwaway PostgreSQL cluster"
  FLOWSHARE_TEST_POSTGRES_URL=$(scripts/postgres.sh start "$work/pg")
fi
export FLOWSHARE_TEST_POSTGRES_URL

echo "==> Formatting and lints"
cargo fmt --all --check
cargo clippy -p app --features ssr --all-targets -- -D warnings
cargo clippy -p server --all-targets -- -D warnings

# Built first, then run under a time limit: a test that hangs fails this run with its name (the
# harness reports tests running for over 60 s) instead of stalling CI until it is killed.
rust_tests() {
  local log=$1; shift
  cargo test "$@" --no-run
  if ! timeout 15m cargo test "$@" 2>&1 | tee "$log"; then
    echo "Rust tests failed, or did not finish within 15 minutes (see any test 'running for over 60 seconds' above)"
    exit 1
  fi
}

echo "==> Rust tests (SQLite and PostgreSQL)"
rust_tests "$work/rust-app.log" -p app --features ssr
rust_tests "$work/rust-server.log" -p server

echo "==> Building the web application"
cargo leptos build

echo "==> Browser tests in Chromium"
port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
# Every browser test signs in from 127.0.0.1, dozens of times a minute: more than one person would.
export FLOWSHARE_LIMIT_SIGN_INS_PER_IP=600/min FLOWSHARE_LIMIT_SIGN_INS_PER_NAME=600/min
# And every recipient's start and move in them comes from there too, and every link is made by
# the same few demo users (walks.spec.mjs alone walks every demo flow twice, in two modes).
export FLOWSHARE_LIMIT_RUN_MOVES_PER_IP=600/min FLOWSHARE_LIMIT_RUN_STARTS_PER_IP=600/min
export FLOWSHARE_LIMIT_LINK_GENERATIONS_PER_USER=600/min
DATABASE_URL="sqlite://$work/e2e.db" FLOWSHARE_DEMO=true RUST_LOG=warn \
  target/debug/flowshare serve --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server_pid=$!
if ! (cd end2end && FLOWSHARE_E2E_URL="http://127.0.0.1:$port" npx playwright test) 2>&1 | tee "$work/browser.log"; then
  echo "---- server log ----"; tail -n 50 "$work/server.log"
  exit 1
fi

echo "==> The API against its OpenAPI document (Schemathesis, --checks all)"
# A demo server of its own, on its own database, so the links and keys fuzzing makes never meet the
# browser tests. Its link budget is lifted: a 429 is a documented answer, but it would stand in
# front of the calls worth fuzzing.
fuzz_port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
fuzz_db="sqlite://$work/fuzz.db"
api_key() {
  DATABASE_URL="$fuzz_db" target/debug/flowshare apikey create "$1" \
    --scope links:create --scope links:read --scope links:revoke --scope flows:read
}
# A key per pass: an Idempotency-Key the demo pass used must not meet the document pass.
document_key=$(api_key "Schemathesis: the document")
demo_key=$(api_key "Schemathesis: the demo")
DATABASE_URL="$fuzz_db" FLOWSHARE_DEMO=true FLOWSHARE_LIMIT_LINK_GENERATIONS_PER_USER=100000/min \
  RUST_LOG=warn \
  target/debug/flowshare serve --listen "127.0.0.1:$fuzz_port" >"$work/fuzz-server.log" 2>&1 &
fuzz_pid=$!
# scripts/schemathesis/PASS.toml says what each pass is for; run where their files may go.
fuzz() {
  local pass=$1 key=$2 root=$PWD; shift 2
  (cd "$work" && "$root/.tools/schemathesis/bin/schemathesis" \
    --config-file "$root/scripts/schemathesis/$pass.toml" \
    run "http://127.0.0.1:$fuzz_port/api/v1/openapi.json" --wait-for-schema 30 \
    --checks all --max-examples 150 -H "Authorization: Bearer $key" -H "Application-Key: $key" "$@")
}
# First, whether every verdict of every check holds where nothing exists (each request alone);
# then the demo's campaign, where links are made, read and revoked: every check but the two whose
# verdicts then depend on what the campaign and earlier calls hold (a campaign's own parameters,
# a used Idempotency-Key), which the document can only say in words.
if ! { fuzz document "$document_key" && fuzz demo "$demo_key" \
  --exclude-checks positive_data_acceptance,negative_data_rejection; } 2>&1 | tee "$work/fuzz.log"; then
  echo "---- fuzzed server's log ----"; tail -n 50 "$work/fuzz-server.log"
  exit 1
fi
kill "$fuzz_pid"; fuzz_pid=""

echo "==> Two instances on one PostgreSQL database"
instances_url=$(scripts/postgres.sh database "$FLOWSHARE_TEST_POSTGRES_URL" flowshare_instances)
node scripts/instances.mjs target/debug/flowshare "$instances_url" | tee "$work/instances.log"

# One closing line over every runner: Rust's "test result" lines and Playwright's summary.
rust_passed=$(awk '/^test result: ok\./ { n += $4 } END { print n + 0 }' "$work"/rust-*.log)
browser_passed=$(sed -nE 's/^ *([0-9]+) passed.*/\1/p' "$work/browser.log" | tail -n 1)
echo "==> All tests passed"
instances_passed=$(grep -c '^  - ' "$work/instances.log" || true)
fuzzed=$(sed -nE 's/^ *([0-9]+) generated, .*/\1/p' "$work/fuzz.log" | awk '{ n += $1 } END { print n + 0 }')
echo "fuzzed: $fuzzed API calls against the OpenAPI document, 0 failures"
echo "tests: $((rust_passed + ${browser_passed:-0} + instances_passed)) passed, 0 failed"
