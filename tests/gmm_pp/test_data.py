"""Loading data files: CSV with or without header, .npy, and every way they go wrong."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from gmm_pp import DataError, load_data, simulate
from gmm_pp.data import DEMO_TRUTH


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_and_without_header(tmp_path):
    want = np.array([[1.0, 2.0], [3.0, -4.5]])
    assert_array_equal(load_data(_write(tmp_path, "a.csv", "x,y\n1,2\n3,-4.5\n")), want)
    assert_array_equal(load_data(_write(tmp_path, "b.csv", "1,2\n3,-4.5\n")), want)
    assert_array_equal(
        load_data(_write(tmp_path, "c.csv", "x\n1\n2\n\n3\n")), [[1.0], [2.0], [3.0]]
    )
    assert_array_equal(load_data(_write(tmp_path, "d.tsv", "1\t2\n3\t-4.5\n")), want)


def test_npy(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(6.0))
    assert load_data(tmp_path / "a.npy").shape == (6, 1)
    np.save(tmp_path / "b.npy", np.zeros((2, 2, 2)))
    with pytest.raises(DataError, match="got 3 dimensions"):
        load_data(tmp_path / "b.npy")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("x,y\n1,2\n3,abc\n", r"line 3, column 2: 'abc' is not a number"),
        ("1,2\n3\n", r"line 2 has 1 fields, expected 2"),
        ("1,2\n3,nan\n", r"line 2, column 2: 'nan' is not a finite number"),
        ("1,2\n-inf,1\n", r"line 2, column 1: '-inf' is not a finite number"),
        ("x,y\n", r"holds no data rows"),
        ("", r"holds no data rows"),
        ("1,2\n3,\n", r"line 2, column 2: '' is not a number"),
    ],
)
def test_bad_csv(tmp_path, text, match):
    with pytest.raises(DataError, match=match):
        load_data(_write(tmp_path, "bad.csv", text))


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_data(tmp_path / "nope.csv")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(DataError, match="not UTF-8 text"):
        load_data(tmp_path / "bin.csv")


def test_simulate_is_reproducible():
    X, y = simulate(DEMO_TRUTH, 100, seed=4)
    X2, y2 = simulate(DEMO_TRUTH, 100, seed=4)
    assert X.shape == (100, 2)
    assert_array_equal(X, X2)
    assert_array_equal(y, y2)


def test_bundled_data_sets():
    from gmm_pp import load_dataset

    faithful = load_dataset("faithful")
    # R's summary(faithful): n = 272, mean eruptions 3.487783, mean waiting 70.89706.
    assert faithful.shape == (272, 2)
    assert faithful.mean(axis=0) == pytest.approx([3.487783, 70.897059], abs=1e-6)
    assert faithful[:, 1].min() == 43 and faithful[:, 1].max() == 96
    # R's summary(MASS::galaxies / 1000) and colMeans(iris[, 1:4])
    galaxies = load_dataset("galaxies")
    assert galaxies.shape == (82, 1) and galaxies.mean() == pytest.approx(20.82817, abs=1e-5)
    assert (galaxies.min(), galaxies.max()) == (9.172, 34.279)
    iris = load_dataset("iris")
    assert iris.shape == (150, 4)
    assert iris.mean(axis=0) == pytest.approx([5.843333, 3.057333, 3.758, 1.199333], abs=1e-6)
    course = load_dataset("course-example")
    assert course[:, 0].tolist() == [0.2, -0.9, -1.0, 1.2, 1.8]
    assert load_dataset("course_example").tolist() == course.tolist()  # the earlier name
    names = r"\['course-example', 'faithful', 'galaxies', 'iris'\]"
    with pytest.raises(ValueError, match=r"name: expected one of " + names):
        load_dataset("old-faithful")


def test_names_come_from_the_header(tmp_path):
    from gmm_pp.datasets import load_dataset

    frame = load_dataset("faithful", as_frame=True)
    assert list(frame.columns) == ["eruptions", "waiting"]
    path = tmp_path / "named.csv"
    path.write_text("length,width\n1,2\n3,4\n")
    assert list(load_data(path, as_frame=True).columns) == ["length", "width"]
    path.write_text("1,2\n3,4\n")
    assert list(load_data(path, as_frame=True).columns) == [0, 1]  # no header: no names
    path.write_text("a,a\n1,2\n3,4\n")
    with pytest.raises(DataError, match=r"header: feature_names: expected distinct names"):
        load_data(path, as_frame=True)


def test_as_data_takes_names_from_frames_or_arguments():
    import pandas as pd

    from gmm_pp.data import as_data

    frame = pd.DataFrame({"eruptions": [1.0, 2.0], "waiting": [3.0, 4.0]})
    values, names = as_data(frame)
    assert names == ("eruptions", "waiting") and values.shape == (2, 2)
    assert as_data(frame.to_numpy())[1] is None
    assert as_data(frame.to_numpy(), ["a", "b"])[1] == ("a", "b")
    with pytest.raises(ValueError, match="feature_names: expected 2 names, one per column, got 3"):
        as_data(frame, ["a", "b", "c"])
