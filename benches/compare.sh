#!/usr/bin/env bash
# Measures unstruct against CPython struct+json and the hand-written reference converter,
# side by side in one run, and prints medians and ratios.
#   benches/compare.sh [--quick] [--only columnar|stdin]
#   (--quick: smaller data, fewer runs; --only: one section)
# Needs: the Rust toolchain, python3 (numpy is installed with pip if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 benches/compare.py "$@"
