#!/usr/bin/env bash
# Builds Flowshare for release and runs it on the embedded default: a SQLite file under data/,
# migrations applied, demo data seeded on first start. Installs only the build tools that are missing.
#   scripts/run.sh                 # http://127.0.0.1:3000/flows
#   scripts/run.sh --listen 0.0.0.0:8080 --public-url https://flows.example.com
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"

echo "==> Building (release; the first build takes several minutes)"
# Precompressed: brotli and gzip variants of every static file, served by Accept-Encoding.
cargo leptos build --release --precompress

mkdir -p data
export DATABASE_URL="${DATABASE_URL:-sqlite://data/flowshare-demo.db}"
export LEPTOS_SITE_ROOT=target/site
echo "==> Demo logins (user / password): admin / demo-admin-pass, publisher / demo-publisher-pass, viewer / demo-viewer-pass"
exec target/release/flowshare serve --demo "$@"
