"""The selection page: figures on their artists, captions true to their numbers, the page."""

import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from gmm_pp.selection import Selection
from gmm_pp.selection.bayes import BAYES_COLUMNS
from gmm_pp.selection.grid import GRID_COLUMNS
from reports.selection import selection_captions, selection_figure_data, write_selection_report
from reports.selection_plots import plot_criteria, plot_loo
from reports.style import STRUCTURES


def _row(structure, k, loglik, p, n=200, entropy=0.0, flags=""):
    bic = -2 * loglik + p * np.log(n)
    return {
        "structure": structure, "mclust": {"spherical": "VII", "full": "VVV"}[structure],
        "k": k, "n_parameters": p, "log_likelihood": loglik, "bic": bic,
        "icl": bic + 2 * entropy, "aic": -2 * loglik + 2 * p, "map_em_objective": loglik - 3,
        "converged": True, "degenerate": flags == "degenerate", "spurious": flags == "spurious",
        "flags": flags, "problems": "",
    }  # fmt: skip


def _bayes(structure, k, elpd, se, diff, dse, weight, bad=0, rhat=1.001):
    return {
        "structure": structure, "k": k, "elpd_loo": elpd, "elpd_loo_se": se, "p_loo": 5.0,
        "pareto_k_over_0_7": bad, "elpd_diff": diff, "elpd_diff_se": dse,
        "stacking_weight": weight, "rhat_max": rhat, "ess_bulk_min": 900.0, "divergences": 0,
        "posterior_warnings": "",
    }  # fmt: skip


def synthetic(*, icl_entropy=(0.0, 0.0), loo_close=True, bad=0, spurious_k3=False):
    """A selection whose every claim is known: BIC prefers spherical K = 2."""
    grid = pd.DataFrame(
        [_row("spherical", 1, -520.0, 3), _row("spherical", 2, -450.0, 7, entropy=icl_entropy[0]),
         _row("spherical", 3, -447.0, 11, entropy=icl_entropy[1],
              flags="spurious" if spurious_k3 else ""),
         _row("full", 1, -500.0, 5), _row("full", 2, -446.0, 11, entropy=5.0)],
        columns=[*GRID_COLUMNS, "problems"],
    )  # fmt: skip
    diff = -1.0 if loo_close else -30.0
    bayes = pd.DataFrame(
        [_bayes("spherical", 2, -460.0, 10.0, 0.0, 0.0, 0.8, bad=bad),
         _bayes("full", 2, -460.0 + diff, 10.0, diff, 3.0, 0.2)],
        columns=["structure", "k", *BAYES_COLUMNS],
    )  # fmt: skip
    return Selection(grid, bayes, 200, 2, ("x", "y"), (1, 2, 3), ("spherical", "full"), "top",
                     2, 7)  # fmt: skip


def test_choices_and_sentences_follow_the_numbers():
    sel = synthetic()
    assert sel.chosen == ("spherical", 2)
    assert sel.preferred()["bic"] == "spherical-K2" == sel.preferred()["elpd_loo"]
    assert "strong" in sel.reason() or "positive" in sel.reason()
    disagree = synthetic(icl_entropy=(60.0, 0.0))  # K = 2's classification is unclear
    assert disagree.preferred()["icl"] != "spherical-K2"
    assert "ICL adds twice the classification entropy" in disagree.agreement()
    # a spurious fit is never chosen, whatever its BIC
    cheat = synthetic(spurious_k3=True)
    cheat.grid.loc[2, "bic"] = 1.0
    assert cheat.chosen == ("spherical", 2) and "1 of 5 fits set aside" in cheat.reason()


def test_captions_are_true_both_ways():
    data = selection_figure_data(synthetic())
    title, text = selection_captions(data)["criteria"]
    assert "is at spherical K = 2" in text and "ICL's is at the same model" in text
    assert "rises with K for every structure" in text
    falls = selection_figure_data(synthetic())
    falls["criteria"][2]["log_likelihood"] = -460.0  # K = 3 below K = 2
    assert "does not rise with K" in selection_captions(falls)["criteria"][1]
    close = selection_captions(data)["loo"][1]
    assert "within 2 SE of its difference: full-K2" in close
    assert "Every Pareto k is at most 0.7" in close
    far = selection_captions(selection_figure_data(synthetic(loo_close=False, bad=3)))["loo"][1]
    assert "more than 2 SE of the difference behind" in far
    assert "Pareto k > 0.7 (LOO unreliable at some points) for spherical-K2" in far


def test_criteria_figure_draws_every_structure_in_its_style():
    data = selection_figure_data(synthetic(spurious_k3=True))
    fig, axes = plot_criteria(data["criteria"], data["chosen"])
    assert axes.shape == (2, 2)
    ax = axes[0, 0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    for structure in ("spherical", "full"):
        assert lines[structure].get_color() == STRUCTURES[structure][0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["spherical", "full", "chosen: spherical K = 2"]
    # the spurious fit is drawn open
    open_markers = [line for line in ax.get_lines() if line.get_markerfacecolor() == "white"]
    assert [list(line.get_xdata()) for line in open_markers] == [[3], []]
    low, high = axes[1, 0].get_ylim()
    best = min(r["bic"] for r in data["criteria"])
    assert low < best < high


def test_loo_figure_shows_each_posterior_and_its_weight():
    data = selection_figure_data(synthetic())
    fig, ax = plot_loo(data["loo"])
    ticks = {t.get_position()[1]: t.get_text() for t in ax.get_yticklabels()}
    # the best elpd on top
    assert [ticks[y] for y in sorted(ticks, reverse=True)] == [
        "spherical-K2  (weight 0.80)", "full-K2  (weight 0.20)"]  # fmt: skip
    assert len(ax.containers) == 3  # two elpd bars and one difference bar


def _browser():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def test_the_page(tmp_path):
    sel = synthetic()
    index = write_selection_report(sel, tmp_path / "page", links={"spherical-K2": "../m/x.html"})
    html = index.read_text()
    assert sel.reason() in html.replace("&#39;", "'")
    assert 'href="../m/x.html"' in html
    for name in ("criteria", "loo"):
        assert f'id="{name}"' in html and (index.parent / f"{name}.png").stat().st_size > 5000
    data = json.loads((index.parent / "data.json").read_text())
    assert data["chosen"]["bic"] == {"structure": "spherical", "k": 2}
    if _browser() is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    cmd = [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000",
           "--dump-dom", index.as_uri()]  # fmt: skip
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    assert 'data-image-count="2"' in dom and 'data-images-ok="true"' in dom, dom[:300]
