"""docs/CONFIG.md is what scoring/config_reference.py writes from the config models now, and the
generator documents every key of PlanBConfig (issue 24, item 8)."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, Field

from scoring import config_reference
from scoring.config import PlanBConfig
from scoring.config_reference import COMMAND, OUTPUT, render


def test_docs_config_md_is_current():
    assert OUTPUT.exists(), f"docs/CONFIG.md is missing: run {COMMAND}"
    assert OUTPUT.read_text(encoding="utf-8") == render(), f"docs/CONFIG.md is stale: run {COMMAND}"


def _leaves(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str]]:
    """(section key path, key) of every leaf field, walked independently of the generator."""
    found = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found += _leaves(annotation, f"{prefix}{name}.")
        elif args and isinstance(args[-1], type) and issubclass(args[-1], BaseModel) and str(annotation).startswith("dict"):
            found += _leaves(args[-1], f"{prefix}{name}.<>.")
        else:
            found.append((prefix, name))
    return found


def test_every_key_has_a_row_under_its_section():
    text = render()
    sections = re.split(r"^#+ ", text, flags=re.M)
    for prefix, name in _leaves(PlanBConfig):
        head = prefix.rstrip(".").split(".<>")[0] if prefix else "Top level"
        holders = [s for s in sections if s.splitlines()[0].startswith("Top level" if not prefix else f"`{head}")]
        assert any(f"| `{name}` |" in s for s in holders), f"{prefix}{name} has no row in docs/CONFIG.md"


def test_a_field_without_a_description_stops_the_generator(monkeypatch):
    class Section(BaseModel):
        """A section."""

        documented: int = Field(1, description="has one")
        bare: int = 2

    with pytest.raises(ValueError, match=r"section\.bare has no description"):
        config_reference._section("`section`", "section.", Section, "", None, 3)
