"""A lesson: sections of text, each with an optional table and figure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Figure", "Lesson", "Section", "Table"]


@dataclass(frozen=True)
class Table:
    """Columns and rows of already formatted cells."""

    columns: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Figure:
    """A figure: its drawing function (from :mod:`reports.lessons.plots`) and its numbers.

    ``plot(data)`` returns ``(figure, axes)``; it draws and computes nothing.
    """

    plot: Callable[[dict], tuple]
    data: dict


@dataclass(frozen=True)
class Section:
    """One step of a lesson."""

    heading: str
    text: str
    table: Table | None = None
    figure: Figure | None = None


@dataclass(frozen=True)
class Lesson:
    """A lesson, ready to be written as a page by :func:`reports.lessons.write_lesson`."""

    name: str
    title: str
    intro: str
    sections: list[Section] = field(default_factory=list)
