"""The one settings table: every setting and threshold is a row (name, default, help, and the choices
or range it must keep), and `Settings`, the typed record the code reads, is made from the rows.
Precedence: defaults, then hmiqa.toml, then HMIQA_* env, then flags. The README's settings table is
generated from it (scripts/settings_md.py)."""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, make_dataclass
from pathlib import Path

from .vocabulary import EMBEDDING_BACKENDS, FUSIONS, LLM_PROVIDERS, RETRIEVER_NAMES


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str
    choices: tuple[str, ...] = ()
    low: float | None = None  # the range a number must keep, inclusive
    high: float | None = None
    pattern: str | None = None  # a value the choices cannot list ("cuda:1")

    @property
    def env(self) -> str:
        return "HMIQA_" + self.name.upper()

    def parse(self, value: object) -> object:
        """`value` as this setting's type, checked against its choices and range."""
        kind = type(self.default)
        try:
            typed = _boolean(value) if kind is bool else kind(value)
        except (TypeError, ValueError):
            raise SettingsError(f"setting {self.name}={value!r} should be a {kind.__name__}") from None
        if self.choices and typed not in self.choices and not (self.pattern and re.fullmatch(self.pattern, typed)):
            raise SettingsError(f"{self.name} must be {_either(self.choices)}, not {typed!r}")
        if (self.low is not None and typed < self.low) or (self.high is not None and typed > self.high):
            raise SettingsError(f"{self.name} must be {self._range('between {} and {}')}, not {typed!r}")
        return typed

    def allowed(self) -> str:
        if self.choices:
            return _either(self.choices)
        if self.low is not None or self.high is not None:
            return self._range("{} to {}")
        return ""

    def _range(self, both: str) -> str:
        if self.high is None:
            return f"at least {self.low:g}"
        if self.low is None:
            return f"at most {self.high:g}"
        return both.format(f"{self.low:g}", f"{self.high:g}")


def _either(choices: tuple[str, ...]) -> str:
    return ", ".join(choices[:-1]) + " or " + choices[-1] if len(choices) > 1 else choices[0]


TABLE = [
    Setting("index", "./var/index", "index directory (catalog, Chroma vectors, BM25)"),
    Setting("embedding_model", "all-MiniLM-L6-v2",
            "sentence-transformers model: the bundled all-MiniLM-L6-v2 or a local model folder"),
    Setting("embedding_device", "auto", "where the embedding model runs: auto (a GPU when torch sees one, else the CPU), "
            "cpu, or cuda (cuda:N)", choices=("auto", "cpu", "cuda"), pattern=r"cuda:\d+"),
    Setting("embedding_backend", "auto", "what runs the embedding model: auto (ONNX Runtime on the CPU when the model "
            "allows, else sentence-transformers), onnx, or torch (sentence-transformers)", choices=EMBEDDING_BACKENDS),
    Setting("model_cache", "~/.cache/hmiqa/models", "folder for the embedding model's ONNX export, made from its own "
            "weights on first use and kept only if its vectors match sentence-transformers'"),
    # on 2 cores long texts padded together in large batches outgrow the caches (docs/BENCHMARKS.md,
    # "Embedding backends")
    Setting("embedding_batch_size", 8, "texts per batch through the embedding model at ingest (larger suits a GPU)",
            low=1, high=4096),
    Setting("chunk_tokens", 200, "most tokens of report text in one chunk (the model window is 256)", low=16, high=256),
    Setting("retriever", "hybrid", "default retriever", choices=RETRIEVER_NAMES),
    # weighted beat RRF on MRR@10 on eval/datasets/fusion_dev.jsonl (docs/BENCHMARKS.md)
    Setting("fusion", "weighted", "how hybrid search fuses BM25 and dense results", choices=FUSIONS),
    Setting("rrf_k", 60, "reciprocal rank fusion constant", low=1, high=1000),
    Setting("alpha", 0.3, "weight of the dense score in weighted fusion", low=0, high=1),
    Setting("fusion_pool", 50, "passages each retriever offers hybrid search before fusing", low=1, high=1000),
    Setting("k", 8, "passages returned by a search", low=1, high=100),
    Setting("max_document_mb", 20.0, "most text one document may have after cleaning, in MB (a 1,000-page report has "
            "~3 MB); past it ingest refuses the file with a reason", low=0.001, high=1000),
    Setting("max_expanded_mb", 500.0, "most a document may expand to while it is read, in MB (a DOCX is zipped XML: "
            "a small file can hold gigabytes); past it ingest refuses the file with a reason", low=1, high=100_000),
    Setting("max_read_seconds", 300.0, "most seconds reading, cleaning and chunking one document may take; past it "
            "ingest refuses the file with a reason and the next one goes on", low=1, high=86_400),
    Setting("max_upload_mb", 50, "largest report file the app (and API) accept for upload, in MB", low=1, high=10000),
    # the probabilities below are the answer model's (assistant/answer_model.py); each threshold was
    # chosen on cross-validated predictions by `make answer-model` (eval/RESULTS.md, "Answer model")
    Setting("answer_model", "sentence-lr-1", "the model that scores candidate sentences: a packaged model's name "
            "or the path of a model's .json file (`make answer-model` writes one)"),
    Setting("refuse_below", 0.09, "refuse when the answer model gives the best sentence holding the figure, date or "
            "grade asked for a probability below this", low=0, high=1),
    Setting("caution_below", 0.18, "answer, but say the evidence is weak, when that probability is below this",
            low=0, high=1),
    Setting("quote_floor", 0.05, "never quote a sentence whose probability is below this", low=0, high=1),
    Setting("answer_ratio", 0.65, "quote further sentences only while their probability is at least this share of "
            "the best one's: an answer stops when the next sentence adds little", low=0, high=1),
    # fitted on eval/datasets/seed.jsonl and ../shared/realdev together (eval/RESULTS.md, "Sweep")
    Setting("doc_weight", 0.15, "weight of the question's closeness to a passage's document (title and opening) in "
            "hybrid search", low=0, high=10),
    Setting("prefer_weight", 0.3, "how much hybrid search raises passages that meet what the question implies "
            "(force, years, programme)", low=0, high=10),
    # answer_sentences and per_report: eval/RESULTS.md, "Sweep"
    Setting("answer_sentences", 5, "most sentences an answer quotes (a timeline quotes per report instead)",
            low=1, high=50),
    Setting("per_report", 3, "most sentences an answer quotes from one report", low=1, high=50),
    Setting("timeline_per_report", 5, "most sentences a timeline (a progress question) quotes from one report",
            low=1, high=50),
    # a timeline chooses by the hand-set score (assistant/answering.py says why): these are on its scale
    Setting("timeline_margin", 0.5, "a timeline quotes the reports whose best sentence's hand-set score is within "
            "this of the best overall, and each report's sentences within this of its own best", low=0),
    Setting("timeline_floor", 0.56, "a timeline never quotes a sentence whose hand-set score is below this", low=0),
    Setting("closest_sentences", 3, "sentences a refusal lists as the closest passages (not an answer), at most two "
            "from one report", low=0, high=20),
    Setting("emptied_sentences", 3, "sentences shown, one per report, as the closest evidence when a filter left "
            "none", low=0, high=20),
    Setting("rank_weight", 0.4, "weight of a passage's retrieval score in the score of the sentences quoted from it",
            low=0, high=10),
    Setting("overlap_weight", 0.35, "weight, in a sentence's evidence, of the share of the question's concepts "
            "it names", low=0, high=10),
    Setting("context_weight", 0.15, "weight, in a sentence's evidence, of the share of the question's concepts the "
            "sentence before it in its paragraph names", low=0, high=10),
    Setting("change_bonus", 0.2, "raised score, for a progress question, of a sentence saying what changed", low=0,
            high=10),
    Setting("figures_bonus", 0.3, "further raised score, for a progress question, of a sentence measuring the "
            "change (from … to …)", low=0, high=10),
    Setting("duplicate_cosine", 0.9, "a sentence this close in meaning to one already quoted is the same finding "
            "said again, and is not quoted twice", low=0, high=1),
    Setting("relax_ratio", 0.5, "answer only from passages meeting the question's preferences while their best "
            "sentence's probability is at least this share of the best overall", low=0, high=1),
    Setting("follow_similarity", 0.35, "follow-through: a later sentence this close in meaning to a finding is "
            "evidence on it (and one quoting it again, the same finding made again)", low=0, high=1),
    Setting("follow_group_similarity", 0.3, "follow-through: findings of one report this close to a later "
            "paragraph (theme bonus included) are followed together", low=0, high=2),
    Setting("follow_theme_bonus", 0.25, "follow-through: raised similarity of a later paragraph on a finding's "
            "theme", low=0, high=1),
    Setting("follow_origin_similarity", 0.6, "follow-through: a finding quoted from an earlier report is that "
            "report's when one of its paragraphs is this close", low=0, high=1),
    Setting("chroma_host", "", "Chroma server host for shared deployments; empty: the embedded store under the index"),
    Setting("chroma_port", 8000, "Chroma server port", low=1, high=65535),
    Setting("chroma_ssl", False, "connect to the Chroma server over TLS"),
    Setting("chroma_token", "", "bearer token for the Chroma server, if it needs one"),
    Setting("api_keys", "", "comma-separated API keys that may read (ask, search, documents); none: loopback only"),
    Setting("admin_keys", "", "comma-separated API keys that may also add and delete documents"),
    Setting("max_question_chars", 2000, "longest question the API and app accept", low=1, high=100_000),
    Setting("max_history", 20, "most earlier turns a request may carry", low=0, high=1000),
    Setting("llm_provider", "none", "LLM for --mode llm: none, openai (any OpenAI-compatible server) or ollama",
            choices=LLM_PROVIDERS),
    Setting("llm_base_url", "http://127.0.0.1:11434", "LLM endpoint, e.g. http://127.0.0.1:8080/v1 for llama.cpp"),
    Setting("llm_model", "", "model name the endpoint serves"),
    Setting("llm_api_key", "", "API key for the endpoint, if it needs one"),
    Setting("llm_timeout", 60.0, "seconds to wait for the LLM before falling back to the extractive answer", low=0.1,
            high=3600),
    Setting("llm_max_tokens", 400, "most tokens the LLM may write", low=1, high=100_000),
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


def _load(cls, config: Path | None = None, **overrides) -> "Settings":
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
    return cls(**{s.name: s.parse(values[s.name]) for s in TABLE})


def _defaults(cls) -> "Settings":
    """The table's defaults alone (no hmiqa.toml, no environment)."""
    return cls(**{s.name: s.default for s in TABLE})


def _keys(self, name: str) -> set[str]:
    return {k.strip() for k in getattr(self, name).split(",") if k.strip()}


# the typed record every module reads: one field per row, of the row's type
Settings = make_dataclass("Settings", [(s.name, type(s.default)) for s in TABLE],
                          namespace={"__doc__": "Every setting, typed, as the table and its sources give it.",
                                     "load": classmethod(_load), "defaults": classmethod(_defaults), "keys": _keys})
Settings.__module__ = __name__


def markdown_table() -> str:
    """The README's settings table, made from the rows."""
    lines = ["| setting | default | env | |", "|---|---|---|---|"]
    for s in TABLE:
        default = "none" if s.default == "" else f"`{s.default}`"
        allowed = f" ({s.allowed()})" if s.allowed() else ""
        lines.append(f"| {s.name} | {default} | `{s.env}` | {s.help}{allowed} |")
    return "\n".join(lines)


README_START, README_END = "<!-- settings -->", "<!-- /settings -->"


def write_readme(readme: Path) -> None:
    text = readme.read_text()
    a, b = text.index(README_START) + len(README_START), text.index(README_END)
    readme.write_text(text[:a] + "\n" + markdown_table() + "\n" + text[b:])

