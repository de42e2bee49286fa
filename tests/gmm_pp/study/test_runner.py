"""Running studies: every engine the same table, interrupt and resume, failures, the folder."""

import copy
import json

import numpy as np
import pandas as pd
import pytest

from gmm_pp.study import load_config, run_study
from gmm_pp.study.store import StudyStoreError


def _deterministic(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=[c for c in df.columns if c.startswith("seconds_")])


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
def test_every_engine_gives_the_identical_table(serial_study, tmp_path, engine, tiny):
    if engine == "dask":
        pytest.importorskip("distributed")
    other = run_study(load_config(tiny), tmp_path / engine, engine=engine, workers=2,
                      progress=False)  # fmt: skip
    pd.testing.assert_frame_equal(other.parameters, serial_study.parameters)
    pd.testing.assert_frame_equal(
        _deterministic(other.replications), _deterministic(serial_study.replications)
    )


def test_interrupted_study_resumes_without_duplicates(serial_study, tmp_path, tiny):
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
        run_study(load_config(tiny), out, engine="serial", progress=False, fn=flaky,
                  on_result=stop_after_two)  # fmt: skip
    # the failed (transient) one was not stored; one replication is
    assert sorted(p.stem for p in (out / "parts").glob("*.json")) == ["s000-r00000"]
    again = run_study(load_config(tiny), out, engine="serial", progress=False, fn=flaky)
    assert again.skipped == 1 and again.ran == 3
    pd.testing.assert_frame_equal(again.parameters, serial_study.parameters)


def test_another_study_in_the_same_folder_is_refused(serial_study, tiny):
    other = copy.deepcopy(tiny)
    other["study"]["seed"] = 6
    with pytest.raises(StudyStoreError, match="holds a different study"):
        run_study(load_config(other), serial_study.directory, engine="serial", progress=False)


def test_failed_replication_is_recorded_and_the_study_goes_on(tmp_path, monkeypatch, tiny):
    import gmm_pp.pipeline

    real = gmm_pp.pipeline.compare

    def compare(X, k, **kw):
        if kw["truth"].weights.max() < 0.4:  # the fixed truth has equal weights
            raise FloatingPointError("the sampler blew up")
        return real(X, k, **kw)

    monkeypatch.setattr(gmm_pp.pipeline, "compare", compare)
    raw = copy.deepcopy(tiny)
    raw["study"]["replications"] = 1
    result = run_study(load_config(raw), tmp_path / "f", engine="serial", progress=False)
    reps = result.replications.set_index("scenario")
    assert reps.loc["fixed", "error"].startswith("FloatingPointError: the sampler blew up (")
    assert reps.loc["sbc", "error"] != reps.loc["sbc", "error"] or not reps.loc["sbc", "error"]
    assert set(result.parameters["scenario"]) == {"sbc"}
    summary = {f["scenario"]: f for f in result.summary["failures"]}
    assert summary["fixed"]["errors"] == 1 and summary["sbc"]["errors"] == 0
    # recorded failures are skipped on a rerun, and retried when asked
    monkeypatch.setattr(gmm_pp.pipeline, "compare", real)
    again = run_study(load_config(raw), tmp_path / "f", engine="serial", progress=False)
    assert again.ran == 0
    retried = run_study(
        load_config(raw), tmp_path / "f", engine="serial", progress=False, retry_failed=True
    )
    assert retried.ran == 1 and (retried.replications["error"].fillna("") == "").all()


def test_study_cli_errors(tmp_path):
    from gmm_pp.cli import main

    assert main(["study", "--out", str(tmp_path / "x")]) == 2  # neither CONFIG nor --example
    bad = tmp_path / "bad.toml"
    bad.write_text('[study]\nreplications = 1\n[[scenario]]\nn = 300\nk = 3\nd = 2\ntruth = "x"\n')
    assert main(["study", str(bad), "--out", str(tmp_path / "y")]) == 1
    assert not (tmp_path / "y").exists()


def test_a_study_whose_replications_all_failed_summarises_the_failures(tmp_path, tiny):
    def fail(task):
        from gmm_pp.study.replicate import failed_result

        out = failed_result(task, "FloatingPointError: every fit failed (here)")
        out["replication"]["seconds_total"] = 0.1
        return out

    raw = copy.deepcopy(tiny)
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


def test_a_corrupt_or_stray_part_is_named_and_moved_aside_on_retry(serial_study, tmp_path, tiny):
    import shutil
    import warnings

    out = tmp_path / "copy"
    shutil.copytree(serial_study.directory, out)
    (out / "parts" / "s000-r00001.json").write_text('{"key": "s000-r00001", "ro')  # truncated
    with pytest.raises(StudyStoreError, match=r"s000-r00001.json is not a replication result"):
        run_study(load_config(tiny), out, engine="serial", progress=False)
    (out / "parts" / "s009-r00000.json").write_text(
        json.dumps({"key": "s009-r00000", "rows": [], "replication": {}})
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = run_study(
            load_config(tiny), out, engine="serial", progress=False, retry_failed=True
        )
    moved = sorted(p.name for p in (out / "parts" / "rejected").iterdir())
    assert moved == ["s000-r00001.json", "s009-r00000.json"]
    assert len(caught) == 2 and all("moved aside" in str(w.message) for w in caught)
    assert again.ran == 1 and again.skipped == 3
    pd.testing.assert_frame_equal(again.parameters, serial_study.parameters)


def test_a_study_folder_follows_the_output_policy(serial_study, tmp_path, capsys, tiny):
    from gmm_pp.cli import main
    from gmm_pp.errors import OutputError

    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "notes.txt").write_text("precious")
    with pytest.raises(OutputError, match="exists and is not empty"):
        run_study(load_config(tiny), keep, engine="serial", progress=False)
    assert (keep / "notes.txt").read_text() == "precious"
    config = tmp_path / "inside" / "study.toml"
    config.parent.mkdir()
    config.write_text("[study]\nreplications = 1\n[[scenario]]\nn = 300\nk = 3\nd = 2\n")
    assert main(["study", str(config), "--out", str(config.parent), "--overwrite"]) == 1
    assert "holds this command's input" in capsys.readouterr().err
    assert config.is_file()
    # --overwrite discards a different study and starts afresh
    other = copy.deepcopy(tiny)
    other["study"]["replications"] = 1
    other["scenario"] = other["scenario"][:1]
    result = run_study(load_config(other), keep, engine="serial", progress=False, overwrite=True)
    assert result.ran == 1 and not (keep / "notes.txt").exists()
