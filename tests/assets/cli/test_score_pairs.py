"""`planb score-pairs IN OUT` on a fixture of real pairs (NQ questions, MT-Bench and AlpacaEval
answers: fixtures/score_pairs/NOTICE): one row per input with every metric, the kind, agree
(null when unscored) and what decided it, in any of the three formats, with no warehouse; a
bad row stops it with one line naming the row and the column."""

import json
from pathlib import Path

import polars as pl
import pytest

from assets.cli.main import main
from scoring.agreement.embedding import embedder_path, load_embedder
from scoring.agreement.pairs import score_pairs
from scoring.agreement.rule import rule_from_config
from scoring.config import load_config

FIXTURE = Path(__file__).parent / "fixtures" / "score_pairs" / "pairs.jsonl"
METRICS = ("exact", "token_f1", "containment", "rouge_l", "content_containment", "cosine", "judge")


def _run(tmp_path, source, out_name):
    out = tmp_path / out_name
    main(["--data-dir", str(tmp_path / "data"), "score-pairs", str(source), str(out)])
    return out


def test_scores_every_pair_once_in_order_without_a_warehouse(tmp_path, capsys):
    out = _run(tmp_path, FIXTURE, "scored.jsonl")
    printed = capsys.readouterr().out
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    pairs = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [p["id"] for p in pairs]
    assert set(rows[0]) >= {"id", *METRICS, "kind", "agree", "decided_by"}
    # the configured stack itself, called directly on the same pairs: the file says the same
    cfg = load_config(None)
    expected = score_pairs([p["small_answer"] for p in pairs], [p["large_answer"] for p in pairs],
                           embedder=load_embedder(embedder_path(cfg.agreement.embedding_model), "cpu"),
                           rule=rule_from_config(cfg.agreement), questions=[p["question"] for p in pairs])
    assert [r["kind"] for r in rows] == expected["kind"]
    assert [r["agree"] for r in rows] == expected["agree"]
    assert [r["decided_by"] for r in rows] == expected["decided_by"]
    for r, value in zip(rows, expected["token_f1"], strict=True):
        assert r["token_f1"] == pytest.approx(value)
    by_id = {r["id"]: r for r in rows}
    assert by_id["nq-test-0000"]["kind"] == "short" and by_id["nq-test-0000"]["agree"] is True
    assert all(r["kind"] in ("short", "core", "open") for r in rows)
    unscored = [r for r in rows if r["agree"] is None]
    assert all(r["kind"] != "short" for r in unscored)  # no judge configured: open pairs stay unscored
    assert f"scored {len(rows)} pairs" in printed and f"{len(unscored)} unscored" in printed
    assert not (tmp_path / "data").exists()  # no warehouse read or written


def test_csv_in_parquet_out_gives_the_same_rows(tmp_path):
    source = tmp_path / "pairs.csv"
    pl.read_ndjson(FIXTURE).write_csv(source)
    from_csv = pl.read_parquet(_run(tmp_path, source, "scored.parquet"))
    from_jsonl = pl.read_ndjson(_run(tmp_path, FIXTURE, "scored.jsonl"))
    assert from_csv["id"].to_list() == from_jsonl["id"].to_list()
    assert from_csv["agree"].to_list() == from_jsonl["agree"].to_list()
    assert from_csv["kind"].to_list() == from_jsonl["kind"].to_list()
    assert from_csv.schema["agree"] == pl.Boolean and from_csv.schema["token_f1"] == pl.Float64
    written = _run(tmp_path, FIXTURE, "scored.csv").read_text(encoding="utf-8").splitlines()
    assert written[0].startswith("id,") and len(written) == from_csv.height + 1


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda rows: rows[2].update(small_answer=None), "row 3, column small_answer: missing (null)"),
        (lambda rows: rows[4].update(id=rows[0]["id"]), "row 5, column id: 'nq-test-0000' already on row 1"),
        (lambda rows: rows[1].update(question="   "), "row 2, column question: empty: '   '"),
        (lambda rows: [r.pop("large_answer") for r in rows], "missing column(s) large_answer"),
    ],
)
def test_a_bad_row_stops_it_with_one_line_naming_row_and_column(tmp_path, edit, message):
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    edit(rows)
    source = tmp_path / "bad.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(SystemExit) as stopped:
        _run(tmp_path, source, "out.jsonl")
    text = str(stopped.value)
    assert text.startswith("planb score-pairs: ") and message in text and "\n" not in text
    assert not (tmp_path / "out.jsonl").exists()


def test_an_unknown_output_extension_stops_before_any_work(tmp_path):
    with pytest.raises(SystemExit, match=r"unknown output extension '\.xlsx'"):
        _run(tmp_path, FIXTURE, "out.xlsx")


def test_an_empty_csv_cell_is_an_empty_answer_but_a_null_in_json_lines_is_missing(tmp_path):
    from assets.cli.score_pairs import PairsInputError, read_pairs

    csv = tmp_path / "pairs.csv"
    csv.write_text('id,question,small_answer,large_answer\nq1,who wrote hamlet,,Shakespeare\n', encoding="utf-8")
    assert read_pairs(csv)["small_answer"].to_list() == [""]
    jsonl = tmp_path / "pairs.jsonl"
    jsonl.write_text('{"id": "q1", "question": "who wrote hamlet", "small_answer": null, "large_answer": "x"}\n',
                     encoding="utf-8")
    with pytest.raises(PairsInputError, match="row 1, column small_answer: missing"):
        read_pairs(jsonl)
