"""models.large with backend `logged`: the large answers are the logged ones, nothing is
replayed or timed for it, and the projection costs it with the cost model `planb calibrate-gpu`
measured for its key (real Dagster run, real small model, real DuckDB)."""

import json
from datetime import datetime

import dagster as dg
import duckdb
import polars as pl
import pytest

from assets.cli.main import main
from assets.projection import cost_fit
from scoring.config import load_config

DAY = "2026-11-01"
TINY_LLAMA = {
    "model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 64,
    "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 2, "vocab_size": 512, "max_position_embeddings": 256,
}


@pytest.fixture(scope="module")
def logged_setup(tmp_path_factory, bundled_log, landing, bundled_model, planb_config):
    root = tmp_path_factory.mktemp("logged")
    small = bundled_model("small", max_new_tokens=6, batch_size=4)
    large = {"name": "production-large", "role": "large", "backend": "logged", "template": {"kind": "chat"}}
    path = planb_config(root, landing(root, bundled_log([DAY], per_day=40)),
                        models={"small": small, "large": large}, sample={"per_day": 6},
                        projection={"bootstrap": 100, "thresholds": 11})
    model_config = root / "config.json"
    model_config.write_text(json.dumps(TINY_LLAMA), encoding="utf-8")
    return root, path, model_config


@pytest.fixture(scope="module")
def snapshot(logged_setup, tmp_path_factory):
    root, config, model_config = logged_setup
    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(tmp_path_factory.mktemp("dagster_home")))
    try:
        # Without a measured cost the demo stops before any work, naming what to run.
        with pytest.raises(SystemExit) as stop:
            main(["--config", str(config), "demo"])
        message = str(stop.value.code)
        assert "\n" not in message and "logged backend" in message and "planb calibrate-gpu" in message
        main(["--config", str(config), "calibrate-gpu", str(model_config), "--role", "large",
              "--device", "cpu", "--batch-sizes", "1,2", "--prompt-tokens", "16", "--new-tokens", "4",
              "--repeats", "1"])
        main(["--config", str(config), "demo"])
    finally:
        mp.undo()
    con = duckdb.connect(str(root / "data" / "snapshot.duckdb"), read_only=True)
    yield con
    con.close()


def test_large_answers_are_the_logged_ones(snapshot):
    rows = snapshot.execute(
        "SELECT r.output, l.response, r.prompt_tokens, l.prompt_tokens, r.output_tokens, "
        "l.completion_tokens, r.seconds, r.device, r.error "
        "FROM replay_sample s JOIN chat_logs l USING (day, request_id) "
        "JOIN replays r ON r.request_id = s.request_id AND r.role = 'large'"
    ).fetchall()
    sampled = snapshot.execute("SELECT count(*) FROM replay_sample").fetchall()[0][0]
    assert len(rows) == sampled >= 6
    for output, response, prompt, logged_prompt, out_tokens, logged_out, seconds, device, error in rows:
        assert (output, prompt, out_tokens) == (response, logged_prompt, logged_out)
        assert seconds is None and device == "logged" and error is None
    # Nothing was generated for it: no batches under its key; the small model's are there.
    batches = snapshot.execute(
        "SELECT m.role, count(b.batch_id) FROM models m LEFT JOIN replay_batches b USING (model_key) "
        "GROUP BY m.role ORDER BY m.role"
    ).fetchall()
    assert batches[0] == ("large", 0) and batches[1][0] == "small" and batches[1][1] > 0


def test_the_projection_costs_it_with_the_calibrated_model(snapshot):
    sources = snapshot.execute("SELECT role, source FROM cost_models ORDER BY role").fetchall()
    assert sources == [("large", "calibrate-gpu"), ("small", "replay")]
    # Always-large device-hours per day, recomputed from the logged tokens and the calibration.
    expected = snapshot.execute(
        "SELECT sum(s.weight * (c.seconds_per_request + c.seconds_per_prompt_token * r.prompt_tokens "
        "+ c.seconds_per_output_token * r.output_tokens)) / 3600 "
        "FROM replay_sample s JOIN replays r ON r.request_id = s.request_id AND r.role = 'large' "
        "JOIN cost_models c ON c.model_key = r.model_key AND c.source = 'calibrate-gpu'"
    ).fetchall()[0][0]
    rows = snapshot.execute(
        "SELECT gpu_hours_always_large_per_day, device FROM routing_projection "
        "WHERE dataset = 'pipeline' AND segment_by = 'all'"
    ).fetchall()
    assert rows and expected > 0
    for always_large, device in rows:
        assert always_large == pytest.approx(expected)
        assert device == "cpu"  # both cost models were measured on this CPU


def test_a_replay_fit_is_preferred_and_a_missing_one_names_the_command():
    spec = load_config(None).models["large"].model_copy(update={"backend": "logged", "weights": None})
    row = {"model_key": spec.model_key, "role": "large", "device": "cpu", "seconds_per_request": 0.0,
           "seconds_per_prompt_token": 0.0, "r2": None, "n_batches": 5}
    fits = pl.DataFrame([
        {**row, "seconds_per_output_token": 1.0, "source": "calibrate-gpu", "fitted_at": datetime(2026, 11, 1)},
        {**row, "seconds_per_output_token": 3.0, "source": "calibrate-gpu", "fitted_at": datetime(2026, 11, 3)},
        {**row, "seconds_per_output_token": 2.0, "source": "replay", "fitted_at": datetime(2026, 11, 2)},
    ])
    assert cost_fit(fits, spec)["seconds_per_output_token"] == 2.0
    assert cost_fit(fits.filter(pl.col("source") != "replay"), spec)["seconds_per_output_token"] == 3.0
    with pytest.raises(dg.Failure, match="logged.*planb calibrate-gpu CONFIG.json --role large"):
        cost_fit(fits.filter(pl.col("model_key") == "another"), spec)
