"""The layer contract, read from the source: imports flow one way.

``em`` (numpy, scipy) <- ``gmm_pp`` (the PyMC side, the comparison, studies, data)
<- ``reports`` (figures, pages, lessons) <- the CLI (``gmm_pp.cli`` and its modules,
``gmm_pp.__main__``), the one part that may import everything.
Every import statement counts, at module level or inside a function; a layer uses
only the public names of the layers below (no ``_private`` module or name of
another package); and there is no import cycle inside a package.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("em", "gmm_pp", "reports")
CLI = {"gmm_pp.cli", "gmm_pp.__main__"}
RANK = {"em": 0, "gmm_pp": 1, "reports": 2, "cli": 3}
#: What em may import beyond the standard library (its estimator: scikit-learn).
EM_ALLOWED = {"numpy", "scipy", "threadpoolctl"}
EM_ESTIMATOR_ALLOWED = {"sklearn"}
HEAVY = {"pymc", "pytensor", "arviz", "matplotlib", "nutpie", "sklearn", "gmm_pp", "reports"}


def _layer(module: str) -> str | None:
    if module in CLI or module.startswith("gmm_pp.cli."):
        return "cli"
    top = module.split(".")[0]
    return top if top in RANK else None


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, module: str):
    """``(line, imported module, names, runtime)`` of every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_checking = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_checking.update(id(n) for n in ast.walk(node))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        runtime = id(node) not in type_checking
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, (), runtime
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = tuple(a.name for a in node.names)
            # ``from em import density``: a module of em, not a name
            yield node.lineno, base, names, runtime


def violations(root: Path = ROOT) -> list[str]:
    """Every breach of the contract in the tree under ``root``."""
    out = []
    graph: dict[str, set[str]] = {}
    files = [p for pkg in PACKAGES for p in sorted((root / pkg).rglob("*.py"))]
    known = {_module_name(p, root) for p in files}
    for path in files:
        module = _module_name(path, root)
        here = _layer(module)
        graph.setdefault(module, set())
        for line, target, names, runtime in _imports(path, module):
            where = f"{path.relative_to(root)}:{line}"
            top = target.split(".")[0]
            if here == "em" and top not in PACKAGES and top in HEAVY | {"pandas"}:
                allowed = EM_ESTIMATOR_ALLOWED if module == "em.estimator" else set()
                if top not in allowed:
                    out.append(f"{where}: em imports {target}")
            there = _layer(target)
            if there is None:
                continue
            if RANK[there] > RANK[here]:
                out.append(f"{where}: {module} ({here}) imports {target} ({there}), a layer above")
            if top != module.split(".")[0] or (here == "cli") != (there == "cli"):
                private = [p for p in target.split(".")[1:] if p.startswith("_")]
                private += [n for n in names if n.startswith("_") and n != "__version__"]
                if private and top != module.split(".")[0]:
                    out.append(f"{where}: {module} uses {target}'s private {private}")
            if runtime and top == module.split(".")[0]:
                for name in names:
                    if f"{target}.{name}" in known:
                        graph[module].add(f"{target}.{name}")
                if target in known and target != module:
                    graph[module].add(target)
    out.extend(_cycles(graph))
    return out


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    """Import cycles between modules of one package (package __init__ files aside)."""

    def deps(m):
        return {d for d in graph.get(m, ()) if d in graph and not _is_package(d, graph)}

    out, seen = [], set()
    for start in sorted(graph):
        if _is_package(start, graph):
            continue
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in deps(node):
                if nxt == start:
                    cycle = " -> ".join([*path, start])
                    key = frozenset(path)
                    if key not in seen:
                        seen.add(key)
                        out.append(f"import cycle: {cycle}")
                elif nxt not in path and len(path) < 8:
                    stack.append((nxt, [*path, nxt]))
    return out


def _is_package(module: str, graph) -> bool:
    return any(other.startswith(module + ".") for other in graph)


def test_imports_flow_one_way():
    assert violations() == []


@pytest.mark.parametrize(
    ("where", "code", "expected"),
    [
        ("gmm_pp/planted.py", "import reports\n", "a layer above"),
        ("gmm_pp/planted.py", "def f():\n    from reports import plots\n", "a layer above"),
        ("em/planted.py", "from gmm_pp.data import as_data\n", "a layer above"),
        ("em/planted.py", "import matplotlib\n", "em imports matplotlib"),
        ("reports/planted.py", "from gmm_pp.cli.commands import run\n", "a layer above"),
        ("gmm_pp/planted.py", "from em._workspace import Workspace\n", "private"),
        ("em/planted.py", "from em.fit import fit\n", "import cycle"),
    ],
)
def test_a_planted_wrong_way_import_fails(tmp_path, where, code, expected):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    if expected == "import cycle":  # em.fit -> em.planted -> em.fit
        fit = tmp_path / "em" / "fit.py"
        fit.write_text(fit.read_text() + "\nfrom em import planted  # noqa\n")
    (tmp_path / where).write_text(code)
    found = violations(tmp_path)
    assert any(expected in v and "planted" in v for v in found), found


def _loaded_after(statement: str) -> set[str]:
    code = (
        f"import sys; {statement}; "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_em_is_light():
    """``import em`` loads numpy and scipy only; its estimator loads scikit-learn."""
    loaded = _loaded_after("import em")
    assert "numpy" in loaded
    assert not loaded & HEAVY, loaded & HEAVY


@pytest.mark.parametrize("package", ["gmm_pp", "reports", "gmm_pp.cli"])
def test_packages_import_cleanly(package):
    loaded = _loaded_after(f"import {package}")
    assert "matplotlib" not in loaded and "pymc" not in loaded
