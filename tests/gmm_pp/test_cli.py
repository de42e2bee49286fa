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
    for word in ("weight", "mean[0]", "mean[1]", "variance", "log-likelihood", "BIC", "converged"):
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
    assert main(["em", str(csv_file), "-k", "3", "--max-iter", "2"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err and all(line.startswith("gmm-pp: warning: ") for line in err)
    assert any("did not converge" in line for line in err)


def test_help_texts_show_examples(capsys):
    for argv in (["--help"], ["em", "--help"], ["demo", "--help"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
        assert "example" in capsys.readouterr().out


def test_demo_writes_the_report(tmp_path, capsys):
    # n = 300 keeps the data shape of the session's compiled model.
    out = tmp_path / "demo"
    assert main(["demo", "--seed", "2", "-n", "300", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == str((out / "index.html").resolve())
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
    ]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "post_mean" in captured.out and "R-hat" in captured.out
    loaded = gmm_pp.Comparison.load(out)
    assert loaded.sampler.draws == 200 and loaded.seed == 5
    assert (out / "report" / "index.html").is_file()
    # Re-render without refitting, elsewhere.
    again = tmp_path / "again"
    assert main(["report", str(out), "--out", str(again)]) == 0
    assert capsys.readouterr().out.strip() == str((again / "index.html").resolve())
    assert (again / "fits.png").stat().st_size > 0
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
