"""A small, fast sample of the fault-injection campaign (scripts/fault_injection.py).

The campaign itself (20 kills and 10 interrupts of every command, races, studies)
runs as a script; its results are in BENCHMARKS.md.  Here: one interrupt of
``gmm-pp fit`` replacing an earlier result, at a seeded random moment, one race,
one interrupted and resumed study, one killed and resumed model selection.
"""

from __future__ import annotations

import importlib.util
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "fault_injection.py"
_spec = importlib.util.spec_from_file_location("fault_injection", _SCRIPT)
faults = importlib.util.module_from_spec(_spec)
sys.modules["fault_injection"] = faults  # dataclasses look their module up
_spec.loader.exec_module(faults)

#: About the length of one small 'gmm-pp fit' with a warm compile cache.
SPAN = 7.0

#: Real processes killed and interrupted: slow, still run by CI.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def work(tmp_path_factory, comparison):  # comparison: the shape is compiled and cached
    folder = tmp_path_factory.mktemp("faults")
    faults.prepare(folder, commands=("fit",))
    return folder


# Ctrl-C while replacing an earlier result (it must survive). A kill of a first write is
# the selection's test below and the campaign's (20 kills of every command, BENCHMARKS.md).
@pytest.mark.parametrize(("sig", "overwrite"), [(signal.SIGINT, True)])
def test_a_killed_or_interrupted_fit_loses_nothing(work, sig, overwrite):
    rng = np.random.default_rng(int(sig) * 10 + overwrite)
    # The interrupt within the first half of the run (2.7 s with this seed), so that
    # it interrupts: exit 130, never 0.
    span = SPAN / 2 if sig == signal.SIGINT else SPAN
    outcome = faults.trial("fit", work, rng, span, sig, index=int(sig) + 100 * overwrite,
                           overwrite=overwrite)  # fmt: skip
    assert outcome.ok, outcome
    if sig == signal.SIGINT:
        assert outcome.exit_code == 130 and outcome.leftovers == 0, outcome
        assert outcome.state.startswith("earlier"), outcome  # the replaced result survived


def test_two_fits_to_one_folder_exactly_one_succeeds(work):
    [(first, second, ok)] = faults.concurrent(1, seed=5, work=work)
    assert ok, (first, second)


def test_an_interrupted_study_resumes_to_the_uninterrupted_table():
    [(engine, code, parts, ok)] = faults.study(1, seed=3, replications=4, engines=("serial",))
    assert ok, (engine, code, parts)


def test_a_killed_selection_resumes_to_the_same_table():
    """One trial of scripts/fault_injection.py select (SIGINT and SIGKILL: BENCHMARKS.md)."""
    results = faults.select(1, seed=4, ks="1:4", engines=("serial",), signals=(signal.SIGKILL,))
    assert [sig for _, sig, *_ in results] == ["SIGKILL"]
    assert all(ok for *_, ok in results), results
