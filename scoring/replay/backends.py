"""One way to run a model: each backend's name and the function that runs a list of requests on
a ModelSpec's model. The replays and the judge both get theirs here.

- ``transformers``: the replay engine on local weights (scoring/replay/engine.py); the model
  loads on the first call and once per process (``load_causal_lm`` is cached).
- ``openai``: any OpenAI-compatible server (scoring/replay/openai_backend.py).
- ``logged``: the answer production logged (scoring/replay/logged.py); it generates nothing, so
  it takes LoggedRequest rows and cannot judge.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from scoring.config import ModelSpec
from scoring.replay.engine import ReplayRequest, ReplayRun, replay

Generate = Callable[[list[ReplayRequest]], ReplayRun]


def _transformers(spec: ModelSpec, cache_dir: str) -> Generate:
    def generate(requests: list[ReplayRequest]) -> ReplayRun:
        from scoring.replay.weights import load_causal_lm

        model, tokenizer = load_causal_lm(spec.weights, spec.dtype, spec.device, cache_dir)
        return replay(spec, requests, model=model, tokenizer=tokenizer)

    return generate


def _openai(spec: ModelSpec, cache_dir: str) -> Generate:
    from scoring.replay.openai_backend import replay_openai

    return partial(replay_openai, spec)


def _logged(spec: ModelSpec, cache_dir: str) -> Generate:
    from scoring.replay.logged import replay_logged

    return replay_logged


BACKENDS: dict[str, Callable[[ModelSpec, str], Generate]] = {
    "transformers": _transformers, "openai": _openai, "logged": _logged,
}
GENERATING = frozenset({"transformers", "openai"})  # backends that write new answers


def generator(spec: ModelSpec, cache_dir: str) -> Generate:
    """The function that runs requests on ``spec``'s model through its backend; ``cache_dir``
    holds converted local weights.

    Example:
        >>> from scoring.replay.logged import LoggedRequest
        >>> spec = ModelSpec(name="prod", role="large", backend="logged",
        ...                  template={"kind": "completion", "text": "{query}"})
        >>> run = generator(spec, "/tmp")([LoggedRequest("r1", "q", "Paris", 5, 1)])
        >>> run.results[0].output, run.device
        ('Paris', 'logged')
    """
    return BACKENDS[spec.backend](spec, cache_dir)
