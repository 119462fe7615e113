"""The one settings table. Precedence: defaults, then hmiqa.toml, then HMIQA_* env, then flags."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str

    @property
    def env(self) -> str:
        return "HMIQA_" + self.name.upper()


TABLE = [
    Setting("index", "./var/index", "index directory (catalog, Chroma vectors, BM25)"),
    Setting("embedding_model", "all-MiniLM-L6-v2",
            "sentence-transformers model: the bundled all-MiniLM-L6-v2 or a local model folder"),
    Setting("embedding_device", "auto", "where the embedding model runs: auto (a GPU when torch sees one, else the CPU), cpu, or cuda"),
    Setting("embedding_backend", "auto", "what runs the embedding model: auto (ONNX Runtime on the CPU when the model allows, else sentence-transformers), onnx, or torch (sentence-transformers)"),
    Setting("model_cache", "~/.cache/hmiqa/models", "folder for the embedding model's ONNX export, made from its own weights on first use"),
    # on these 2 cores, 8 embedded a 49-chunk report's chunks in 3.7 s, 32 in 4.9 s: long texts padded
    # together in large batches outgrow the caches (docs/BENCHMARKS.md, "Embedding backends")
    Setting("embedding_batch_size", 8, "texts per batch through the embedding model at ingest (larger suits a GPU)"),
    Setting("chunk_tokens", 200, "most tokens of report text in one chunk (the model window is 256)"),
    Setting("retriever", "hybrid", "default retriever: hybrid, dense or bm25"),
    # weighted α=0.3 beat RRF on MRR@10 (0.764 vs 0.716) on eval/datasets/fusion_dev.jsonl;
    # figures in docs/BENCHMARKS.md
    Setting("fusion", "weighted", "how hybrid search fuses BM25 and dense results: weighted or rrf"),
    Setting("rrf_k", 60, "reciprocal rank fusion constant"),
    Setting("alpha", 0.3, "weight of the dense score in weighted fusion (0..1)"),
    Setting("k", 8, "passages returned by a search"),
    Setting("max_document_mb", 20.0, "most text one document may have after cleaning, in MB (a 1,000-page report has ~3 MB); past it ingest refuses the file with a reason"),
    Setting("max_upload_mb", 50, "largest report file the app (and API) accept for upload, in MB"),
    # the evidence score is the best sentence's plus dense_weight x the best passage's cosine
    # (assistant/policy.py). Best balanced accuracy on the seeds: 0.90 (held out on ../shared/realdev it
    # refuses 0.75 and answers 0.84); on realdev: 0.81 (held out on the seeds: 0.80 and 0.92). 0.88 lies
    # between and refuses at least 0.75 on both (eval/RESULTS.md, "Refusal threshold"); the sentence
    # score alone (dense_weight 0) transferred worse both ways
    Setting("dense_weight", 0.5, "weight of the best passage's meaning match (cosine) in the evidence score that decides refusals"),
    Setting("refuse_below", 0.88, "refuse when the evidence score (best sentence holding the figure, date or grade asked for, plus the passage's meaning match) is below this"),
    Setting("caution_below", 1.0, "answer, but say the evidence is weak, when the evidence score is below this"),
    Setting("quote_floor", 0.56, "never quote a sentence scoring below this, however close to the best"),
    Setting("answer_margin", 0.5, "keep sentences scoring within this of the best one (their score includes the passage's rank)"),
    # fitted on eval/datasets/seed.jsonl and ../shared/realdev together (eval/RESULTS.md, "Sweep")
    Setting("doc_weight", 0.15, "weight of the question's closeness to a passage's document (title and opening) in hybrid search"),
    Setting("prefer_weight", 0.3, "how much hybrid search raises passages that meet what the question implies (force, years, programme)"),
    # 3 per report: answer recall 0.778 -> 0.806 on the seeds, 0.662 -> 0.688 on realdev (citation
    # support 0.547 -> 0.526, 0.425 -> 0.461); 6 sentences added 0.013 on realdev for less support
    Setting("answer_sentences", 5, "most sentences an answer quotes (a timeline quotes up to 5 per report instead)"),
    Setting("per_report", 3, "most sentences an answer quotes from one report"),
    Setting("rank_weight", 0.4, "weight of a passage's retrieval score in the score of the sentences quoted from it"),
    Setting("relax_margin", 0.1, "answer only from passages meeting the question's preferences while their best sentence is within this of the best overall"),
    Setting("chroma_host", "", "Chroma server host for shared deployments; empty: the embedded store under the index"),
    Setting("chroma_port", 8000, "Chroma server port"),
    Setting("chroma_ssl", False, "connect to the Chroma server over TLS"),
    Setting("chroma_token", "", "bearer token for the Chroma server, if it needs one"),
    Setting("api_keys", "", "comma-separated API keys that may read (ask, search, documents)"),
    Setting("admin_keys", "", "comma-separated API keys that may also add and delete documents"),
    Setting("max_question_chars", 2000, "longest question the API and app accept"),
    Setting("max_history", 20, "most earlier turns a request may carry"),
    Setting("llm_provider", "none", "LLM for --mode llm: none, openai (any OpenAI-compatible server) or ollama"),
    Setting("llm_base_url", "http://127.0.0.1:11434", "LLM endpoint, e.g. http://127.0.0.1:8080/v1 for llama.cpp"),
    Setting("llm_model", "", "model name the endpoint serves"),
    Setting("llm_api_key", "", "API key for the endpoint, if it needs one"),
    Setting("llm_timeout", 60.0, "seconds to wait for the LLM before falling back to the extractive answer"),
    Setting("llm_max_tokens", 400, "most tokens the LLM may write"),
]


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(value)


@dataclass
class Settings:
    index: str
    embedding_model: str
    embedding_device: str
    embedding_backend: str
    model_cache: str
    embedding_batch_size: int
    chunk_tokens: int
    retriever: str
    fusion: str
    rrf_k: int
    alpha: float
    k: int
    max_document_mb: float
    max_upload_mb: int
    dense_weight: float
    refuse_below: float
    caution_below: float
    quote_floor: float
    answer_margin: float
    doc_weight: float
    prefer_weight: float
    answer_sentences: int
    per_report: int
    rank_weight: float
    relax_margin: float
    chroma_host: str
    chroma_port: int
    chroma_ssl: bool
    chroma_token: str
    api_keys: str
    admin_keys: str
    max_question_chars: int
    max_history: int
    llm_provider: str
    llm_base_url: str
    llm_model: str
    llm_api_key: str
    llm_timeout: float
    llm_max_tokens: int

    @classmethod
    def load(cls, config: Path | None = None, **overrides) -> "Settings":
        values = {s.name: s.default for s in TABLE}
        config = config or Path(os.environ.get("HMIQA_CONFIG", "hmiqa.toml"))
        if config.exists():
            try:
                data = tomllib.loads(config.read_text())
            except tomllib.TOMLDecodeError as e:
                raise SettingsError(f"{config} is not valid TOML: {e}") from None
            data = data.get("hmiqa", data)
            unknown = set(data) - set(values)
            if unknown:
                raise SettingsError(f"{config}: unknown settings {sorted(unknown)}; known: {sorted(values)}")
            values.update(data)
        for s in TABLE:
            if s.env in os.environ:
                values[s.name] = os.environ[s.env]
        values.update({k: v for k, v in overrides.items() if v is not None})
        typed = {}
        for f in fields(cls):
            default = next(s.default for s in TABLE if s.name == f.name)
            try:
                typed[f.name] = _boolean(values[f.name]) if isinstance(default, bool) else type(default)(values[f.name])
            except (TypeError, ValueError):
                raise SettingsError(f"setting {f.name}={values[f.name]!r} should be a {type(default).__name__}") from None
        if typed["fusion"] not in ("rrf", "weighted"):
            raise SettingsError(f"fusion must be 'rrf' or 'weighted', not {typed['fusion']!r}")
        if typed["llm_provider"] not in ("none", "openai", "ollama"):
            raise SettingsError(f"llm_provider must be none, openai or ollama, not {typed['llm_provider']!r}")
        if typed["embedding_device"] != "auto" and typed["embedding_device"].split(":")[0] not in ("cpu", "cuda"):
            raise SettingsError(f"embedding_device must be auto, cpu or cuda (cuda:N), not {typed['embedding_device']!r}")
        if typed["embedding_backend"] not in ("auto", "onnx", "torch"):
            raise SettingsError(f"embedding_backend must be auto, onnx or torch, not {typed['embedding_backend']!r}")
        if not 1 <= typed["embedding_batch_size"] <= 4096:
            raise SettingsError("embedding_batch_size must be between 1 and 4096")
        if not 0 <= typed["alpha"] <= 1:
            raise SettingsError("alpha must be between 0 and 1")
        return cls(**typed)

    def keys(self, name: str) -> set[str]:
        return {k.strip() for k in getattr(self, name).split(",") if k.strip()}
