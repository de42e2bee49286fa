"""The ``gmm-pp`` command line.

Errors print one line (``gmm-pp: error: ...``) and exit non-zero, with no
traceback; warnings print one line each (``gmm-pp: warning: ...``).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence

import em
from gmm_pp import __version__
from gmm_pp.data import DEMO_TRUTH, DataError, load_data, simulate

__all__ = ["main"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, raised rather than printed."""

    def error(self, message: str):  # noqa: D102
        raise _UsageError(f"{message} (see '{self.prog} --help')")


EM_EXAMPLES = """\
examples:
  gmm-pp em data.csv -k 3
  gmm-pp em data.npy -k 2 --seed 1 --n-init 10 --json > fit.json
"""


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gmm-pp",
        description="Fit spherical Gaussian mixtures by EM (MLE), MAP and posterior.",
        epilog="examples:\n  gmm-pp em data.csv -k 3\n  gmm-pp demo",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gmm-pp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p_em = sub.add_parser(
        "em",
        help="fit the maximum-likelihood mixture by EM and print it",
        description="Fit a spherical Gaussian mixture by EM (the MLE) and print the fit.",
        epilog=EM_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_em.add_argument("data", metavar="DATA", help="CSV (header optional) or .npy file")
    p_em.add_argument(
        "-k", "--components", type=int, required=True, metavar="K", help="number of components"
    )
    p_em.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p_em.add_argument(
        "--n-init",
        type=int,
        default=em._defaults.N_INIT,
        help=f"restarts from k-means++ (default {em._defaults.N_INIT})",
    )
    p_em.add_argument(
        "--max-iter",
        type=int,
        default=em._defaults.MAX_ITER,
        help=f"iterations per restart (default {em._defaults.MAX_ITER})",
    )
    p_em.add_argument(
        "--tol",
        type=float,
        default=em._defaults.TOL,
        help=f"relative tolerance (default {em._defaults.TOL:g})",
    )
    p_em.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p_em.set_defaults(func=_cmd_em)

    p_demo = sub.add_parser(
        "demo",
        help="simulate a 2-D three-component data set and fit it",
        description="Simulate a 2-D data set from three components and fit it by EM.",
        epilog="example:\n  gmm-pp demo --seed 3",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p_demo.add_argument(
        "-n", "--n-samples", type=int, default=500, help="points to simulate (default 500)"
    )
    p_demo.add_argument("--quiet", action="store_true", help="print only the fit")
    p_demo.set_defaults(func=_cmd_demo)
    return parser


def _fit_summary(result: em.EMResult, *, seed) -> dict:
    p = result.params
    return {
        "n_samples": result.n_samples,
        "n_features": result.n_features,
        "n_components": p.n_components,
        "weights": p.weights.tolist(),
        "means": p.means.tolist(),
        "variances": p.variances.tolist(),
        "log_likelihood": result.log_likelihood,
        "bic": result.bic(),
        "aic": result.aic(),
        "n_iter": result.n_iter,
        "converged": result.converged,
        "degenerate": result.degenerate,
        "n_init": len(result.restarts),
        "seed": seed,
    }


def _format_table(summary: dict) -> str:
    d = summary["n_features"]
    mean_cols = [f"mean[{j}]" for j in range(d)] if d <= 6 else ["mean (first 6 coords)"]
    header = ["component", "weight", *mean_cols, "variance"]
    rows = []
    for k, (w, mu, v) in enumerate(
        zip(summary["weights"], summary["means"], summary["variances"], strict=True)
    ):
        mus = [f"{x:.6g}" for x in mu] if d <= 6 else [" ".join(f"{x:.4g}" for x in mu[:6])]
        rows.append([str(k), f"{w:.6g}", *mus, f"{v:.6g}"])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.append("")
    lines.append(
        f"n = {summary['n_samples']}, d = {d}, K = {summary['n_components']}   "
        f"log-likelihood = {summary['log_likelihood']:.6f}   BIC = {summary['bic']:.4f}"
    )
    lines.append(
        f"iterations = {summary['n_iter']}, converged = {summary['converged']}, "
        f"restarts = {summary['n_init']}, seed = {summary['seed']}"
    )
    return "\n".join(lines)


def _cmd_em(args) -> int:
    X = load_data(args.data)
    result = em.fit(
        X,
        args.components,
        n_init=args.n_init,
        max_iter=args.max_iter,
        tol=args.tol,
        seed=args.seed,
    )
    summary = _fit_summary(result, seed=args.seed)
    print(json.dumps(summary, indent=2) if args.json else _format_table(summary))
    return EXIT_OK


def _cmd_demo(args) -> int:
    X, _ = simulate(DEMO_TRUTH, args.n_samples, seed=args.seed)
    result = em.fit(X, DEMO_TRUTH.n_components, seed=args.seed)
    if not args.quiet:
        print(f"simulated {X.shape[0]} points in 2-D from {DEMO_TRUTH}")
        print("EM fit (maximum likelihood):")
    print(_format_table(_fit_summary(result, seed=args.seed)))
    return EXIT_OK


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 1 for bad input, 2 for a usage error.
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        print(f"gmm-pp: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            code = args.func(args)
        except (DataError, ValueError, TypeError, OSError) as exc:
            code = EXIT_ERROR
            print(f"gmm-pp: error: {_one_line(exc)}", file=sys.stderr)
        except KeyboardInterrupt:
            print("gmm-pp: interrupted", file=sys.stderr)
            return 130
    for w in caught:
        print(f"gmm-pp: warning: {_one_line(w.message)}", file=sys.stderr)
    return code
