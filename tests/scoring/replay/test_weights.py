"""GGUF weights are converted once: a second resolve reuses the safetensors cache untouched."""

from scoring.config import load_config
from scoring.replay.weights import load_causal_lm, local_model_folder


def test_second_load_reuses_the_converted_cache():
    cfg = load_config(None)
    spec = cfg.models["small"]
    folder = local_model_folder(spec.weights, cfg.model_cache_dir)  # converts on a fresh machine
    weights_file = folder / "model.safetensors"
    stamp = weights_file.stat().st_mtime_ns, weights_file.stat().st_ino
    assert local_model_folder(spec.weights, cfg.model_cache_dir) == folder
    assert (weights_file.stat().st_mtime_ns, weights_file.stat().st_ino) == stamp
    model, tokenizer = load_causal_lm(spec.weights, spec.dtype, spec.device, str(cfg.model_cache_dir))
    assert model.config.model_type == "llama" and tokenizer.padding_side == "left"


def test_a_conversion_that_loses_the_race_uses_the_winners_copy(tmp_path):
    """Two processes converting the same file at once (two runs, tests beside a demo): the second
    rename finds the folder there and its staging copy is dropped, not raised as an error."""
    from scoring.replay.weights import _convert_gguf, _converted_folder, resolve_weights

    source = resolve_weights(load_config(None).models["small"].weights)
    target = _converted_folder(source, tmp_path)
    target.mkdir()
    (target / "model.safetensors").write_bytes(b"the winner's copy")
    _convert_gguf(source, target)
    assert (target / "model.safetensors").read_bytes() == b"the winner's copy"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no staging folder left behind
