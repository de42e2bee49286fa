"""Progress a person can follow: step lines, sampling counts, the study's line."""

import io
import logging
import time
from types import SimpleNamespace

from gmm_pp.progress import LOGGER, SamplingProgress, show, step
from gmm_pp.study.engine import Progress


def test_a_step_says_it_started_that_it_runs_and_how_long_it_took():
    stream = io.StringIO()
    handler = show(stream)
    try:
        with step("compiling", every=0.05, status=lambda: "3 of 8"):
            time.sleep(0.3)
    finally:
        LOGGER.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "gmm-pp: compiling ..."
    running = [line for line in lines if "so far, 3 of 8" in line]
    assert len(running) >= 2  # a log shows that a long step is alive
    assert lines[-1].startswith("gmm-pp: compiling: done in ")


def test_steps_are_silent_unless_asked_for():
    LOGGER.setLevel(logging.WARNING)
    stream = io.StringIO()
    LOGGER.addHandler(logging.StreamHandler(stream))
    try:
        with step("quiet", every=0.01):
            time.sleep(0.05)
    finally:
        LOGGER.handlers.clear()
    assert stream.getvalue() == ""


def test_sampling_progress_counts_draws_across_chains():
    watch = SamplingProgress()
    assert watch.status() == "starting the chains"
    watch.callback([SimpleNamespace(finished_draws=300, total_draws=1000)] * 2)
    assert watch.status().startswith("600 of 2000 draws (30%), about ")


def test_the_study_line_comes_at_once_and_estimates_only_after_two_results():
    stream = io.StringIO()
    bar = Progress(10, stream=stream, every=60.0)
    bar.begin(2, "on the local engine with 2 workers")
    first = stream.getvalue()
    assert first.startswith("study: 8 of 10 replications to run (2 finished before), on the")
    bar.update(failed=False)
    assert "left" not in bar.line()
    time.sleep(0.01)
    bar.update(failed=True)
    assert "about" in bar.line() and "left" in bar.line() and "(1 failed)" in bar.line()
    bar.end()
