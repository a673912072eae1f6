"""One-time conversion of a GGUF chat model to a bf16 safetensors folder.

transformers can read GGUF directly, but dequantising on every start takes about a minute and
9 GB; converted once, the model loads in seconds. Run by provisioning, before the model's
completion marker is written, so a half-converted model is never used.

The checked GGUF stays beside the converted folder (and in the marker): the llama.cpp backend
loads it as is. Folders fetched before this change lack it; ``rag models fetch`` puts it back.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from rag.errors import ModelError

GGUF_NAME = "model.gguf"
CONVERTED = "hf"


def gguf_to_safetensors(folder: Path) -> None:
    """Write ``folder/hf`` (weights, config, tokenizer, chat template) from ``folder/model.gguf``.

    The GGUF itself is kept: the llama.cpp backend loads it.
    """
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as error:
        raise ModelError("converting a GGUF model needs the 'models' extra") from error
    out = folder / CONVERTED
    shutil.rmtree(out, ignore_errors=True)
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=GGUF_NAME)
        model: Any = AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=GGUF_NAME, dtype=torch.bfloat16
        )
        # transformers refuses to save a model it believes is quantised; after loading from
        # GGUF it is not (the weights are dequantised), so the quantiser is dropped first.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
    except Exception as error:
        shutil.rmtree(out, ignore_errors=True)
        raise ModelError(f"cannot convert {folder / GGUF_NAME}: {error}") from error
