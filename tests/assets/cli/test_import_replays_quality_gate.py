"""Imported quality everywhere (issue 14): `planb import-replays` of a table with correctness and
of one with quality scores, through the CLI into a real DuckDB. The recommendation gates on the
imported quality: with scores where the small answer is a hair worse than the large one almost
everywhere, no request's small answer is "at least as good" (agreement 0%), yet quality kept is
above 95% and the threshold is certified. The oracle, ranking requests by how much better the large
answer is, recovers at least as much of the gap as every other router (APGR) and needs no more
calls to the large model (CPT) than any of them."""

import random

import duckdb
import polars as pl
import pytest

from assets.cli.main import main

N = 240
ROUTERS = ["random", "length", "small_confidence", "oracle"]


def _rows(*, scores: bool = False) -> list[dict]:
    """Long questions are hard (the small model often wrong); with ``scores``, quality scores in
    [0, 1] instead of correctness: the small answer 0.01 below the large one, 0.5 on hard ones."""
    rng = random.Random(7)
    rows = []
    for i in range(N):
        words = rng.randint(1, 24)
        hard = words > 16  # long questions: the small model is often wrong
        large_ok = rng.random() < 0.9
        small_ok = rng.random() < (0.45 if hard else 0.97)
        rows.append({
            "request_id": f"r{i:03d}", "prompt": "question " + " ".join(["w"] * words),
            # different words every time: the agree rule never says agree
            "small_output": f"small says {i}", "large_output": f"the large model answers {i + 1000}",
            **({"small_correct": small_ok, "large_correct": large_ok} if not scores else {}),
            # the small model is less sure on hard questions, but only roughly
            "small_mean_logprob": -(0.2 + (1.5 if hard else 0.0) + rng.random()),
            "day": "2026-11-01" if i % 2 else "2026-11-02",
        })
        if scores:
            large = 0.6 + 0.4 * rng.random()
            rows[-1].update(large_quality=large, small_quality=large - (0.5 if hard and not small_ok else 0.01))
    return rows


@pytest.fixture(scope="module")
def imported(tmp_path_factory, planb_config):
    root = tmp_path_factory.mktemp("gate")
    rows = _rows()
    pl.DataFrame(rows).write_csv(root / "graded.csv")
    pl.DataFrame(_rows(scores=True)).write_csv(root / "scored.csv")
    config = planb_config(root, projection={"routers": ROUTERS, "bootstrap": 200, "seed": 3})
    for name in ("graded", "scored"):
        main(["--config", str(config), "import-replays", str(root / f"{name}.csv"), "--name", name])
    con = duckdb.connect(str(root / "data" / "snapshot.duckdb"), read_only=True)
    yield rows, con
    con.close()


def _metrics(con, dataset: str = "graded") -> dict[str, dict]:
    cursor = con.execute("SELECT * FROM router_metrics WHERE dataset = ? AND segment_by = 'all'", [dataset])
    names = [c[0] for c in cursor.description]
    return {row["router"]: row for row in (dict(zip(names, r, strict=True)) for r in cursor.fetchall())}


def _recommended(con, dataset: str, router: str) -> tuple:
    best = con.execute("SELECT threshold, agreement_small, kept_small, kept_p_value, certified, n_routed_small "
                       "FROM routing_projection WHERE dataset = ? AND router = ? AND segment_by = 'all' "
                       "AND recommended", [dataset, router]).fetchall()
    assert len(best) == 1, (dataset, router)
    return best[0]


def test_the_recommendation_gates_on_imported_quality_scores(imported):
    _, con = imported
    metrics = _metrics(con, "scored")
    assert {m["gate_measure"] for m in metrics.values()} == {"quality kept (imported quality scores)"}
    assert metrics["oracle"]["recommended_threshold"] is not None, metrics["oracle"]["note"]
    _, agreement, kept, p_value, certified, routed = _recommended(con, "scored", "oracle")
    # no small answer is at least as good as the large one: an agreement gate would find nothing
    assert agreement == 0.0
    # graded scores: the betting test (issue 23) certifies past the 99%-kept thresholds, the only
    # ones Hoeffding-Bentkus could, into those that keep 96.9%
    assert 0.95 <= kept < 0.99 and certified and p_value <= 0.05 and routed >= 59


def test_the_recommendation_gates_on_imported_correctness(imported):
    rows, con = imported
    metrics = _metrics(con)
    assert {m["gate_measure"] for m in metrics.values()} == {"quality kept (imported correctness)"}
    oracle = metrics["oracle"]
    assert oracle["recommended_threshold"] is not None, oracle["note"]
    threshold, _, kept, p_value, certified, routed = _recommended(con, "graded", "oracle")
    # kept among the routed, recomputed from the file: the small answer right or the large one wrong
    score = {r["request_id"]: (1 + r["small_correct"] - r["large_correct"]) / 2 for r in rows}
    chosen = [r for r in rows if score[r["request_id"]] >= threshold]
    assert routed == len(chosen)
    assert kept == pytest.approx(sum(r["small_correct"] or not r["large_correct"] for r in chosen) / len(chosen))
    assert kept >= 0.95 and certified and p_value <= 0.05
    assert oracle["certify_min_routed"] == 59 and oracle["recommendation_risk"] == 0.05


def test_every_certified_threshold_passes_its_test_and_the_sequence_is_unbroken(imported):
    _, con = imported
    for router in ROUTERS:
        table = con.execute("SELECT threshold, kept_p_value, certified FROM routing_projection "
                            "WHERE dataset = 'graded' "
                            "AND router = ? AND segment_by = 'all' ORDER BY threshold DESC", [router]).fetchall()
        tested = [(p, c) for _, p, c in table if p is not None]
        certified = [c for _, c in tested]
        # certified from the strictest tested threshold down, until the first p-value above 5%
        first_fail = next((i for i, (p, _) in enumerate(tested) if p > 0.05), len(tested))
        assert certified == [i < first_fail for i in range(len(tested))], router
        assert not any(c for _, p, c in table if p is None)


def test_the_oracle_bounds_every_router(imported):
    _, con = imported
    metrics = _metrics(con)
    oracle = metrics.pop("oracle")
    assert set(metrics) == set(ROUTERS) - {"oracle"}
    for router, m in metrics.items():
        assert oracle["apgr"] >= m["apgr"] - 1e-12, router
        for x in (50, 80, 95):
            # its own curve is straight between its levels: RouteLLM's interpolation of it is the optimum
            assert oracle[f"cpt{x}_routellm"] <= m[f"cpt{x}"] + 1e-12, (router, x)
            assert oracle[f"cpt{x}_routellm"] <= m[f"cpt{x}_routellm"] + 1e-12, (router, x)
    # three levels (large better, tie, small better), not two: distinct CPTs, and above 1 APGR
    levels = con.execute("SELECT count(*) FROM routing_projection WHERE dataset = 'graded' AND router = 'oracle' "
                         "AND segment_by = 'all' AND threshold IN (0.0, 0.5, 1.0)").fetchone()[0]
    assert levels == 3
    assert oracle["cpt50_routellm"] < oracle["cpt80_routellm"] < oracle["cpt95_routellm"]
