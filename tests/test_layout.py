"""The folders show the architecture: the engine, the playground and the views, each with its rules.

Read off the source with ``ast`` (no imports run): what each part of the package may import.
"""

import ast
import importlib
import pkgutil
from pathlib import Path

import nnviz

ROOT = Path(nnviz.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at top level or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def files(part: str = "") -> list[Path]:
    return sorted((ROOT / part).rglob("*.py"))


def roots(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


def test_the_package_never_imports_streamlit_or_benchmarks():
    offenders = [str(p) for p in files() if roots(p) & {"streamlit", "benchmarks"}]
    assert offenders == []


def test_only_the_views_import_plotly():
    outside = [p for p in files() if "views" not in p.relative_to(ROOT).parts]
    assert [str(p) for p in outside if "plotly" in roots(p)] == []


def test_the_engine_imports_nothing_from_the_playground_or_views():
    bad = {"nnviz.playground", "nnviz.views", "nnviz.cli", "nnviz.bench"}
    offenders = {
        str(p): sorted(m for m in imported_modules(p) if any(m.startswith(b) for b in bad))
        for p in files("engine")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_package_attribute_shadows_a_submodule():
    for package in (
        "nnviz",
        "nnviz.engine",
        "nnviz.playground",
        "nnviz.models",
        "nnviz.views",
        "nnviz.bench",
    ):
        pkg = importlib.import_module(package)
        for info in pkgutil.iter_modules(pkg.__path__):
            attr = getattr(pkg, info.name, None)
            if attr is not None:
                assert getattr(attr, "__name__", None) == f"{package}.{info.name}", (
                    f"{package}.{info.name} is {attr!r}, not the submodule"
                )
