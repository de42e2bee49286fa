"""Small classic data sets shipped with gmm-pp, loadable by name.

- ``course-example``: the course's worked 1-D example, five points
  (0.2, -0.9, -1, 1.2, 1.8); the lesson starts from two components with means
  -3 and 2, variances 4 and weights 1/2.
- ``faithful``: Old Faithful geyser eruptions, 272 rows of eruption duration
  (minutes) and waiting time to the next eruption (minutes); R's
  ``datasets::faithful`` (Azzalini and Bowman, 1990; Härdle, 1991), the classic
  two-component example.
- ``iris``: Fisher's (Anderson's) iris measurements, 150 x 4 (sepal and petal length
  and width, cm), without the species; R's ``datasets::iris``.
- ``galaxies``: velocities of 82 galaxies in the Corona Borealis region, in 1000 km/s
  (Roeder, 1990); R's ``MASS::galaxies / 1000``, the classic hard case for EM's starts.
"""

from __future__ import annotations

from importlib import resources

from gmm_pp.data import load_data
from gmm_pp.errors import InputError

__all__ = ["ALIASES", "DATASETS", "load_dataset"]

#: Name -> (file, description).
DATASETS: dict[str, tuple[str, str]] = {
    "course-example": ("course_example.csv", "the course's worked 1-D example (5 points)"),
    "faithful": ("faithful.csv", "Old Faithful eruptions and waiting times (272 x 2)"),
    "galaxies": ("galaxies.csv", "velocities of 82 galaxies, 1000 km/s (82 x 1)"),
    "iris": ("iris.csv", "iris sepal and petal measurements, cm (150 x 4)"),
}


#: Earlier spellings still accepted.
ALIASES = {"course_example": "course-example"}


def load_dataset(name: str, *, as_frame: bool = False):
    """Load a bundled data set by name.

    Parameters
    ----------
    name : {"course-example", "faithful", "galaxies", "iris"}
    as_frame : bool, default False
        A pandas DataFrame with the data set's column names (``eruptions``,
        ``waiting`` for faithful), as scikit-learn's loaders do.

    Returns
    -------
    ndarray of shape (n_samples, n_features), or DataFrame

    Raises
    ------
    InputError
        For an unknown name; the message lists the known ones.
    """
    name = ALIASES.get(name, name)
    if name not in DATASETS:
        raise InputError(f"name: expected one of {sorted(DATASETS)}, got {name!r}")

    with resources.as_file(resources.files(__package__) / DATASETS[name][0]) as path:
        return load_data(path, as_frame=as_frame)
