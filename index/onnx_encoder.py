"""The embedding model run by ONNX Runtime: the model's own weights and sentence-transformers' arithmetic
(token embeddings averaged over the text, then unit length), without importing torch, transformers and
sentence-transformers when a process starts. On this machine those imports were 7 of the 7.3 s a
process spent loading the model; ONNX Runtime and the tokenizer load in a quarter of a second, and
encode at the same speed or a little faster (docs/BENCHMARKS.md, "Embedding backends").

The ONNX file is exported once per model, from its weights through torch, into a cache folder. An export
is kept only if its tokens and vectors match sentence-transformers' on probe texts; otherwise the
model runs through sentence-transformers as before.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

EXPORT_VERSION = 2  # in every export's name: a change to how exports are made makes new ones

# what an export may differ from sentence-transformers by, per vector component (measured: 2e-7)
TOLERANCE = 1e-4

_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"

# made-up texts covering what reports hold: short lines, figures, punctuation, accents, and one past the
# model's window (truncation must cut where sentence-transformers cuts)
PROBES = [
    "Vetting",
    "The force has reduced its vetting backlog from 1,240 cases in 2019 to 310 in March 2021.",
    "Recommendation 4: by 31 May, chief constables should ensure that every officer – including "
    "those on secondment – completes the revised training (see paragraph 3.12).",
    "Café, naïve résumé: the inspectorate's “cause of concern” was addressed.",
    " ".join(f"In area {i} the force found {i * 7} crimes were recorded late, and victims were not "
             f"told why." for i in range(40)),
]


class OnnxUnavailable(Exception):
    """This model cannot be run through ONNX Runtime here; the message says why."""


@dataclass(frozen=True)
class Spec:
    """What the encoder needs to know of a sentence-transformers folder."""
    window: int  # tokens the model reads, special ones included; the rest is cut as sentence-transformers cuts
    dimension: int


def describe(model_dir: Path) -> Spec:
    """The model's window and dimension, if it is a model this encoder reproduces exactly: a transformer
    then mean pooling (then, optionally, unit length: vectors are always made unit length here)."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text())
        kinds = [m["type"] for m in modules]
        if kinds not in ([_TRANSFORMER, _POOLING], [_TRANSFORMER, _POOLING, _NORMALIZE]):
            raise OnnxUnavailable(f"its modules are {kinds}; only a transformer, mean pooling and "
                                  "normalisation are run through ONNX Runtime")
        pooling = json.loads((model_dir / modules[1]["path"] / "config.json").read_text())
        modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
        if modes != ["pooling_mode_mean_tokens"]:
            raise OnnxUnavailable(f"its pooling is {modes}, not mean pooling")
        config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        if not (model_dir / "tokenizer.json").exists():
            raise OnnxUnavailable("it has no tokenizer.json")
        return Spec(window=int(config["max_seq_length"]), dimension=int(pooling["word_embedding_dimension"]))
    except (OSError, KeyError, ValueError, TypeError, IndexError) as e:
        raise OnnxUnavailable(f"{model_dir} is not a sentence-transformers folder this encoder reads: {e}") from None


def cache_file(model_dir: Path, cache_dir: Path, label: str) -> Path:
    """Where this model's export is kept: named after the model files' names, sizes and times, so
    changed weights get a new export."""
    h = hashlib.sha256(f"{EXPORT_VERSION}:{model_dir.resolve()}".encode())
    for f in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        st = f.stat()
        h.update(f"{f.relative_to(model_dir)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return cache_dir / f"{Path(label).name}-{h.hexdigest()[:16]}.onnx"


class OnnxEncoder:
    """Texts to unit vectors with an exported model, batches sorted by length as sentence-transformers
    does. Thread-safe: ONNX Runtime sessions take concurrent runs."""

    def __init__(self, onnx_file: Path, model_dir: Path, spec: Spec):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.spec = spec
        options = ort.SessionOptions()
        options.log_severity_level = 3  # its warnings about unused initialisers are not ours to act on
        try:
            self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own untyped errors for unreadable files
            raise OnnxUnavailable(f"ONNX Runtime cannot read {onnx_file}: {e}") from None
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()  # the file may pad everything to a fixed length; batches pad here
        self.counter = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.counter.no_padding()
        self.counter.no_truncation()
        self.tokenizer.enable_truncation(spec.window)

    def count_tokens(self, text: str) -> int:
        return len(self.counter.encode(text, add_special_tokens=False).ids)

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self.tokenizer.encode_batch(texts)]

    def encode(self, texts: list[str], batch_size: int = 8) -> np.ndarray:
        out = np.zeros((len(texts), self.spec.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")  # longest first: little padding
        for start in range(0, len(texts), batch_size):
            rows = order[start:start + batch_size]
            width = max(len(encodings[r].ids) for r in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            types = np.zeros_like(ids)
            for i, r in enumerate(rows):
                e = encodings[r]
                ids[i, :len(e.ids)], mask[i, :len(e.ids)], types[i, :len(e.ids)] = e.ids, 1, e.type_ids
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
            summed = (hidden * mask[:, :, None]).sum(axis=1)
            mean = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
            out[rows] = mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)
        return out


def export(model_dir: Path, target: Path, spec: Spec) -> None:
    """The model's transformer exported to `target` through torch, checked against sentence-transformers
    on PROBES, then moved into place in one step (two processes exporting at once both leave a whole file)."""
    try:
        import torch
        from sentence_transformers import SentenceTransformer
        import onnx  # noqa: F401  (torch's exporter needs it; imported here to say so plainly)
    except ImportError as e:
        raise OnnxUnavailable(f"exporting the model needs torch, sentence-transformers and onnx: {e}") from None
    reference = SentenceTransformer(str(model_dir), device="cpu")
    transformer = reference[0].auto_model.eval()
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids")
             if n in reference.tokenizer.model_input_names]

    class Hidden(torch.nn.Module):  # the transformer's token embeddings, its inputs by name
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, *tensors):
            return self.model(**dict(zip(names, tensors))).last_hidden_state

    # a traced sample with padding, so no shortcut for unpadded batches is what gets recorded
    mask = torch.tensor([[1] * 8, [1] * 5 + [0] * 3])
    sample = tuple(mask if n == "attention_mask" else torch.ones(2, 8, dtype=torch.long) * (n == "input_ids")
                   for n in names)
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"hidden": {0: "batch", 1: "tokens"}}
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".onnx.part")
    os.close(fd)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shapes; the checks below decide
            torch.onnx.export(Hidden(transformer), sample, tmp, input_names=names, output_names=["hidden"],
                              dynamic_axes=axes, opset_version=17, dynamo=False)
        encoder = OnnxEncoder(Path(tmp), model_dir, spec)  # PROBES go in one batch: padding is checked too
        expected = reference.tokenizer(PROBES, truncation=True, max_length=spec.window)["input_ids"]
        if encoder.token_ids(PROBES) != [list(x) for x in expected]:
            raise OnnxUnavailable("its tokenizer.json does not tokenise as sentence-transformers does")
        want = reference.encode(PROBES, normalize_embeddings=True, convert_to_numpy=True)
        got = encoder.encode(PROBES)
        if not np.allclose(got, want, atol=TOLERANCE, rtol=0):
            raise OnnxUnavailable(f"the export's vectors differ from sentence-transformers' by up to "
                                  f"{np.abs(got - want).max():.1e}")
        os.chmod(tmp, 0o644)  # a shared cache: other accounts' processes read it too
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
