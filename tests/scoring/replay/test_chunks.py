"""scoring.replay.chunks: the resumable chunk loop (fixed chunks, done requests skipped, each chunk
stored as it is made), the shaping of replay rows, and per-chunk progress (a bar only on a
terminal, a ChunkDone per chunk with counts and time left)."""

import io
from datetime import date

import polars as pl
import pytest

from scoring.config import ModelSpec
from scoring.replay.chunks import REPLAYED, ChunkDone, chunks, replay_chunks, replay_rows
from scoring.replay.engine import ReplayBatch, ReplayResult, ReplayRun
from scoring.replay.logged import LoggedRequest, replay_logged

DAY = date(2026, 11, 1)
SPEC = ModelSpec(name="toy", role="small", backend="transformers", weights="toy", batch_size=1,
                 template={"kind": "completion", "text": "{query}"})


def _sample(n: int = 7) -> pl.DataFrame:
    return pl.DataFrame({"request_id": [f"r{i}" for i in range(n)], "query": ["q" * (1 + i % 3) for i in range(n)],
                         "response": ["logged"] * n, "prompt_tokens": [3] * n, "completion_tokens": [2] * n})


class _Model:
    """Answers each request with its own query upper-cased, one batch a call; records the calls."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def __call__(self, requests) -> ReplayRun:
        ids = [r.request_id for r in requests]
        self.calls.append(ids)
        batch = f"b{len(self.calls)}"
        return ReplayRun(results=[ReplayResult(r.request_id, r.query.upper(), 3, 2, 0.5, -0.1, -0.2, 0.3, batch)
                                  for r in requests],
                         batches=[ReplayBatch(batch, len(requests), 3 * len(ids), 2 * len(ids), 3 * len(ids), 2, 1.0)],
                         device="cpu")


class _Store:
    def __init__(self, fail_at: int | None = None):
        self.replays: list[pl.DataFrame] = []
        self.batches: list[pl.DataFrame | None] = []
        self.fail_at = fail_at

    def __call__(self, replays, batches):
        if self.fail_at is not None and len(self.replays) + 1 == self.fail_at:
            raise KeyboardInterrupt("killed while storing")
        self.replays.append(replays)
        self.batches.append(batches)

    def ids(self) -> set[str]:
        return {i for frame in self.replays for i in frame["request_id"]}


def test_chunks_are_cut_in_one_order_whatever_was_done_before():
    cut = chunks(_sample(), 3)
    assert [c.height for c in cut] == [3, 3, 1]
    order = [i for c in cut for i in c["request_id"]]
    assert order == sorted(order, key=lambda i: (1 + int(i[1:]) % 3, i))  # query length, then id
    assert [c["request_id"].to_list() for c in chunks(_sample().reverse(), 3)] == [c["request_id"].to_list() for c in cut]


def test_an_interrupted_loop_resumes_with_the_same_chunks_and_redoes_none():
    model, store = _Model(), _Store()
    whole = replay_chunks(_sample(), SPEC, role="small", day=DAY, generate=model, done=set(), store=store,
                          chunk_size=3)
    assert whole.chunks == 3 and whole.results.height == 7 and len(store.replays) == 3

    first, killed = _Model(), _Store(fail_at=2)
    with pytest.raises(KeyboardInterrupt):
        replay_chunks(_sample(), SPEC, role="small", day=DAY, generate=first, done=set(), store=killed, chunk_size=3)
    assert len(killed.ids()) == 3  # the first chunk only

    resumed_model, resumed = _Model(), _Store()
    again = replay_chunks(_sample(), SPEC, role="small", day=DAY, generate=resumed_model, done=killed.ids(),
                          store=resumed, chunk_size=3)
    assert resumed_model.calls == model.calls[1:]  # the same chunks, the stored one not run again
    assert again.chunks == 3 and again.results.height == 4
    assert killed.ids() | resumed.ids() == store.ids()


def test_replay_rows_carry_the_day_model_role_and_device_and_the_batches():
    run = _Model()([LoggedRequest("r1", "q", None, None, None)])
    replays, batches = replay_rows(run, day=DAY, model_key="toy-1", role="small")
    row = replays.row(0, named=True)
    assert (row["day"], row["model_key"], row["role"], row["device"], row["output"]) == (DAY, "toy-1", "small", "cpu", "Q")
    assert batches.row(0, named=True)["model_key"] == "toy-1" and batches["day"].to_list() == [DAY]
    assert replay_rows(ReplayRun(results=run.results), day=DAY, model_key="k", role="small")[1] is None


def test_the_logged_backend_gets_what_was_logged():
    seen = []

    def generate(requests):
        seen.extend(requests)
        return replay_logged(requests)

    logged = SPEC.model_copy(update={"backend": "logged", "weights": None})
    run = replay_chunks(_sample(2), logged, role="large", day=DAY, generate=generate, done=set(), store=_Store())
    assert run.results["output"].to_list() == ["logged", "logged"] and len(seen) == 2
    assert all(isinstance(r, LoggedRequest) and r.response == "logged" and r.prompt_tokens == 3 for r in seen)


def test_each_chunk_reports_its_counts_and_the_time_left():
    reports: list[ChunkDone] = []
    run = replay_chunks(_sample(), SPEC, role="small", day=DAY, generate=_Model(), done={"r0", "r3"},
                        store=_Store(), chunk_size=3, on_chunk=reports.append)
    assert run.results.columns == list(REPLAYED)
    assert [(r.number, r.chunks, r.requests, r.done, r.total) for r in reports] == [
        (1, 3, 1, 1, 5), (2, 3, 3, 4, 5), (3, 3, 1, 5, 5)]
    assert all(r.seconds_left >= 0 for r in reports) and reports[-1].seconds_left == 0
    assert str(reports[-1]) == "committed chunk 3 of 3 (1 requests; 5 of 5 done, about 00:00 left)"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_shows_on_a_terminal_only(monkeypatch):
    quiet = io.StringIO()
    monkeypatch.setattr("sys.stderr", quiet)
    replay_chunks(_sample(), SPEC, role="small", day=DAY, generate=_Model(), done=set(), store=_Store(), chunk_size=3)
    assert quiet.getvalue() == ""

    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    replay_chunks(_sample(), SPEC, role="small", day=DAY, generate=_Model(), done=set(), store=_Store(), chunk_size=3)
    assert "small replay of 2026-11-01" in terminal.getvalue() and "7/7" in terminal.getvalue()
