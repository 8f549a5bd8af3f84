"""scoring.replay.backends: one runner for every backend a config can name, shared by the
replays and the judge."""

import typing
from functools import partial

import pytest

from scoring.agreement.judge import judge_generator
from scoring.config import ModelSpec
from scoring.replay.backends import BACKENDS, GENERATING, generator
from scoring.replay.logged import LOGGED_DEVICE, LoggedRequest
from scoring.replay.openai_backend import replay_openai

TEMPLATE = {"kind": "completion", "text": "{query}"}


def test_every_backend_a_config_can_name_has_a_runner():
    assert set(BACKENDS) == set(typing.get_args(ModelSpec.model_fields["backend"].annotation))
    assert GENERATING == set(BACKENDS) - {"logged"}


def test_the_logged_backend_answers_from_the_log():
    spec = ModelSpec(name="prod", role="large", backend="logged", template=TEMPLATE)
    run = generator(spec, "/unused")([LoggedRequest("r1", "q", "Paris", 5, 1)])
    assert run.device == LOGGED_DEVICE and run.results[0].output == "Paris"


def test_the_openai_backend_runs_the_spec_through_the_http_client():
    spec = ModelSpec(name="served", role="small", backend="openai", base_url="http://localhost:9/v1",
                     template=TEMPLATE)
    runner = generator(spec, "/unused")
    assert isinstance(runner, partial) and runner.func is replay_openai and runner.args == (spec,)


def test_the_judge_gets_its_runner_from_the_same_map_and_must_generate():
    spec = ModelSpec(name="served", role="small", backend="openai", base_url="http://localhost:9/v1",
                     template=TEMPLATE)
    assert judge_generator(spec, "/unused").func is replay_openai
    logged = ModelSpec(name="prod", role="large", backend="logged", template=TEMPLATE)
    with pytest.raises(ValueError, match="the judge must generate"):
        judge_generator(logged, "/unused")
