"""Comparisons that scale with n: time per step, peak memory, saved size, LOO (issue 19).

For each n (default 1e3, 1e4, 1e5, 1e6), d = 2, K = 3 (the demo's spherical truth),
the default sampler (4 chains x (1000 + 1000)):

1. ``gmm-pp fit data.npy -k 3 --out DIR --quiet`` in a fresh process (the compile
   cache warmed once beforehand): its wall time, its peak RSS (``wait4``'s
   ``ru_maxrss``: compare, save and report together), each step of ``compare``
   (from ``DIR/comparison.json``'s timings), the size of ``DIR`` and of
   ``DIR/report``.
2. In a second fresh process, ``Comparison.load(DIR)`` and ``.loo()`` (the
   default: PSIS-LOO on every point up to 5000 points, ``az.loo_subsample``
   above), its time and peak RSS; where it subsampled and n <= ``--full-loo-max``
   (default 1e4) also the full PSIS-LOO, with the subsampled estimate's distance
   from it in units of its reported subsampling error.

Usage::

    .venv/bin/python benchmarks/bench_scale.py                   # all four n: ~45 min
    .venv/bin/python benchmarks/bench_scale.py 1000 10000        # a subset
    .venv/bin/python benchmarks/bench_scale.py --json out.json 1000
    # the same on an earlier commit (without Comparison.loo), from its own checkout:
    git worktree add /tmp/before 7f445dd && cp benchmarks/bench_scale.py /tmp/before/benchmarks/
    cd /tmp/before && /work/main/.venv/bin/python benchmarks/bench_scale.py --no-loo 10000

Prints one row per n (and the JSON with ``--json``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GMM_PP = [sys.executable, "-m", "gmm_pp"]


def _run(argv: list[str], env: dict) -> tuple[float, float, str]:
    """Run a process; its wall seconds, peak RSS (GB) and stdout."""
    start = time.perf_counter()
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    out.seek(0)
    err.seek(0)
    stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return wall, usage.ru_maxrss / 2**20, stdout  # ru_maxrss is in KiB on Linux


def _size(path: Path) -> float:
    """MB (1e6 bytes) of the files under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _loo_child(folder: str, full_max: int) -> None:
    """In a fresh process: load the comparison and compute its LOO (printed as JSON)."""
    import gmm_pp

    t = time.perf_counter()
    comp = gmm_pp.Comparison.load(folder)
    loaded = time.perf_counter() - t
    t = time.perf_counter()
    result = comp.loo()
    out = {"load_s": loaded, "loo_s": time.perf_counter() - t, "loo": result.to_dict()}
    n = comp.X.shape[0]
    if result.subsampled and n <= full_max:
        t = time.perf_counter()
        full = comp.loo(subsample=False)
        out["full_loo_s"] = time.perf_counter() - t
        out["full"] = full.to_dict()
        out["subsample"] = result.to_dict()
        out["z"] = (result.elpd - full.elpd) / result.subsampling_se
    print(json.dumps(out))


def one_n(n: int, env: dict, work: Path, full_max: int, loo: bool = True) -> dict:
    import numpy as np

    from gmm_pp.data import DEMO_TRUTH

    X, _ = DEMO_TRUTH.sample(n, seed=1)
    data = work / f"data-{n}.npy"
    np.save(data, X)
    folder = work / f"fit-{n}"
    wall, rss, _ = _run(
        [*GMM_PP, "fit", str(data), "-k", "3", "--out", str(folder), "--quiet"], env
    )
    saved = json.loads((folder / "comparison.json").read_text())
    steps = saved["timings"]
    row = {
        "n": n,
        "fit_wall_s": wall,
        "fit_peak_rss_gb": rss,
        "steps_s": steps,
        "compare_s": sum(steps.values()),
        # (before issue 19 the log-likelihood was part of "diagnostics")
        "postprocess_share": (steps.get("log_likelihood", 0.0) + steps["diagnostics"])
        / steps["sample"],
        "folder_mb": _size(folder),
        "report_mb": _size(folder / "report"),
        "posterior_nc_mb": (folder / "posterior.nc").stat().st_size / 1e6,
        "data_npy_mb": (folder / "data.npy").stat().st_size / 1e6,
        "rhat_max": saved["diagnostics"]["rhat_max"],
    }
    if loo:
        loo_wall, loo_rss, out = _run(
            [sys.executable, __file__, "--loo-child", str(folder), str(full_max)], env
        )
        row["loo_process_s"] = loo_wall
        row["loo_peak_rss_gb"] = loo_rss
        row.update(json.loads(out.strip().splitlines()[-1]))
    shutil.rmtree(folder)
    data.unlink()
    return row


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] == "--loo-child":
        _loo_child(args[1], int(args[2]))
        return
    dump = None
    if "--json" in args:
        i = args.index("--json")
        dump = args[i + 1]
        del args[i : i + 2]
    full_max = 10_000
    if "--full-loo-max" in args:
        i = args.index("--full-loo-max")
        full_max = int(float(args[i + 1]))
        del args[i : i + 2]
    loo = "--no-loo" not in args  # (for a commit before Comparison.loo)
    args = [a for a in args if a != "--no-loo"]
    sizes = [int(float(a)) for a in args] or [1_000, 10_000, 100_000, 1_000_000]
    env = dict(os.environ)
    work = Path(tempfile.mkdtemp(prefix="gmm-pp-scale-"))
    rows = []
    try:
        for n in sizes:
            row = one_n(n, env, work, full_max, loo)
            rows.append(row)
            s = row["steps_s"]
            line = (
                f"n={n:>9,}: fit {row['fit_wall_s']:7.1f} s (sample {s['sample']:7.1f}, "
                f"loglik {s.get('log_likelihood', 0.0):6.2f}, diagnostics "
                f"{s['diagnostics']:5.2f}: {100 * row['postprocess_share']:4.1f}% of sampling; "
                f"em {s['em']:5.1f}, compile {s['compile']:5.1f}), peak RSS "
                f"{row['fit_peak_rss_gb']:.2f} GB, folder {row['folder_mb']:.1f} MB (report "
                f"{row['report_mb']:.1f}, posterior.nc {row['posterior_nc_mb']:.1f})"
            )
            if loo:
                line += (
                    f", loo {row['loo']['method']} {row['loo_s']:.1f} s, elpd "
                    f"{row['loo']['elpd']:.1f} (SE {row['loo']['se']:.1f}, subsampling "
                    f"{row['loo']['subsampling_se']:.2f}), load+loo peak RSS "
                    f"{row['loo_peak_rss_gb']:.2f} GB"
                )
            if "full" in row:
                line += (
                    f"; full PSIS-LOO elpd {row['full']['elpd']:.2f}, subsampled "
                    f"{row['subsample']['elpd']:.2f} +- {row['subsample']['subsampling_se']:.2f}"
                    f" (z = {row['z']:+.2f})"
                )
            print(line, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if dump:
        Path(dump).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
