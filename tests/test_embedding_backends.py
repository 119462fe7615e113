"""The embedding model through ONNX Runtime (the default on a CPU) and through sentence-transformers:
the same tokens and vectors, an export made once and kept, a damaged export made again, and clear
errors or a plain fall-back where ONNX Runtime cannot run a model."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.settings import Settings, SettingsError
from index import embed
from index.embed import Embedder, ModelError, model_path
from index.onnx_encoder import cache_file
from index.sentences import sentences_of
from ingest.chunk import chunk_document
from ingest.pipeline import build_document

from .conftest import CAMBS_2014, ROOT, SEEDS


def _seed_texts(embedder: Embedder) -> list[str]:
    """What ingest embeds for two seed reports: chunks, their quotable sentences, openings."""
    texts = []
    for path in (CAMBS_2014, SEEDS / "003_0859afb3aae27cae.txt"):
        doc, cleaned = build_document(path, "test")
        chunks = chunk_document(doc, cleaned, embedder.count_tokens, max_tokens=200, window=embedder.window)
        texts += [c.indexed_text for c in chunks] + sentences_of(chunks)[1] + [doc.head_text()]
    return texts


def test_onnx_runtime_and_sentence_transformers_give_the_same_tokens_and_vectors():
    onnx, torch = Embedder(backend="onnx"), Embedder(backend="torch")
    assert (onnx.backend, torch.backend) == ("onnx", "torch")
    assert (onnx.window, onnx.dimension) == (torch.window, torch.dimension) == (256, 384)
    texts = _seed_texts(torch)
    assert len(texts) > 300
    assert [onnx.count_tokens(t) for t in texts] == [torch.count_tokens(t) for t in texts]
    long = " ".join(texts[:20])  # past the window: both cut it at the same token
    assert torch.count_tokens(long) > 256
    a, b = onnx.embed(texts + [long]), torch.embed(texts + [long])
    assert a.dtype == b.dtype == np.float32 and a.shape == b.shape
    assert np.abs(a - b).max() < 1e-4
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    # and the same nearest neighbours: what search and answers depend on
    q = onnx.embed_query("how many vetting cases were outstanding")
    assert np.argsort(-(a @ q))[:10].tolist() == np.argsort(-(b @ q))[:10].tolist()


def test_the_export_is_made_once_kept_and_made_again_when_damaged(tmp_path):
    cache = tmp_path / "models"
    first = Embedder(backend="onnx", cache_dir=str(cache))
    want = first.embed(["Crime recording improved after the 2014 inspection."])
    [made] = list(cache.glob("*.onnx"))
    assert made == cache_file(Path(model_path(embed.DEFAULT_MODEL)), cache, embed.DEFAULT_MODEL)
    assert oct(made.stat().st_mode & 0o777) == "0o644"  # other accounts sharing the cache can read it
    assert not list(cache.glob("*.part"))
    stamp = made.stat().st_mtime_ns

    embed._load_onnx.cache_clear()  # as a new process would
    again = Embedder(backend="onnx", cache_dir=str(cache))
    assert np.array_equal(again.embed(["Crime recording improved after the 2014 inspection."]), want)
    assert made.stat().st_mtime_ns == stamp  # read, not exported again

    made.write_bytes(b"not an onnx model")  # a truncated copy, a disk error
    embed._load_onnx.cache_clear()
    mended = Embedder(backend="onnx", cache_dir=str(cache))
    assert np.abs(mended.embed(["Crime recording improved after the 2014 inspection."]) - want).max() < 1e-6
    assert made.stat().st_size > 1_000_000


def test_a_process_on_the_onnx_backend_never_imports_torch(tmp_path):
    """The point of the backend: starting a reader costs a quarter of a second, not seven."""
    Embedder().embed(["warm the shared cache"])  # the export exists before the child runs
    code = ("import sys; from index.embed import Embedder; e = Embedder(); v = e.embed(['vetting']); "
            "print(e.backend, v.shape, sorted(m for m in ('torch', 'transformers', 'sentence_transformers') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env=os.environ | {"ORT_DISABLE_TELEMETRY": "1"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "onnx (1, 384) []"


def _mean_pooling_swapped_for_cls(tmp_path: Path) -> Path:
    """A copy of the bundled model (weights linked, not copied) pooled on its first token instead."""
    src, dst = Path(model_path(embed.DEFAULT_MODEL)), tmp_path / "cls-model"
    for f in src.rglob("*"):
        if f.is_file():
            (dst / f.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
            (dst / f.relative_to(src)).symlink_to(f)
    pooling = dst / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text()) | {"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}
    pooling.unlink()
    pooling.write_text(json.dumps(config))
    return dst


def test_a_model_onnx_runtime_cannot_reproduce_runs_through_sentence_transformers(tmp_path):
    model = _mean_pooling_swapped_for_cls(tmp_path)
    auto = Embedder(str(model), cache_dir=str(tmp_path / "models"))
    assert auto.backend == "torch"
    assert auto.embed(["vetting"]).shape == (1, 384)
    assert not (tmp_path / "models").exists()  # nothing exported for it
    with pytest.raises(ModelError, match="embedding_backend 'onnx' cannot run .*pooling_mode_cls_token"):
        _ = Embedder(str(model), backend="onnx", cache_dir=str(tmp_path / "models")).model


def test_an_unwritable_cache_falls_back_or_says_what_to_set(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")  # the cache folder would have to be inside a file
    cache = str(blocked / "models")
    auto = Embedder(cache_dir=cache)
    assert auto.backend == "torch"  # same vectors, slower start
    assert auto.embed(["vetting"]).shape == (1, 384)
    with pytest.raises(ModelError, match="set model_cache to a writable folder"):
        _ = Embedder(backend="onnx", cache_dir=cache).model


def test_backend_settings_are_checked_with_the_valid_names(tmp_path):
    with pytest.raises(SettingsError, match="embedding_backend must be auto, onnx or torch, not 'gpu'"):
        Settings.load(tmp_path / "none.toml", embedding_backend="gpu")
    with pytest.raises(ModelError, match="is not one of auto, onnx, torch"):
        Embedder(backend="tensorrt")
    assert Settings.load(tmp_path / "none.toml", embedding_backend="torch").embedding_backend == "torch"
