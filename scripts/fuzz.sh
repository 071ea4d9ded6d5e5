#!/usr/bin/env bash
# The property and mutation tests for longer than CI runs them: each target for MINUTES
# (default 10), in batches of fresh random cases, in a release build; prints cases run and
# failures per target. A failure prints proptest's minimal input and stops that target.
#
#   scripts/fuzz.sh [MINUTES] [TARGET...]
# Targets: the tests of tests/integration/fuzz.rs (kube_rollouts, kube_applications,
# below_and_platform, mesh_objects, prometheus_answers, alertmanager_answers, loki_frames,
# opensearch_answers, app_lines, user_files, logql_narrowing) and the library's sanitizer and
# ellipsis properties
# (lib:sanitize, lib:ellipsize).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-10}"; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(kube_rollouts kube_applications below_and_platform mesh_objects prometheus_answers
  alertmanager_answers loki_frames opensearch_answers app_lines user_files logql_narrowing
  lib:sanitize lib:ellipsize)
batch="${BATCH:-500}"
bin_of() { # the test binary cargo builds for --test integration / --lib
  cargo test --release --quiet "$@" --no-run --message-format=json 2>/dev/null \
    | python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"][0] in ("test", "lib"):
        print(m["executable"])' | tail -1
}
# Copies: a build meanwhile does not swap the binaries under a run.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp "$(bin_of --test integration)" "$tmp/integration"; integration="$tmp/integration"
cp "$(bin_of --lib)" "$tmp/lib"; lib="$tmp/lib"
printf '%-22s %8s %10s %s\n' target minutes cases result
for t in "${targets[@]}"; do
  case "$t" in
    lib:sanitize) bin=$lib; filter="sanitize::tests::" ;;  # both properties
    lib:ellipsize) bin=$lib; filter="ui::tests::a_cut_never_overflows_its_width" ;;
    *) bin=$integration; filter="fuzz::$t" ;;
  esac
  end=$(( $(date +%s) + minutes * 60 )); cases=0; result=ok
  while [ "$(date +%s)" -lt "$end" ]; do
    if ! out=$(OPSDECK_FUZZ_CASES=$batch "$bin" "$filter" --test-threads=1 2>&1); then
      result="FAILED"; echo "$out" | grep -E "minimal failing|Test failed" -A12 | head -40 >&2
      break
    fi
    cases=$((cases + batch))
  done
  printf '%-22s %8s %10s %s\n' "$t" "$minutes" "$cases" "$result"
done
