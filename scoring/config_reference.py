"""docs/CONFIG.md, generated from the config models in scoring/config.py: every key, its type,
default and description, one table per section, so the reference cannot drift from the code.

    .venv/bin/python -m scoring.config_reference          rewrite docs/CONFIG.md
    .venv/bin/python -m scoring.config_reference --check  exit 1 when docs/CONFIG.md is stale

tests/scoring/test_config_reference.py fails when the file differs from what this writes.
A field without a description stops the generator: every key is documented.

Example:
    >>> type_text(int | None, [])
    'integer or null'
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from scoring.config import PlanBConfig

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "CONFIG.md"
COMMAND = ".venv/bin/python -m scoring.config_reference"
LONG_DEFAULT = 60  # characters: a longer default is shown as a YAML block under its table

INTRO = """\
One YAML file, validated on load: an unknown or mistyped key, or a value out of range, stops with
one line naming it (`planb.yaml: sample.per_dya: unknown key`). Every key is optional: an empty
file, or none, is the embedded default (the bundled sample log and models, a local DuckDB in
`./data`).

- **Which file**: `--config FILE`, else `$PLANB_CONFIG`, else `./planb.yaml`, else the embedded
  default. `$PLANB_DATA_DIR` or `--data-dir` overrides `data_dir`; `~` in a path is your home.
- **A start**: `cp deploy/planb.example.yaml planb.yaml` (every key with its default and a
  comment); `deploy/k8s/planb.yaml` is a production one.
- **Models**: a config may set one role only; the other keeps its embedded default. A model's
  `model_key` is a hash of its whole entry (settings left unset excluded): replays are cached per
  key, so changing any setting of a model replays it. The backends (`transformers`, `openai`,
  `logged`), `planb calibrate-gpu` and `planb import-replays` are explained in
  [OWN_DATA.md](OWN_DATA.md).
- **Secrets are never in the file**: an `openai` backend names the environment variable holding
  its key (`api_key_env`); a value that looks like a key there, or a user, password or query
  string in `base_url`, is refused without being shown.
- **Prices**: the defaults below are on-demand list prices read from stored copies of public
  pages; replace them with your contract's. Dollars = device-hours x price / `utilisation`.
"""


def _unwrap(annotation: Any) -> Any:
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def _arms(annotation: Any) -> tuple[Any, ...]:
    annotation = _unwrap(annotation)
    return get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The config model a field holds itself (possibly Optional), else None."""
    models = [arm for arm in _arms(annotation) if isinstance(arm, type) and issubclass(arm, BaseModel)]
    plain = [arm for arm in _arms(annotation) if arm is not type(None)]
    return models[0] if len(models) == 1 and len(plain) == 1 else None


def _dict_of_models(annotation: Any) -> tuple[Any, type[BaseModel]] | None:
    """(key type, model) for a mapping of config models, such as models: {small: ModelSpec}."""
    annotation = _unwrap(annotation)
    if get_origin(annotation) is dict:
        key, value = get_args(annotation)
        if isinstance(value, type) and issubclass(value, BaseModel):
            return key, value
    return None


def _key_names(key: Any) -> list[str]:
    return [str(v) for v in get_args(key)] if get_origin(key) is Literal else ["<name>"]


BASIC = {int: "integer", float: "number", str: "text", bool: "true / false", date: "date (YYYY-MM-DD)",
         Path: "path", type(None): "null"}


def type_text(annotation: Any, metadata: list) -> str:
    """A field's type in words, with its bounds.

    Example:
        >>> type_text(list[Literal["a", "b"]], [])
        'list of `a`, `b`'
        >>> type_text(int, [at.Ge(1), at.Le(10)])
        'integer, >= 1, <= 10'
    """
    text = _type_words(annotation)
    bounds = []
    for item in metadata:
        for name, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if isinstance(item, getattr(at, name.capitalize())):
                bounds.append(f"{sign} {getattr(item, name)}")
        if getattr(item, "pattern", None):
            bounds.append("a size such as `2GB`, `512MiB`" if "KMGT" in item.pattern else f"matching `{item.pattern}`")
    return ", ".join([text, *bounds])


def _type_words(annotation: Any) -> str:
    annotation = _unwrap(annotation)
    if annotation in BASIC:
        return BASIC[annotation]
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return ", ".join(f"`{value}`" for value in args)
    if origin in (Union, UnionType):
        return " or ".join(_type_words(arm) for arm in args)
    if origin is list:
        return f"list of {_type_words(args[0])}"
    if origin is dict:
        return f"mapping of {_type_words(args[0])} to {_type_words(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"a `{annotation.__name__}` mapping (keys as in its section)"
    raise TypeError(f"scoring/config_reference.py cannot describe the type {annotation!r}: add it to _type_words")


def _plain(value: Any) -> Any:
    """A default as the YAML a user would write: paths as written (repository-relative, ~)."""
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(exclude_none=True))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        for base, shown in ((ROOT, ""), (Path.home(), "~/")):
            if value.is_absolute() and value.is_relative_to(base):
                return shown + value.relative_to(base).as_posix()
        return value.as_posix()
    return value


def _default(field: FieldInfo) -> Any:
    if field.default_factory is not None:
        return field.default_factory()
    return field.default


class _Dumper(yaml.SafeDumper):
    """Text with line breaks as one double-quoted line ("...\\n..."), as a config file writes it."""


_Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style='"' if "\n" in text else None))


def _yaml(value: Any, flow: bool) -> str:
    return yaml.dump(value, Dumper=_Dumper, default_flow_style=flow, sort_keys=False, allow_unicode=True,
                     width=10_000).strip()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _description(field: FieldInfo, where: str) -> str:
    if not field.description:
        raise ValueError(f"scoring/config.py: {where} has no description: give its Field one")
    return field.description


def _section(title: str, prefix: str, model: type[BaseModel], intro: str, default: Any, level: int) -> list[str]:
    """The lines of one section: its intro, the table of its own keys, then its nested sections.
    ``prefix`` is the key path of the section's keys ("" at the top level)."""
    lines = [f"{'#' * level} {title}", ""]
    if intro:
        lines += [intro, ""]
    if default is not None:
        lines += ["Default:", "", "```yaml", _yaml(default, flow=False), "```", ""]
    rows, blocks, nested = [], [], []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        inner, mapping = _model_of(field.annotation), _dict_of_models(field.annotation)
        if inner is not None or mapping is not None:
            nested.append((path, field, inner, mapping))
            continue
        description = _description(field, path)
        value = _default(field)
        if value is PydanticUndefined:
            shown = "required"
        else:
            text = _yaml(_plain(value), flow=True).removesuffix("...").strip()
            if len(text) > LONG_DEFAULT:
                shown = "below"
                blocks += [f"Default of `{name}`:", "", "```yaml", _yaml({name: _plain(value)}, flow=False), "```", ""]
            else:
                shown = f"`{text}`"
        rows.append(f"| `{name}` | {_cell(type_text(field.annotation, field.metadata))} | {_cell(shown)} | "
                    f"{_cell(description)} |")
    if rows:
        lines += ["| key | type | default | meaning |", "|---|---|---|---|", *rows, ""]
    lines += blocks
    for path, field, inner, mapping in nested:
        if inner is not None:
            title, below = f"`{path}`", f"{path}."
            # A section whose keys all have defaults shows them in its table; one with required keys
            # (a price) shows the value it defaults to.
            required = any(f.is_required() for f in inner.model_fields.values())
            shown = _plain(_default(field)) if required and field.is_required() is False else None
        else:
            key, inner = mapping
            names = _key_names(key)
            title = ", ".join(f"`{path}.{key_name}`" for key_name in names)
            below = f"{path}.<{'|'.join(names)}>."
            shown = _plain(_default(field)) or None
        intro = " ".join(part for part in (field.description, _docstring(inner)) if part)
        if not intro:
            raise ValueError(f"scoring/config.py: {path} has no description: give its Field or its class one")
        lines += _section(title, below, inner, intro, shown, level + 1)
    return lines


def _docstring(model: type[BaseModel]) -> str:
    doc = model.__doc__ or ""
    return "" if doc.startswith(f"{model.__name__}(") else " ".join(doc.split())  # pydantic's own signature


def render() -> str:
    """The whole of docs/CONFIG.md."""
    lines = [f"<!-- Generated from scoring/config.py by `{COMMAND}`: edit the Field descriptions there, "
             "not this file. -->", "", "# Configuration reference", "", INTRO.rstrip(), ""]
    lines += _section("Top level", "", PlanBConfig, "", None, 2)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scoring.config_reference", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/CONFIG.md is stale, write nothing")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            sys.exit(f"{OUTPUT.relative_to(ROOT)} is stale: run {COMMAND}")
        return
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
