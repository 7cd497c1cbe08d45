#!/usr/bin/env bash
# The Python package's tests: installs the package with pip into a virtual environment
# (target/python-venv), as a user would, and runs its pytest suite (including Dask on a
# LocalCluster with two workers). UNSTRUCT_PY_VENV chooses another environment directory.
#   python/test.sh [pytest args]
# Needs python3 with venv, and PyPI for maturin, pytest, numpy, pyarrow, pandas and Dask (only
# the first time: they stay in the environment). Where they cannot be installed the tests are
# skipped with a note, unless UNSTRUCT_REQUIRE_ORACLES=1 (as in CI), which makes that fail.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${UNSTRUCT_PY_VENV:-target/python-venv}
py=${PYTHON:-python3}
# the build backend runs `maturin` from PATH
export PATH="$PWD/$venv/bin:$PATH"

skip() {
  if [ "${UNSTRUCT_REQUIRE_ORACLES:-}" = 1 ]; then
    echo "python/test.sh: error: $1 (UNSTRUCT_REQUIRE_ORACLES=1 requires the Python tests)" >&2
    exit 1
  fi
  echo "python/test.sh: note: SKIPPING the Python package's tests: $1" >&2
  exit 0
}

if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv" 2>/dev/null || { rm -rf "$venv"; skip "cannot create a virtual environment with $py -m venv"; }
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
    'maturin>=1.5,<2' pytest numpy 'pyarrow>=15' 'pandas>=2' 'dask[dataframe,distributed]' \
  || skip "cannot install maturin, pytest, numpy, pyarrow, pandas and dask from PyPI"
# the package itself, built from this checkout by pip as a user would, but with Cargo's dev
# profile (it shares the main crate's build with `cargo test`, and the release profile's
# whole-program optimisation takes minutes); benches/python_compare.py measures a release build
MATURIN_PEP517_ARGS="--profile dev" "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-build-isolation \
    --force-reinstall --no-deps ./python
# the pytest script, not `python -m pytest`: that would put python/ first on sys.path, where
# the package's sources (without the compiled extension) would shadow the installed package
cd python
exec "../$venv/bin/pytest" -q -p no:cacheprovider tests "$@"
