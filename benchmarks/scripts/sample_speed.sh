#!/usr/bin/env bash
# Times `cdx sample` (Release, copied to a temp folder so that other builds do not disturb it) and
# prints wall clock, CPU time, load average and the SHA-256 of every file it wrote: same seed, same
# bytes, so the sums must match those in benchmarks/RESULTS.md (4096², seed 42) after any change.
# Usage: benchmarks/scripts/sample_speed.sh [SIZE] [SEED] [RUNS]   (run from the checkout root)
set -euo pipefail
cd "$(dirname "$0")/../.."
size="${1:-4096}"
seed="${2:-42}"
runs="${3:-2}"
work="${TMPDIR:-/tmp}/cdx-sample-bench"
rm -rf "$work" && mkdir -p "$work"

dotnet build src/ChangeDetection.Cli -c Release -warnaserror -v q -nologo >/dev/null
cp -r src/ChangeDetection.Cli/bin/Release/net10.0 "$work/bin"

for i in $(seq "$runs"); do
  rm -rf "$work/out"
  load="$(cut -d' ' -f1 /proc/loadavg)"
  /usr/bin/time -f "%e %U %S" -o "$work/time" "$work/bin/cdx" sample "$work/out" --size "$size" --seed "$seed" >"$work/log" 2>&1 \
    || { cat "$work/log"; exit 1; }
  read -r wall user sys <"$work/time"
  echo "run $i: ${wall} s wall, ${user} s user, ${sys} s sys (load ${load} -> $(cut -d' ' -f1 /proc/loadavg))"
done
(cd "$work/out" && find . -type f | sort | xargs sha256sum)
