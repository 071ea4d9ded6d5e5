#!/usr/bin/env bash
# Every check and test of opsdeck, with its set-up: installs what the tests need
# (tmux for the end-to-end tests, a real Prometheus and Alertmanager from Debian's packages
# for the source tests), then fmt, clippy and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
missing=()
command -v tmux >/dev/null || missing+=(tmux)
command -v prometheus >/dev/null && command -v promtool >/dev/null || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null || command -v alertmanager >/dev/null \
  || missing+=(prometheus-alertmanager)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  install "${missing[@]}"
fi

echo "== cargo fmt --check"
cargo fmt --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --locked --all-targets -- -D warnings
echo "== cargo test"
# Snapshots must match exactly; never write new ones in a test run.
INSTA_UPDATE=no cargo test --locked --all-targets
