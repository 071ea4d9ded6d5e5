#!/usr/bin/env bash
# Injects faults against a real opsdeck process and prints how long it takes to be back.
#
#   scripts/measure-recovery.sh [OUTAGE_SECS]
#
# opsdeck (release build) runs in tmux at 200x60 against the fake API server
# (examples/fake_apiserver.rs, driven through its --control commands), a real Prometheus and a
# real Alertmanager (Debian's prometheus and prometheus-alertmanager packages) on free loopback
# ports. Each fault is injected, the server brought back, a change made in the cluster right
# after, and the screen read every 20 ms until it shows that change. Times are from the
# moment the server is ready again. Goals (issue #13): API watches <= 5 s, visible pollers
# <= 3 s, every action answered or reported by its deadline, malformed objects never healthy.
set -euo pipefail
cd "$(dirname "$0")/.."
outage="${1:-20}"
for p in tmux prometheus promtool prometheus-alertmanager python3; do
  command -v "$p" >/dev/null || { echo "$p is needed (apt-get install -y tmux prometheus prometheus-alertmanager python3)" >&2; exit 2; }
done
cargo build --release --quiet
cargo build --release --quiet --example fake_apiserver
dir="$(mktemp -d)"; sock="opsdeck-recovery-$$"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  tmux -L "$sock" kill-server 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

# The fake API server, its commands through a FIFO.
mkfifo "$dir/ctl"
target/release/examples/fake_apiserver --apps 20 --rollouts 4 --kubeconfig "$dir/kc" --control \
  < "$dir/ctl" > "$dir/fake.log" 2>&1 &
pids+=($!)
exec 3> "$dir/ctl"
for _ in $(seq 200); do [ -s "$dir/kc" ] && break; sleep 0.05; done
acks=0
ctl() { # sends a command and waits for its `ok`
  echo "$*" >&3
  acks=$((acks + 1))
  until [ "$(grep -c '^ok ' "$dir/fake.log")" -ge "$acks" ]; do sleep 0.005; done
}

# A real Prometheus (empty TSDB) and Alertmanager.
prom_port=$(port); am_port=$(port); am_cluster=$(port)
printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' > "$dir/prometheus.yml"
printf "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n" > "$dir/alertmanager.yml"
start_prom() {
  prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/prom" \
    --web.listen-address="127.0.0.1:$prom_port" >> "$dir/prom.log" 2>&1 &
  prom_pid=$!; pids+=($prom_pid)
}
start_am() {
  prometheus-alertmanager --config.file="$dir/alertmanager.yml" --storage.path="$dir/am" \
    --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address="127.0.0.1:$am_cluster" \
    >> "$dir/am.log" 2>&1 &
  am_pid=$!; pids+=($am_pid)
}
ready() { # waits until URL answers 200
  for _ in $(seq 600); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.02
  done
  echo "$1 not ready after 12 s" >&2; exit 1
}
start_prom; start_am
ready "http://127.0.0.1:$prom_port/-/ready"; ready "http://127.0.0.1:$am_port/-/ready"

tmux -L "$sock" -f /dev/null new-session -d -s o -x 200 -y 60 \
  "env XDG_STATE_HOME='$dir' '$PWD/target/release/opsdeck' --kubeconfig '$dir/kc' \
   --prometheus http://127.0.0.1:$prom_port --alertmanager http://127.0.0.1:$am_port \
   --action-timeout 5 --log-file '$dir/opsdeck.log'"
ms() { echo $(( $(date +%s%N) / 1000000 )); }
screen() { tmux -L "$sock" capture-pane -p -t o; }
# Waits until the screen matches every pattern (grep -E); prints ms since $t0.
until_screen() {
  local limit=$1; shift
  local start; start=$(ms)
  while true; do
    local s; s=$(screen); local all=1
    for p in "$@"; do grep -qE -- "$p" <<< "$s" || { all=0; break; }; done
    [ $all = 1 ] && { echo $(( $(ms) - t0 )); return 0; }
    if [ $(( $(ms) - start )) -gt $(( limit * 1000 )) ]; then
      echo "not within ${limit} s: $*" >&2; screen >&2; echo "timeout"; return 0
    fi
    sleep 0.02
  done
}
header() { screen | head -1; }
t0=$(ms)
first=$(until_screen 20 "Apps 20 ·" "Rollouts 4 ·" "argocd ✓" "rollouts ✓" "cpu ✓" "alerts ✓")
echo "first frame with every source ✓: ${first} ms"

apps=20; rollouts=4; results=()
report() { results+=("$(printf '| %s | %s |' "$1" "$2")"); printf '%-62s %s\n' "$1" "$2"; }

# 1–3. The API server away for $outage s, then back (a plain restart, with its history
# compacted so the watches' resourceVersion is gone, and that answered as an HTTP 410).
for mode in plain compact compact-http; do
  ctl stop
  until_screen 20 "argocd ✗|rollouts ✗" > /dev/null
  sleep "$outage"
  [ "$mode" = plain ] || ctl "$mode"
  ctl start
  t0=$(ms)
  apps=$((apps + 1)); rollouts=$((rollouts + 1))
  ctl app "after-$mode"; ctl rollout "after-$mode"
  a=$(until_screen 30 "Apps $apps ·" "argocd ✓")
  r=$(until_screen 30 "Rollouts $rollouts ·" "rollouts ✓")
  report "API server ${outage} s away, back ($mode): apps watch" "$a ms"
  report "API server ${outage} s away, back ($mode): rollouts watch" "$r ms"
done

# 4. Prometheus stopped for $outage s, started again: the CPU pane (on screen) back.
kill "$prom_pid"; wait "$prom_pid" 2>/dev/null || true
t0=$(ms); until_screen 20 "cpu ✗" > /dev/null
sleep "$outage"
start_prom; ready "http://127.0.0.1:$prom_port/-/ready"; t0=$(ms)
report "Prometheus ${outage} s away, back: cpu poller" "$(until_screen 30 "cpu ✓") ms"

# 5. Alertmanager likewise (its alerts feed the header, always on screen).
kill "$am_pid"; wait "$am_pid" 2>/dev/null || true
t0=$(ms); until_screen 30 "alerts ✗" > /dev/null
sleep "$outage"
start_am; ready "http://127.0.0.1:$am_port/-/ready"; t0=$(ms)
report "Alertmanager ${outage} s away, back: alerts poller" "$(until_screen 30 "alerts ✓") ms"

# 6. Storage down behind the API server: reads go on, /readyz fails, a write hangs. The header
# says degraded; the action is reported at its 5 s deadline, never left pending.
ctl storage-down; t0=$(ms)
report "storage down: header says the API server is degraded" "$(until_screen 20 "API server degraded: etcd") ms"
tmux -L "$sock" send-keys -t o 1 r
until_screen 5 "Refresh" > /dev/null
tmux -L "$sock" send-keys -t o Enter; t0=$(ms)
report "storage down: a refresh reported unanswered (deadline 5 s)" "$(until_screen 20 "no answer from the API server after 5 ?s") ms"
ctl storage-up

# 7. A malformed Rollout (its steps a string) arrives: shown invalid, never healthy.
rollouts=$((rollouts + 1)); ctl bad-rollout malformed; t0=$(ms)
invalid=$(until_screen 10 "Rollouts $rollouts ·" "malformed .*Invalid")
# Its row in the Rollouts pane (the left half of the screen).
row=$(screen | grep -oE "[│┃]malformed [^│┃]*" || true)

if grep -qE "Healthy|Progressing|Paused" <<< "$row"; then
  report "a malformed rollout" "SHOWN AS HEALTHY: $row"
else
  report "a malformed rollout shown ✗ Invalid" "$invalid ms"
fi

printf '\n| fault | time to back |\n|---|---|\n'; printf '%s\n' "${results[@]}"
tmux -L "$sock" send-keys -t o q
