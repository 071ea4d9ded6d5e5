#!/usr/bin/env bash
# Measures what opsdeck costs while nobody touches it: CPU share of one core (from
# /proc/PID/stat) and bytes written to the terminal per second (everything the pane
# receives, captured with tmux pipe-pane), on a real process in a 200x60 tmux pane.
#
#   scripts/measure-idle.sh [SECONDS]        # default 20
#
# Two runs: `--demo --speed 0` (frozen: nothing changes, so nothing may be drawn) and
# `--demo --speed 1` (running). Limits (issue "opsdeck core"): frozen ≤ 0.1% CPU and
# ≤ 50 B/s; running ≤ 1 KB/s. Exits 1 if a limit is exceeded.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-20}"
command -v tmux >/dev/null || { echo "tmux is needed (apt-get install -y tmux)" >&2; exit 2; }
cargo build --release --quiet
bin="$PWD/target/release/opsdeck"
state="$(mktemp -d)"
sock="opsdeck-idle-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$state"' EXIT
tck=$(getconf CLK_TCK)
fail=0

measure() { # name speed max_cpu_pct max_bytes_per_s
  local name=$1 speed=$2 max_cpu=$3 max_bps=$4
  tmux -L "$sock" -f /dev/null new-session -d -s "$name" -x 200 -y 60 \
    "env XDG_STATE_HOME='$state' TERM=xterm-256color '$bin' --demo --seed 1 --speed $speed"
  local out="$state/$name.out"
  : > "$out"
  tmux -L "$sock" pipe-pane -o -t "$name" "cat >> '$out'"
  sleep 3   # start-up: first frames, warm-up of the simulation
  local pid; pid=$(tmux -L "$sock" display-message -p -t "$name" '#{pane_pid}')
  read_cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
  read_w() { stat -c %s "$out"; }
  local c0 w0 c1 w1
  c0=$(read_cpu); w0=$(read_w)
  sleep "$secs"
  c1=$(read_cpu); w1=$(read_w)
  local rss; rss=$(awk '/^VmHWM/ {printf "%.1f MB", $2 / 1024}' "/proc/$pid/status")
  tmux -L "$sock" send-keys -t "$name" q
  local cpu bps
  cpu=$(awk -v d=$((c1 - c0)) -v t="$tck" -v s="$secs" 'BEGIN{printf "%.3f", d / t / s * 100}')
  bps=$(awk -v d=$((w1 - w0)) -v s="$secs" 'BEGIN{printf "%.1f", d / s}')
  local ok=ok
  if awk -v c="$cpu" -v m="$max_cpu" -v b="$bps" -v mb="$max_bps" 'BEGIN{exit !(c > m || b > mb)}'; then
    ok=OVER; fail=1
  fi
  printf '%-8s speed %-3s  cpu %7s%% of a core (limit %s%%)  written %8s B/s (limit %s)  peak RSS %s  %s\n' \
    "$name" "$speed" "$cpu" "$max_cpu" "$bps" "$max_bps" "$rss" "$ok"
  sleep 0.5
}

echo "opsdeck idle cost over ${secs}s at 200x60 ($(nproc) cores, $(uname -r))"
measure frozen 0 0.1 50
measure running 1 100 1024
exit $fail
