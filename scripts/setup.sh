#!/usr/bin/env bash
# Installs what Flowshare's build (and, with --test, its tests) needs, but only what is missing:
# the wasm target, cargo-leptos, the wasm-bindgen-cli matching Cargo.lock, a recent wasm-opt, and
# for tests Chromium, PostgreSQL's binaries, the Playwright package and Schemathesis. Safe to run
# again and again.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WANT_TEST=0
[ "${1:-}" = "--test" ] && WANT_TEST=1
# Pinned: its command line and its checks change between releases.
SCHEMATHESIS_VERSION=4.32.5

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "Need root (or sudo) to run: $*" >&2; exit 1; fi
}

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

export PATH="$HOME/.cargo/bin:$ROOT/.tools/node_modules/.bin:$PATH"

# --- Rust: wasm target ---------------------------------------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "Adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# --- cargo-leptos (0.3 needs rustc >= 1.96: use nightly when stable is older) ---------------------
if ! command -v cargo-leptos >/dev/null; then
  minor=$(rustc --version | sed -E 's/rustc 1\.([0-9]+).*/\1/')
  if [ "$minor" -ge 96 ]; then
    say "Installing cargo-leptos (about 10 minutes)"
    cargo install cargo-leptos --locked --features no_downloads
  else
    if ! rustup toolchain list | grep -q '^nightly'; then
      say "Installing a nightly toolchain to build cargo-leptos (stable rustc 1.$minor is too old for it)"
      rustup toolchain install nightly --profile minimal
    fi
    say "Installing cargo-leptos with nightly (about 10 minutes)"
    cargo +nightly install cargo-leptos --locked --features no_downloads
  fi
fi

# --- wasm-bindgen-cli: exactly the version in Cargo.lock ------------------------------------------
wbg=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wbg" ]; then
  say "Installing wasm-bindgen-cli $wbg (about 2 minutes)"
  # Not --locked: one of its locked dependencies is missing from the registry mirror.
  cargo install wasm-bindgen-cli --version "$wbg" --force
fi

# --- wasm-opt: binaryen >= 117 understands current rustc output; Debian ships 108 -----------------
wasm_opt_version=$(wasm-opt --version 2>/dev/null | sed -E 's/[^0-9]*([0-9]+).*/\1/' || true)
if [ -z "$wasm_opt_version" ] || [ "$wasm_opt_version" -lt 117 ]; then
  say "Installing binaryen 132 (wasm-opt) into .tools/"
  npm install --silent --no-audit --no-fund --prefix "$ROOT/.tools" binaryen@132
fi

if [ "$WANT_TEST" = 1 ]; then
  if [ ! -x /usr/bin/chromium ]; then
    say "Installing Chromium"
    apt_install chromium
  fi
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    say "Installing PostgreSQL"
    apt_install postgresql
  fi
  if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    say "Installing the Playwright test runner (no browser download: tests use /usr/bin/chromium)"
    (cd end2end && npm ci --silent --no-audit --no-fund)
  fi
  # Schemathesis fuzzes the API against its OpenAPI document: from PyPI, in a venv of its own.
  if [ "$("$ROOT/.tools/schemathesis/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
    say "Installing Schemathesis $SCHEMATHESIS_VERSION into .tools/schemathesis"
    command -v python3 >/dev/null || apt_install python3
    if ! python3 -m venv "$ROOT/.tools/schemathesis" 2>/dev/null; then
      apt_install python3-venv
      python3 -m venv --clear "$ROOT/.tools/schemathesis"
    fi
    "$ROOT/.tools/schemathesis/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
fi
say "Tools ready"
