"""A lesson's HTML page (reports' machinery: template, embedded PNGs, atomic write)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

__all__ = ["write_lesson"]


def write_lesson(lesson, out_dir: str | Path) -> Path:
    """Write ``index.html``, one PNG per figure and ``data.json`` for a lesson.

    Parameters
    ----------
    lesson : gmm_pp.teach.Lesson
    out_dir : str or Path

    Returns
    -------
    Path
        The path of ``index.html``.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from gmm_pp._files import atomic_directory
    from reports import lesson_plots
    from reports.html import render_page, save_figure

    target = Path(out_dir)
    with atomic_directory(target) as tmp:
        sections = []
        for i, section in enumerate(lesson.sections):
            figure = None
            if section.figure is not None:
                fig, _ = getattr(lesson_plots, section.figure.plot)(section.figure.data)
                figure = save_figure(fig, tmp, f"figure{i + 1}", (section.heading, ""), dpi=100)
            sections.append({"section": section, "figure": figure})
        render_page(tmp, "lesson.html.j2", lesson=lesson, sections=sections)
        (tmp / "data.json").write_text(json.dumps(asdict(lesson), allow_nan=True, default=float))
    return target / "index.html"
