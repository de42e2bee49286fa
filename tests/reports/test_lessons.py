"""Lessons: each builds and writes its page; the course example's numbers by scipy."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from markupsafe import escape
from numpy.testing import assert_allclose
from scipy.stats import norm

from gmm_pp.cli import main
from gmm_pp.config import SamplerConfig
from reports.lessons import LESSONS, build_lesson, write_lesson

FEW = SamplerConfig(draws=100, tune=100, chains=2, cores=1)

#: Small, and on shapes compiled elsewhere (n 300: d 2, K 3 is the session's; d 1, K 2 is
#: shared; faithful with K = 2 is the tour's (spherical) and the full posterior tests').
OPTIONS = {
    "covariance": {"sampler": FEW, "structures": ("spherical", "full")},
    "course-example": {},
    "gradient": {"n": 200},
    "initialisation": {"n": 300, "starts": 10, "sampler": FEW},
    "mle-vs-bayes": {"ns": (300,), "sampler": FEW},
    "degeneracy": {"n": 300, "starts": 10, "sampler": FEW},
    "choosing-k": {"sampler": FEW, "bayes_k": (2, 3), "faithful_k": range(1, 5)},
}


@functools.cache
def _built(name: str):
    """Each lesson built once for the module's tests."""
    return build_lesson(name, **OPTIONS[name])


@pytest.mark.parametrize("name", list(LESSONS))
def test_every_lesson_writes_its_page(name, tmp_path, comparison):  # comparison: shared compile
    lesson = _built(name)
    index = write_lesson(lesson, tmp_path / name)
    html = index.read_text()
    assert str(escape(lesson.title)) in html
    for i, section in enumerate(lesson.sections, start=1):
        assert f'id="section{i}"' in html and str(escape(section.text.split(".")[0])) in html
        if section.figure is not None:
            assert (index.parent / f"figure{i}.png").stat().st_size > 5000
    assert (index.parent / "data.json").exists()


def test_course_example_numbers_against_scipy():
    lesson = build_lesson("course-example")
    x = np.array([0.2, -0.9, -1.0, 1.2, 1.8])
    w1, w2 = 0.5 * norm(-3, 2).pdf(x), 0.5 * norm(2, 2).pdf(x)
    r1 = w1 / (w1 + w2)
    estep = lesson.sections[0].table.rows
    # to the course's five decimals: r_11 = 0.29421 as the course prints it
    assert estep[0][3] == "0.29421"
    assert_allclose([float(row[3]) for row in estep], r1, atol=5e-6)
    assert_allclose([float(row[1]) for row in estep], w1, atol=5e-6)
    r = np.column_stack([r1, 1 - r1])
    nk = r.sum(0)
    mu = (r * x[:, None]).sum(0) / nk
    var = (r * (x[:, None] - mu) ** 2).sum(0) / nk
    mstep = lesson.sections[1].table.rows
    assert_allclose([float(row[2]) for row in mstep], nk / 5, atol=5e-6)
    assert_allclose([float(row[3]) for row in mstep], mu, atol=5e-6)
    assert_allclose([float(row[4]) for row in mstep], var, atol=5e-6)
    ll = lesson.sections[2].figure.data["loglik"]
    assert np.all(np.diff(ll) >= 0)
    # the text's claims, checked against its own tables and figure data
    assert "rises at every iteration" in lesson.sections[2].text
    above = [row for row in estep if float(row[0]) > 0]
    assert all(float(row[4]) > 0.5 for row in above)
    assert "The points above 0 (0.2, 1.2, 1.8) belong mostly to component 2" in (
        lesson.sections[0].text
    )
    assert f"(r_i2 from {min(float(row[4]) for row in above):.2f} up)" in lesson.sections[0].text


def test_gradient_lesson_identities_hold_in_its_table():
    lesson = build_lesson("gradient", n=200)
    rows = lesson.sections[0].table.rows
    assert len(rows) == 6
    for row in rows:
        assert float(row[3]) < 1e-10
    worst = max(float(row[3]) for row in rows)
    assert "They agree to rounding: the largest difference is" in lesson.sections[0].text
    assert _said(r"largest difference is (\S+)\.", lesson.sections[0].text) == pytest.approx(
        worst, rel=0.06
    )
    series = lesson.sections[1].figure.data["series"]
    em_end, ga_end = series["EM"][-1], series["gradient ascent"][-1]
    same = abs(em_end - ga_end) <= 1e-6 * abs(em_end)
    assert ("Both climb to the same maximum" in lesson.sections[1].text) == same
    top = max(em_end, ga_end)
    em_top = int(np.sum(np.asarray(series["EM"])[1:] > top - 0.01))
    assert f"EM spent {em_top} of its" in lesson.sections[1].text


def _said(pattern: str, text: str) -> float:
    import re

    match = re.search(pattern, text)
    assert match, (pattern, text)
    return float(match.group(1))


def test_teach_cli(tmp_path, capsys):
    assert main(["teach", "--list"]) == 0
    assert "mle-vs-bayes" in capsys.readouterr().out
    assert main(["teach", "nope"]) == 2  # a usage error
    assert "expected one of course-example" in capsys.readouterr().err
    assert main(["teach", "course-example", "--out", str(tmp_path / "c"), "--quiet"]) == 0
    assert (tmp_path / "c" / "index.html").exists()


def test_initialisation_lesson_shows_the_basins_of_the_result(comparison):
    lesson = build_lesson("initialisation", **OPTIONS["initialisation"])
    many, default = lesson.sections[0].table.rows, lesson.sections[1].table.rows
    starts = OPTIONS["initialisation"]["starts"]
    # Every k-means++ start is counted in exactly one basin, highest first.
    assert sum(int(row[2].split(" of ")[0]) for row in many) == starts
    lls = [float(row[1]) for row in many]
    assert lls == sorted(lls, reverse=True)
    # The default strategy's basins: one chosen, at least as high as k-means++'s best.
    chosen = [row for row in default if row[3] == "chosen"]
    assert len(chosen) == 1 and float(chosen[0][0]) >= lls[0] - 0.01
    assert any("hc" in row[1] for row in default)
    # the text names the MAP's means the figure draws, and counts the table's maxima
    means = lesson.sections[2].figure.data["map_means"]
    assert "; ".join(f"({m[0]:.2f}, {m[1]:.2f})" for m in means) in lesson.sections[2].text
    assert f"ended at {len(many)} distinct maxima" in lesson.sections[0].text
    assert ("not very diverse" in lesson.sections[0].text) == (len(many) <= starts / 3)


def test_the_degeneracy_lesson_as_shipped_explains_itself():
    """The CI sample of scripts/check_lessons.py (which builds every lesson as shipped, with
    its own sampling, and finds no unexplained warning; BENCHMARKS.md): the degeneracy
    lesson, EM only, as shipped."""
    lesson = build_lesson("degeneracy")
    text = " ".join(section.text for section in lesson.sections)
    assert "Warnings:" not in text
    data = lesson.sections[0].figure.data
    assert data["loglik"][-1] > max(data["loglik"][:10]) + 4  # the climb
    assert data["log_posterior"][-1] < -1e10  # the prior's plunge, on its own axis
    assert data["collapsed"] is not None and data["collapsed"]["sd"] > 0
    # the text's numbers are the figure's
    sigma, loglik = np.asarray(data["sigma"]), np.asarray(data["loglik"])
    per_decade = (loglik[-1] - loglik[-2]) / np.log10(sigma[-2] / sigma[-1])
    assert f"{per_decade:.2f} more for every tenfold shrink" in lesson.sections[0].text
    peak = sigma[int(np.argmax(data["log_posterior"]))]
    assert f"the curve peaks at sd {peak:.2g}" in lesson.sections[0].text
    assert f"{data['map_sd']:.2g}, is the whole optimum's" in lesson.sections[0].text


def test_choosing_k_says_what_its_tables_show(comparison):
    lesson = _built("choosing-k")
    first, loo, faithful = lesson.sections
    rows = first.table.rows
    loglik = [float(r[2]) for r in rows]
    rises = all(b >= a - 0.05 for a, b in zip(loglik, loglik[1:], strict=False))
    assert ("rises at every step" in first.text) == rises
    said = first.text.split("true K = 3")
    for column, name in ((3, "BIC"), (4, "ICL"), (5, "AIC")):
        best_k = rows[int(np.argmin([float(r[column]) for r in rows]))][0]
        if best_k == "3":  # named before "the true K = 3"
            assert name in said[0].split("the entropy of the classification.")[-1], name
        else:
            assert f"{name} (K = {best_k})" in said[-1], (name, best_k, first.text)
    weights = [float(r[7]) for r in loo.table.rows]
    assert sum(weights) == pytest.approx(1.0, abs=0.011)
    assert "BIC prefers tied K = 3" in faithful.text and "ICL prefers full K = 2" in faithful.text
