"""Where the configuration comes from, read but not yet validated (``scoring.config`` validates
it): a YAML file (the one named, else $PLANB_CONFIG, else ./planb.yaml if present, else none:
the embedded default), then $PLANB_DATA_DIR, then a command's own overrides.

It imports no pydantic, so a command that needs only the data folder (`planb sql`) starts fast.

Example:
    >>> data_dir(None, "/tmp/x")
    PosixPath('/tmp/x')
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

CONFIG_ENV = "PLANB_CONFIG"
DATA_DIR_ENV = "PLANB_DATA_DIR"
DEFAULT_DATA_DIR = Path("data")


class ConfigError(ValueError):
    """A configuration that cannot be used; the message says which key and why."""


def read_config(path: str | Path | None, overrides: dict[str, object]) -> tuple[dict, str]:
    """The config's top-level keys and where they came from (a path, or the embedded default).
    ``overrides`` given as None are left out; $PLANB_DATA_DIR sets data_dir unless one is given."""
    if path is None:
        path = os.environ.get(CONFIG_ENV) or ("planb.yaml" if Path("planb.yaml").exists() else None)
    raw: dict = {}
    source = "embedded default config"
    if path is not None:
        source = str(path)
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except yaml.YAMLError as err:
            raise ConfigError(f"{path}: not valid YAML: {err}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of keys")
    if os.environ.get(DATA_DIR_ENV) and overrides.get("data_dir") is None:
        raw["data_dir"] = os.environ[DATA_DIR_ENV]
    raw.update({k: v for k, v in overrides.items() if v is not None})
    return raw, source


def data_dir(path: str | Path | None, override: str | Path | None = None) -> Path:
    """The data folder the config names (``override`` first), without validating the rest."""
    raw, source = read_config(path, {"data_dir": override})
    value = raw.get("data_dir", DEFAULT_DATA_DIR)
    if not isinstance(value, str | Path):
        raise ConfigError(f"{source}: data_dir: must be a folder path, got {type(value).__name__}")
    return Path(value).expanduser()  # as PlanBConfig reads it
