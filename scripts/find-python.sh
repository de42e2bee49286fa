#!/usr/bin/env bash
# Print the path of a Python >= 3.12: $PYTHON, then 3.12 (the version the stack was
# checked on) on PATH or under pyenv, then newer ones. Exit 1 with a message when none.
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
root="$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
command -v python3.12 >/dev/null 2>&1 && candidates+=("$(command -v python3.12)")
for dir in $(ls -d "$root"/versions/3.12* 2>/dev/null | sort -rV); do
    candidates+=("$dir/bin/python")
done
for name in python3 python3.13 python3.14 python; do
    command -v "$name" >/dev/null 2>&1 && candidates+=("$(command -v "$name")")
done
for dir in $(ls -d "$root"/versions/3.1[3-9]* 2>/dev/null | sort -rV); do
    candidates+=("$dir/bin/python")
done
for py in "${candidates[@]}"; do
    if ok "$py"; then
        # Resolve shims to the real interpreter so the venv does not depend on pyenv's selection.
        "$py" -c 'import sys; print(sys.executable)'
        exit 0
    fi
done
echo "gmm-pp needs Python >= 3.12, and none was found on PATH or under pyenv ($root/versions)." >&2
echo "Install one (e.g. 'pyenv install 3.12') or run: make PYTHON=/path/to/python3.12 test" >&2
exit 1
