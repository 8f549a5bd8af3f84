"""`planb --help` and `planb sql` load no heavy library (Dagster, torch, scikit-learn, ...), and
what made that possible keeps the CLI's behaviour: the user errors named in assets.cli.main are
real exception classes, and `planb ingest --format` still offers warehouse.ingestion's formats."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

from assets.cli.main import USER_ERRORS, is_user_error, main
from warehouse.db import publish_snapshot, writer
from warehouse.ingestion import FORMATS

# Loaded by no command until it runs its work; `planb sql` needs only the config file and DuckDB.
HEAVY = ("dagster", "torch", "transformers", "sklearn", "scipy", "sentence_transformers", "streamlit", "polars",
         "pydantic")
SQL_ONLY = ("duckdb", "yaml")

PROBE = """
import json, sys
from assets.cli.main import build_parser, main
build_parser()
loaded = {"parser": sorted(m for m in sys.modules if m.split(".")[0] in json.loads(sys.argv[1]))}
main(["--data-dir", sys.argv[2], "sql", "SELECT 42 AS answer", "--format", "json"])
loaded["sql"] = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in json.loads(sys.argv[1])})
print(json.dumps(loaded))
"""


@pytest.mark.parametrize("name", sorted(USER_ERRORS))
def test_each_user_error_names_an_exception_class(name):
    module, _, qualname = name.rpartition(".")
    cls = getattr(importlib.import_module(module), qualname)
    assert issubclass(cls, Exception) and f"{cls.__module__}.{cls.__qualname__}" == name
    assert is_user_error(type("Sub", (cls,), {})("x"))  # a subclass counts, as with `except`


def test_other_errors_are_not_user_errors():
    assert not is_user_error(KeyError("x")) and not is_user_error(ValueError("x"))


def test_help_and_sql_load_no_heavy_library(tmp_path):
    data = tmp_path / "data"
    with writer(data):
        pass
    publish_snapshot(data)
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps([*HEAVY, *SQL_ONLY]), str(data)],
                         capture_output=True, text=True, check=True, cwd=tmp_path).stdout.splitlines()
    assert json.loads(out[0]) == [{"answer": 42}]
    loaded = json.loads(out[1])
    assert loaded["parser"] == []
    assert loaded["sql"] == sorted(SQL_ONLY)


def test_ingest_format_choices_are_the_warehouse_formats(capsys):
    with pytest.raises(SystemExit):
        main(["ingest", "--help"])
    assert "{" + ",".join(["auto", *FORMATS]) + "}" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        main(["ingest", "--format", "nonsense", "x.jsonl"])
    assert stop.value.code == 2
    assert "invalid choice: 'nonsense'" in capsys.readouterr().err
