"""Studies: configuration, metrics on known inputs, engines agree, interrupt and resume."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from gmm_pp.study import EXAMPLE, StudyConfigError, load_config, metrics, run_study, unit_prior
from gmm_pp.study.store import StudyStoreError

# One shape (n 300, d 2, K 3: the session's sim_data) so every process compiles one model.
TINY = {
    "study": {"replications": 2, "seed": 5, "draws": 60, "tune": 60, "chains": 2},
    "scenario": [
        {"name": "fixed", "n": 300, "k": 3, "d": 2, "separation": 5.0},
        {"name": "sbc", "n": 300, "k": 3, "d": 2, "truth": "prior"},
    ],
}


def _deterministic(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=[c for c in df.columns if c.startswith("seconds_")])


# --- configuration -------------------------------------------------------------------


def test_example_config_loads_and_expands_its_grid():
    cfg = load_config(EXAMPLE)
    names = [s.name for s in cfg.scenarios]
    assert names == ["separated/n=50", "separated/n=200", "sbc"]
    assert cfg.sampler.cores == 1 and cfg.sampler.draws == 500 and cfg.sampler.tune == 500
    assert cfg.scenarios[0].weights == (0.3, 0.7)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"colour": 1}, r"scenario 1: unknown keys \['colour'\]"),
        ({"truth": "maybe"}, r"'truth': expected 'fixed' or 'prior', got 'maybe'"),
        ({"weights": [0.5, 0.6, 0.1]}, r"'weights': expected \"equal\" or 3 positive numbers"),
        ({"n": [300, 2]}, r"\(fixed/n=2\): 'n' \(2\) must exceed 'k' \(3\)"),
        ({"prior": {"mean_precision": -1.0}}, r"prior: mean_precision: expected a finite number"),
        ({"separation": float("inf")}, r"'separation': expected a finite number > 0, got inf"),
        ({"separation": float("nan")}, r"'separation': expected a finite number > 0, got nan"),
        ({"n": []}, r"scenario 1: 'n': expected a value or a non-empty list, got \[\]"),
        ({"k": []}, r"'k': expected a value or a non-empty list"),
        ({"weights": [0.5, float("nan"), 0.5]}, r"'weights': expected \"equal\" or 3 positive"),
        ({"prior": 3}, r"'prior': expected a table of prior fields, got 3"),
        (
            {"truth": "prior", "prior": {"mean_location": [0.0, 0.0, 0.0]}},
            r"\(fixed\): prior: mean_location: expected shape \(2,\) .* got \(3,\)",
        ),
        (
            {"prior": {"mean_location": [0.0]}},
            r"\(fixed\): prior: 'mean_location' has 1 values, expected d = 2",
        ),
    ],
)
def test_bad_scenarios_are_named(change, match):
    raw = json.loads(json.dumps(TINY))
    raw["scenario"][0].update(change)
    with pytest.raises(StudyConfigError, match=match):
        load_config(raw)


def test_bad_files_are_named(tmp_path):
    with pytest.raises(StudyConfigError, match="no such file"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[study\nreplications = 2")
    with pytest.raises(StudyConfigError, match=r"bad.toml: not valid TOML"):
        load_config(bad)
    with pytest.raises(StudyConfigError, match=r"\[study\] 'replications': expected an integer"):
        load_config({**TINY, "study": {"replications": 0}})


def test_prior_truth_draws_follow_the_prior():
    """Draws of the SBC truth have the prior's closed-form moments."""
    scenario = load_config(TINY).scenarios[1]
    prior = unit_prior(2, 3)
    rng = np.random.default_rng(0)
    draws = [scenario.draw_truth(rng) for _ in range(20000)]
    w = np.array([t.weights for t in draws])
    v = np.array([t.variances for t in draws])
    m = np.array([t.means for t in draws])
    assert_allclose(w.mean(axis=0), 1 / 3, atol=0.01)  # Dirichlet(1, 1, 1)
    # InverseGamma(a = 2, b = 1 / (2 * 3)): median b / gamma.ppf(0.5, a)
    assert_allclose(np.median(v), prior.variance_scale / stats.gamma.ppf(0.5, 2.0), rtol=0.03)
    # means | variance ~ N(0, v / kappa0): standardised, unit variance
    z = m / np.sqrt(v / prior.mean_precision)[..., None]
    assert_allclose(z.std(), 1.0, rtol=0.02)


# --- metrics on known inputs --------------------------------------------------------


def test_coverage_rate_and_its_mcse():
    rate, mcse = metrics.coverage_rate(np.array([True] * 30 + [False] * 10))
    assert rate == 0.75
    assert_allclose(mcse, np.sqrt(0.75 * 0.25 / 40))


def test_uniformity_test_accepts_uniform_and_rejects_skewed_ranks():
    rng = np.random.default_rng(1)
    uniform = rng.integers(0, 100, 2000)  # ranks among 99 draws: 0..99
    assert metrics.uniformity_pvalue(uniform, 99) > 0.01
    too_narrow = np.concatenate([rng.integers(0, 5, 1000), rng.integers(95, 100, 1000)])
    assert metrics.uniformity_pvalue(too_narrow, 99) < 1e-10
    # against scipy's chi-square on the same bins
    counts = np.histogram(uniform, bins=np.arange(0, 101, 10))[0]
    assert_allclose(metrics.uniformity_pvalue(uniform, 99), stats.chisquare(counts).pvalue)


def test_rank_histogram_band_holds_expected_counts():
    h = metrics.rank_histogram(np.arange(100).repeat(3), 99, bins=10)
    assert h["counts"].tolist() == [30] * 10
    assert np.all(h["band"][0] < 30) and np.all(h["band"][1] > 30)


def _synthetic_table():
    """Known answers: EM errs by +1, the posterior mean by -2; 2 of 4 intervals hold."""
    rows = []
    for r in range(4):
        inside = r < 2
        rows.append(
            {
                "scenario": "s", "n": 10, "k": 1, "d": 1, "truth_mode": "fixed",
                "replication": r, "parameter": "mean[0,0]", "kind": "means",
                "truth": 0.0, "em": 1.0, "map": 0.0, "post_mean": -2.0,
                **{f"lo{t}": (-1.0 if inside else 1.0) for t in (50, 80, 94)},
                **{f"hi{t}": 2.0 for t in (50, 80, 94)},
                "rank": r, "rank_draws": 9,
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def test_accuracy_and_coverage_on_a_known_table():
    table = _synthetic_table()
    acc = metrics.accuracy(table).set_index("estimator")
    assert acc.loc["EM (MLE)", "bias"] == 1.0 and acc.loc["EM (MLE)", "rmse"] == 1.0
    assert acc.loc["posterior mean", "bias"] == -2.0 and acc.loc["PyMC MAP", "rmse"] == 0.0
    cov = metrics.coverage(table)
    assert cov["coverage"].tolist() == [0.5, 0.5, 0.5]
    assert_allclose(cov["mcse"], np.sqrt(0.25 / 4))


# --- running studies ------------------------------------------------------------------


@pytest.fixture(scope="module")
def serial_study(tmp_path_factory, comparison):  # comparison: the session's compiled model
    out = tmp_path_factory.mktemp("study") / "serial"
    return run_study(load_config(TINY), out, engine="serial", progress=False)


def test_study_records_every_parameter(serial_study):
    p, reps = serial_study.parameters, serial_study.replications
    assert len(reps) == 4 and (reps["error"].fillna("") == "").all()
    assert len(p) == 4 * (3 + 3 * 2 + 3)
    assert not p.duplicated(["scenario", "replication", "parameter"]).any()
    assert p[["truth", "em", "map", "post_mean", "post_sd", "lo94", "hi94"]].notna().all().all()
    assert ((p["lo50"] <= p["hi50"]) & (p["lo94"] <= p["lo80"]) & (p["hi80"] <= p["hi94"])).all()
    assert p["rank"].between(0, p["rank_draws"]).all()
    # the fixed truth (relabelled to EM's labels): means 5 apart on the first axis, centred
    fixed = p[(p["truth_mode"] == "fixed") & p["parameter"].str.match(r"mean\[\d,0\]")]
    for _, rep in fixed.groupby("replication"):
        assert sorted(rep["truth"]) == [-5.0, 0.0, 5.0]
    summary = json.loads((serial_study.directory / "summary.json").read_text())
    assert {"coverage", "accuracy", "sbc", "failures"} <= set(summary)
    assert pd.read_csv(serial_study.directory / "parameters.csv").shape == p.shape


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_every_engine_gives_the_identical_table(serial_study, tmp_path, engine):
    if engine == "dask":
        pytest.importorskip("distributed")
    other = run_study(load_config(TINY), tmp_path / engine, engine=engine, workers=2,
                      progress=False)  # fmt: skip
    pd.testing.assert_frame_equal(other.parameters, serial_study.parameters)
    pd.testing.assert_frame_equal(
        _deterministic(other.replications), _deterministic(serial_study.replications)
    )


def test_interrupted_study_resumes_without_duplicates(serial_study, tmp_path):
    from gmm_pp.study.replicate import run_replication

    out = tmp_path / "resumed"
    calls = {"n": 0}

    def flaky(task):
        if task.key == "s000-r00001" and calls["n"] == 0:
            calls["n"] += 1
            raise RuntimeError("a replication that raises once")
        return run_replication(task)

    seen = []

    def stop_after_two(result):
        seen.append(result["key"])
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_study(load_config(TINY), out, engine="serial", progress=False, fn=flaky,
                  on_result=stop_after_two)  # fmt: skip
    # the failed (transient) one was not stored; one replication is
    assert sorted(p.stem for p in (out / "parts").glob("*.json")) == ["s000-r00000"]
    again = run_study(load_config(TINY), out, engine="serial", progress=False, fn=flaky)
    assert again.skipped == 1 and again.ran == 3
    pd.testing.assert_frame_equal(again.parameters, serial_study.parameters)


def test_another_study_in_the_same_folder_is_refused(serial_study):
    other = json.loads(json.dumps(TINY))
    other["study"]["seed"] = 6
    with pytest.raises(StudyStoreError, match="holds a different study"):
        run_study(load_config(other), serial_study.directory, engine="serial", progress=False)


def test_failed_replication_is_recorded_and_the_study_goes_on(tmp_path, monkeypatch):
    import gmm_pp.comparison

    real = gmm_pp.comparison.compare

    def compare(X, k, **kw):
        if kw["truth"].weights.max() < 0.4:  # the fixed truth has equal weights
            raise FloatingPointError("the sampler blew up")
        return real(X, k, **kw)

    monkeypatch.setattr(gmm_pp.comparison, "compare", compare)
    raw = json.loads(json.dumps(TINY))
    raw["study"]["replications"] = 1
    result = run_study(load_config(raw), tmp_path / "f", engine="serial", progress=False)
    reps = result.replications.set_index("scenario")
    assert reps.loc["fixed", "error"].startswith("FloatingPointError: the sampler blew up (")
    assert reps.loc["sbc", "error"] != reps.loc["sbc", "error"] or not reps.loc["sbc", "error"]
    assert set(result.parameters["scenario"]) == {"sbc"}
    summary = {f["scenario"]: f for f in result.summary["failures"]}
    assert summary["fixed"]["errors"] == 1 and summary["sbc"]["errors"] == 0
    # recorded failures are skipped on a rerun, and retried when asked
    monkeypatch.setattr(gmm_pp.comparison, "compare", real)
    again = run_study(load_config(raw), tmp_path / "f", engine="serial", progress=False)
    assert again.ran == 0
    retried = run_study(
        load_config(raw), tmp_path / "f", engine="serial", progress=False, retry_failed=True
    )
    assert retried.ran == 1 and (retried.replications["error"].fillna("") == "").all()


def test_study_report_and_cli(serial_study, tmp_path):
    from gmm_pp.cli import main
    from reports.study import write_study_report

    index = write_study_report(serial_study, tmp_path / "report")
    html = index.read_text()
    for name in ("coverage", "accuracy", "sbc"):
        assert f'id="{name}"' in html
        assert (index.parent / f"{name}.png").stat().st_size > 5000
    assert main(["study", "--out", str(tmp_path / "x")]) == 2  # neither CONFIG nor --example
    bad = tmp_path / "bad.toml"
    bad.write_text('[study]\nreplications = 1\n[[scenario]]\nn = 300\nk = 3\nd = 2\ntruth = "x"\n')
    assert main(["study", str(bad), "--out", str(tmp_path / "y")]) == 1
    assert not (tmp_path / "y").exists()


# --- nothing lost, nothing surprising -------------------------------------------------


def test_a_study_whose_replications_all_failed_summarises_the_failures(tmp_path):
    def fail(task):
        from gmm_pp.study.replicate import failed_result

        out = failed_result(task, "FloatingPointError: every fit failed (here)")
        out["replication"]["seconds_total"] = 0.1
        return out

    raw = json.loads(json.dumps(TINY))
    for rerun in (False, True):  # the rerun and --retry-failed summarise as well
        result = run_study(
            load_config(raw), tmp_path / "all-failed", engine="serial", progress=False,
            fn=fail, retry_failed=rerun,
        )  # fmt: skip
        failures = {f["scenario"]: f for f in result.summary["failures"]}
        assert failures["fixed"]["errors"] == 2 and failures["sbc"]["errors"] == 2
        assert np.isnan(failures["fixed"]["em_degenerate"])
        assert "coverage" not in result.summary and result.parameters.empty
        assert "4 replications" in result.text()
    from reports.study import write_study_report

    html = write_study_report(result, tmp_path / "report").read_text()
    assert "every fit failed" in html


def test_a_corrupt_or_stray_part_is_named_and_moved_aside_on_retry(serial_study, tmp_path):
    import shutil
    import warnings

    out = tmp_path / "copy"
    shutil.copytree(serial_study.directory, out)
    (out / "parts" / "s000-r00001.json").write_text('{"key": "s000-r00001", "ro')  # truncated
    with pytest.raises(StudyStoreError, match=r"s000-r00001.json is not a replication result"):
        run_study(load_config(TINY), out, engine="serial", progress=False)
    (out / "parts" / "s009-r00000.json").write_text(
        json.dumps({"key": "s009-r00000", "rows": [], "replication": {}})
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = run_study(
            load_config(TINY), out, engine="serial", progress=False, retry_failed=True
        )
    moved = sorted(p.name for p in (out / "parts" / "rejected").iterdir())
    assert moved == ["s000-r00001.json", "s009-r00000.json"]
    assert len(caught) == 2 and all("moved aside" in str(w.message) for w in caught)
    assert again.ran == 1 and again.skipped == 3
    pd.testing.assert_frame_equal(again.parameters, serial_study.parameters)


def test_a_study_folder_follows_the_output_policy(serial_study, tmp_path, capsys):
    from gmm_pp.cli import main
    from gmm_pp.errors import OutputError

    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "notes.txt").write_text("precious")
    with pytest.raises(OutputError, match="exists and is not empty"):
        run_study(load_config(TINY), keep, engine="serial", progress=False)
    assert (keep / "notes.txt").read_text() == "precious"
    config = tmp_path / "inside" / "study.toml"
    config.parent.mkdir()
    config.write_text("[study]\nreplications = 1\n[[scenario]]\nn = 300\nk = 3\nd = 2\n")
    assert main(["study", str(config), "--out", str(config.parent), "--overwrite"]) == 1
    assert "holds this command's input" in capsys.readouterr().err
    assert config.is_file()
    # --overwrite discards a different study and starts afresh
    other = json.loads(json.dumps(TINY))
    other["study"]["replications"] = 1
    other["scenario"] = other["scenario"][:1]
    result = run_study(load_config(other), keep, engine="serial", progress=False, overwrite=True)
    assert result.ran == 1 and not (keep / "notes.txt").exists()
