"""The folders show the architecture, and imports run one way: down the layers of docs/design.md.

Read off the source with ``ast`` (no imports run), at top level and inside functions alike:

    app_pages (pages)  ->  app_pages.parts  ->  app_pages.server
        -> nnviz.views (Plotly figures) -> nnviz.models (page models, URL state)
        -> nnviz.playground (the 2-D optimizer maths) -> nnviz.engine (the mathematics)
    nnviz.models and app_pages.server -> nnviz.store (the class database: SQL) -> nnviz.engine
    nnviz.cli -> nnviz.bench -> the models and the engine

A module may import its own layer and the layers below it, never one above; and no chain of
imports, however long, comes back to where it started. The tests share their helpers through
tests/helpers/ (and conftest.py's fixtures), never by importing another test module or a benchmark.
"""

import ast
import importlib
import pkgutil
import sys
from pathlib import Path

import nnviz

REPO = Path(nnviz.__file__).parent.parent

# layer -> the layers it may import (besides itself); a layer is a package or a module prefix
MAY_IMPORT = {
    "nnviz.engine": set(),
    "nnviz.playground": {"nnviz.engine"},
    "nnviz.store": {"nnviz.engine"},  # class mode's database: the only code that speaks SQL
    "nnviz.models": {"nnviz.engine", "nnviz.playground", "nnviz.store"},
    "nnviz.views": {"nnviz.engine", "nnviz.playground", "nnviz.models"},
    "nnviz.bench": {"nnviz.engine"},
    "nnviz.cli": {"nnviz.engine", "nnviz.bench", "nnviz.models"},
    "nnviz": {"nnviz.engine", "nnviz.cli"},  # the package's API and python -m nnviz
    "app_pages.server": {"nnviz.engine", "nnviz.models", "nnviz.store"},
    "app_pages.parts": {
        "nnviz.engine",
        "nnviz.playground",
        "nnviz.models",
        "nnviz.views",
        "app_pages.server",
    },
    "app_pages": {  # the pages
        "nnviz.engine",
        "nnviz.playground",
        "nnviz.models",
        "nnviz.views",
        "app_pages.server",
        "app_pages.parts",
    },
}
PAGES = (
    "app_pages/lab.py",
    "app_pages/playground.py",
    "app_pages/sweep.py",
    "app_pages/classroom.py",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> dict[str, Path]:
    """Every module of the package and the app's pages, by dotted name."""
    paths = [*(REPO / "nnviz").rglob("*.py"), *(REPO / "app_pages").rglob("*.py")]
    return {module_name(p): p for p in sorted(paths)}


MODULES = sources()


def imported(name: str) -> set[str]:
    """The modules ``name`` imports: ``from pkg import sub`` counts as pkg.sub when sub is one."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from .m import y
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            subs = {f"{base}.{a.name}" for a in node.names} & MODULES.keys()
            found |= subs or {base}
    return found


def layer_of(name: str) -> str:
    """The longest layer prefix of a module name."""
    return max((lay for lay in MAY_IMPORT if name == lay or name.startswith(lay + ".")), key=len)


def project_imports(name: str) -> set[str]:
    return {m for m in imported(name) if m in MODULES}


def test_every_module_has_a_layer():
    assert [m for m in MODULES if not any(m.startswith(lay) for lay in MAY_IMPORT)] == []


def upward_imports() -> dict[str, list[str]]:
    """Each module that imports a layer it may not, with what it imports from there."""
    upward = {}
    for name in MODULES:
        own = layer_of(name)
        bad = sorted(m for m in project_imports(name) if layer_of(m) not in MAY_IMPORT[own] | {own})
        if bad:
            upward[name] = bad
    return upward


def circles() -> list[list[str]]:
    """Depth-first over the import graph; each back edge is a circle, given as its path."""
    graph = {name: sorted(project_imports(name) - {name}) for name in MODULES}
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    found: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])
    return found


def test_no_module_imports_a_layer_above_its_own():
    assert upward_imports() == {}


def test_no_import_circles():
    assert circles() == []


def test_the_pages_are_imported_by_nothing():
    """st.navigation runs a page by its path; shared code lives in parts/ or server.py."""
    pages = {module_name(REPO / p) for p in PAGES}
    importers = {n: sorted(project_imports(n) & pages) for n in MODULES}
    assert {n: v for n, v in importers.items() if v} == {}
    assert {module_name(p) for p in (REPO / "app_pages").glob("*.py")} == pages | {
        "app_pages.server"
    }


def test_the_package_never_imports_streamlit_the_app_or_benchmarks():
    roots = {"streamlit", "app_pages", "benchmarks", "tests"}
    offenders = {
        n: sorted(m for m in imported(n) if m.split(".")[0] in roots)
        for n in MODULES
        if n.startswith("nnviz")
    }
    assert {n: v for n, v in offenders.items() if v} == {}


def test_only_the_views_and_the_pages_import_plotly():
    drawing = ("nnviz.views", "app_pages")
    offenders = [
        n
        for n in MODULES
        if not n.startswith(drawing) and any(m.split(".")[0] == "plotly" for m in imported(n))
    ]
    assert offenders == []


SQL = {"sqlalchemy", "alembic", "psycopg", "sqlite3"}


def sql_speakers(modules: dict[str, Path]) -> list[str]:
    """The modules outside nnviz.store that import a database library."""
    return [
        n
        for n in modules
        if not n.startswith("nnviz.store") and any(m.split(".")[0] in SQL for m in imported(n))
    ]


def test_only_the_store_speaks_sql():
    assert sql_speakers(MODULES) == []
    assert "nnviz.store.database" in [n for n in MODULES if "sqlalchemy" in imported(n)]


def test_the_sql_check_sees_a_page_importing_sqlalchemy(tmp_path, monkeypatch):
    page = tmp_path / "app_pages" / "x.py"
    page.parent.mkdir()
    page.write_text("def f():\n    from sqlalchemy import text\n")
    monkeypatch.setattr(sys.modules[__name__], "MODULES", {"app_pages.x": page})
    assert sql_speakers(MODULES) == ["app_pages.x"]


def test_no_package_attribute_shadows_a_submodule():
    packages = [n for n, p in MODULES.items() if p.name == "__init__.py" and n.startswith("nnviz")]
    for package in packages:
        pkg = importlib.import_module(package)
        for info in pkgutil.iter_modules(pkg.__path__):
            attr = getattr(pkg, info.name, None)
            if attr is not None:
                assert getattr(attr, "__name__", None) == f"{package}.{info.name}", (
                    f"{package}.{info.name} is {attr!r}, not the submodule"
                )


def test_the_checks_see_an_upward_import_and_a_circle(tmp_path, monkeypatch):
    """The rules would catch the faults they are for: an engine module importing a view that
    imports it back is both an upward import and a circle."""
    engine = tmp_path / "nnviz" / "engine" / "a.py"
    view = tmp_path / "nnviz" / "views" / "b.py"
    for path, text in ((engine, "from nnviz.views import b\n"), (view, "import nnviz.engine.a\n")):
        path.parent.mkdir(parents=True)
        path.write_text(text)
    here = sys.modules[__name__]
    monkeypatch.setattr(here, "MODULES", {"nnviz.engine.a": engine, "nnviz.views.b": view})
    assert upward_imports() == {"nnviz.engine.a": ["nnviz.views.b"]}
    assert circles() == [["nnviz.engine.a", "nnviz.views.b", "nnviz.engine.a"]]


# --- the tests: helpers shared through tests/helpers/ (and conftest.py's fixtures) ---------------

TESTS = REPO / "tests"
# the test modules whose subject is a benchmark's own code, and that code: the only imports of
# benchmarks/ from tests/ (the simulated students' client and /proc readers they share with the
# deploy test are helpers: tests/helpers/students.py, procfs.py)
BENCHMARK_SUBJECTS = {
    "test_class_benchmark": {"benchmarks.class_mode", "benchmarks.class_page"},  # its subjects
    "test_classroom": {"benchmarks.classroom"},
    "test_mutants": {"benchmarks.mutants"},
    "test_network_figures": {"benchmarks.inside"},
}


def modules_named(path: Path) -> set[str]:
    """What a file imports, as dotted names: ``from pkg import sub`` counts as pkg.sub when sub
    is a module file of the repository (tests/ is no package: its imports are absolute)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            folder = REPO.joinpath(*node.module.split("."))
            subs = {f"{node.module}.{a.name}" for a in node.names}
            found |= {s for s in subs if (folder / f"{s.rpartition('.')[2]}.py").is_file()} or {
                node.module
            }
    return found


def is_test_module(name: str) -> bool:
    parts = name.split(".")
    parts = parts[1:] if parts[0] == "tests" and len(parts) > 1 else parts
    return parts[0].startswith("test_") or parts[0] == "conftest"


def import_offences(files: dict[str, Path]) -> dict[str, list[str]]:
    """Each file of tests/ that imports a test module, or a benchmark it is not the test of."""
    offences = {}
    for name, path in files.items():
        allowed = BENCHMARK_SUBJECTS.get(name, set())
        bad = [
            m
            for m in sorted(modules_named(path))
            if is_test_module(m) or (m.split(".")[0] == "benchmarks" and m not in allowed)
        ]
        if bad:
            offences[name] = bad
    return offences


def files_in_tests() -> dict[str, Path]:
    return {
        str(p.relative_to(TESTS).with_suffix("")).replace("/", "."): p
        for p in sorted(TESTS.rglob("*.py"))
    }


def test_tests_share_helpers_never_another_test_module_nor_benchmarks():
    files = files_in_tests()
    assert {"test_app", "test_browser", "helpers.browser", "conftest", "oracle"} <= files.keys()
    assert import_offences(files) == {}


def test_the_test_check_sees_a_test_module_and_a_benchmark_imported(tmp_path):
    planted = tmp_path / "test_x.py"
    planted.write_text(
        "from test_app import charts\nimport tests.test_turns\nfrom benchmarks import browser\n"
        "def test_y():\n    from benchmarks.inside import measure\n"
    )
    assert import_offences({"test_x": planted, "test_network_figures": planted}) == {
        "test_x": ["benchmarks", "benchmarks.inside", "test_app", "tests.test_turns"],
        "test_network_figures": ["benchmarks", "test_app", "tests.test_turns"],
    }


def module_marks(path: Path) -> set[str]:
    """The marks of ``pytestmark = pytest.mark.x`` (or a list of them) at a module's top level."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            values = node.value.elts if isinstance(node.value, ast.List) else [node.value]
            return {v.attr for v in values if isinstance(v, ast.Attribute)}
    return set()


def test_every_module_that_drives_a_browser_is_marked_browser():
    """So that ``pytest -m "not browser and not lesson"`` is the fast suite."""
    drivers = {
        n: p
        for n, p in files_in_tests().items()
        if any(m.split(".")[0] == "playwright" for m in modules_named(p))
    }
    assert {"test_browser", "test_browser_sweep"} <= drivers.keys()
    tests = {n for n in drivers if n.startswith("test_")}
    assert {n for n in tests if "browser" not in module_marks(drivers[n])} == set()
