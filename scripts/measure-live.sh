#!/usr/bin/env bash
# opsdeck against a fake API server serving 5,000 Applications and 1,000 Rollouts (each with
# two ReplicaSets): time from launch to the first frame that shows them all, and memory.
#
#   scripts/measure-live.sh [APPS] [ROLLOUTS]
# Goals (issue "Live cluster"): first frame with data ≤ 300 ms, RSS ≤ 50 MB. Reports the
# first frame that shows any Application and the first that shows all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
apps="${1:-5000}"; rollouts="${2:-1000}"
command -v tmux >/dev/null || { echo "tmux is needed (apt-get install -y tmux)" >&2; exit 2; }
cargo build --release --quiet
cargo build --release --quiet --example fake_apiserver
dir="$(mktemp -d)"; sock="opsdeck-live-$$"
target/release/examples/fake_apiserver --apps "$apps" --rollouts "$rollouts" --kubeconfig "$dir/kc" > "$dir/fake.log" 2>&1 &
fake=$!
trap 'kill $fake 2>/dev/null || true; tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 200); do [ -s "$dir/kc" ] && break; sleep 0.05; done
runs=(); firsts=()
for run in $(seq "${RUNS:-5}"); do
  t0=$(date +%s%N)
  tmux -L "$sock" -f /dev/null new-session -d -s "r$run" -x 200 -y 60 \
    "env XDG_STATE_HOME='$dir' '$PWD/target/release/opsdeck' --kubeconfig '$dir/kc'"
  first=""
  until tmux -L "$sock" capture-pane -p -t "r$run" > "$dir/screen" && grep -q "Apps $apps · .*Rollouts $rollouts · " "$dir/screen"; do
    if [ -z "$first" ] && grep -q "app-0" "$dir/screen"; then first=$(( ($(date +%s%N) - t0) / 1000000 )); fi
    sleep 0.005
    if [ $(( ($(date +%s%N) - t0) / 1000000 )) -gt 20000 ]; then echo "no data after 20 s" >&2; exit 1; fi
  done
  t1=$(date +%s%N)
  [ -n "$first" ] || first=$(( (t1 - t0) / 1000000 ))
  firsts+=("$first")
  runs+=($(( (t1 - t0) / 1000000 )))
  sleep 2
  pid=$(tmux -L "$sock" display-message -p -t "r$run" '#{pane_pid}')
  rss=$(awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
  echo "run $run: first data after ${first} ms, all data after ${runs[-1]} ms, peak RSS ${rss} MB"
  tmux -L "$sock" send-keys -t "r$run" q
  sleep 0.3
done
sorted=$(printf '%s\n' "${runs[@]}" | sort -n | tr '\n' ' ')
echo "median of 5: first data $(printf '%s\n' "${firsts[@]}" | sort -n | sed -n 3p) ms, all data $(printf '%s\n' "${runs[@]}" | sort -n | sed -n 3p) ms (all-data runs: $sorted)"
