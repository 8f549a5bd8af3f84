"""The `logged` backend: the answer production recorded in the log is the large model's answer.

Nothing is generated and nothing is timed, so each result's ``seconds`` is None (no device
time was measured) and no batch is recorded; the projection costs these requests from their
logged token counts through a cost model of the same model key (one measured by
``planb calibrate-gpu``). A request without a logged response or without logged token counts
is recorded with its reason in ``error``, like a failed replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scoring.replay.engine import ReplayRequest, ReplayResult, ReplayRun

LOGGED_DEVICE = "logged"  # replays.device of these rows: no device ran them


@dataclass(frozen=True)
class LoggedRequest(ReplayRequest):
    """A request with what production logged for it."""

    response: str | None
    prompt_tokens: int | None
    completion_tokens: int | None


def replay_logged(requests: Sequence[ReplayRequest]) -> ReplayRun:
    """Results taken from the log, one per request, in order.

    Example:
        >>> run = replay_logged([LoggedRequest("r1", "who wrote hamlet", "Shakespeare", 12, 3)])
        >>> r = run.results[0]
        >>> r.output, r.prompt_tokens, r.output_tokens, r.seconds, r.error
        ('Shakespeare', 12, 3, None, None)
    """
    run = ReplayRun(device=LOGGED_DEVICE)
    for request in requests:
        if not isinstance(request, LoggedRequest):
            raise TypeError(
                f"the logged backend needs LoggedRequest rows (with the logged response and "
                f"token counts), got {type(request).__name__} for request {request.request_id}"
            )
        error = None
        if request.response is None:
            error = "logged: the log has no response for this request"
        elif request.prompt_tokens is None or request.completion_tokens is None:
            error = "logged: the log has no token counts for this request (nothing to cost it by)"
        run.results.append(
            ReplayResult(
                request.request_id,
                output=request.response if error is None else None,
                prompt_tokens=request.prompt_tokens or 0,
                output_tokens=request.completion_tokens or 0,
                seconds=None,  # not measured: costed from tokens by the cost model
                mean_logprob=None,
                min_logprob=None,
                mean_entropy=None,
                batch_id=None,
                error=error,
            )
        )
    return run
