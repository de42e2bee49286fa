"""Validation studies: the comparison replicated over simulated data sets.

>>> from gmm_pp.study import load_config, run_study      # doctest: +SKIP
>>> result = run_study(load_config("study.toml"), "out")  # doctest: +SKIP
>>> print(result.text())                                  # doctest: +SKIP

Names load their module on first use: a worker process, which imports
:mod:`gmm_pp.study.engine` to start, does not load pandas and the metrics.
"""

from pathlib import Path

from gmm_pp._lazy import lazy_names

__all__ = [
    "EXAMPLE",
    "Scenario",
    "StudyConfig",
    "StudyConfigError",
    "StudyResult",
    "load_config",
    "run_study",
    "unit_prior",
]

#: The example study that ships with the package.
EXAMPLE = Path(__file__).with_name("example.toml")

_LAZY = {
    "Scenario": "gmm_pp.study.config",
    "StudyConfig": "gmm_pp.study.config",
    "StudyConfigError": "gmm_pp.study.config",
    "load_config": "gmm_pp.study.config",
    "unit_prior": "gmm_pp.study.config",
    "StudyResult": "gmm_pp.study.runner",
    "run_study": "gmm_pp.study.runner",
}


__getattr__, __dir__ = lazy_names("gmm_pp.study", _LAZY, list(globals()))
