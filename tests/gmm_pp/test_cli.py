"""The command line: output, one-line errors, exit codes, no traceback."""

import json
import subprocess
import sys

import numpy as np
import pytest

from gmm_pp.cli import main


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory, data_2d):
    path = tmp_path_factory.mktemp("cli") / "data.csv"
    np.savetxt(path, data_2d, delimiter=",", header="x,y", comments="")
    return path


def test_em_table(csv_file, capsys):
    assert main(["em", str(csv_file), "-k", "3", "--seed", "1"]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    # the CSV's header (x,y) names the columns
    for word in ("weight", "mean[x]", "mean[y]", "variance", "log-likelihood", "BIC", "converged"):
        assert word in out.out


def test_em_json_matches_api(csv_file, data_2d, capsys):
    import em

    assert main(["em", str(csv_file), "-k", "3", "--seed", "1", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    result = em.fit(data_2d, 3, seed=1)
    assert np.allclose(summary["means"], result.params.means, rtol=1e-12)
    assert summary["log_likelihood"] == pytest.approx(result.log_likelihood, rel=1e-12)
    assert summary["bic"] == pytest.approx(result.bic(), rel=1e-12)
    assert summary["converged"] is True and summary["n_iter"] == result.n_iter


@pytest.mark.parametrize(
    ("args", "code", "match"),
    [
        (["em", "{csv}", "-k", "0"], 1, "n_components: expected an integer >= 1, got 0"),
        (["em", "{csv}", "-k", "301"], 1, "expected at most n_samples = 300"),
        (["em", "{csv}", "-k", "x"], 2, "argument -k/--components: invalid int value: 'x'"),
        (["em", "{csv}"], 2, "the following arguments are required: -k/--components"),
        (["em", "missing.csv", "-k", "2"], 1, "no such file"),
        (["em", "{bad}", "-k", "2"], 1, "line 3, column 2: 'oops' is not a number"),
        (["em", "{csv}", "-k", "2", "--tol", "-1"], 1, "tol: expected a finite number >= 0"),
        (["em", "{csv}", "-k", "2", "--max-iter", "0"], 1, "max_iter: expected an integer >= 1"),
        (["em", "{csv}", "-k", "2", "--n-init", "0"], 1, "n_init: expected an integer >= 1"),
        (["em", "{same}", "-k", "2"], 1, "rows are identical"),
        (["nope"], 2, "invalid choice: 'nope'"),
        (["report", "{bad}"], 1, "no comparison.json"),
        (["report", "does-not-exist"], 1, "no comparison.json"),
    ],
)
def test_errors_are_one_line(tmp_path, csv_file, capsys, args, code, match):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,oops\n")
    same = tmp_path / "same.csv"
    same.write_text("1,2\n1,2\n1,2\n")
    args = [a.format(csv=csv_file, bad=bad, same=same) for a in args]
    assert main(args) == code
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1, out.err
    assert lines[0].startswith("gmm-pp: error: ")
    assert match in lines[0]


def test_warnings_are_one_line(csv_file, capsys):
    assert main(["em", str(csv_file), "-k", "3", "--init", "kmeans++", "--max-iter", "2"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err and all(line.startswith("gmm-pp: warning: ") for line in err)
    assert any("did not converge" in line for line in err)


def test_help_texts_show_examples(capsys):
    for argv in (["--help"], ["em", "--help"], ["demo", "--help"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
        assert "example" in capsys.readouterr().out


def test_demo_writes_the_report(demo_page):
    code, printed, out = demo_page
    assert code == 0
    assert printed.strip() == str((out / "index.html").resolve())
    assert (out / "index.html").is_file() and (out / "data.json").is_file()


def test_real_process_no_traceback(csv_file):
    ok = subprocess.run(
        [sys.executable, "-m", "gmm_pp", "em", str(csv_file), "-k", "2", "--json"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["n_components"] == 2
    bad = subprocess.run(
        [sys.executable, "-m", "gmm_pp", "em", "does-not-exist.csv", "-k", "2"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def sim_csv(tmp_path_factory, sim_data):
    path = tmp_path_factory.mktemp("fit") / "sim.csv"
    np.savetxt(path, sim_data, delimiter=",")
    return path


def test_fit_saves_a_loadable_comparison(sim_csv, tmp_path, capsys):
    import gmm_pp

    out = tmp_path / "run"
    argv = [
        "fit",
        str(sim_csv),
        "-k",
        "3",
        "--out",
        str(out),
        "--draws",
        "200",
        "--tune",
        "200",
        "--seed",
        "5",
        "--quiet",
        "--no-pointwise-loglik",
    ]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "post_mean" in captured.out and "R-hat" in captured.out
    loaded = gmm_pp.Comparison.load(out)
    assert loaded.sampler.draws == 200 and loaded.seed == 5
    # small enough to keep by default (800 x 300 x 4 bytes), left out when told
    import arviz as az

    assert loaded.writes_pointwise()
    assert "log_likelihood" not in az.from_netcdf(out / "posterior.nc").children
    assert (out / "report" / "index.html").is_file()
    # (Re-rendering without refitting: test_report_rerenders_in_place_only_with_overwrite.)
    # An existing folder is never clobbered without --overwrite, and nothing is printed.
    before = sorted(p.name for p in out.iterdir())
    assert main(argv) == 1
    err = capsys.readouterr()
    assert err.out == "" and "exists and is not empty" in err.err
    assert sorted(p.name for p in out.iterdir()) == before


def test_fit_rejects_bad_prior_in_one_line(sim_csv, tmp_path, capsys):
    code = main(
        [
            "fit",
            str(sim_csv),
            "-k",
            "3",
            "--out",
            str(tmp_path / "x"),
            "--weight-concentration",
            "0.5",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "weight_concentration: expected a finite number >= 1" in err[0]
    assert not (tmp_path / "x").exists()


# -- nothing lost: every folder-writing command under one output policy -------------


@pytest.fixture(scope="module")
def saved(tmp_path_factory, comparison):
    """The session's comparison saved as 'gmm-pp fit' saves it (with its report)."""
    from reports import render_report

    folder = tmp_path_factory.mktemp("saved") / "run"
    folder.mkdir()
    comparison.write_files(folder)
    render_report(comparison, folder / "report")
    return folder


def _files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _one_error_line(capsys, *words):
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert out.out == "" and len(lines) == 1, out.err
    assert lines[0].startswith("gmm-pp: error: ")
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def precious(tmp_path):
    keep = tmp_path / "keep"
    (keep / "sub").mkdir(parents=True)
    (keep / "file.txt").write_text("precious")
    (keep / "sub" / "nested.txt").write_text("nested")
    return keep


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "{saved}", "--out", "{keep}"],
        ["demo", "--out", "{keep}"],
        ["teach", "course-example", "--out", "{keep}"],
        ["fit", "{csv}", "-k", "3", "--out", "{keep}"],
        ["study", "--example", "--out", "{keep}"],
    ],
)
def test_a_non_empty_folder_is_never_replaced_without_overwrite(
    argv, saved, precious, csv_file, capsys
):
    before = _files(precious)
    argv = [a.format(saved=saved, keep=precious, csv=csv_file) for a in argv]
    assert main(argv) == 1
    _one_error_line(capsys, "--out", str(precious.name), "exists and is not empty", "--overwrite")
    assert _files(precious) == before
    assert sorted(p.name for p in precious.parent.iterdir()) == ["keep"]


@pytest.mark.parametrize("command", ["report", "demo", "teach", "fit"])
def test_a_file_is_never_a_target(command, saved, tmp_path, csv_file, capsys):
    target = tmp_path / "some_file"
    target.write_text("precious")
    argv = {
        "report": ["report", str(saved), "--out", str(target), "--overwrite"],
        "demo": ["demo", "--out", str(target), "--overwrite"],
        "teach": ["teach", "course-example", "--out", str(target), "--overwrite"],
        "fit": ["fit", str(csv_file), "-k", "3", "--out", str(target), "--overwrite"],
    }[command]
    assert main(argv) == 1
    _one_error_line(capsys, "is a file")
    assert target.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["some_file"]  # no .some_file.old-PID


def test_report_never_writes_over_its_own_comparison(saved, capsys):
    before = _files(saved)
    for out in (saved, saved.parent):
        assert main(["report", str(saved), "--out", str(out), "--overwrite"]) == 1
        _one_error_line(capsys, "holds this command's input")
    assert _files(saved) == before


def test_report_rerenders_in_place_only_with_overwrite(saved, capsys):
    assert main(["report", str(saved)]) == 1
    _one_error_line(capsys, "report", "exists and is not empty", "--overwrite")
    assert main(["report", str(saved), "--overwrite", "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == str((saved / "report" / "index.html").resolve())
    import gmm_pp

    gmm_pp.Comparison.load(saved)  # the comparison beside it untouched


def test_fit_never_overwrites_the_folder_holding_its_data(tmp_path, data_2d, capsys):
    folder = tmp_path / "project"
    folder.mkdir()
    data = folder / "data.csv"
    np.savetxt(data, data_2d, delimiter=",")
    assert main(["fit", str(data), "-k", "3", "--out", str(folder), "--overwrite"]) == 1
    _one_error_line(capsys, "holds this command's input", "data.csv")
    assert data.is_file()


def _tampered(saved, tmp_path, change):
    import shutil

    folder = tmp_path / "tampered"
    shutil.copytree(saved, folder)
    path = folder / "comparison.json"
    data = json.loads(path.read_text())
    text = change(data)
    path.write_text(text if isinstance(text, str) else json.dumps(data))
    return folder


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.pop("mle"), "the entry 'mle' is missing"),
        (lambda d: d["mle"].update(best=10_000), "best: expected an index below"),
        (lambda d: "[" * 100000 + "]" * 100000, "nested too deeply"),
        (lambda d: "[1, 2, 3]", "expected format_version 1, got None"),
        (lambda d: "{not json", "comparison.json is not JSON"),
        (lambda d: d.update(format_version=99), "expected format_version 1, got 99"),
        (lambda d: d["mle"]["restarts"][0]["params"].update(weights=[2.0, -1.0, 0.0]), "weights"),
    ],
)
def test_a_tampered_comparison_is_named_in_one_line(saved, tmp_path, capsys, change, match):
    folder = _tampered(saved, tmp_path, change)
    assert main(["report", str(folder), "--out", str(tmp_path / "r")]) == 1
    line = _one_error_line(capsys, "is not a gmm-pp comparison", match)
    assert str(folder) in line
    assert not (tmp_path / "r").exists()


def test_a_missing_comparison_fails_before_pymc_loads(tmp_path):
    code = (
        "import sys; from gmm_pp.cli import main; "
        f"c = main(['report', {str(tmp_path / 'nope')!r}]); "
        "print(c, 'pymc' in sys.modules, 'arviz' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["1", "False", "False"]
    assert "no comparison.json" in out.stderr and "Traceback" not in out.stderr


def test_a_csv_field_over_the_csv_limit_is_one_line(tmp_path, capsys):
    path = tmp_path / "big.csv"
    path.write_text("1,2\n3," + "9" * 140000 + "\n")
    assert main(["em", str(path), "-k", "1"]) == 1
    _one_error_line(capsys, "big.csv line 2", "field larger than field limit")


def test_usage_errors_exit_2(capsys):
    assert main(["teach"]) == 2
    _one_error_line(capsys, "LESSON")


def test_data_beyond_float64_is_one_line(tmp_path, data_2d, capsys):
    path = tmp_path / "huge.npy"
    np.save(path, data_2d * 1e154)
    assert main(["fit", str(path), "-k", "3", "--out", str(tmp_path / "out")]) == 1
    _one_error_line(capsys, "more than float64 variances can hold", "divide the data")
    assert not (tmp_path / "out").exists()


def test_faithful_is_labelled_by_its_column_names(faithful_page):
    """gmm-pp fit on the bundled faithful: eruptions and waiting label the table, the
    report's axes and the saved posterior."""
    import gmm_pp

    code, printed, out = faithful_page
    assert code == 0
    assert "mean[0,eruptions]" in printed and "mean[1,waiting]" in printed
    comp = gmm_pp.Comparison.load(out)
    assert comp.feature_names == ("eruptions", "waiting")
    assert comp.posterior["posterior"]["feature"].values.tolist() == ["eruptions", "waiting"]
    figures = json.loads((out / "report" / "data.json").read_text())["figures"]
    assert figures["axis_labels"] == ["eruptions", "waiting"]
    html = (out / "report" / "index.html").read_text()
    assert "mean[0,eruptions]" in html
    # the spherical model fits faithful poorly: the page warns, at the top, and says why
    warnings = html[html.index('id="warnings"') : html.index("Three fits of one model")]
    assert "The spherical model fits these data poorly" in warnings
    assert "circles cannot follow" in warnings


def test_em_prior_flag_fits_the_map(csv_file, data_2d, capsys):
    import em

    assert main(["em", str(csv_file), "-k", "3", "--prior", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    want = em.fit(data_2d, 3, prior=em.GMMPrior(), seed=0)
    assert summary["prior"]["variance_shape"] == 2.0
    assert np.allclose(summary["means"], want.params.means, rtol=1e-12)
    assert summary["objective"] == pytest.approx(want.objective, rel=1e-12)


def test_em_covariance_flag_fits_that_structure(capsys):
    import em
    from gmm_pp.datasets import load_dataset

    assert main(["em", "faithful", "-k", "3", "--covariance", "tied", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    want = em.fit(load_dataset("faithful"), 3, covariance="tied", seed=0)
    assert summary["covariance_type"] == "tied"
    assert np.allclose(summary["covariances"], want.params.covariances, rtol=1e-12)
    assert summary["bic"] == pytest.approx(2314.2964, abs=1e-3)  # mclust EEE,3: -2314.316
    assert main(["em", "faithful", "-k", "2", "--covariance", "full"]) == 0
    out = capsys.readouterr().out
    assert "full (VVV)" in out and "sd[eruptions]" in out


def test_select_writes_table_figures_and_page_and_resumes(tmp_path, capsys):
    out = tmp_path / "sel"
    argv = ["select", "faithful", "-k", "1:4", "--bayes", "none", "--engine", "serial",
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "BIC chose tied K = 3" in captured.out and "ICL prefers full K = 2" in captured.out
    for name in ("table.csv", "selection.json", "report/index.html", "report/criteria.png"):
        assert (out / name).is_file(), name
    page = (out / "report" / "index.html").read_text()
    assert "BIC chose tied K = 3" in page and "tied-K3" in page
    table = (out / "table.csv").read_text().splitlines()
    assert table[0].startswith("model,structure,mclust,k,bic_rank") and table[1].startswith(
        "tied-K3"
    )
    assert main(argv) == 0  # the same command again: resumed, nothing refitted
    assert "0 of 4 values of K to run (4 finished before)" in capsys.readouterr().err
    assert main([*argv[:-2], "--seed", "1", "--out", str(out)]) == 1  # another selection
    assert "holds a different selection" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "code", "match"),
    [
        (["-k", "3:1"], 2, "got an empty range '3:1'"),
        (["-k", "0:3"], 1, "k: expected integers >= 1, got 0"),
        (["-k", "1:400"], 1, "k: expected numbers of components at most the 272 data points"),
        (["--covariance", "oval"], 2, "expected all or a list of spherical, diag, tied, full"),
        (["--top", "0"], 1, "top: expected an integer >= 1"),
        (["--bayes", "some"], 2, "invalid choice: 'some'"),
    ],
)
def test_select_errors_are_one_line(tmp_path, capsys, args, code, match):
    out = tmp_path / "sel"
    assert main(["select", "faithful", "--out", str(out), *args]) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gmm-pp: error: ") and match in err[0], err
    assert not out.exists()


def test_fit_without_k_selects_then_compares(tmp_path, csv_file, capsys):
    out = tmp_path / "fit"
    argv = ["fit", str(csv_file), "--covariance", "spherical", "--draws", "200", "--tune", "200",
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "BIC chose spherical K = 3" in err
    assert "comparing EM, MAP and the posterior of spherical K = 3" in err
    for name in ("comparison.json", "report/index.html", "selection/index.html",
                 "selection/table.csv", "selection/criteria.png"):  # fmt: skip
        assert (out / name).is_file(), name
    saved = json.loads((out / "comparison.json").read_text())["mle"]
    assert saved["n_features"] == 2 and len(saved["restarts"][0]["weights"][0]) == 3
    page = (out / "selection" / "index.html").read_text()
    assert 'href="../report/index.html"' in page
    assert 'href="../selection/index.html"' in (out / "report" / "index.html").read_text()


def test_fit_with_one_k_takes_one_structure(tmp_path, csv_file, capsys):
    for given in ("all", "tied,full"):
        out = tmp_path / given
        assert (
            main(["fit", str(csv_file), "-k", "3", "--covariance", given, "--out", str(out)]) == 1
        )
        err = capsys.readouterr().err.strip().splitlines()
        assert (
            len(err) == 1 and f"--covariance: one K (3) takes one structure, got {given}" in err[0]
        )
        assert not out.exists()
