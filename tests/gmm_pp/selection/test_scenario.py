"""Model-selection scenarios: their TOML, recovery rates on known answers, a small study."""

import numpy as np
import pandas as pd
import pytest

from gmm_pp.study import StudyConfigError, load_config, run_study
from gmm_pp.study.metrics import recovery


def _config(select, n=500, replications=8, covariance="tied"):
    return load_config({
        "study": {"replications": replications, "seed": 3},
        "scenario": [{"name": "tied3", "n": n, "k": 3, "d": 2, "covariance": covariance,
                      "separation": 3.0, "select": select}],
    })  # fmt: skip


@pytest.mark.parametrize(
    ("select", "match"),
    [
        ({"k": []}, r"select: 'k': expected a non-empty list of integers >= 1"),
        ({"k": [0, 2]}, r"select: 'k': expected a non-empty list"),
        ({"colour": 1}, r"select: unknown keys \['colour'\]"),
        ({"covariance": ["oval"]}, r"select: 'covariance': expected \"all\" or a list"),
        ({"bayes": "some"}, r"select: 'bayes': expected none, top or all"),
        ({"top": 0}, r"select: 'top'"),
        ({"k": [2, 600]}, r"select: 'k' goes up to 600, not below 'n' \(500\)"),
        ("yes", r"'select': expected a table"),
    ],
)
def test_bad_select_tables_are_named(select, match):
    with pytest.raises(StudyConfigError, match=match):
        _config(select)


def test_recovery_rates_on_known_answers():
    rows = []
    for r in range(10):
        rows.append({"scenario": "s", "n": 100, "k": 3, "d": 2, "truth_mode": "fixed",
                     "error": "", "truth_model": "tied-K3",
                     "correct_bic": float(r < 8), "correct_k_bic": float(r < 9),
                     "correct_elpd_loo": np.nan, "correct_k_elpd_loo": np.nan})  # fmt: skip
    rows.append({**rows[0], "error": "boom", "correct_bic": 0.0})  # failed: not counted
    table = recovery(pd.DataFrame(rows))
    (bic,) = table.to_dict("records")  # LOO was never computed: no row
    assert bic["criterion"] == "bic" and bic["replications"] == 10
    assert bic["rate"] == 0.8 and bic["mcse"] == pytest.approx(np.sqrt(0.8 * 0.2 / 10))
    assert bic["rate_k"] == 0.9
    assert recovery(pd.DataFrame([{"scenario": "s", "error": ""}])).empty


def test_bic_recovers_a_tied_three_component_mixture_at_n_500(tmp_path):
    """The CI sample of the benchmark (benchmarks/bench_select.py study): 4 replications."""
    cfg = _config({"k": [2, 3, 4], "covariance": "all"}, replications=4)
    result = run_study(cfg, tmp_path / "study", engine="serial", progress=False)
    reps = result.replications
    assert (reps["error"].fillna("") == "").all() and (reps["truth_model"] == "tied-K3").all()
    (bic,) = [r for r in result.summary["recovery"] if r["criterion"] == "bic"]
    assert bic["replications"] == 4 and bic["rate"] > 0.5  # "in most replications"
    assert bic["rate"] == pytest.approx(reps["correct_bic"].mean())
    assert "bic chose the true model tied-K3" in result.text()
    from reports.study import write_study_report

    index = write_study_report(result, tmp_path / "report")
    html = index.read_text()
    assert 'id="recovery"' in html and (index.parent / "recovery.png").stat().st_size > 5000
