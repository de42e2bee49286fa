"""Every lesson built as shipped: no page carries a warning its text does not explain.

    .venv/bin/python scripts/check_lessons.py

The lessons sample their posteriors with their own settings (4 chains x (1000 +
2000) draws, n up to 5000, models no test compiles): minutes with an empty compile
cache, so this runs by hand, its result in BENCHMARKS.md; the suite builds every
lesson with small settings and the degeneracy lesson as shipped.  Checks: no
"Warnings:" in any lesson's text; mle-vs-bayes explains its n = 10 spurious
maximum, and says the posterior concentrates around the MLE exactly when its table
shows it; the degeneracy lesson draws the climb and the prior's plunge.  Exits 1
when a lesson fails.
"""

from __future__ import annotations

import sys
import time

from reports.lessons import LESSONS, build_lesson


def main() -> int:
    """Build every lesson as shipped; 0 when none fails its checks."""
    failed = 0
    for name in LESSONS:
        t = time.perf_counter()
        lesson = build_lesson(name)
        text = " ".join(section.text for section in lesson.sections)
        problems = []
        if "Warnings:" in text:
            problems.append(text[text.find("Warnings:") :][:300])
        if name == "mle-vs-bayes" and not (
            "a spurious maximum" in text and "rules such maxima out" in text
        ):
            problems.append("the n = 10 spurious maximum is not explained")
        if name == "mle-vs-bayes":
            rows = lesson.sections[0].table.rows  # n, MLE, MAP, mean, sd, interval, gap
            sd_falls = float(rows[-1][4]) < float(rows[0][4])
            closer = abs(float(rows[-1][3]) - float(rows[-1][1])) <= abs(
                float(rows[0][3]) - float(rows[0][1])
            )
            said = "the posterior concentrates around the MLE" in text
            if said != (sd_falls and closer):
                problems.append("the concentration claim disagrees with the table")
        if name == "degeneracy":
            data = lesson.sections[0].figure.data
            if not data["loglik"][-1] > max(data["loglik"][:10]) + 4:
                problems.append("no climb")
            if not data["log_posterior"][-1] < -1e10:
                problems.append("no plunge")
        status = "ok" if not problems else "FAILED: " + "; ".join(problems)
        failed += bool(problems)
        print(f"{name}: {status} ({time.perf_counter() - t:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
