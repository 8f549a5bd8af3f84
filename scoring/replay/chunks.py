"""A day's replay in chunks that commit as they finish: a killed run resumes where it stopped.

One fixed order over the whole sample (query length, then id) cuts the chunks, so a resumed run
cuts the same chunks as an uninterrupted one, builds the same batches, and greedy decoding gives
the same outputs; similar lengths in a chunk also mean less padding. Requests already replayed
are skipped and a chunk with nothing left is not run. The caller's ``store`` writes each chunk
in its own transaction, with no connection held while the model generates.

Progress per committed chunk: a bar of requests (tqdm) on stderr when it is a terminal, and a
ChunkDone to the caller's ``on_chunk`` (the replay asset writes it to the Dagster log).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date

import polars as pl
from tqdm import tqdm

from scoring.config import ModelSpec
from scoring.replay.backends import Generate
from scoring.replay.engine import ReplayRequest, ReplayRun
from scoring.replay.logged import LoggedRequest

RESULT_TYPES = {"output": pl.String, "seconds": pl.Float64, "mean_logprob": pl.Float64,
                "min_logprob": pl.Float64, "mean_entropy": pl.Float64, "batch_id": pl.String,
                "error": pl.String, "prompt_truncated": pl.Boolean}
# The columns of ChunkedReplay.results, typed even when nothing was replayed.
REPLAYED = {"output_tokens": pl.Int64, **RESULT_TYPES}

Store = Callable[[pl.DataFrame, pl.DataFrame | None], None]


def chunks(sample: pl.DataFrame, size: int) -> list[pl.DataFrame]:
    """The sample cut into chunks of ``size`` requests in one fixed order (query length, id).

    Example:
        >>> frame = pl.DataFrame({"request_id": ["b", "a", "c"], "query": ["xx", "xx", "x"]})
        >>> [c["request_id"].to_list() for c in chunks(frame, 2)]
        [['c', 'a'], ['b']]
    """
    ordered = sample.sort(pl.col("query").str.len_chars(), "request_id")
    return [ordered.slice(start, size) for start in range(0, ordered.height, size)]


def requests(chunk: pl.DataFrame, backend: str) -> list[ReplayRequest]:
    """The chunk's requests as ``backend`` takes them (the logged one with what was logged)."""
    if backend == "logged":
        return [LoggedRequest(r["request_id"], r["query"], r["response"], r["prompt_tokens"],
                              r["completion_tokens"]) for r in chunk.iter_rows(named=True)]
    return [ReplayRequest(r, qy) for r, qy in chunk.select("request_id", "query").iter_rows()]


def replay_rows(run: ReplayRun, *, day: date, model_key: str, role: str) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """A run's ``replays`` rows and its ``replay_batches`` rows (None when it has no batches:
    the logged backend)."""
    results = pl.DataFrame([vars(r) for r in run.results], schema_overrides=RESULT_TYPES).with_columns(
        pl.lit(day).alias("day"), pl.lit(model_key).alias("model_key"),
        pl.lit(role).alias("role"), pl.lit(run.device).alias("device"),
    )
    if not run.batches:
        return results, None
    batches = pl.DataFrame([vars(b) for b in run.batches]).with_columns(
        pl.lit(day).alias("day"), pl.lit(model_key).alias("model_key"), pl.lit(run.device).alias("device"),
    )
    return results, batches


@dataclass(frozen=True)
class ChunkDone:
    """One committed chunk: its number of all, its requests, and the run's progress."""

    number: int
    chunks: int
    requests: int
    done: int  # requests replayed by this run so far
    total: int  # requests this run replays (the sample less those replayed before)
    seconds_left: float  # at this run's pace so far

    def __str__(self) -> str:
        """
        Example:
            >>> str(ChunkDone(2, 5, 8, 16, 40, 95.0))
            'committed chunk 2 of 5 (8 requests; 16 of 40 done, about 01:35 left)'
        """
        return (f"committed chunk {self.number} of {self.chunks} ({self.requests} requests; "
                f"{self.done} of {self.total} done, about {tqdm.format_interval(self.seconds_left)} left)")


@dataclass
class ChunkedReplay:
    results: pl.DataFrame  # the replays made by this run: REPLAYED's columns
    chunks: int  # chunks of the whole sample, run now or before


def replay_chunks(sample: pl.DataFrame, spec: ModelSpec, *, role: str, day: date, generate: Generate,
                  done: Collection[str], store: Store, chunk_size: int | None = None,
                  on_chunk: Callable[[ChunkDone], None] | None = None) -> ChunkedReplay:
    """Replay the sample's requests not in ``done`` with ``generate``, chunk by chunk
    (``chunk_size`` requests, default four of the model's batches); each chunk's replays and
    batches go to ``store`` as soon as they are made.

    Example:
        >>> run = replay_chunks(sample, spec, role="small", day=day, generate=generator(spec, cache),
        ...                     done=replayed_ids, store=write_chunk, on_chunk=print)  # doctest: +SKIP
        committed chunk 1 of 3 (8 requests; 8 of 20 done, about 00:42 left)
    """
    cut = chunks(sample, chunk_size or 4 * spec.batch_size)
    todo = [chunk.filter(~pl.col("request_id").is_in(list(done))) for chunk in cut]
    total = sum(chunk.height for chunk in todo)
    committed = [pl.DataFrame(schema=REPLAYED)]
    start, replayed = time.monotonic(), 0
    with tqdm(total=total, unit="request", desc=f"{role} replay of {day}", disable=None) as bar:
        for number, chunk in enumerate(todo, start=1):
            if chunk.is_empty():
                continue
            results, batches = replay_rows(generate(requests(chunk, spec.backend)), day=day,
                                           model_key=spec.model_key, role=role)
            store(results, batches)
            committed.append(results.select(committed[0].columns))
            replayed += chunk.height
            bar.update(chunk.height)
            if on_chunk is not None:
                pace = (time.monotonic() - start) / replayed
                on_chunk(ChunkDone(number, len(cut), chunk.height, replayed, total, pace * (total - replayed)))
    return ChunkedReplay(pl.concat(committed, how="vertical_relaxed"), len(cut))
