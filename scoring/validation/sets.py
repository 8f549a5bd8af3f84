"""Where the validation laboratory's data lives (validation/data, beside the code, not in the
package) and how it is read: the committed sets, the fitted thresholds and the judge's kept
verdicts. The one-off builders that write the sets are in validation/build."""

from __future__ import annotations

import json
import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
# An installed copy (the k8s image) names the folder in $PLANB_VALIDATION_DATA.
DATA_DIR = Path(os.environ.get("PLANB_VALIDATION_DATA") or _ROOT / "validation" / "data")
# ../shared/data from the repository root: the real data with a known truth the sets come from.
SHARED_DATA = _ROOT.parent / "shared" / "data"
DOCS = _ROOT / "docs"

AGREEMENT_SET_FILE = DATA_DIR / "agreement_set.jsonl"
LONGFORM_SET_FILE = DATA_DIR / "longform_set.jsonl"
WORKED_SET_FILE = DATA_DIR / "worked_set.jsonl"
MODEL_ANSWERS_FILE = DATA_DIR / "model_answers.jsonl"
JUDGE_FILE = DATA_DIR / "judge_verdicts.jsonl"
FIT_FILE = DATA_DIR / "agreement_fit.json"

SEED = "planb-agreement-validation-1"  # the splits' and orders' seeded hashes
REFERENCE_GRADED = ("math", "reasoning")  # MT-Bench categories graded against a reference answer


def read_jsonl(path: Path) -> list[dict]:
    """The rows of a JSON lines file."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def load_set(path: Path = AGREEMENT_SET_FILE) -> list[dict]:
    """The committed Natural Questions agreement set's rows."""
    return read_jsonl(path)


def load_longform_set(path: Path = LONGFORM_SET_FILE) -> list[dict]:
    """The committed long-answer set's rows."""
    return read_jsonl(path)


def load_worked_set(path: Path = WORKED_SET_FILE) -> list[dict]:
    """The committed worked-solution and option-answer set's rows."""
    return read_jsonl(path)
