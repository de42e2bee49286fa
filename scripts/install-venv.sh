#!/usr/bin/env bash
# Create VENV (default .venv) with a Python >= 3.12 when missing and install gmm-pp into it,
# saying what happens: a line at the start, one every 15 s while pip works (with the
# package it is on), the time it took; pip's whole output goes to VENV/install.log.
set -u
venv="${1:-.venv}"
py="$venv/bin/python"
if [ -x "$py" ] && ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
    echo "$venv uses $("$py" --version); gmm-pp needs >= 3.12. Remove $venv and run make again." >&2
    exit 1
fi
if [ ! -x "$py" ]; then
    base="$(bash "$(dirname "$0")/find-python.sh")" || exit 1
    echo "creating $venv with $base ($("$base" --version))"
    "$base" -m venv "$venv" || exit 1
fi
log="$venv/install.log"
echo "installing gmm-pp and its dependencies (PyMC, ArviZ, nutpie, ...) into $venv:" \
     "about a minute on a fresh machine; pip's log: $log"
start=$(date +%s)
(
    "$py" -m pip install --upgrade pip --progress-bar off &&
    "$py" -m pip install --progress-bar off -e '.[test,dask]'
) > "$log" 2>&1 &
pip_pid=$!
while kill -0 "$pip_pid" 2>/dev/null; do
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
        sleep 1
        kill -0 "$pip_pid" 2>/dev/null || break
    done
    if kill -0 "$pip_pid" 2>/dev/null; then
        now="$(grep -E '^(Collecting|Downloading|Installing|Building|Requirement)' "$log" | tail -n 1 | cut -c1-70)"
        echo "  still installing ($(( $(date +%s) - start )) s): ${now:-starting pip}"
    fi
done
if ! wait "$pip_pid"; then
    echo "installing into $venv failed; the end of $log:" >&2
    tail -n 25 "$log" >&2
    exit 1
fi
echo "installed in $(( $(date +%s) - start )) s"
