"""A study's results on disk: one part per finished replication, tables assembled from them.

Layout of the output folder::

    study.json            the study's description (checked on resume)
    parts/s000-r00000.json  one finished replication (written atomically)
    parameters.csv        one row per replication and parameter (tidy)
    replications.csv      one row per replication: flags, diagnostics, seconds, error
    summary.json          the metrics of :mod:`gmm_pp.study.metrics`

A kill or Ctrl-C loses only the replications in flight: every part is written
to a temporary file and renamed into place, so a part is whole or absent, and a
rerun skips the parts that exist.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from gmm_pp.study.config import StudyConfig

__all__ = ["StudyStore", "StudyStoreError"]


class StudyStoreError(ValueError):
    """The output folder holds a different study."""


class StudyStore:
    """The output folder of one study.

    Parameters
    ----------
    directory : str or Path
    config : StudyConfig
        Written to ``study.json`` on first use; a rerun must describe the same
        study (otherwise the parts would mix two studies).
    """

    def __init__(self, directory: str | Path, config: StudyConfig) -> None:
        self.directory = Path(directory)
        self.parts = self.directory / "parts"
        described = config.to_dict()
        meta = self.directory / "study.json"
        if meta.exists():
            existing = json.loads(meta.read_text(encoding="utf-8"))
            if existing != described:
                raise StudyStoreError(
                    f"out: {self.directory} holds a different study (its study.json differs "
                    "from this configuration); choose another --out or remove it"
                )
        self.parts.mkdir(parents=True, exist_ok=True)
        if not meta.exists():
            _write_atomic(meta, json.dumps(described, indent=2))

    def done(self, *, retry_failed: bool = False) -> set[str]:
        """Keys of the replications already finished (without the failed ones if asked)."""
        keys = {p.stem for p in self.parts.glob("*.json")}
        if retry_failed:
            for key in list(keys):
                part = json.loads((self.parts / f"{key}.json").read_text(encoding="utf-8"))
                if part["replication"].get("error"):
                    keys.discard(key)
        return keys

    def write(self, result: dict) -> None:
        """Store one replication's result (atomically)."""
        _write_atomic(self.parts / f"{result['key']}.json", json.dumps(result, allow_nan=True))

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(parameters, replications)`` from every stored part, in a fixed order."""
        rows, records = [], []
        for path in sorted(self.parts.glob("*.json")):
            part = json.loads(path.read_text(encoding="utf-8"))
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
        _write_atomic(self.directory / "parameters.csv", parameters.to_csv(index=False))
        _write_atomic(self.directory / "replications.csv", replications.to_csv(index=False))
        return parameters, replications


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
