"""The layout rules of the package, checked on every run: imports point one way (the import-linter contract in
pyproject.toml), no import cycle (imports inside functions count too), the type check of the stage packages, small
packages and functions, and no module reaching for another module's private names."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from tests.helpers import ROOT

SOURCES = sorted([*(ROOT / "rag").rglob("*.py"), *(ROOT / "ui").rglob("*.py")])
MAX_MODULES = 12
MAX_FUNCTION_LINES = 80


def _tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def test_the_layer_contract_holds():
    """`lint-imports` reads [tool.importlinter] in pyproject.toml: cli > ui > app > answering > trust > retrieval >
    index > ingest > encoders > text > core."""
    out = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "1 kept, 0 broken" in out.stdout


def test_no_import_cycle_counting_imports_inside_functions():
    graph = grimp.build_graph("rag", "ui", cache_dir=None)
    modules = sorted(graph.modules)
    edges = {m: graph.find_modules_directly_imported_by(m) for m in modules}
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for other in sorted(edges[module]):
            if state.get(other) == 1:
                cycles.append(path[path.index(other):] + [other])
            elif other not in state:
                visit(other, path + [other])
        state[module] = 2

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in modules:
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.slow
def test_the_stage_packages_type_check():
    """mypy over the packages listed in [tool.mypy] files (every stage below the app)."""
    out = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-4000:]


def test_packages_are_small_and_functions_short():
    for package in {p.parent for p in SOURCES}:
        modules = [p for p in package.glob("*.py") if p.name != "__init__.py"]
        assert len(modules) <= MAX_MODULES, f"{package.relative_to(ROOT)} holds {len(modules)} modules"
    long = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {lines} lines")
    assert not long, "\n".join(long)


def test_no_module_imports_another_modules_private_name():
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("rag", "ui"):
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                if private:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} from {node.module} import {private}")
    assert not found, "\n".join(found)
