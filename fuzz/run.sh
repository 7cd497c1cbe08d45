#!/usr/bin/env bash
# Runs every fuzz target (or those named) for MINUTES each, one after the other on one core,
# then prints a summary: executions, time and new artifacts (crash-/oom-/timeout-/slow-unit-
# files in fuzz/artifacts/<target>/) per target. Works on the stable toolchain through
# RUSTC_BOOTSTRAP=1 (see docs/fuzzing.md).
#
# Usage: fuzz/run.sh MINUTES [TARGET...]     e.g. fuzz/run.sh 4, fuzz/run.sh 0.5 formats
# Env:   FUZZ_ARGS  extra libFuzzer flags (e.g. FUZZ_ARGS=-seed=1)
#        SANITIZER  address (default: ASan, needs RUSTC_BOOTSTRAP=1, which this script sets)
#                   or none (plain stable, no ASan, about 4x the executions per second)
#
# A crash, timeout or OOM stops libFuzzer; the target is then restarted for the time left
# (its finds so far are in the corpus), so every target gets its full time. The exit status
# is 1 if any artifact was written.
set -euo pipefail
fuzz="$(cd "$(dirname "$0")" && pwd)"
cd "$fuzz/.."
minutes="${1:?usage: fuzz/run.sh MINUTES [TARGET...]}"
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(descriptor structfmt formats descriptor_data select_path columnar ksy)
total_secs="$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')"
[ "$total_secs" -gt 0 ] || { echo "fuzz/run.sh: MINUTES must be > 0" >&2; exit 2; }

# Built once, before any target runs (ASan + debug assertions and overflow checks: the
# cargo-fuzz defaults), so that edits made to src/ meanwhile do not cost fuzzing time.
sanitizer="${SANITIZER:-address}"
RUSTC_BOOTSTRAP=1 cargo fuzz build --fuzz-dir "$fuzz" --sanitizer "$sanitizer"
bin="$fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release"
[ -d "$fuzz/corpus/${targets[0]}" ] || "$fuzz/seed.sh"

logs="$fuzz/logs"
mkdir -p "$logs"
summary=()
found_any=0
for t in "${targets[@]}"; do
  mkdir -p "$fuzz/artifacts/$t" "$fuzz/corpus/$t"
  stamp="$logs/$t.stamp"
  : > "$stamp"
  log="$logs/$t.log"
  : > "$log"
  dict=()
  case "$t" in descriptor|descriptor_data) dict=("-dict=$fuzz/descriptor.dict") ;; esac
  start=$(date +%s)
  runs=0 restarts=0
  while :; do
    left=$(( total_secs - ($(date +%s) - start) ))
    [ "$left" -gt 2 ] || break
    echo "== $t: fuzzing for ${left}s" | tee -a "$log"
    set +e
    # what `cargo fuzz run --fuzz-dir fuzz $t -- FLAGS` runs, without its rebuild
    # shellcheck disable=SC2086
    "$bin/$t" -artifact_prefix="$fuzz/artifacts/$t/" \
      -max_total_time="$left" -rss_limit_mb=2048 -timeout=5 -print_final_stats=1 \
      "${dict[@]}" ${FUZZ_ARGS:-} "$fuzz/corpus/$t" >>"$log" 2>&1
    rc=$?
    set -e
    n=$(grep -a '^stat::number_of_executed_units:' "$log" | awk '{ s += $2 } END { print s + 0 }')
    runs=$n
    [ "$rc" -eq 0 ] && break
    restarts=$((restarts + 1))
    echo "== $t: libFuzzer exited $rc (see $log)" | tee -a "$log"
    if [ "$restarts" -ge 20 ]; then
      echo "== $t: 20 restarts, giving up on this target" | tee -a "$log"
      break
    fi
  done
  secs=$(( $(date +%s) - start ))
  new=$(find "$fuzz/artifacts/$t" -type f -newer "$stamp" | wc -l)
  [ "$new" -eq 0 ] || found_any=1
  summary+=("$(printf '%-16s %12s %8s %10s' "$t" "$runs" "${secs}s" "$new")")
done

echo
echo "sanitizer: $sanitizer, $minutes min per target"
printf '%-16s %12s %8s %10s\n' target runs time artifacts
printf '%s\n' "${summary[@]}"
if [ "$found_any" -ne 0 ]; then
  echo
  echo "new artifacts:"
  for t in "${targets[@]}"; do
    find "$fuzz/artifacts/$t" -type f -newer "$logs/$t.stamp" -printf "  $t/%f\n"
  done
  echo "reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET fuzz/artifacts/TARGET/FILE (in fuzz/ or with --fuzz-dir fuzz)"
  exit 1
fi
