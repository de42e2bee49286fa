"""The ``gmm-pp`` argument parser: every command, its flags, its help and examples.

Flags that set a config record (the prior, the sampler) are made from the record's
own fields (:func:`add_fields`), so a default lives in one place.
"""

from __future__ import annotations

import argparse
import dataclasses

import em
from em.starts import KINDS
from gmm_pp import __version__
from gmm_pp.config import SamplerConfig
from gmm_pp.datasets import DATASETS

__all__ = [
    "OUTPUT_POLICY",
    "PRIOR_FLAGS",
    "SAMPLER_FLAGS",
    "UsageError",
    "build_parser",
    "from_fields",
    "parse_covariances",
    "parse_k",
]


OUTPUT_POLICY = (
    "output: a new or empty folder; an existing non-empty one only with --overwrite, "
    "never one holding the input. Written completely or not at all (a temporary folder "
    "beside it, renamed into place): Ctrl-C or a kill leaves earlier results intact."
)


class UsageError(Exception):
    """A command line that does not parse (exit code 2), in one line."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, raised rather than printed."""

    def error(self, message: str):  # noqa: D102
        raise UsageError(f"{message} (see '{self.prog} --help')")


FIT_EXAMPLES = """\
examples:
  gmm-pp fit data.csv -k 3 --out fits/data
  gmm-pp fit faithful --out fits/faithful        # K and the structure chosen by BIC first
  gmm-pp fit faithful -k 1:5 --covariance tied --out fits/faithful-tied
  gmm-pp fit faithful -k 2 --draws 2000 --seed 1 --out fits/faithful
  gmm-pp fit data.npy -k 2 --weight-concentration 2 --target-accept 0.95 --out fits/run2
  gmm-pp fit data.csv -k 3 --out fits/data --overwrite     # replace an earlier run
  gmm-pp fit faithful -k 3 --covariance tied --out fits/faithful-eee
  gmm-pp fit big.npy -k 3 --out fits/big --pointwise-loglik   # keep draws x n for ArviZ

"""


SELECT_EXAMPLES = """\
examples:
  gmm-pp select faithful --out sel/faithful
  gmm-pp select data.csv -k 1:6 --covariance tied,full --bayes all --out sel/data
  gmm-pp select faithful --bayes none --out sel/em-only      # BIC, ICL, AIC only (seconds)
  gmm-pp select big.csv --engine dask --address tcp://scheduler:8786 --out sel/big

Rerunning the same command resumes: finished K (DIR/parts) and posteriors
(DIR/models/NAME) are kept. DIR/table.csv and DIR/selection.json hold the table,
DIR/report/index.html the page, DIR/models/NAME/report/ each posterior's report.
BIC, ICL, AIC: lower is better (mclust reports the negatives); elpd_loo: higher is better.
"""


EM_EXAMPLES = """\
examples:
  gmm-pp em data.csv -k 3
  gmm-pp em faithful -k 2 --prior
  gmm-pp em faithful -k 3 --covariance tied        # mclust's EEE
  gmm-pp em data.npy -k 2 --seed 1 --json > fit.json
  gmm-pp em galaxies -k 4 --init random --n-init 200
"""


STUDY_EXAMPLES = """\
examples:
  gmm-pp study --example --out study-out
  gmm-pp study study.toml --out runs/coverage --workers 2
  gmm-pp study study.toml --out runs/big --engine dask --address tcp://scheduler:8786

a study file:
  [study]
  replications = 100
  seed = 1
  draws = 500            # per chain, after as many tuning steps
  [[scenario]]
  name = "separated"
  n = [50, 200, 1000]    # a list: one scenario per value
  k = 2
  d = 1
  separation = 4.0
  [[scenario]]
  name = "sbc"
  n = 200
  k = 2
  d = 1
  truth = "prior"        # truth drawn from the prior: simulation-based calibration
"""


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; ``args.command`` names the one given."""
    parser = _Parser(
        prog="gmm-pp",
        description="Fit Gaussian mixtures (spherical, diag, tied or full covariances) by EM "
        "(MLE), MAP and posterior.",
        epilog="examples:\n  gmm-pp em data.csv -k 3\n  gmm-pp fit faithful -k 2 --out fits\n"
        "  gmm-pp select faithful --out sel\n  gmm-pp demo",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gmm-pp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p_em = sub.add_parser(
        "em",
        help="fit the maximum-likelihood mixture by EM and print it",
        description="Fit a Gaussian mixture by EM (the MLE, or the MAP with --prior) and "
        "print the fit.",
        epilog=EM_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_em.add_argument(
        "data", metavar="DATA", help="CSV (header optional) or .npy file, or a bundled data set"
    )
    p_em.add_argument(
        "-k", "--components", type=int, required=True, metavar="K", help="number of components"
    )
    p_em.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    _add_covariance(p_em)
    p_em.add_argument(
        "--init",
        choices=KINDS,
        default=em.defaults.INIT,
        help="where EM starts (default %(default)s: a hierarchical start, k-means++ starts, "
        "a screen of random starts and split-and-merge moves)",
    )
    p_em.add_argument(
        "--n-init",
        type=int,
        default=None,
        help=f"restarts of --init (default {em.defaults.N_INIT}); with auto, its k-means++ "
        f"starts (default {em.defaults.AUTO_KMEANS})",
    )
    p_em.add_argument(
        "--select",
        choices=["regular", "best"],
        default="regular",
        help="the estimate: the best maximum without a spurious or degenerate component "
        "(default), or the best of all, spurious or not",
    )
    p_em.add_argument(
        "--max-iter",
        type=int,
        default=em.defaults.MAX_ITER,
        help=f"iterations per restart (default {em.defaults.MAX_ITER})",
    )
    p_em.add_argument(
        "--tol",
        type=float,
        default=em.defaults.TOL,
        help=f"relative tolerance (default {em.defaults.TOL:g})",
    )
    p_em.add_argument(
        "--prior",
        action="store_true",
        help="fit the MAP under the default prior (mclust's) instead of the MLE: no "
        "component can collapse onto a point",
    )
    p_em.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p_em.set_defaults(command="em")

    p_fit = sub.add_parser(
        "fit",
        help="fit EM, MAP and the posterior and save the comparison",
        description=(
            "Fit the maximum-likelihood mixture (EM), the MAP (EM with the prior, and "
            "PyMC's find_MAP) and the posterior (PyMC, nutpie), and save them to --out."
        ),
        epilog=FIT_EXAMPLES + OUTPUT_POLICY,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_fit.add_argument(
        "data", metavar="DATA", help="CSV or .npy file, or a bundled data set: " + _bundled()
    )
    p_fit.add_argument(
        "-k",
        "--components",
        type=parse_k,
        default=None,
        metavar="K",
        help="number of components; a range (1:9) or none: chosen first by BIC over that "
        "range (default 1:9) and every structure (DIR/selection)",
    )
    _add_output(p_fit, "folder for the comparison and its report (DIR/report)")
    p_fit.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p_fit.add_argument(
        "--covariance",
        type=parse_covariances,
        default=None,
        metavar="STRUCTURE",
        help="covariance structure: spherical, diag, tied or full (mclust's VII, VVI, EEE, "
        "VVV); default spherical with one K, all four when K is chosen (a list: tied,full)",
    )
    _add_sampler(p_fit)
    add_fields(p_fit, em.GMMPrior, PRIOR_FLAGS)
    p_fit.add_argument(
        "--pointwise-loglik",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write every draw's log-likelihood at every point (float32, draws x n x 4 bytes) "
        "into DIR/posterior.nc for ArviZ; default: only while it is at most 50 MiB",
    )
    p_fit.add_argument("--quiet", action="store_true", help="print only the final table")
    p_fit.set_defaults(command="fit")

    p_select = sub.add_parser(
        "select",
        help="choose K and the covariance structure: BIC, ICL, AIC and PSIS-LOO side by side",
        description=(
            "Fit every K and covariance structure by EM (BIC, ICL, AIC, MAP-EM), then the "
            "posterior of the best models by BIC (PSIS-LOO, stacking weights), and write the "
            "table, the figures and the page to --out."
        ),
        epilog=SELECT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_select.add_argument(
        "data", metavar="DATA", help="CSV or .npy file, or a bundled data set: " + _bundled()
    )
    p_select.add_argument(
        "-k",
        "--components",
        type=parse_k,
        default=None,
        metavar="RANGE",
        help="numbers of components: 1:9 (the default), 2:5, or a list 2,3,5",
    )
    p_select.add_argument(
        "--covariance",
        type=parse_covariances,
        default=None,
        metavar="LIST",
        help="structures: all (the default; spherical and tied in 1-D) or a list such as tied,full",
    )
    p_select.add_argument(
        "--bayes",
        choices=("top", "all", "none"),
        default="top",
        help="which models get a posterior: the --top best by BIC (default), all, or none",
    )
    p_select.add_argument(
        "--top", type=int, default=3, metavar="N", help="models given a posterior (default 3)"
    )
    _add_resumable(p_select, "selection")
    p_select.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    _add_sampler(p_select)
    add_fields(p_select, em.GMMPrior, PRIOR_FLAGS)
    p_select.add_argument("--no-report", action="store_true", help="skip the HTML pages")
    p_select.add_argument("--quiet", action="store_true", help="print only the summary")
    p_select.set_defaults(command="select")

    p_report = sub.add_parser(
        "report",
        help="re-render the report of a saved comparison, without refitting",
        description="Write the HTML report of a comparison saved by 'gmm-pp fit'.",
        epilog="examples:\n  gmm-pp report fits/faithful --overwrite\n"
        "  gmm-pp report fits/faithful --out /tmp/faithful-report\n\n" + OUTPUT_POLICY,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_report.add_argument("dir", metavar="DIR", help="folder written by 'gmm-pp fit'")
    _add_output(p_report, "report folder (default DIR/report)", required=False, metavar="OUT")
    p_report.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p_report.set_defaults(command="report")

    p_demo = sub.add_parser(
        "demo",
        help="simulate a 2-D three-component data set, fit it three ways, write the report",
        description=(
            "Simulate 2-D data from three components, run the comparison (EM, MAP, "
            "posterior) and write the HTML report to ./gmm-pp-demo/."
        ),
        epilog="examples:\n  gmm-pp demo --overwrite\n"
        "  gmm-pp demo --seed 3 -n 200 --out /tmp/demo\n"
        "  gmm-pp demo --covariance full --out /tmp/demo-full\n\n" + OUTPUT_POLICY,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p_demo.add_argument(
        "-n", "--n-samples", type=int, default=500, help="points to simulate (default 500)"
    )
    _add_output(p_demo, "report folder (default ./gmm-pp-demo)", default="gmm-pp-demo")
    _add_covariance(p_demo, " (and of the simulated truth)")
    _add_sampler(p_demo)
    p_demo.add_argument("--quiet", action="store_true", help="print only the report's path")
    p_demo.set_defaults(command="demo")

    p_study = sub.add_parser(
        "study",
        help="replicate the comparison over simulated data sets (coverage, bias, SBC)",
        description=(
            "Run a validation study described in a TOML file: every scenario times its "
            "replications, each simulated, fitted by EM, MAP and the posterior, and "
            "summarised per parameter. Results go to --out as they finish (parts/, then "
            "parameters.csv, replications.csv, summary.json and report/index.html); "
            "running the same command again resumes where it stopped."
        ),
        epilog=STUDY_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_study.add_argument(
        "config", metavar="CONFIG", nargs="?", help="the study's TOML file (see --example)"
    )
    p_study.add_argument(
        "--example", action="store_true", help="run the example study shipped with gmm-pp"
    )
    _add_resumable(p_study, "study")
    p_study.add_argument(
        "--retry-failed", action="store_true", help="rerun replications recorded as failed"
    )
    p_study.add_argument("--no-report", action="store_true", help="skip the HTML report")
    p_study.add_argument("--quiet", action="store_true", help="no progress line")
    p_study.set_defaults(command="study")

    p_teach = sub.add_parser(
        "teach",
        help="write a lesson on EM, MLE and Bayes as an HTML page",
        description="Write one lesson (text, tables, figures) as a self-contained HTML page.",
        epilog="examples:\n  gmm-pp teach --list\n  gmm-pp teach course-example\n"
        "  gmm-pp teach mle-vs-bayes --out lessons/bayes --seed 2\n\n" + OUTPUT_POLICY,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_teach.add_argument("lesson", metavar="LESSON", nargs="?", help="the lesson (see --list)")
    p_teach.add_argument("--list", action="store_true", help="name the lessons and stop")
    _add_output(p_teach, "page folder (default ./lesson-LESSON)", required=False)
    p_teach.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p_teach.add_argument("--quiet", action="store_true", help="print only the page's path")
    p_teach.set_defaults(command="teach")
    return parser


def _add_resumable(parser, what: str) -> None:
    """The folder and the engine of a run that resumes (a study, a selection)."""
    parser.add_argument("--out", required=True, metavar="DIR", help=f"the {what}'s folder")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help=f"discard what DIR holds and start afresh (without it, DIR resumes the same {what})",
    )
    parser.add_argument(
        "--engine",
        choices=("local", "dask", "serial"),
        default="local",
        help="local process pool (default), Dask distributed, or this process only",
    )
    parser.add_argument(
        "--address", metavar="ADDR", default=None, help="a Dask scheduler, e.g. tcp://host:8786"
    )
    parser.add_argument(
        "--workers", type=int, default=None, metavar="N", help="worker processes (default: cores)"
    )


def _add_output(parser, what: str, *, required=True, default=None, metavar="DIR") -> None:
    parser.add_argument("--out", required=required, default=default, metavar=metavar, help=what)
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing non-empty --out (only once the new result is complete)",
    )


#: The fields of the config records the command line sets, as flags of the same names.
SAMPLER_FLAGS = ("draws", "tune", "chains", "target_accept")


PRIOR_FLAGS = ("weight_concentration", "mean_precision", "variance_shape", "variance_scale")


def add_fields(parser, record, names) -> None:
    """One flag per field of a config record.

    Its name, type, default and help come from the record itself (``dataclasses.field``
    metadata), so defaults live in one place.
    """
    fields = {f.name: f for f in dataclasses.fields(record)}
    for name in names:
        f = fields[name]
        default = f.default
        kind = float if default is None or isinstance(default, float) else int
        shown = f.metadata.get("default", default)
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=kind,
            default=default,
            metavar=f.metadata.get("metavar", name.split("_")[0].upper()),
            help=f"{f.metadata['help']} (default {shown})",
        )


def from_fields(record, args, names):
    """The record with the command line's values of ``names`` (the rest its defaults)."""
    return record(**{name: getattr(args, name) for name in names})


def _add_covariance(parser, what: str = "") -> None:
    parser.add_argument(
        "--covariance",
        choices=em.COVARIANCE_TYPES,
        default=em.defaults.COVARIANCE,
        help=f"covariance structure{what} (default %(default)s): one variance per component, "
        "one per axis and component, one matrix shared, one matrix per component (mclust's "
        "VII, VVI, EEE, VVV)",
    )


def _add_sampler(parser) -> None:
    add_fields(parser, SamplerConfig, SAMPLER_FLAGS)


def parse_k(text: str) -> int | range | tuple[int, ...]:
    """``"3"`` -> 3, ``"1:9"`` -> range(1, 10) (both ends included), ``"2,3,5"`` -> (2, 3, 5)."""
    expected = "a number of components (3), a range (1:9) or a list (2,3,5)"
    try:
        if ":" in text:
            low, high = (int(part) for part in text.split(":"))
            if high < low:
                raise argparse.ArgumentTypeError(
                    f"expected {expected}, got an empty range {text!r}"
                )
            return range(low, high + 1)
        if "," in text:
            return tuple(int(part) for part in text.split(","))
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None


def parse_covariances(text: str) -> tuple[str, ...] | str:
    """``"all"`` -> ``"all"`` (every structure); ``"tied,full"`` -> ("tied", "full")."""
    if text == "all":
        return text
    kinds = tuple(part.strip() for part in text.split(","))
    unknown = [k for k in kinds if k not in em.COVARIANCE_TYPES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"expected all or a list of {', '.join(em.COVARIANCE_TYPES)}, got {text!r}"
        )
    return kinds


def _bundled() -> str:

    return ", ".join(sorted(DATASETS))
