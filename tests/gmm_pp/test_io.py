"""The output policy: refused targets, all-or-nothing writes, one writer, umask, repair."""

from __future__ import annotations

import os
import stat

import pytest

from gmm_pp.errors import OutputError
from gmm_pp.io import folder_lock, output_folder, refuse_unsafe_target, write_atomic


def _tree(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _write(folder, text="new"):
    (folder / "a.txt").write_text(text)
    (folder / "sub").mkdir()
    (folder / "sub" / "b.txt").write_text(text)


def test_new_target_lands_whole(tmp_path):
    out = tmp_path / "deep" / "out"
    with output_folder(out) as tmp:
        assert tmp.parent == out.parent and tmp.name.startswith(".out.gmm-pp-partial-")
        _write(tmp)
        assert not out.exists()  # nothing at the target until the block ends
    assert _tree(out) == ["a.txt", "sub", "sub/b.txt"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]  # no partial, no lock


@pytest.mark.parametrize(
    ("setup", "kwargs", "match"),
    [
        ("file", {}, "is a file"),
        ("file", {"overwrite": True}, "is a file"),
        ("symlink", {}, "is a symbolic link"),
        ("nonempty", {}, "exists and is not empty; choose another folder or pass --overwrite"),
        ("input", {"overwrite": True}, "holds this command's input"),
        ("input-is-target", {"overwrite": True}, "holds this command's input"),
    ],
)
def test_refused_targets_are_left_untouched(tmp_path, setup, kwargs, match):
    out = tmp_path / "out"
    inputs = []
    if setup == "file":
        out.write_text("precious")
    elif setup == "symlink":
        (tmp_path / "real").mkdir()
        out.symlink_to(tmp_path / "real")
    else:
        out.mkdir()
        (out / "data.csv").write_text("precious")
        if setup == "input":
            inputs = [out / "data.csv"]
        elif setup == "input-is-target":
            inputs = [out]
    before = _tree(tmp_path)
    with pytest.raises(OutputError, match=match):
        with output_folder(out, inputs=inputs, **kwargs) as tmp:
            _write(tmp)
    assert _tree(tmp_path) == before


def test_an_empty_folder_may_be_written_without_overwrite(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with output_folder(out) as tmp:
        _write(tmp)
    assert _tree(out) == ["a.txt", "sub", "sub/b.txt"]


def test_overwrite_replaces_only_when_complete(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError, match="half way"):
        with output_folder(out, overwrite=True) as tmp:
            _write(tmp)
            raise RuntimeError("half way")
    assert _tree(out) == ["old.txt"] and (out / "old.txt").read_text() == "old"
    with pytest.raises(KeyboardInterrupt):
        with output_folder(out, overwrite=True) as tmp:
            _write(tmp)
            raise KeyboardInterrupt
    assert _tree(out) == ["old.txt"]
    with output_folder(out, overwrite=True) as tmp:
        _write(tmp)
    assert _tree(out) == ["a.txt", "sub", "sub/b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_second_writer_is_refused_at_once(tmp_path):
    out = tmp_path / "out"
    with output_folder(out) as tmp:
        with pytest.raises(OutputError, match="another gmm-pp process is writing"):
            with output_folder(out):
                pass
        _write(tmp)
    assert _tree(out) == ["a.txt", "sub", "sub/b.txt"]
    with folder_lock(out):  # released: it can be taken again
        pass


def test_the_next_writer_removes_partial_folders_and_restores_a_result_set_aside(tmp_path):
    out = tmp_path / "out"
    # What kill -9 leaves: a partial folder, and (when it falls between the two
    # renames of the fallback replacement) the earlier result set aside.
    stale = tmp_path / ".out.gmm-pp-partial-999-1"
    stale.mkdir()
    (stale / "half.txt").write_text("half")
    aside = tmp_path / ".out.gmm-pp-replaced-999"
    aside.mkdir()
    (aside / "old.txt").write_text("old")
    other = tmp_path / ".other.gmm-pp-partial-1-1"  # another target's: not ours to remove
    other.mkdir()
    with pytest.raises(OutputError, match="exists and is not empty"):
        with output_folder(out):
            pass
    assert (out / "old.txt").read_text() == "old"  # restored, then protected
    assert not stale.exists() and not aside.exists() and other.exists()


def test_refuse_unsafe_target_names_the_parameter(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match=r"^directory: .* is a file"):
        refuse_unsafe_target(tmp_path / "f", name="directory")
    assert refuse_unsafe_target(tmp_path / "new") == tmp_path / "new"


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_folders_and_files_honour_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        out = tmp_path / "out"
        with output_folder(out) as tmp:
            _write(tmp)
        write_atomic(out / "c.txt", "atomic")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask
    assert stat.S_IMODE((out / "sub").stat().st_mode) == 0o777 & ~umask
    for name in ("a.txt", "c.txt", "sub/b.txt"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o666 & ~umask


def test_write_atomic_leaves_no_temporary_on_failure(tmp_path):
    target = tmp_path / "x.json"
    write_atomic(target, "{}")
    with pytest.raises(TypeError):
        write_atomic(target, 3)
    assert target.read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


@pytest.mark.parametrize("exchange", [True, False])
def test_replacement_with_and_without_an_atomic_exchange(tmp_path, monkeypatch, exchange):
    """Linux swaps the folders in one step; elsewhere two renames do it (the next run
    repairs a kill between them, see above)."""
    import gmm_pp.io as io

    if not exchange:
        monkeypatch.setattr(io, "_exchange", lambda a, b: False)
    else:
        probe_a, probe_b = tmp_path / "pa", tmp_path / "pb"
        probe_a.mkdir()
        probe_b.mkdir()
        if not io._exchange(probe_a, probe_b):
            pytest.skip("no renameat2(RENAME_EXCHANGE) on this file system")
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with output_folder(out, overwrite=True) as tmp:
        _write(tmp)
    assert _tree(out) == ["a.txt", "sub", "sub/b.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]
