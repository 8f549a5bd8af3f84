"""The front page and docs/ hold together (issue 24, item 8): every relative link in README.md and
docs/*.md names a file or folder that exists (and a `#anchor` a heading there), and README's
glossary of the three quality figures says what the dashboard's does, word for word."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboards.tiles import GLOSSARY

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces as dashes."""
    heads = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", head.lower()).replace(" ", "-") for head in heads}


def _without_code(text: str) -> str:
    return re.sub(r"```.*?```", "", text, flags=re.S)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page):
    broken = []
    for target in LINK.findall(_without_code(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(target)
        elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"{page.relative_to(ROOT)}: broken links {broken}"


def test_readme_glossary_is_the_dashboards():
    readme = " ".join(ROOT.joinpath("README.md").read_text(encoding="utf-8").split())
    for name, meaning in GLOSSARY.items():
        assert f"**{name}**: {meaning}" in readme, f"README's '{name}' differs from dashboards/tiles.py GLOSSARY"
