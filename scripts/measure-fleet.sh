#!/usr/bin/env bash
# What each cluster of a fleet costs: opsdeck watching 1, 3 and 5 contexts at once, each a fake
# API server (examples/fake_apiserver.rs) serving APPS Argo CD Applications and ROLLOUTS
# Rollouts (each with two ReplicaSets), and, through each one's service proxy, one real
# Prometheus and Alertmanager on loopback (`monitoring/prometheus-operated:9090`,
# `monitoring/alertmanager-operated:9093`, as kube-prometheus-stack names them; Debian's
# `prometheus` and `prometheus-alertmanager`). For each fleet size: the process's peak RSS once
# every cluster has listed, and the requests every fake answered in a steady minute after that:
# Kubernetes LISTs (a GET that is neither a watch nor through the service proxy), watch
# requests, and the metric and alert polls that go through the proxy.
#
#   scripts/measure-fleet.sh [APPS] [ROLLOUTS] [SECONDS]    # default 1000 100 60
#
# Goal (issue #19): an extra cluster of 1,000 apps costs ≤ 15 MB and makes no LIST in the
# steady minute. Exits 1 if a steady minute has a LIST. (A cluster whose Prometheus has no
# mesh metrics lists the monitoring namespace's Services by label every 5 minutes, so a window
# longer than about 4 minutes may see one.)
set -euo pipefail
cd "$(dirname "$0")/.."
apps="${1:-1000}"; rollouts="${2:-100}"; secs="${3:-60}"
command -v tmux >/dev/null || { echo "tmux is needed (apt-get install -y tmux)" >&2; exit 2; }
prom_bin=$(command -v prometheus || true); am_bin=$(command -v prometheus-alertmanager || command -v alertmanager || true)
[ -n "$prom_bin" ] && [ -n "$am_bin" ] || { echo "prometheus and prometheus-alertmanager are needed (apt-get install -y prometheus prometheus-alertmanager)" >&2; exit 2; }
cargo build --release --quiet
cargo build --release --quiet --example fake_apiserver
dir="$(mktemp -d)"; sock="opsdeck-fleet-$$"
fakes=(); servers=()
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  for f in "${fakes[@]}" "${servers[@]}"; do kill "$f" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
# The request lines that LIST a collection: GET /api/v1/[namespaces/NS/]PLURAL or
# /apis/GROUP/VERSION/[namespaces/NS/]PLURAL (a name after the plural reads one object).
is_list() {
  awk '$1 == "REQ" && $2 == "GET" {
    path = $3; sub(/\?.*/, "", path); n = split(path, p, "/")
    if (p[2] == "api") rest = 4; else if (p[2] == "apis") rest = 5; else next
    left = n - rest + 1
    if (p[rest] == "namespaces") { if (left == 3 || left == 1) print } else if (left == 1) print
  }'
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pp=$(free_port); ap=$(free_port); acp=$(free_port)
printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' > "$dir/prometheus.yml"
printf 'route:\n  receiver: none\nreceivers:\n- name: none\n' > "$dir/alertmanager.yml"
"$prom_bin" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/prom" \
  --web.listen-address=127.0.0.1:$pp > "$dir/prom.log" 2>&1 &
servers+=($!)
"$am_bin" --config.file="$dir/alertmanager.yml" --storage.path="$dir/am" \
  --web.listen-address=127.0.0.1:$ap --cluster.listen-address=127.0.0.1:$acp > "$dir/am.log" 2>&1 &
servers+=($!)
for _ in $(seq 200); do
  curl -sf "http://127.0.0.1:$pp/-/ready" >/dev/null && curl -sf "http://127.0.0.1:$ap/-/ready" >/dev/null && break
  sleep 0.1
done
fail=0
base=""; base_n=0
for n in ${SIZES:-1 3 5}; do
  fakes=(); names=()
  {
    echo "apiVersion: v1"; echo "kind: Config"; echo "current-context: c1"
  } > "$dir/kc"
  clusters=""; contexts=""
  rm -f "$dir"/kc[0-9]*  # each fake writes its own when it listens
  for i in $(seq "$n"); do
    target/release/examples/fake_apiserver --apps "$apps" --rollouts "$rollouts" \
      --context "c$i" --kubeconfig "$dir/kc$i" --log-requests \
      --proxy "monitoring/prometheus-operated:9090=http://127.0.0.1:$pp" \
      --proxy "monitoring/alertmanager-operated:9093=http://127.0.0.1:$ap" > "$dir/fake$i.log" 2>&1 &
    fakes+=($!); names+=("c$i")
  done
  for i in $(seq "$n"); do
    for _ in $(seq 400); do [ -s "$dir/kc$i" ] && break; sleep 0.05; done
    [ -s "$dir/kc$i" ] || { echo "fake c$i did not start:" >&2; cat "$dir/fake$i.log" >&2; exit 1; }
    server=$(awk '/server:/ {print $2}' "$dir/kc$i")
    clusters+="- name: c$i"$'\n'"  cluster:"$'\n'"    server: $server"$'\n'
    contexts+="- name: c$i"$'\n'"  context:"$'\n'"    cluster: c$i"$'\n'"    user: u"$'\n'
  done
  {
    echo "clusters:"; printf '%s' "$clusters"
    echo "contexts:"; printf '%s' "$contexts"
    echo "users:"; echo "- name: u"; echo "  user:"; echo "    token: t"
  } >> "$dir/kc"
  list=$(IFS=,; echo "${names[*]}")
  tmux -L "$sock" -f /dev/null new-session -d -s "f$n" -x 200 -y 60 \
    "exec env XDG_STATE_HOME='$dir/state$n' '$PWD/target/release/opsdeck' --kubeconfig '$dir/kc' --context $list 2> '$dir/opsdeck$n.err'"
  # Every cluster has listed when each fake has answered its Rollouts list and its
  # Applications' last page (a request with no `continue` left is not visible here, so wait
  # for the watches that follow the lists).
  t0=$(date +%s)
  for i in $(seq "$n"); do
    until grep -q "REQ GET /apis/argoproj.io/v1alpha1/namespaces/argocd/applications?.*watch=true" "$dir/fake$i.log" \
      && grep -q "REQ GET /apis/argoproj.io/v1alpha1/rollouts?.*watch=true" "$dir/fake$i.log"; do
      sleep 0.2
      if [ $(( $(date +%s) - t0 )) -gt 120 ]; then
        echo "cluster c$i never listed; the screen:" >&2
        tmux -L "$sock" capture-pane -p -t "f$n" >&2 || true
        tail -n 3 "$dir/fake$i.log" "$dir/opsdeck$n.err" >&2
        exit 1
      fi
    done
  done
  sleep 5
  pid=$(tmux -L "$sock" display-message -p -t "f$n" '#{pane_pid}')
  rss=$(awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
  before=()
  for i in $(seq "$n"); do before+=("$(grep -c '^REQ ' "$dir/fake$i.log" || true)"); done
  sleep "$secs"
  lists=0; watches=0; proxied=0; other=0
  for i in $(seq "$n"); do
    new=$(grep '^REQ ' "$dir/fake$i.log" | tail -n +"$(( ${before[$((i - 1))]} + 1 ))" || true)
    kube=$(printf '%s\n' "$new" | grep '^REQ ' | grep -v '/proxy/' || true)
    l=$(printf '%s\n' "$kube" | grep -v 'watch=true' | is_list | grep -c . || true)
    w=$(printf '%s\n' "$kube" | grep -c 'watch=true' || true)
    p=$(printf '%s\n' "$new" | grep -c '/proxy/' || true)
    a=$(printf '%s\n' "$new" | grep -c '^REQ ' || true)
    lists=$((lists + l)); watches=$((watches + w)); proxied=$((proxied + p)); other=$((other + a - l - w - p))
    [ "$l" -eq 0 ] || { echo "  c$i: $l LISTs in the steady window:" >&2;
      printf '%s\n' "$kube" | grep -v 'watch=true' | is_list | sed 's/?.*//' | sort | uniq -c >&2; }
    echo "  c$i reads of one object or the server's health: $(printf '%s\n' "$kube" | grep -v 'watch=true' | grep '^REQ GET ' | sed 's/?.*//; s/^REQ GET //' | sort | uniq -c | tr -s ' ' | tr '\n' ';')" >&2
    echo "  c$i proxied: $(printf '%s\n' "$new" | grep '/proxy/' | sed -E 's/\?.*//; s/^REQ GET \/api\/v1\/namespaces\///' | sort | uniq -c | tr -s ' ' | tr '\n' ';')" >&2
  done
  per_min() { awk -v c="$1" -v s="$secs" 'BEGIN { printf "%.1f", c * 60 / s }'; }
  extra=""
  if [ -z "$base" ]; then base=$rss; base_n=$n; elif [ "$n" -gt "$base_n" ]; then
    extra=$(awk -v r="$rss" -v b="$base" -v n="$n" -v m="$base_n" 'BEGIN { printf ", %.1f MB per extra cluster", (r - b) / (n - m) }')
  fi
  echo "$n cluster(s): peak RSS $rss MB$extra; steady: $(per_min $lists) LISTs/min, $(per_min $watches) watch requests/min, $(per_min $proxied) proxied polls/min, $(per_min $other) other/min"
  [ "$lists" -eq 0 ] || fail=1
  tmux -L "$sock" send-keys -t "f$n" q
  sleep 0.5
  tmux -L "$sock" kill-server 2>/dev/null || true
  for f in "${fakes[@]}"; do kill "$f" 2>/dev/null || true; done
  for f in "${fakes[@]}"; do wait "$f" 2>/dev/null || true; done
done
exit $fail
