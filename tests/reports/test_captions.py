"""Every claim of the report's captions, checked against the figure data, both ways.

Each test takes the figure data of a synthetic comparison (as ``data.json`` holds
it), recomputes a claim's numbers here from the raw arrays, and checks that the
caption states them; then it changes the numbers so the claim turns false and
checks that the caption turns with it.
"""

import copy
import re

import numpy as np
import pytest

from reports.captions import COINCIDE_SD, misfit_warning, report_captions
from reports.figdata import figure_data


@pytest.fixture(scope="module")
def data(make_synthetic):
    return figure_data(make_synthetic(2, k=2)).to_json()


def _number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in {text!r}"
    return float(match.group(1))


def _distances(params, key):
    """The largest |estimate - posterior mean| / posterior sd, recomputed here."""
    varied = [p for p in params if p["post_sd"] > 0]
    return max(abs(p[key] - p["post_mean"]) / p["post_sd"] for p in varied)


def _with_estimates(data, em_sd, map_sd):
    """The data with EM ``em_sd`` and both MAPs ``map_sd`` posterior sds off every mean."""
    out = copy.deepcopy(data)
    for p in out["parameters"]:
        p["em"] = p["post_mean"] + em_sd * p["post_sd"]
        p["map_em"] = p["map_pymc"] = p["post_mean"] + map_sd * p["post_sd"]
    for name, key in (("EM (MLE)", "em"), ("MAP-EM", "map_em"), ("PyMC MAP", "map_pymc")):
        out["fit_distances"][name]["max_sd"] = _distances(out["parameters"], key)
    return out


def test_fits_caption_states_the_distances(data):
    text = report_captions(data)["fits"][1]
    for name, key in (("EM \\(MLE\\)", "em"), ("MAP-EM", "map_em"), ("PyMC MAP", "map_pymc")):
        said = _number(name + r" (\d+\.\d+)", text)
        assert said == pytest.approx(_distances(data["parameters"], key), abs=0.006)
    truth = max(
        abs(p["truth"] - p["post_mean"]) / p["post_sd"] for p in data["parameters"] if p["post_sd"]
    )
    assert _number(r"The truth is up to (\d+\.\d+)", text) == pytest.approx(truth, abs=0.006)


def test_fits_coincide_or_differ_both_ways(data):
    close = report_captions(_with_estimates(data, 0.1, 0.2))["fits"][1]
    assert "the fits coincide" in close and "differ visibly" not in close
    far = report_captions(_with_estimates(data, 2.0, 0.2))["fits"][1]
    assert "differ visibly" in far and "coincide" not in far
    assert _number(r"EM \(MLE\) is (\d+\.\d+) sd away", far) == pytest.approx(2.0, abs=0.006)
    assert COINCIDE_SD == 0.5


def test_loglik_caption_both_ways(data):
    text = report_captions(data)["loglik"][1]
    best = np.asarray(data["em_restarts"][data["em_best"]]["log_likelihood"])
    assert np.all(np.diff(best) >= 0)
    assert f"never decreased over the chosen restart's {best.size - 1} iterations" in text
    draws = np.asarray(data["draw_log_likelihood"]).ravel()
    gap = np.median(data["em_max"] - draws)
    assert _number(r"median (\d+\.\d+) below", text) == pytest.approx(gap, abs=0.006)
    assert f"p/2 = {data['n_parameters'] / 2:g}" in text
    assert "No draw lies above it" in text and np.all(draws <= data["em_max"])
    # a decrease, a restart stopped lower, draws above the maximum: each said
    bad = copy.deepcopy(data)
    ll = bad["em_restarts"][bad["em_best"]]["log_likelihood"]
    ll[2] = ll[1] - 5.0
    others = [i for i in range(len(bad["em_restarts"])) if i != bad["em_best"]]
    for i in others:
        bad["em_restarts"][i]["log_likelihood"][-1] = bad["em_max"] - 10.0
    bad["draw_log_likelihood"][0][0] = bad["em_max"] + 1.0
    text = report_captions(bad)["loglik"][1]
    assert "decreased at iteration 2, by 5" in text and "never decreased" not in text
    assert len(others) >= 2  # the synthetic fit restarts: every branch below is taken
    assert f"0 reached the same maximum and {len(others)} stopped lower" in text
    higher = copy.deepcopy(bad)
    higher["em_restarts"][others[0]]["log_likelihood"][-1] = bad["em_max"] + 3.0
    said = report_captions(higher)["loglik"][1]
    assert f"{len(others) - 1} stopped lower and 1 ended higher, at maxima set aside" in said
    assert "1 of" in text and "lie above EM's maximum" in text


def test_parameters_caption_both_ways(data):
    text = report_captions(data)["parameters"][1]
    ratios = [p["post_iqr"] / p["prior"]["iqr"] for p in data["parameters"] if p["prior"]["iqr"]]
    assert _number(r"range is (\d+\.?\d*)%", text) == pytest.approx(100 * min(ratios), rel=0.05)
    inside = sum(p["lower"] <= p["truth"] <= p["upper"] for p in data["parameters"])
    assert f"contain the truth for {inside} of {len(data['parameters'])}" in text
    verdict = "the data, not the prior, set every posterior" in text
    assert verdict == (max(ratios) < 0.2)
    wide = copy.deepcopy(data)
    wide["parameters"][0]["prior"]["iqr"] = wide["parameters"][0]["post_iqr"] * 1.5
    text = report_captions(wide)["parameters"][1]
    assert f"for {wide['parameters'][0]['name']} the posterior is not much narrower" in text
    assert "set every posterior" not in text
    narrow = copy.deepcopy(data)
    for p in narrow["parameters"]:
        p["prior"]["iqr"] = p["post_iqr"] * 20
    assert "set every posterior" in report_captions(narrow)["parameters"][1]


def test_trajectories_caption_both_ways(data):
    text = report_captions(data)["trajectories"][1]
    tr = data["trajectories"]
    assert f"took {tr['chosen']['n_iter']} iterations" in text
    assert f"EM took {tr['poor']['n_iter']} iterations" in text
    away = copy.deepcopy(data)
    away["trajectories"]["first_step"] = [2.0, 0.1]
    away["trajectories"]["start_to_end"] = [0.5, 0.1]
    assert "yet 2 in the first step" in report_captions(away)["trajectories"][1]
    straight = copy.deepcopy(data)
    straight["trajectories"]["first_step"] = [0.1, 0.1]
    straight["trajectories"]["start_to_end"] = [0.5, 0.1]
    assert "first step" not in report_captions(straight)["trajectories"][1]
    for end, said in ((0.0, "the same maximum"), (-3.0, "a lower local maximum (3.00 below)"),
                      (2.0, "2.00 above the chosen fit's")):  # fmt: skip
        other = copy.deepcopy(data)
        other["trajectories"]["poor"]["log_likelihood"][-1] = (
            other["trajectories"]["max_log_likelihood"] + end
        )
        assert said in report_captions(other)["trajectories"][1]


def test_offsets_caption_both_ways(data):
    text = report_captions(data)["offsets"][1]
    em_ = np.asarray(data["offsets"]["fits"]["EM (MLE)"])
    map_ = np.asarray(data["offsets"]["fits"]["MAP-EM"])
    said = _number(r"MAP-EM and EM differ by up to (\d+\.\d+) sd", text)
    assert said == pytest.approx(np.max(np.abs(map_ - em_)), abs=0.006)
    inside = copy.deepcopy(data)
    for name in ("EM (MLE)", "MAP-EM", "PyMC MAP"):
        inside["offsets"]["fits"][name] = [0.1] * len(inside["offsets"]["parameters"])
    assert "Every estimate lies within 1 posterior sd" in report_captions(inside)["offsets"][1]
    outside = copy.deepcopy(inside)
    outside["offsets"]["fits"]["EM (MLE)"][0] = 1.5
    text = report_captions(outside)["offsets"][1]
    n = len(outside["offsets"]["parameters"])
    assert f"(EM (MLE) on 1 of {n} parameters)" in text and "Every estimate" not in text


def test_assignments_caption(data):
    text = report_captions(data)["assignments"][1]
    a = data["assignments"]
    differ = int(np.sum(np.asarray(a["EM"]["label"]) != np.asarray(a["posterior"]["label"])))
    assert f"{differ} of {len(a['EM']['label'])} points change component" in text
    unsure = int(np.sum(np.asarray(a["EM"]["uncertainty"]) > 0.2))
    assert f"{unsure} (EM)" in text


def test_diagnostics_caption_both_ways(data):
    text = report_captions(data)["diagnostics"][1]
    rhat = max(data["diagnostics"]["rhat"])
    assert _number(r"largest R-hat is (\d+\.\d+)", text) == pytest.approx(rhat, abs=5e-4)
    assert ("below the limit" in text) == (rhat < 1.01)
    bad = copy.deepcopy(data)
    bad["diagnostics"]["rhat"][0] = 1.2
    bad["diagnostics"]["ess_bulk"][0] = 12.0
    text = report_captions(bad)["diagnostics"][1]
    assert "is 1.200" in text and "above the limit" in text
    assert "smallest ESS is 12" in text and "too few" in text


def test_goodness_caption_and_warning_both_ways(data):
    gof = data["goodness_of_fit"]
    text = report_captions(data)["goodness"][1]
    assert f"{gof['statistic']:.3f}" in text
    assert gof["poor"] == (gof["pvalue"] < 0.01)
    assert ("fits these data poorly" in text) == gof["poor"]
    assert (misfit_warning(data) is None) == (not gof["poor"])


def test_the_pages_own_sentences_both_ways(data):
    from reports.captions import map_agreement, summary_sentence

    text = summary_sentence(data)
    em_gap = _distances(data["parameters"], "em")
    said = _number(r"differ by at most (\d+\.\d+) posterior", text)
    assert said == pytest.approx(em_gap, abs=0.006)
    sds = [p["post_sd"] for p in data["parameters"]]
    assert f"typical sd is {np.median(sds):.3g}" in text
    inside = sum(p["lower"] <= p["truth"] <= p["upper"] for p in data["parameters"])
    assert f"contain the truth for {inside} of" in text
    off = data["offsets"]["fits"]
    gap = np.max(np.abs(np.asarray(off["PyMC MAP"]) - np.asarray(off["MAP-EM"])))
    assert ("they agree" in map_agreement(data)) == (gap < 0.01)
    apart = copy.deepcopy(data)
    apart["offsets"]["fits"]["PyMC MAP"][0] += 0.5
    said = map_agreement(apart)
    assert "they differ" in said and _number(r"at most (\d+\.?\d*)", said) >= 0.5 - gap
    together = copy.deepcopy(data)
    together["offsets"]["fits"]["PyMC MAP"] = list(together["offsets"]["fits"]["MAP-EM"])
    assert "they agree" in map_agreement(together)
