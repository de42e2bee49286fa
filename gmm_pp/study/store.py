"""A study's results on disk: one part per finished replication, tables assembled from them.

Layout of the output folder::

    study.json            the study's description (checked on resume)
    parts/s000-r00000.json  one finished replication (written atomically)
    parameters.csv        one row per replication and parameter (tidy)
    replications.csv      one row per replication: flags, diagnostics, seconds, error
    summary.json          the metrics of :mod:`gmm_pp.study.metrics`

A kill or Ctrl-C loses only the replications in flight: every part is written
to a temporary file and renamed into place, so a part is whole or absent, and a
rerun skips the parts that exist.  A part that is not a replication of this
study (truncated by hand, copied from elsewhere) is named with its path;
``retry_failed`` moves it aside to ``parts/rejected/`` and runs its
replication again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from gmm_pp.errors import GMMError
from gmm_pp.io import write_atomic
from gmm_pp.study.config import StudyConfig

__all__ = ["StudyStore", "StudyStoreError"]


class StudyStoreError(GMMError, ValueError):
    """The output folder holds a different study, or a part that is not a replication."""


class StudyStore:
    """The output folder of one study.

    Parameters
    ----------
    directory : str or Path
    config : StudyConfig
        Written to ``study.json`` on first use; a rerun must describe the same
        study (otherwise the parts would mix two studies).
    """

    def __init__(
        self, directory: str | Path, config: StudyConfig, *, meta_name: str = "study.json"
    ) -> None:
        self.directory = Path(directory)
        self.parts = self.directory / "parts"
        described = config.to_dict()  # any record with to_dict() (a selection's, too)
        meta = self.directory / meta_name
        if meta.exists():
            try:
                existing = json.loads(meta.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
                raise StudyStoreError(
                    f"out: {meta} is not a study description ({' '.join(str(exc).split())}); "
                    "choose another --out, or pass --overwrite to replace the folder"
                ) from None
            if existing != described:
                raise StudyStoreError(
                    f"out: {self.directory} holds a different study (its study.json differs "
                    "from this configuration); choose another --out, or pass --overwrite to "
                    "replace it"
                )
        self.parts.mkdir(parents=True, exist_ok=True)
        if not meta.exists():
            write_atomic(meta, json.dumps(described, indent=2))

    def read_part(self, path: Path) -> dict:
        """One stored replication, checked to be one.

        Raises
        ------
        StudyStoreError
            Naming the file, when it is not a replication result.
        """
        try:
            part = json.loads(path.read_text(encoding="utf-8"))
            ok = (
                isinstance(part, dict)
                and part.get("key") == path.stem
                and isinstance(part.get("rows"), list)
                and isinstance(part.get("replication"), dict)
            )
            why = "" if ok else "it does not hold this replication's key, rows and record"
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            why = f"it is not readable JSON ({' '.join(str(exc).split())})"
        if why:
            raise StudyStoreError(
                f"out: {path} is not a replication result: {why}; rerun with "
                "--retry-failed (retry_failed=True) to move it aside and run it again"
            )
        return part

    def check(self, keys: Collection[str], *, retry_failed: bool = False) -> list[Path]:
        """Check every stored part; with ``retry_failed`` move the bad ones aside.

        Parameters
        ----------
        keys : collection of str
            The replication keys of this study.
        retry_failed : bool

        Returns
        -------
        list of Path
            Where the parts set aside went (empty without ``retry_failed``).

        Raises
        ------
        StudyStoreError
            Without ``retry_failed``, for the first part that is not one of this
            study's replications.
        """
        moved = []
        for path in sorted(self.parts.glob("*.json")):
            try:
                self.read_part(path)
                if path.stem not in keys:
                    raise StudyStoreError(
                        f"out: {path} is not one of this study's replications (no replication "
                        f"is called {path.stem!r}); rerun with --retry-failed "
                        "(retry_failed=True) to move it aside"
                    )
            except StudyStoreError:
                if not retry_failed:
                    raise
                rejected = self.parts / "rejected"
                rejected.mkdir(exist_ok=True)
                target = rejected / path.name
                os.replace(path, target)
                moved.append(target)
        return moved

    def done(self, *, retry_failed: bool = False) -> set[str]:
        """Keys of the replications already finished (without the failed ones if asked)."""
        keys = {p.stem for p in self.parts.glob("*.json")}
        if retry_failed:
            for key in list(keys):
                if self.read_part(self.parts / f"{key}.json")["replication"].get("error"):
                    keys.discard(key)
        return keys

    def write(self, result: dict) -> None:
        """Store one replication's result (atomically)."""
        write_atomic(self.parts / f"{result['key']}.json", json.dumps(result, allow_nan=True))

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(parameters, replications)`` from every stored part, in a fixed order."""
        rows, records = [], []
        for path in sorted(self.parts.glob("*.json")):
            part = self.read_part(path)
            rows.extend(part["rows"])
            records.append(dict(part["replication"], key=part["key"]))
        parameters = pd.DataFrame(rows)
        replications = pd.DataFrame(records)
        if not replications.empty:
            replications = replications.sort_values("key", kind="stable").reset_index(drop=True)
        return parameters, replications

    def write_tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Assemble and write ``parameters.csv`` and ``replications.csv``."""
        parameters, replications = self.tables()
        write_atomic(self.directory / "parameters.csv", parameters.to_csv(index=False))
        write_atomic(self.directory / "replications.csv", replications.to_csv(index=False))
        return parameters, replications
