"""`planb calibrate-gpu` on the CPU with a tiny random-weight Llama: the cost model row lands in
the warehouse under the configured model's key with its backtest (each batch size predicted from
the others), and bad set-ups stop with one line."""

import json

import duckdb
import pytest
import torch

from assets.cli.main import main
from scoring.config import load_config
from scoring.costs.calibration import token_shapes

TINY_LLAMA = {
    "model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 64,
    "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 2, "vocab_size": 512, "max_position_embeddings": 256,
}


@pytest.fixture
def tiny_config(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(TINY_LLAMA), encoding="utf-8")
    return path


def test_calibrate_gpu_writes_a_cost_model_row(tmp_path, tiny_config, capsys):
    data = tmp_path / "data"
    args = ["--data-dir", str(data), "calibrate-gpu", str(tiny_config), "--device", "cpu",
            "--batch-sizes", "1,4", "--prompt-tokens", "16", "--new-tokens", "8", "--repeats", "1"]
    main(args + ["--batch-sizes", "2", "--new-tokens", "4"])
    assert "s/output token" in capsys.readouterr().out
    main(args)  # calibrating again replaces the row, never adds a second one
    printed = capsys.readouterr().out
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT model_key, role, device, source, seconds_per_request, seconds_per_prompt_token, "
            "seconds_per_output_token, r2, n_batches, detail FROM cost_models"
        ).fetchall()
        backtest = con.execute("SELECT backtest_method, backtest_total_error, backtest_batches, backtest_note, "
                               "min_batch_size, max_batch_size FROM cost_models").fetchall()
    assert len(rows) == 1
    # Two batch sizes: predicting one from the other cannot separate the per-step cost: no figures.
    note = "measured at 2 batch sizes: predicting one from the others needs at least 3"
    assert backtest == [("each batch size predicted from the others", None, 0, note, 1, 4)]
    assert f"backtest (each batch size predicted from the others): none ({note})" in printed
    key, role, device, source, per_request, per_prompt, per_output, r2, n, detail = rows[0]
    assert (key, role, device, source) == (load_config(None).models["large"].model_key, "large",
                                            "cpu", "calibrate-gpu")
    assert n == len(token_shapes([1, 4], 16, 8)) == 6
    assert min(per_request, per_prompt) >= 0 and per_output > 0 and r2 is not None
    # Sane on any CPU: well under a second per generated token of a 2-layer, 64-wide model.
    assert per_output < 1.0
    recorded = json.loads(detail)
    assert recorded["architecture"] == "LlamaForCausalLM" and recorded["dtype"] == "float32"
    assert recorded["charged_at_batch_size"] == 2.5


def test_three_batch_sizes_are_backtested_each_from_the_others(tmp_path, tiny_config, capsys):
    data = tmp_path / "data"
    main(["--data-dir", str(data), "calibrate-gpu", str(tiny_config), "--device", "cpu", "--role", "small",
          "--batch-sizes", "1,2,4", "--prompt-tokens", "16", "--new-tokens", "8", "--repeats", "1"])
    printed = capsys.readouterr().out
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        (row,) = con.execute("SELECT backtest_method, backtest_total_error, backtest_median_abs_error, "
                             "backtest_median_rel_error, backtest_batches, backtest_note, seconds_per_output_slot, "
                             "seconds_per_decode_step, mean_batch_size FROM cost_models").fetchall()
    method, total, median_abs, median_rel, held_out, note, slot, step, mean = row
    # Every timed batch predicted once, by the fit on the other two batch sizes.
    assert (method, held_out, note) == ("each batch size predicted from the others", len(token_shapes([1, 2, 4], 16, 8)),
                                        None)
    assert total > -1.0 and median_abs >= 0 and median_rel >= 0  # predicted seconds are never negative
    assert mean == pytest.approx(7 / 3) and slot >= 0 and step >= 0
    assert f"total error {total:+.1%}, median absolute error " in printed


def _error(tmp_path, *args: str) -> str:
    with pytest.raises(SystemExit) as stop:
        main(["--data-dir", str(tmp_path / "data"), "calibrate-gpu", *args])
    message = str(stop.value.code)
    assert "\n" not in message
    return message


def test_missing_model_config(tmp_path):
    message = _error(tmp_path, str(tmp_path / "nope.json"), "--device", "cpu")
    assert message.startswith("planb calibrate-gpu:") and "nope.json does not exist" in message


def test_config_of_no_known_architecture(tmp_path):
    bad = tmp_path / "config.json"
    bad.write_text(json.dumps({"model_type": "no-such-arch"}), encoding="utf-8")
    assert "not a model config.json transformers knows" in _error(tmp_path, str(bad), "--device", "cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_cuda_without_a_gpu(tmp_path, tiny_config):
    assert "no CUDA device" in _error(tmp_path, str(tiny_config), "--device", "cuda")


def test_bad_batch_sizes_are_refused(tmp_path, tiny_config):
    with pytest.raises(SystemExit):
        main(["calibrate-gpu", str(tiny_config), "--batch-sizes", "8,zero"])
