"""A lesson's HTML page (reports' machinery: template, embedded PNGs, atomic write)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from reports.html import render_page, save_figure, write_page

__all__ = ["render_lesson", "write_lesson"]


def _plain(value):
    """JSON for what json cannot write: functions by name, arrays as lists, numbers as floats."""
    if callable(value):
        return value.__name__
    if isinstance(value, np.ndarray):
        return value.tolist()
    return float(value)


def write_lesson(lesson, out_dir: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``index.html``, one PNG per figure and ``data.json`` for a lesson.

    All of it or nothing, under gmm-pp's output policy (:mod:`gmm_pp.io`).

    Parameters
    ----------
    lesson : reports.lessons.Lesson
    out_dir : str or Path
    overwrite : bool, default False
        Replace an existing non-empty folder.

    Returns
    -------
    Path
        The path of ``index.html``.
    """
    return write_page(render_lesson, lesson, out_dir, overwrite=overwrite)


def render_lesson(lesson, folder: str | Path) -> Path:
    """Write a lesson's files into the existing folder ``folder`` (not atomic)."""
    tmp = Path(folder)
    sections = []
    for i, section in enumerate(lesson.sections):
        figure = None
        if section.figure is not None:
            fig, _ = section.figure.plot(section.figure.data)
            figure = save_figure(fig, tmp, f"figure{i + 1}", (section.heading, ""), dpi=100)
        sections.append({"section": section, "figure": figure})
    render_page(tmp, "lesson.html.j2", lesson=lesson, sections=sections)
    (tmp / "data.json").write_text(
        json.dumps(asdict(lesson), allow_nan=True, default=_plain), "utf-8"
    )
    return tmp / "index.html"
