"""The ``gmm-pp`` commands: the argument parser and one function per command.

:func:`gmm_pp.cli.main` imports this module only once its signal handling is in
place.  Errors print one line (``gmm-pp: error: ...``) and exit non-zero, with
no traceback; warnings print one line each (``gmm-pp: warning: ...``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import em
from gmm_pp import __version__
from gmm_pp.config import SamplerConfig
from gmm_pp.data import DEMO_TRUTH, as_data, load_data, simulate
from gmm_pp.datasets import ALIASES, DATASETS, load_dataset
from gmm_pp.errors import ComparisonFormatError, GMMError, InputError
from gmm_pp.io import output_folder
from gmm_pp.progress import LOGGER, show, step

__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "run"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

OUTPUT_POLICY = (
    "output: a new or empty folder; an existing non-empty one only with --overwrite, "
    "never one holding the input. Written completely or not at all (a temporary folder "
    "beside it, renamed into place): Ctrl-C or a kill leaves earlier results intact."
)


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, raised rather than printed."""

    def error(self, message: str):  # noqa: D102
        raise _UsageError(f"{message} (see '{self.prog} --help')")


FIT_EXAMPLES = """\
examples:
  gmm-pp fit data.csv -k 3 --out fits/data
  gmm-pp fit faithful -k 2 --draws 2000 --seed 1 --out fits/faithful
  gmm-pp fit data.npy -k 2 --weight-concentration 2 --target-accept 0.95 --out fits/run2
  gmm-pp fit data.csv -k 3 --out fits/data --overwrite     # replace an earlier run

"""

EM_EXAMPLES = """\
examples:
  gmm-pp em data.csv -k 3
  gmm-pp em faithful -k 2 --prior
  gmm-pp em data.npy -k 2 --seed 1 --n-init 10 --json > fit.json
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


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gmm-pp",
        description="Fit spherical Gaussian mixtures by EM (MLE), MAP and posterior.",
        epilog="examples:\n  gmm-pp em data.csv -k 3\n  gmm-pp fit faithful -k 2 --out fits\n"
        "  gmm-pp demo",
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
    p_em.add_argument(
        "data", metavar="DATA", help="CSV (header optional) or .npy file, or a bundled data set"
    )
    p_em.add_argument(
        "-k", "--components", type=int, required=True, metavar="K", help="number of components"
    )
    p_em.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p_em.add_argument(
        "--n-init",
        type=int,
        default=em.defaults.N_INIT,
        help=f"restarts from k-means++ (default {em.defaults.N_INIT})",
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
    p_em.set_defaults(func=_cmd_em)

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
        "-k", "--components", type=int, required=True, metavar="K", help="number of components"
    )
    _add_output(p_fit, "folder for the comparison and its report (DIR/report)")
    p_fit.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    _add_sampler(p_fit)
    _add_fields(p_fit, em.GMMPrior, PRIOR_FLAGS)
    p_fit.add_argument("--quiet", action="store_true", help="print only the final table")
    p_fit.set_defaults(func=_cmd_fit)

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
    p_report.set_defaults(func=_cmd_report)

    p_demo = sub.add_parser(
        "demo",
        help="simulate a 2-D three-component data set, fit it three ways, write the report",
        description=(
            "Simulate 2-D data from three components, run the comparison (EM, MAP, "
            "posterior) and write the HTML report to ./gmm-pp-demo/."
        ),
        epilog="examples:\n  gmm-pp demo --overwrite\n"
        "  gmm-pp demo --seed 3 -n 200 --out /tmp/demo\n\n" + OUTPUT_POLICY,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p_demo.add_argument(
        "-n", "--n-samples", type=int, default=500, help="points to simulate (default 500)"
    )
    _add_output(p_demo, "report folder (default ./gmm-pp-demo)", default="gmm-pp-demo")
    _add_sampler(p_demo)
    p_demo.add_argument("--quiet", action="store_true", help="print only the report's path")
    p_demo.set_defaults(func=_cmd_demo)

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
    p_study.add_argument("--out", required=True, metavar="DIR", help="the study's folder")
    p_study.add_argument(
        "--overwrite",
        action="store_true",
        help="discard what DIR holds and start afresh (without it, DIR resumes the same study)",
    )
    p_study.add_argument(
        "--engine",
        choices=("local", "dask", "serial"),
        default="local",
        help="local process pool (default), Dask distributed, or this process only",
    )
    p_study.add_argument(
        "--address", metavar="ADDR", default=None, help="a Dask scheduler, e.g. tcp://host:8786"
    )
    p_study.add_argument(
        "--workers", type=int, default=None, metavar="N", help="worker processes (default: cores)"
    )
    p_study.add_argument(
        "--retry-failed", action="store_true", help="rerun replications recorded as failed"
    )
    p_study.add_argument("--no-report", action="store_true", help="skip the HTML report")
    p_study.add_argument("--quiet", action="store_true", help="no progress line")
    p_study.set_defaults(func=_cmd_study)

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
    p_teach.set_defaults(func=_cmd_teach)
    return parser


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


def _add_fields(parser, record, names) -> None:
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


def _from_fields(record, args, names):
    """The record with the command line's values of ``names`` (the rest its defaults)."""
    return record(**{name: getattr(args, name) for name in names})


def _add_sampler(parser) -> None:
    _add_fields(parser, SamplerConfig, SAMPLER_FLAGS)


def _sampler(args) -> SamplerConfig:
    config = _from_fields(SamplerConfig, args, SAMPLER_FLAGS)
    return dataclasses.replace(config, progress=sys.stderr.isatty() and not args.quiet)


def _bundled() -> str:

    return ", ".join(sorted(DATASETS))


def _load(name: str):
    """The data (a DataFrame: a header names the columns) and the files it came from."""
    if not Path(name).exists() and (name in DATASETS or name in ALIASES):
        return load_dataset(name, as_frame=True), []
    return load_data(name, as_frame=True), [Path(name)]


def _progress(args, message: str) -> None:
    if not args.quiet:
        print(message, file=sys.stderr, flush=True)


def _cmd_fit(args) -> int:

    X, inputs = _load(args.data)
    # resolved now: the data's scale and the prior are checked before any work
    prior = _from_fields(em.GMMPrior, args, PRIOR_FLAGS).resolve(X, args.components)
    sampler = _sampler(args)
    out = Path(args.out)
    with output_folder(out, overwrite=args.overwrite, inputs=inputs) as tmp:
        from gmm_pp.comparison import compare
        from reports import render_report

        comparison = compare(X, args.components, prior=prior, sampler=sampler, seed=args.seed)
        with step(f"writing the comparison and its report to {out}"):
            comparison.write_files(tmp)
            render_report(comparison, tmp / "report")
    print(comparison.summary())
    _progress(args, f"gmm-pp: saved to {out}; report: {out / 'report' / 'index.html'}")
    return EXIT_OK


def _cmd_em(args) -> int:

    X, names = as_data(*_load(args.data)[:1])
    result = em.fit(
        X,
        args.components,
        n_init=args.n_init,
        max_iter=args.max_iter,
        tol=args.tol,
        prior=em.GMMPrior() if args.prior else None,
        seed=args.seed,
    )
    if args.json:
        print(json.dumps(dict(result.to_summary(names), seed=args.seed), indent=2))
    else:
        print(result.summary(names) + f", seed = {args.seed}")
    return EXIT_OK


def _cmd_demo(args) -> int:

    out = Path(args.out)
    sampler = _sampler(args)
    with output_folder(out, overwrite=args.overwrite) as tmp:
        from gmm_pp.comparison import compare
        from reports import render_report

        X, _ = simulate(DEMO_TRUTH, args.n_samples, seed=args.seed)
        _progress(args, f"gmm-pp: simulated {X.shape[0]} points in 2-D from {DEMO_TRUTH}")
        comparison = compare(
            X, DEMO_TRUTH.n_components, sampler=sampler, seed=args.seed, truth=DEMO_TRUTH
        )
        if not args.quiet:
            print(comparison.summary(), file=sys.stderr)
        with step(f"writing the report to {out}"):
            render_report(comparison, tmp, title="gmm-pp demo")
    print((out / "index.html").resolve())
    return EXIT_OK


def _cmd_report(args) -> int:

    source = Path(args.dir)
    if not (source / "comparison.json").is_file():  # before loading PyMC and ArviZ
        raise ComparisonFormatError(
            f"DIR: no comparison.json in {str(source)!r}; point to a folder written by "
            "'gmm-pp fit --out'"
        )
    out = Path(args.out) if args.out else source / "report"
    with output_folder(out, overwrite=args.overwrite, inputs=[source]) as tmp:
        from gmm_pp.comparison import Comparison
        from reports import render_report

        render_report(Comparison.load(source), tmp)
    print((out / "index.html").resolve())
    return EXIT_OK


def _cmd_study(args) -> int:
    from gmm_pp.study import EXAMPLE, load_config, run_study

    if args.example == (args.config is not None):
        raise _UsageError("CONFIG: give a study file or --example (one of the two)")
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers: expected an integer >= 1, got {args.workers}")
    source = EXAMPLE if args.example else Path(args.config)
    config = load_config(source)
    try:
        result = run_study(
            config,
            args.out,
            engine=args.engine,
            workers=args.workers,
            address=args.address,
            progress=not args.quiet,
            retry_failed=args.retry_failed,
            overwrite=args.overwrite,
            inputs=[] if args.example else [source],
        )
    except KeyboardInterrupt:
        print(
            f"gmm-pp: interrupted; finished replications are kept in {args.out}: "
            "rerun the same command to resume",
            file=sys.stderr,
        )
        return 130  # as gmm_pp.cli.EXIT_INTERRUPTED
    print(result.text())
    if not args.no_report:
        from reports.study import write_study_report

        index = write_study_report(result, Path(args.out) / "report", overwrite=True)
        print(f"report: {index.resolve()}")
    return EXIT_OK


def _cmd_teach(args) -> int:
    from reports.lessons import LESSONS, build_lesson, render_lesson

    if args.list:
        for name, (about, _) in LESSONS.items():
            print(f"{name:16} {about}")
        return EXIT_OK
    if args.lesson is None:
        raise _UsageError("LESSON: name a lesson (gmm-pp teach --list shows them)")
    if args.lesson not in LESSONS:
        raise _UsageError(f"LESSON: expected one of {', '.join(LESSONS)}, got {args.lesson!r}")

    out = Path(args.out or f"lesson-{args.lesson}")
    with output_folder(out, overwrite=args.overwrite) as tmp:
        _progress(args, f"gmm-pp: computing lesson {args.lesson} ...")
        lesson = build_lesson(args.lesson, seed=args.seed)
        render_lesson(lesson, tmp)
    print((out / "index.html").resolve())
    return EXIT_OK


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def run(argv: Sequence[str] | None) -> int:
    """Parse ``argv`` and run the command; see :func:`gmm_pp.cli.main`."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        print(f"gmm-pp: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    handler = None if getattr(args, "quiet", False) else show()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            code = args.func(args)
        except _UsageError as exc:
            print(f"gmm-pp: error: {_one_line(exc)}", file=sys.stderr)
            return EXIT_USAGE
        except GMMError as exc:
            code = EXIT_ERROR
            print(f"gmm-pp: error: {_one_line(exc)}", file=sys.stderr)
        finally:
            if handler is not None:
                LOGGER.removeHandler(handler)
    for w in caught:
        print(f"gmm-pp: warning: {_one_line(w.message)}", file=sys.stderr)
    return code
