"""`Selection`: the grid of models, each criterion's preference, and the posteriors fitted.

Lower is better for BIC, ICL and AIC (scikit-learn's sign: ``-2 loglik + penalty``;
mclust reports ``-BIC``, higher is better); higher is better for ``elpd_loo`` and the
stacking weight.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from em import GMMParams
from gmm_pp.diagnostics import RHAT_MAX
from gmm_pp.errors import GMMError
from gmm_pp.io import output_folder, write_atomic
from gmm_pp.loo import PARETO_K_BAD
from gmm_pp.selection.bayes import BAYES_COLUMNS, model_name, parse_model_name
from gmm_pp.selection.grid import GRID_COLUMNS

__all__ = [
    "CRITERIA",
    "DISPLAY_COLUMNS",
    "Selection",
    "SelectionFormatError",
    "bic_strength",
    "format_cell",
]

#: criterion column -> (label, "min" or "max").
CRITERIA = {
    "bic": ("BIC", "min"),
    "icl": ("ICL", "min"),
    "aic": ("AIC", "min"),
    "elpd_loo": ("PSIS-LOO", "max"),
    "stacking_weight": ("stacking", "max"),
}

_FORMAT = "gmm-pp selection 1"

#: The columns the page and the notebook show, in order (the table has more).
DISPLAY_COLUMNS = (
    "structure", "mclust", "k", "bic_rank", "log_likelihood", "n_parameters", "bic", "icl",
    "aic", "map_em_objective", "elpd_loo", "elpd_loo_se", "p_loo", "stacking_weight", "flags",
)  # fmt: skip


class SelectionFormatError(GMMError, ValueError):
    """A folder does not hold a selection written by :meth:`Selection.save`."""


def bic_strength(difference: float) -> str:
    """Kass and Raftery's (1995) words for a BIC difference between two models."""
    if difference > 10:
        return "very strong"
    if difference > 6:
        return "strong"
    if difference > 2:
        return "positive"
    return "weak"


def _label(structure: str, k: int) -> str:
    return f"{structure} K = {k}"


@dataclass
class Selection:
    """Models of several K and covariance structures, compared by BIC, ICL, AIC and LOO.

    Attributes
    ----------
    grid : DataFrame
        One row per (structure, K): EM's criteria (``GRID_COLUMNS``) and
        ``problems``.
    bayes : DataFrame
        One row per model whose posterior was fitted: ``structure``, ``k`` and
        ``BAYES_COLUMNS`` (may be empty).
    n_samples, n_features : int
    feature_names : tuple of str or None
    ks : tuple of int
    covariances : tuple of str
    bayes_mode : {"top", "all", "none"}
    top : int
    seed : int
        The root seed's entropy (``select(..., seed=seed)`` repeats the selection).
    comparisons : dict
        ``{model name: Comparison}`` of the posteriors fitted in this process
        (with a folder, each is also saved under ``models/<name>``).
    params : dict
        ``{model name: GMMParams}``: each row's MLE (see :meth:`fit`).
    directory : Path or None
        Where the selection was saved or loaded from.
    """

    grid: pd.DataFrame
    bayes: pd.DataFrame
    n_samples: int
    n_features: int
    feature_names: tuple[str, ...] | None
    ks: tuple[int, ...]
    covariances: tuple[str, ...]
    bayes_mode: str
    top: int
    seed: int
    comparisons: dict = field(default_factory=dict, repr=False)
    params: dict = field(default_factory=dict, repr=False)
    directory: Path | None = None

    # -- what the criteria prefer -------------------------------------------------
    def usable(self) -> pd.DataFrame:
        """The grid's rows that may be chosen: not degenerate, not spurious, finite BIC."""
        g = self.grid
        return g[~g["degenerate"] & ~g["spurious"] & np.isfinite(g["bic"])]

    def table(self) -> pd.DataFrame:
        """Every model, best BIC first: EM's criteria and, where fitted, the posterior's.

        Returns
        -------
        DataFrame
            Indexed by model name (``"tied-K3"``); ``bic_rank`` 1 is the BIC's choice.
        """
        t = self.grid.copy()
        t.index = [model_name(s, k) for s, k in zip(t["structure"], t["k"], strict=True)]
        if not self.bayes.empty:
            b = self.bayes.copy()
            b.index = [model_name(s, k) for s, k in zip(b["structure"], b["k"], strict=True)]
            t = t.join(b[list(BAYES_COLUMNS)])
        else:
            for column in BAYES_COLUMNS:
                t[column] = np.nan
        t = t.sort_values(["bic", "k"], kind="stable")
        t.insert(3, "bic_rank", np.arange(1, len(t) + 1))
        t.index.name = "model"
        return t

    def preferred(self) -> dict[str, str | None]:
        """The model each criterion prefers, by name (None when none was computed).

        BIC, ICL and AIC choose among the usable rows (:meth:`usable`); LOO and
        stacking among the posteriors fitted.
        """
        out: dict[str, str | None] = {}
        usable = self.usable()
        for column, (_, how) in CRITERIA.items():
            frame = usable if column in ("bic", "icl", "aic") else self.bayes
            if frame.empty or column not in frame or not np.isfinite(frame[column]).any():
                out[column] = None
                continue
            values = frame[column].to_numpy(dtype=float)
            i = int(np.nanargmin(values) if how == "min" else np.nanargmax(values))
            row = frame.iloc[i]
            out[column] = model_name(row["structure"], int(row["k"]))
        return out

    @property
    def chosen(self) -> tuple[str, int]:
        """The BIC's choice (mclust's), as ``(structure, K)``.

        Raises
        ------
        GMMError
            When no model of the grid could be fitted without a degenerate or
            spurious component.
        """
        usable = self.usable()
        if usable.empty:
            raise GMMError(
                "select: no model of the grid was fitted without a degenerate or spurious "
                "component; try fewer components or a prior"
            )
        row = usable.iloc[int(np.argmin(usable["bic"].to_numpy()))]
        return str(row["structure"]), int(row["k"])

    def _row(self, name: str) -> pd.Series:
        return self.table().loc[name]

    def reason(self) -> str:
        """Why the BIC chose its model, with the numbers."""
        structure, k = self.chosen
        usable = self.usable().sort_values("bic", kind="stable")
        best = usable.iloc[0]
        text = (
            f"BIC chose {_label(structure, k)} (mclust's {best['mclust']}, "
            f"{int(best['n_parameters'])} parameters): BIC {best['bic']:.1f} "
            f"(mclust's sign: {-best['bic']:.1f})"
        )
        if len(usable) > 1:
            runner = usable.iloc[1]
            gap = float(runner["bic"] - best["bic"])
            text += (
                f", {gap:.1f} below the next, {_label(runner['structure'], int(runner['k']))}: "
                f"{bic_strength(gap)} evidence on Kass and Raftery's scale"
            )
        left = len(self.grid) - len(usable)
        if left:
            text += f"; {left} of {len(self.grid)} fits set aside (degenerate or spurious)"
        return text + "."

    def agreement(self) -> str:
        """One sentence: whether the criteria agree, and why they differ where they do."""
        pref = self.preferred()
        names = {c: n for c, n in pref.items() if n is not None}
        if not names:
            return "No criterion could be computed."
        groups: dict[str, list[str]] = {}
        for column, name in names.items():
            groups.setdefault(name, []).append(CRITERIA[column][0])
        if len(groups) == 1:
            (name,) = groups
            return f"{_join(groups[name])} all prefer {_pretty(name)}."
        parts = [
            f"{_join(labels)} prefer{'s' if len(labels) == 1 else ''} {_pretty(name)}"
            for name, labels in groups.items()
        ]
        why = []
        t = self.table()
        bic = names.get("bic")
        if names.get("icl") not in (None, bic) and bic is not None:
            a, b = t.loc[bic], t.loc[names["icl"]]
            why.append(
                "ICL adds twice the classification entropy to BIC, so it prefers fewer, "
                f"better separated components (entropy term {a['icl'] - a['bic']:.1f} for "
                f"{_pretty(bic)} against {b['icl'] - b['bic']:.1f})"
            )
        if names.get("aic") not in (None, bic) and bic is not None:
            why.append(
                f"AIC charges 2 per parameter where BIC charges log n = "
                f"{math.log(self.n_samples):.1f}, so it keeps more components"
            )
        loo = names.get("elpd_loo")
        if loo not in (None, bic) and bic is not None:
            if bic in t.index and np.isfinite(t.loc[bic, "elpd_loo"]):
                diff, se = float(t.loc[bic, "elpd_diff"]), float(t.loc[bic, "elpd_diff_se"])
                why.append(
                    f"LOO judges how well each posterior predicts a left-out point: "
                    f"{_pretty(bic)} predicts {-diff:.1f} worse in elpd (SE {se:.1f}), "
                    + (
                        "a difference within two SEs, so the data cannot tell them apart"
                        if -diff < 2 * se
                        else "more than two SEs"
                    )
                )
            else:
                why.append(
                    f"LOO compared only the posteriors fitted ({', '.join(self.bayes_names())})"
                )
        if loo is not None and loo in t.index and t.loc[loo, "rhat_max"] > RHAT_MAX:
            why.append(
                f"{_pretty(loo)}'s posterior has R-hat {t.loc[loo, 'rhat_max']:.2f} > "
                f"{RHAT_MAX}, so its LOO is uncertain too (a sign of more components than "
                "the data identify)"
            )
        return "; ".join(parts) + ("; " + "; ".join(why) if why else "") + "."

    def bayes_names(self) -> list[str]:
        """The names of the models whose posterior was fitted."""
        return [
            model_name(s, k) for s, k in zip(self.bayes["structure"], self.bayes["k"], strict=True)
        ]

    def warnings(self) -> list[str]:
        """What a reader must know: fits set aside, LOO's and the sampler's warnings."""
        out = []
        for _, row in self.grid.iterrows():
            if row["flags"]:
                out.append(f"{model_name(row['structure'], row['k'])}: EM estimate {row['flags']}")
        for _, row in self.bayes.iterrows():
            name = model_name(row["structure"], row["k"])
            if row["pareto_k_over_0_7"]:
                out.append(
                    f"{name}: {int(row['pareto_k_over_0_7'])} of the {int(row['loo_points'])} "
                    f"points where PSIS-LOO was computed have Pareto k > {PARETO_K_BAD}, so it "
                    "is unreliable for them"
                )
            if row["posterior_warnings"]:
                out.append(f"{name}: {row['posterior_warnings']}")
        return out

    def summary(self) -> str:
        """A one-screen text summary."""
        t = self.table()
        cols = ["log_likelihood", "n_parameters", "bic", "icl", "aic", "elpd_loo", "flags"]
        shown = t[cols].head(10).to_string(float_format=lambda v: f"{v:.1f}")
        lines = [
            f"model selection: n = {self.n_samples}, d = {self.n_features}, "
            f"K in {_ks(self.ks)}, {', '.join(self.covariances)}; {len(t)} models, "
            f"{len(self.bayes)} posteriors",
            self.reason(),
            self.agreement(),
            "best 10 by BIC (lower is better; elpd_loo: higher is better):",
            shown,
        ]
        lines += [f"warning: {w}" for w in self.warnings()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        try:
            chosen = model_name(*self.chosen)
        except GMMError:
            chosen = None
        return (
            f"Selection(n={self.n_samples}, d={self.n_features}, models={len(self.grid)}, "
            f"posteriors={len(self.bayes)}, chosen={chosen!r})"
        )

    def _repr_html_(self) -> str:
        t = self.table()
        cols = list(DISPLAY_COLUMNS)
        head = "".join(f"<th>{escape(c)}</th>" for c in ["model", *cols])
        body = "".join(
            "<tr>"
            + f"<td>{escape(name)}</td>"
            + "".join(f"<td>{escape(format_cell(row[c]))}</td>" for c in cols)
            + "</tr>"
            for name, row in t.iterrows()
        )
        notes = "".join(f"<li>{escape(w)}</li>" for w in self.warnings())
        return (
            f"<div><strong>Selection</strong>: {escape(self.reason())} "
            f"{escape(self.agreement())}"
            + (f'<ul style="color:#b00">{notes}</ul>' if notes else "")
            + f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        )

    # -- files -------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain values, for JSON."""
        return {
            "format": _FORMAT,
            "n_samples": self.n_samples,
            "n_features": self.n_features,
            "feature_names": None if self.feature_names is None else list(self.feature_names),
            "ks": list(self.ks),
            "covariances": list(self.covariances),
            "bayes_mode": self.bayes_mode,
            "top": self.top,
            "seed": self.seed,
            "preferred": self.preferred(),
            "agreement": self.agreement(),
            "grid": json.loads(self.grid.to_json(orient="records")),
            "params": {name: p.to_dict() for name, p in self.params.items()},
            "bayes": json.loads(self.bayes.to_json(orient="records")),
        }

    def write_files(self, folder: str | Path) -> None:
        """``selection.json`` (everything) and ``table.csv`` (:meth:`table`) into ``folder``."""
        folder = Path(folder)
        write_atomic(folder / "selection.json", json.dumps(self.to_dict(), indent=1))
        write_atomic(folder / "table.csv", self.table().to_csv())

    def save(self, directory: str | Path, *, overwrite: bool = False) -> Path:
        """Write the selection to ``directory``, all of it or nothing (see :mod:`gmm_pp.io`).

        ``selection.json`` and ``table.csv``: the grid, the LOO rows and each row's MLE.
        The posteriors themselves are saved by ``select(..., out=DIR)`` as they finish
        (``DIR/models/<name>``), or one by one with ``comparison(name).save(...)``.
        """
        with output_folder(
            directory, overwrite=overwrite, name="directory", hint="pass overwrite=True"
        ) as tmp:
            self.write_files(tmp)
        self.directory = Path(directory)
        return self.directory

    @classmethod
    def load(cls, directory: str | Path) -> Selection:
        """Read a selection written by :meth:`save` or ``gmm-pp select --out``.

        Raises
        ------
        SelectionFormatError
            When the folder holds no selection, or an altered one.
        """
        directory = Path(directory)
        path = directory / "selection.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SelectionFormatError(
                f"directory: no selection.json in {str(directory)!r}; point to a folder "
                "written by Selection.save or 'gmm-pp select --out'"
            ) from None
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise SelectionFormatError(f"directory: {path} is not readable JSON ({exc})") from None
        if not isinstance(raw, dict) or raw.get("format") != _FORMAT:
            raise SelectionFormatError(
                f"directory: {path} is not a gmm-pp selection (expected format {_FORMAT!r})"
            )
        try:
            grid = pd.DataFrame(raw["grid"], columns=[*GRID_COLUMNS, "problems"])
            bayes = pd.DataFrame(raw["bayes"], columns=["structure", "k", *BAYES_COLUMNS])
            for column in ("converged", "degenerate", "spurious"):
                grid[column] = grid[column].astype(bool)
            for frame in (grid, bayes):
                frame[["structure"]] = frame[["structure"]].astype(str)
                frame["k"] = frame["k"].astype(int)
            bayes["posterior_warnings"] = bayes["posterior_warnings"].fillna("").astype(str)
            grid["flags"] = grid["flags"].fillna("").astype(str)
            grid["problems"] = grid["problems"].fillna("").astype(str)
            names = raw["feature_names"]
            return cls(
                grid=grid,
                bayes=bayes,
                n_samples=int(raw["n_samples"]),
                n_features=int(raw["n_features"]),
                feature_names=None if names is None else tuple(names),
                ks=tuple(int(k) for k in raw["ks"]),
                covariances=tuple(raw["covariances"]),
                bayes_mode=str(raw["bayes_mode"]),
                top=int(raw["top"]),
                seed=int(raw["seed"]),
                params={name: GMMParams.from_dict(p) for name, p in raw["params"].items()},
                directory=directory,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SelectionFormatError(
                f"directory: {path} lacks or alters a field of a selection ({exc})"
            ) from None

    def fit(self, name: str | None = None):
        """The MLE of a model of the grid (``"tied-K3"``; default the BIC's choice).

        Returns
        -------
        GMMParams
        """
        name = model_name(*self.chosen) if name is None else name
        if name not in self.params:
            raise GMMError(
                f"name: no model {name!r} in the grid; expected one of "
                f"{', '.join(self.params) or 'none (an older selection file)'}"
            )
        return self.params[name]

    def comparison(self, name: str):
        """The comparison of a fitted model (``"tied-K3"``), from memory or ``models/<name>``."""
        if name in self.comparisons:
            return self.comparisons[name]
        if name not in self.bayes_names():
            raise GMMError(
                f"name: no posterior was fitted for {name!r}; fitted: "
                f"{', '.join(self.bayes_names()) or 'none'}"
            )
        if self.directory is None:
            raise GMMError(f"name: the comparison of {name!r} is neither in memory nor saved")
        from gmm_pp.comparison import Comparison

        comparison = Comparison.load(self.directory / "models" / name)
        self.comparisons[name] = comparison
        return comparison


def _pretty(name: str) -> str:
    return _label(*parse_model_name(name))


def _join(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _ks(ks) -> str:
    ks = list(ks)
    if ks == list(range(ks[0], ks[-1] + 1)) and len(ks) > 2:
        return f"{ks[0]}..{ks[-1]}"
    return "{" + ", ".join(map(str, ks)) + "}"


def format_cell(value) -> str:
    """A table cell as the page and the notebook show it: booleans as "yes"/"", NaN empty."""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else ""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return ""
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)
