"""The app runs without Streamlit's magic, under `streamlit run` and under AppTest alike (issue 24):
magic parses every page with ``ast.parse``, which on CPython 3.11.7 can fail when another thread
parses at the same time; the pages write nothing by bare expression, so they do not need it."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from streamlit import config
from streamlit.runtime.scriptrunner.script_cache import ScriptCache

ROOT = Path(__file__).resolve().parents[2]
APP_CONFIG = ROOT / "dashboards" / ".streamlit" / "config.toml"


def test_the_app_s_own_config_turns_magic_off():
    # `streamlit run dashboards/app.py` reads the main script's folder's .streamlit/config.toml.
    assert tomllib.loads(APP_CONFIG.read_text(encoding="utf-8"))["runner"]["magicEnabled"] is False
    previous = config._main_script_path
    try:
        config._main_script_path = str(ROOT / "dashboards" / "app.py")
        assert str(APP_CONFIG) in config.get_config_files("config.toml")
        config.get_config_options(force_reparse=True)
        assert config.get_option("runner.magicEnabled") is False
    finally:
        config._main_script_path = previous
        config.get_config_options(force_reparse=True)
        config.set_option("runner.magicEnabled", False)  # as tests/dashboards/conftest.py leaves it


def test_the_tests_compile_pages_without_ast_parse(monkeypatch):
    assert config.get_option("runner.magicEnabled") is False

    def refuse(*_args, **_kwargs):
        raise AssertionError("ast.parse called: magic is on")

    monkeypatch.setattr(ast, "parse", refuse)
    for page in sorted((ROOT / "dashboards").rglob("*.py")):
        ScriptCache().get_bytecode(str(page))


def test_no_page_relies_on_magic():
    """A bare expression statement other than a docstring or a call would have been magic."""
    for page in sorted((ROOT / "dashboards").rglob("*.py")):
        tree = ast.parse(page.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Expr) and not isinstance(node.value, (ast.Call, ast.Await, ast.Yield,
                                                                           ast.YieldFrom)):
                is_docstring = isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                assert is_docstring, f"{page}:{node.lineno} writes by magic"
