"""Validation studies: the comparison replicated over simulated data sets.

>>> from gmm_pp.study import load_config, run_study      # doctest: +SKIP
>>> result = run_study(load_config("study.toml"), "out")  # doctest: +SKIP
>>> print(result.text())                                  # doctest: +SKIP
"""

from pathlib import Path

from gmm_pp.study.config import Scenario, StudyConfig, StudyConfigError, load_config, unit_prior
from gmm_pp.study.runner import StudyResult, run_study

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
