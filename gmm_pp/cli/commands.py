"""The ``gmm-pp`` commands: one function per command, and :func:`run`.

:func:`gmm_pp.cli.main` imports this module only once its signal handling is in
place; the parser is :mod:`gmm_pp.cli.parser`.  Errors print one line
(``gmm-pp: error: ...``) and exit non-zero, with no traceback; warnings print one
line each (``gmm-pp: warning: ...``).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import em
from gmm_pp.cli.parser import PRIOR_FLAGS, SAMPLER_FLAGS, UsageError, build_parser, from_fields
from gmm_pp.config import SamplerConfig
from gmm_pp.data import DEMO_SELECT_K, DEMO_TRUTHS, as_data, load_data, simulate
from gmm_pp.datasets import ALIASES, DATASETS, load_dataset
from gmm_pp.errors import ComparisonFormatError, GMMError, InputError
from gmm_pp.io import output_folder
from gmm_pp.progress import LOGGER, show, step

__all__ = ["COMMANDS", "EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "run"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _sampler(args) -> SamplerConfig:
    config = from_fields(SamplerConfig, args, SAMPLER_FLAGS)
    return dataclasses.replace(config, progress=sys.stderr.isatty() and not args.quiet)


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
    k = args.components
    fixed = isinstance(k, int)
    covariance = args.covariance
    if fixed and covariance is not None and (covariance == "all" or len(covariance) > 1):
        given = covariance if covariance == "all" else ",".join(covariance)
        raise InputError(
            f"--covariance: one K ({k}) takes one structure, got {given}; "
            "give a range of K (-k 1:9) to choose among several"
        )
    prior_fields = from_fields(em.GMMPrior, args, PRIOR_FLAGS)
    if fixed:  # resolved now: the data's scale and the prior are checked before any work
        prior_fields.resolve(X, k)
    sampler = _sampler(args)
    out = Path(args.out)
    with output_folder(out, overwrite=args.overwrite, inputs=inputs) as tmp:
        from gmm_pp.pipeline import compare
        from reports import render_report

        selection = None
        if fixed:
            structure = em.defaults.COVARIANCE if covariance is None else covariance[0]
        else:
            from gmm_pp.selection import DEFAULT_K, select

            selection = select(
                X,
                DEFAULT_K if k is None else k,
                covariance,
                bayes="none",
                prior=prior_fields,
                seed=args.seed,
                engine="local",
                progress=not args.quiet,
            )
            structure, k = selection.chosen
            _progress(args, f"gmm-pp: {selection.reason()} {selection.agreement()}")
            _progress(args, f"gmm-pp: comparing EM, MAP and the posterior of {structure} K = {k}")
        comparison = compare(
            X, k, prior=prior_fields, sampler=sampler, seed=args.seed, covariance=structure
        )
        with step(f"writing the comparison and its report to {out}"):
            comparison.write_files(tmp, pointwise=args.pointwise_loglik)
            render_report(
                comparison,
                tmp / "report",
                selection=None if selection is None else "../selection/index.html",
            )
            if selection is not None:
                from gmm_pp.selection.bayes import model_name
                from reports.selection import render_selection_report

                (tmp / "selection").mkdir()
                selection.write_files(tmp / "selection")
                render_selection_report(
                    selection,
                    tmp / "selection",
                    links={model_name(structure, k): "../report/index.html"},
                )
    print(comparison.summary())
    _progress(args, f"gmm-pp: saved to {out}; report: {out / 'report' / 'index.html'}")
    if selection is not None:
        _progress(args, f"gmm-pp: the selection: {out / 'selection' / 'index.html'}")
    return EXIT_OK


def _cmd_select(args) -> int:
    from gmm_pp.selection import DEFAULT_K, select

    X, inputs = _load(args.data)
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers: expected an integer >= 1, got {args.workers}")
    out = Path(args.out)
    try:
        selection = select(
            X,
            DEFAULT_K if args.components is None else args.components,
            args.covariance,
            bayes=args.bayes,
            top=args.top,
            prior=from_fields(em.GMMPrior, args, PRIOR_FLAGS),
            sampler=_sampler(args),
            seed=args.seed,
            engine=args.engine,
            workers=args.workers,
            address=args.address,
            out=out,
            overwrite=args.overwrite,
            inputs=inputs,
            progress=not args.quiet,
        )
    except KeyboardInterrupt:
        return _interrupted("fits", out)
    print(selection.summary())
    if not args.no_report:
        from reports import write_report
        from reports.selection import write_selection_report

        links = {}
        with step(f"writing the pages to {out}"):
            for name in selection.bayes_names():
                write_report(selection.comparison(name), out / "models" / name / "report",
                             overwrite=True)  # fmt: skip
                links[name] = f"../models/{name}/report/index.html"
            index = write_selection_report(selection, out / "report", links=links, overwrite=True)
        _progress(args, f"gmm-pp: saved to {out}; page: {index}")
    return EXIT_OK


def _cmd_em(args) -> int:

    X, names = as_data(*_load(args.data)[:1])
    result = em.fit(
        X,
        args.components,
        init=args.init,
        n_init=args.n_init,
        select=args.select,
        max_iter=args.max_iter,
        tol=args.tol,
        prior=em.GMMPrior() if args.prior else None,
        seed=args.seed,
        covariance=args.covariance,
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
        from gmm_pp.pipeline import compare
        from gmm_pp.selection import select
        from gmm_pp.selection.bayes import model_name
        from reports import render_report
        from reports.selection import render_selection_report

        truth = DEMO_TRUTHS[args.covariance]
        X, _ = simulate(truth, args.n_samples, seed=args.seed)
        _progress(args, f"gmm-pp: simulated {X.shape[0]} points in 2-D from {truth}")
        # The first step with real data: which K and structure? (EM's criteria, seconds)
        selection = select(X, DEMO_SELECT_K, bayes="none", seed=args.seed, engine="local",
                           progress=not args.quiet)  # fmt: skip
        true_model = model_name(args.covariance, truth.n_components)
        found = model_name(*selection.chosen) == true_model
        _progress(
            args,
            f"gmm-pp: {selection.reason()} "
            + ("That is the truth." if found else f"The truth is {true_model}.")
            + f" {selection.agreement()}",
        )
        (tmp / "selection").mkdir()
        selection.write_files(tmp / "selection")
        render_selection_report(selection, tmp / "selection", links={true_model: "../index.html"})
        comparison = compare(
            X,
            truth.n_components,
            sampler=sampler,
            seed=args.seed,
            truth=truth,
            covariance=args.covariance,
        )
        if not args.quiet:
            print(comparison.summary(), file=sys.stderr)
        with step(f"writing the report to {out}"):
            render_report(comparison, tmp, title="gmm-pp demo", selection="selection/index.html")
    _progress(args, f"gmm-pp: the model selection: {(out / 'selection' / 'index.html').resolve()}")
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
        raise UsageError("CONFIG: give a study file or --example (one of the two)")
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
        return _interrupted("replications", args.out)
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
        raise UsageError("LESSON: name a lesson (gmm-pp teach --list shows them)")
    if args.lesson not in LESSONS:
        raise UsageError(f"LESSON: expected one of {', '.join(LESSONS)}, got {args.lesson!r}")

    out = Path(args.out or f"lesson-{args.lesson}")
    with output_folder(out, overwrite=args.overwrite) as tmp:
        _progress(args, f"gmm-pp: computing lesson {args.lesson} ...")
        lesson = build_lesson(args.lesson, seed=args.seed)
        render_lesson(lesson, tmp)
    print((out / "index.html").resolve())
    return EXIT_OK


def _interrupted(what: str, out) -> int:
    """Ctrl-C during a resumable run: what is kept, and how to resume."""
    print(
        f"gmm-pp: interrupted; finished {what} are kept in {out}: rerun the same command to resume",
        file=sys.stderr,
    )
    return 130  # as gmm_pp.cli.EXIT_INTERRUPTED


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


#: The command functions by name (the parser sets ``args.command``).
COMMANDS = {
    "em": _cmd_em,
    "fit": _cmd_fit,
    "select": _cmd_select,
    "report": _cmd_report,
    "demo": _cmd_demo,
    "study": _cmd_study,
    "teach": _cmd_teach,
}


def run(argv: Sequence[str] | None) -> int:
    """Parse ``argv`` and run the command; see :func:`gmm_pp.cli.main`."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(f"gmm-pp: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    handler = None if getattr(args, "quiet", False) else show()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            code = COMMANDS[args.command](args)
        except UsageError as exc:
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
