"""Imports flow one way: ``em`` loads neither PyMC nor matplotlib."""

import subprocess
import sys

import pytest

HEAVY = ("pymc", "pytensor", "arviz", "matplotlib", "nutpie", "sklearn", "gmm_pp", "reports")


def _loaded_after(statement: str) -> set[str]:
    code = (
        f"import sys; {statement}; "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_em_is_light():
    loaded = _loaded_after("import em")
    assert "numpy" in loaded
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


@pytest.mark.parametrize("package", ["gmm_pp", "reports", "gmm_pp.cli"])
def test_packages_import_cleanly(package):
    loaded = _loaded_after(f"import {package}")
    assert "matplotlib" not in loaded and "pymc" not in loaded
