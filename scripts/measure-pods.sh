#!/usr/bin/env bash
# The pods of the rollout on screen cost what they are, not what the namespace holds: opsdeck
# against a fake API server with one rollout whose 4 pods share `dev` with N others, its
# cockpit open (the pods line) and then its pods view; peak and current RSS, and the time from
# opening the cockpit to its pods line.
#
#   scripts/measure-pods.sh [N...]      (default: 0 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "tmux is needed (apt-get install -y tmux)" >&2; exit 2; }
cargo build --release --quiet
cargo build --release --quiet --example fake_apiserver
others=("${@:-0 5000}"); read -r -a others <<< "${others[*]}"
for n in "${others[@]}"; do
  dir="$(mktemp -d)"; sock="opsdeck-pods-$$-$n"
  target/release/examples/fake_apiserver --apps 0 --rollouts 1 --pods $((n + 4)) --kubeconfig "$dir/kc" > "$dir/fake.log" 2>&1 &
  fake=$!
  for _ in $(seq 400); do [ -s "$dir/kc" ] && break; sleep 0.05; done
  for run in $(seq "${RUNS:-3}"); do
    tmux -L "$sock" -f /dev/null new-session -d -s "r$run" -x 200 -y 60 \
      "env XDG_STATE_HOME='$dir' '$PWD/target/release/opsdeck' --kubeconfig '$dir/kc' --namespace dev"
    until tmux -L "$sock" capture-pane -p -t "r$run" | grep -q "ro-0000"; do sleep 0.02; done
    tmux -L "$sock" send-keys -t "r$run" 2 Enter
    t0=$(date +%s%N)
    until tmux -L "$sock" capture-pane -p -t "r$run" | grep -q "pods canary 0/1 ready"; do
      sleep 0.005
      if [ $(( ($(date +%s%N) - t0) / 1000000 )) -gt 20000 ]; then echo "no pods line after 20 s" >&2; exit 1; fi
    done
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    tmux -L "$sock" send-keys -t "r$run" d
    sleep 2
    pid=$(tmux -L "$sock" display-message -p -t "r$run" '#{pane_pid}')
    hwm=$(awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
    rss=$(awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
    shown=$(tmux -L "$sock" capture-pane -p -t "r$run" | grep -o "Pods · [0-9]*" || true)
    echo "$n other pods, run $run: pods line after ${ms} ms; peak RSS ${hwm} MB, RSS ${rss} MB; view: ${shown}"
    tmux -L "$sock" send-keys -t "r$run" q q
    sleep 0.3
  done
  tmux -L "$sock" kill-server 2>/dev/null || true
  kill $fake 2>/dev/null || true
  rm -rf "$dir"
done
