"""Fault injection: kill, interrupt and race the commands that write folders.

Every trial runs a real ``gmm-pp`` process in its own process group (job control
on, as a shell runs it), sends SIGKILL or SIGINT to the whole group at a random
moment of its run, and then checks the output policy:

- the target is absent, the earlier result byte for byte, or a complete new
  result that loads (a comparison with its report, or a report, or a lesson);
- after SIGINT the exit code is 130 and no partial folder is left; after
  SIGKILL a partial folder may be left, and the next command to that target
  removes it;
- of two ``fit`` runs to one target started together, exactly one succeeds and
  the other prints one line naming the target;
- a study interrupted at a random moment and resumed equals an uninterrupted run;
- a model selection (``gmm-pp select``) killed or interrupted at a random moment and
  resumed writes the table of an uninterrupted run.

Usage (results go to BENCHMARKS.md)::

    .venv/bin/python scripts/fault_injection.py kill --trials 20
    .venv/bin/python scripts/fault_injection.py interrupt --trials 10
    .venv/bin/python scripts/fault_injection.py concurrent --trials 5
    .venv/bin/python scripts/fault_injection.py study --trials 3
    .venv/bin/python scripts/fault_injection.py select --trials 10
    .venv/bin/python scripts/fault_injection.py all

Each prints one line per trial and a tally; any lost or partial output makes the
exit code 1.  ``tests/test_faults.py`` runs a few trials of each in the suite.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GMM_PP = [sys.executable, "-m", "gmm_pp"]
#: Small fits keep a trial to a few seconds; n = 300, d = 2, K = 3 is the shape
#: the test suite compiles, so the compile cache is warm.
SAMPLER = ["--draws", "300", "--tune", "300", "--chains", "2"]
COMMANDS = ("fit", "report", "demo", "teach")


@dataclass(frozen=True)
class Outcome:
    """What one trial left behind."""

    command: str
    signal: str
    delay: float
    exit_code: int
    state: str  # "absent", "earlier", "complete", or "PARTIAL ..." / "LOST ..."
    leftovers: int  # partial folders left beside the target (before the next run)
    cleaned: bool  # the next command to the target removed them
    traceback: bool = False  # the interrupted run printed a traceback
    stderr: str = ""  # the end of its stderr when it printed any traceback, for the log

    @property
    def ok(self) -> bool:
        """The output policy held.

        After SIGINT: exit 130, or death by SIGINT (-2 here, 130 in a shell) when the
        signal came before the interpreter had started, or 0 when it came after the
        command had finished; no traceback; nothing partial left.
        """
        good_state = self.state.split(" (")[0] in ("absent", "earlier", "complete")
        if self.signal == "SIGINT":
            exited = (
                self.exit_code in (0, 1, 130, -signal.SIGINT)
                if "before" in self.state
                else (self.exit_code in (0, 130))
            )
            return good_state and exited and self.leftovers == 0 and not self.traceback
        return good_state and self.cleaned


def make_data(folder: Path) -> Path:
    """300 points of the suite's 2-D three-component truth, as CSV with a header."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import em

    truth = em.GMMParams([0.5, 0.3, 0.2], [[-3, 0], [2.5, 2], [1.5, -3]], [1, 0.6, 0.8])
    X, _ = truth.sample(300, seed=11)
    path = folder / "data.csv"
    np.savetxt(path, X, delimiter=",", header="a,b", comments="")
    return path


def manifest(folder: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``folder``."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def complete(command: str, folder: Path) -> bool:
    """The folder holds a whole result of ``command``."""
    report_files = ["index.html", "data.json"] + [
        f"{name}.png"
        for name in ("fits", "loglik", "parameters", "trajectories", "assignments", "diagnostics")
    ]
    if command == "fit":
        try:
            from gmm_pp.comparison import Comparison

            Comparison.load(folder)
        except Exception:  # noqa: BLE001 - any failure to load is an incomplete result
            return False
        return all((folder / "report" / f).is_file() for f in report_files)
    if command in ("report", "demo"):
        return all((folder / f).is_file() for f in report_files)
    if command == "teach":
        return (folder / "index.html").is_file() and (folder / "data.json").is_file()
    raise ValueError(command)


def leftovers(target: Path) -> list[Path]:
    """Partial or replaced folders the output policy left beside ``target``."""
    return [
        p
        for p in target.parent.iterdir()
        if p.name.startswith(f".{target.name}.gmm-pp-") and p.is_dir()
    ]


def argv(command: str, work: Path, target: Path, *, seed: int, overwrite: bool) -> list[str]:
    """The command line of one trial."""
    extra = ["--overwrite"] if overwrite else []
    if command == "fit":
        args = ["fit", str(work / "data.csv"), "-k", "3", "--out", str(target), *SAMPLER]
        return [*GMM_PP, *args, "--seed", str(seed), "--quiet", *extra]
    if command == "report":
        return [*GMM_PP, "report", str(work / "source"), "--out", str(target), "--quiet", *extra]
    if command == "demo":
        args = ["demo", "-n", "300", "--out", str(target), *SAMPLER, "--seed", str(seed)]
        return [*GMM_PP, *args, "--quiet", *extra]
    if command == "teach":
        return [*GMM_PP, "teach", "gradient", "--out", str(target), "--quiet", *extra]
    raise ValueError(command)


def _default_signals() -> None:
    """In the child, before exec: SIGINT and SIGTERM as in a terminal's foreground job.

    A harness started in the background by a non-interactive shell inherits SIGINT
    ignored, and Python then installs no handler for it: every Ctrl-C would be
    a no-op and the trial would prove nothing.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run(cmd: list[str], *, delay: float | None = None, sig: int = signal.SIGKILL) -> int:
    """Run ``cmd`` in a new process group; after ``delay`` s send ``sig`` to the group."""
    return run_capturing(cmd, delay=delay, sig=sig)[0]


def run_capturing(
    cmd: list[str], *, delay: float | None = None, sig: int = signal.SIGKILL
) -> tuple[int, str]:
    """:func:`run`, returning the exit code and what the process wrote to stderr."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
            preexec_fn=_default_signals,
        )
        if delay is not None:
            try:
                proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    pass
        proc.wait()
        err.seek(0)
        return proc.returncode, err.read().decode("utf-8", "replace")


def prepare(work: Path, commands=COMMANDS) -> None:
    """Data, and (when ``report`` is tried) the saved comparison it reads."""
    make_data(work)
    source = work / "source"
    if "report" in commands and not source.exists():
        code = run(argv("fit", work, source, seed=0, overwrite=False))
        if code != 0:
            raise RuntimeError(f"could not prepare the comparison (exit {code})")


def duration(command: str, work: Path) -> float:
    """Seconds one uninterrupted run takes (to spread the signals over it)."""
    target = work / f"timing-{command}"
    t0 = time.perf_counter()
    code = run(argv(command, work, target, seed=0, overwrite=False))
    seconds = time.perf_counter() - t0
    if code != 0:
        raise RuntimeError(f"{command} failed uninterrupted (exit {code})")
    shutil.rmtree(target)
    return seconds


def trial(
    command: str,
    work: Path,
    rng: np.random.Generator,
    span: float,
    sig: int,
    index: int,
    overwrite: bool | None = None,
) -> Outcome:
    """One run killed or interrupted at a random moment of ``span`` s, then checked.

    With ``overwrite`` (chosen at random when None) an earlier result is made
    first and the run replaces it: it must survive unless the run completes.
    """
    target = work / f"{command}-{index}"
    earlier = None
    overwrite = bool(rng.integers(2)) if overwrite is None else overwrite
    if overwrite:  # an earlier result that must survive the interruption
        code = run(argv(command, work, target, seed=1, overwrite=False))
        if code != 0:
            raise RuntimeError(f"could not make the earlier result (exit {code})")
        earlier = manifest(target)
    delay = float(rng.uniform(0.0, span))
    cmd = argv(command, work, target, seed=2, overwrite=overwrite)
    code, err = run_capturing(cmd, delay=delay, sig=sig)
    left = leftovers(target)
    if not target.exists():
        state = "absent" if earlier is None else "LOST (the earlier result is gone)"
    elif earlier is not None and manifest(target) == earlier:
        state = "earlier"
    elif complete(command, target):
        state = "complete"
    else:
        state = "PARTIAL (neither the earlier result nor a complete one)"
    # The next writer to the target removes what a killed run left behind.
    again = run(argv(command, work, target, seed=3, overwrite=True))
    cleaned = again == 0 and not leftovers(target) and complete(command, target)
    name = "SIGKILL" if sig == signal.SIGKILL else "SIGINT"
    shutil.rmtree(target, ignore_errors=True)
    # A Ctrl-C in the interpreter's own first milliseconds, before gmm-pp's entry point
    # runs (Python's start-up, or the import of the entry module itself), ends as Python
    # ends: counted apart.  Its traceback has no frame inside a gmm-pp function.
    early = "Traceback" in err and not re.search(
        r"gmm_pp/[\w/]+\.py\", line \d+, in (?!<module>)", err
    )
    if early:
        state = f"{state} (before gmm-pp started)"
    tail = err[-1500:] if "Traceback" in err else ""
    return Outcome(
        command,
        name,
        delay,
        code,
        state,
        len(left),
        cleaned,
        "Traceback" in err and not early,
        tail,
    )


def campaign(kind: str, trials: int, seed: int, commands=COMMANDS, work: Path | None = None):
    """Kill or interrupt each command ``trials`` times; return the outcomes."""
    sig = signal.SIGKILL if kind == "kill" else signal.SIGINT
    rng = np.random.default_rng(seed)
    outcomes = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(work or tmp)
        prepare(work, commands)
        for command in commands:
            span = duration(command, work)
            for i in range(trials):
                outcome = trial(command, work, rng, span, sig, i)
                outcomes.append(outcome)
                print(
                    f"{command:7} {outcome.signal} at {outcome.delay:5.2f} s of {span:4.1f}: "
                    f"exit {outcome.exit_code:4}, {outcome.state}, {outcome.leftovers} partial "
                    f"folder(s) left, next run cleaned: {outcome.cleaned}"
                    + (", TRACEBACK" if outcome.traceback else "")
                    + ("" if outcome.ok else "   <-- POLICY BROKEN"),
                    flush=True,
                )
                if outcome.stderr:
                    print("    | " + outcome.stderr.rstrip().replace("\n", "\n    | "), flush=True)
    return outcomes


def concurrent(pairs: int, seed: int, work: Path | None = None) -> list[tuple[int, int, bool]]:
    """Start two ``fit`` runs to one target together; exactly one may succeed."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(work or tmp)
        make_data(work)
        for i in range(pairs):
            target = work / f"race-{i}"
            cmds = [argv("fit", work, target, seed=seed + j, overwrite=False) for j in (0, 1)]
            procs = [
                subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                for c in cmds
            ]
            errs = [p.communicate()[1] for p in procs]
            codes = [p.returncode for p in procs]
            loser = [e for c, e in zip(codes, errs, strict=True) if c != 0]
            one_line = all(
                len(e.strip().splitlines()) == 1 and str(target.name) in e for e in loser
            )
            ok = sorted(codes) == [0, 1] and one_line and complete("fit", target)
            results.append((codes[0], codes[1], ok))
            print(
                f"race {i}: exit codes {codes}, loser says {loser[0].strip() if loser else '-'!r}"
                + ("" if ok else "   <-- POLICY BROKEN"),
                flush=True,
            )
    return results


STUDY = """\
[study]
replications = {replications}
seed = 4
draws = 100
chains = 2
[[scenario]]
name = "fixed"
n = 300
k = 3
d = 2
separation = 5.0
"""


def _table(folder: Path) -> list[dict]:
    import pandas as pd

    df = pd.read_csv(folder / "parameters.csv")
    return df.drop(columns=[c for c in df.columns if c.startswith("seconds")]).to_dict("records")


def _interrupted_runs(base: list[str], work: Path, engines, trials: int, rng, what: str):
    """Per engine, an uninterrupted reference run, then ``trials`` runs to interrupt.

    Yields ``(engine, i, reference, out, cmd, delay, span)``: the caller sends its signal to
    ``cmd`` after ``delay`` s (20% to 90% of the reference's ``span``), resumes it and
    compares ``out`` with ``reference``.
    """
    for engine in engines:
        reference = work / f"reference-{engine}"
        t0 = time.perf_counter()
        if run([*base, "--out", str(reference), "--engine", engine, "--workers", "2"]) != 0:
            raise RuntimeError(f"the uninterrupted {what} failed")
        span = time.perf_counter() - t0
        for i in range(trials):
            out = work / f"{engine}-{i}"
            delay = float(rng.uniform(0.2 * span, 0.9 * span))
            cmd = [*base, "--out", str(out), "--engine", engine, "--workers", "2"]
            yield engine, i, reference, out, cmd, delay, span


def _parts(folder: Path) -> int:
    """How many finished parts an interrupted run kept."""
    return len(list((folder / "parts").glob("*.json"))) if folder.exists() else 0


def study(trials: int, seed: int, replications: int = 6, engines=("serial", "local")):
    """Interrupt a study at a random moment, resume it, compare with an uninterrupted run."""
    rng = np.random.default_rng(seed)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = work / "study.toml"
        config.write_text(STUDY.format(replications=replications))
        base = [*GMM_PP, "study", str(config), "--no-report", "--quiet"]
        runs = _interrupted_runs(base, work, engines, trials, rng, "study")
        for engine, _, reference, out, cmd, delay, span in runs:
            code = run(cmd, delay=delay, sig=signal.SIGINT)
            parts = _parts(out)
            resumed = run(cmd)
            same = resumed == 0 and _table(out) == _table(reference)
            ok = code in (0, 130) and same
            results.append((engine, code, parts, ok))
            print(
                f"study {engine:6} SIGINT at {delay:5.2f} s of {span:4.1f}: exit {code}, "
                f"{parts} of {replications} parts kept, resumed table equal: {same}"
                + ("" if ok else "   <-- POLICY BROKEN"),
                flush=True,
            )
    return results


def select(
    trials: int, seed: int, ks: str = "1:9", engines=("serial", "local"),
    signals=(signal.SIGINT, signal.SIGKILL),
):  # fmt: skip
    """Kill or interrupt ``gmm-pp select`` at a random moment, resume, compare the table.

    Trial ``i`` sends ``signals[i % len(signals)]``.
    """
    rng = np.random.default_rng(seed)
    results = []
    base = [*GMM_PP, "select", "faithful", "-k", ks, "--bayes", "none", "--no-report",
            "--quiet"]  # fmt: skip

    def table(folder: Path) -> str:
        return (folder / "table.csv").read_text() if (folder / "table.csv").is_file() else ""

    with tempfile.TemporaryDirectory() as tmp:
        runs = _interrupted_runs(base, Path(tmp), engines, trials, rng, "selection")
        for engine, i, reference, out, cmd, delay, span in runs:
            sig = signals[i % len(signals)]
            code = run(cmd, delay=delay, sig=sig)
            parts = _parts(out)
            half = out.exists() and (out / "selection.json").is_file() != bool(table(out))
            resumed = run(cmd)
            same = resumed == 0 and table(out) == table(reference) != ""
            expected = (0, 130) if sig == signal.SIGINT else (0, -signal.SIGKILL)
            ok = code in expected and same and not half
            results.append((engine, sig.name, code, parts, ok))
            print(
                f"select {engine:6} {sig.name} at {delay:5.2f} s of {span:4.1f}: exit "
                f"{code}, {parts} values of K kept, resumed table equal: {same}"
                + ("" if ok else "   <-- POLICY BROKEN"),
                flush=True,
            )
    return results


def main(args: list[str] | None = None) -> int:
    """Run the campaign named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "kind", choices=("kill", "interrupt", "concurrent", "study", "select", "all")
    )
    parser.add_argument("--trials", type=int, default=None)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--commands", default=",".join(COMMANDS))
    opts = parser.parse_args(args)
    commands = tuple(opts.commands.split(","))
    bad = 0
    tally: Counter = Counter()
    every = ("kill", "interrupt", "concurrent", "study", "select")
    kinds = every if opts.kind == "all" else (opts.kind,)
    for kind in kinds:
        default = {"kill": 20, "interrupt": 10, "concurrent": 5, "study": 3, "select": 10}[kind]
        trials = opts.trials or default
        t0 = time.perf_counter()
        if kind in ("kill", "interrupt"):
            outcomes = campaign(kind, trials, opts.seed, commands)
            for o in outcomes:
                tally[(kind, o.command, o.state.split(" ")[0])] += 1
            bad += sum(not o.ok for o in outcomes)
        elif kind == "concurrent":
            races = concurrent(trials, opts.seed)
            tally[("concurrent", "fit", "exactly one succeeded")] += sum(ok for *_, ok in races)
            bad += sum(not ok for *_, ok in races)
        elif kind == "select":
            results = select(trials, opts.seed)
            tally[("select", "resumed equal", "")] += sum(ok for *_, ok in results)
            bad += sum(not ok for *_, ok in results)
        else:
            results = study(trials, opts.seed)
            tally[("study", "resumed equal", "")] += sum(ok for *_, ok in results)
            bad += sum(not ok for *_, ok in results)
        print(f"{kind}: {time.perf_counter() - t0:.0f} s", flush=True)
    print(json.dumps({" / ".join(filter(None, k)): v for k, v in sorted(tally.items())}, indent=1))
    print(f"policy broken in {bad} trial(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
