"""Generated documentation must match the schema and the packaged scenario."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parameter_docs_are_current():
    tool = _load_tool("gen_parameter_docs")
    current = (ROOT / "docs" / "parameters.md").read_text(encoding="utf-8")
    assert current == tool.render(), "run: python tools/gen_parameter_docs.py"


def test_readme_has_exactly_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install -e . && siegeline run" in readme
    assert "pip install -e '.[test]' && python -m pytest" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[test]' && python -m pytest" in ci
