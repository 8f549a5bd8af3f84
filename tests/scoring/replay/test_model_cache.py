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
