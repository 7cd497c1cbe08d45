#!/usr/bin/env bash
# The Python package side by side with the fastest Python routes, in one invocation:
# 4M fixed records ('<IhHd12sI', benches/compare.sh's data) to a pyarrow.Table with
# unstruct's to_arrow, numpy.memmap + pyarrow, and Kaitai Struct's generated Python parser
# + pandas; then unstruct.dask.read_records(...).to_parquet on 1 and 2 Dask workers.
#   benches/python_compare.sh [--quick]
# Sets up target/python-bench-venv (a release build of the package, numpy, pyarrow, pandas,
# Dask, kaitaistruct) and the Kaitai Struct compiler from npm (its JavaScript build, run by
# node) in target/kaitai-npm; without npm the Kaitai route is left out with a note.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/python-bench-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
export PATH="$PWD/$venv/bin:$PATH"
"$venv/bin/python" -m pip install -q --disable-pip-version-check 'maturin>=1.5,<2' numpy \
    'pyarrow>=15' 'pandas>=2' 'dask[dataframe,distributed]' kaitaistruct pyyaml
# a release build, as `pip install ./python` makes it
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-build-isolation \
    --force-reinstall --no-deps ./python
if command -v npm >/dev/null && command -v node >/dev/null; then
  [ -f target/kaitai-npm/node_modules/kaitai-struct-compiler/package.json ] ||
    npm install --silent --prefix target/kaitai-npm kaitai-struct-compiler@0.11.0 ||
    echo "note: cannot install kaitai-struct-compiler from npm: the Kaitai route is left out" >&2
fi
exec "$venv/bin/python" benches/python_compare.py "$@"
