"""The answer model: the probability that a candidate sentence is what a good answer leads with, from
features that transfer between corpora. It orders the quotes, decides where an answer stops, and
decides refusals (the best candidate's probability against `refuse_below`).

The model is a logistic regression over standardised features, fitted by `make answer-model`
(scripts/fit_answer_model.py) on labelled questions and shipped as a small JSON file beside this
module: running it is a dot product, so nothing is needed at run time that ingest does not already
need. A model names the features it was fitted on; a file whose names differ from FEATURES is refused
with what to do. No feature names a file, a force or a phrase of any labelled set.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ingest.boilerplate import key as shape_key
from ingest.clean import SIGNATURE_RE

from . import extractive
from .errors import HmiqaError

MODELS = Path(__file__).resolve().parent / "models"
DEFAULT = "sentence-lr-1"

# a row per feature: its name and what it measures (the order is the model's)
FEATURES = (
    ("hand_score", "the hand-set score (assistant/extractive.score): meaning, shared concepts, rank, penalties"),
    ("hand_evidence", "the hand-set evidence: meaning and shared concepts with the question alone"),
    ("cosine", "the sentence's meaning match with the question"),
    ("cosine_topic", "the sentence's meaning match with the question's topic alone"),
    ("cosine_question", "the sentence's meaning match with the whole question as asked"),
    ("passage_cosine", "the passage's meaning match with the question (dense score)"),
    ("concepts", "share of the question's concepts the sentence holds"),
    ("rare_words", "share of the question's words the sentence holds, each weighted by its rarity in the corpus"),
    ("topic_words", "the same for the words of the question's topic alone (not its force, years or programme): "
                    "a sentence echoing where and when is not yet an answer"),
    ("passage_score", "the passage's fused retrieval score over the best passage's"),
    ("passage_rank", "one over the passage's retrieval rank"),
    ("bm25", "the passage's BM25 score over the best passage's"),
    ("typed", "holds the figure, date or grade the question requires (or the question requires none)"),
    ("asked_and_held", "the question asks for a kind of thing and the sentence holds it"),
    ("judgement", "states a judgement: an evaluative word inspection reports use for what they found"),
    ("title_echo", "share of the sentence's words that are its report's title: a title or a link, not a finding"),
    ("after_framing", "the sentence before it in its passage frames the report or leads in: this one may say it"),
    ("framing", "a sentence about the publication itself, when the question is not about the inspection"),
    ("boilerplate", "a sentence shape several reports print"),
    ("lead_in", "ends in a colon: its list items say it"),
    ("fragment", "starts in lower case or ends mid-clause"),
    ("signature", "a signature block, when the question does not ask who signed"),
    ("change", "says what changed, for a progress question"),
    ("recommendation", "a recommendation, when the question asks for them"),
    ("meets_preferences", "the passage meets what the question implies (1), contradicts it (0), or no preference (0.5)"),
    ("log_length", "log of the sentence's length in characters"),
    ("position", "where the sentence's passage sits in its document (0 first, 1 last)"),
    ("in_passage", "where the sentence sits in its passage"),
)
FEATURE_NAMES = tuple(name for name, _ in FEATURES)
# the words in which any inspection report states what it found (graded or not): a finding, not a
# description of the work
JUDGEMENT_RE = re.compile(r"\b(?:outstanding|good|adequate|requires? improvement|inadequate|effective(?:ly)?|"
                          r"ineffective|concern(?:s|ed|ing)?|fail(?:s|ed|ing)?|improv(?:ed|ing|ement)|poor(?:ly)?|"
                          r"weak(?:ness|nesses)?|strong|well|not (?:yet )?(?:met|sufficient|consistent)|should|"
                          r"must|needs? to|complies|compliant|progress|backlogs?|insufficient|unacceptable)\b", re.I)
_FRAGMENT_END = re.compile(r"(?:[,;]\s*(?:and|or|but)?|\b(?:and|or|the|of|to|a|an|in|for|with))\s*$", re.I)


@dataclass(frozen=True)
class AnswerModel:
    """A fitted logistic regression: p = sigmoid(((x - mean) / scale) · coef + intercept)."""
    name: str
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    fitted: dict  # what it was fitted on, how, and the figures measured on data it did not see

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        if not len(x):
            return np.zeros(0)
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_dict(self) -> dict:
        return {"name": self.name, "features": list(self.features), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "coef": self.coef.tolist(), "intercept": self.intercept,
                "fitted": self.fitted}

    @classmethod
    def from_dict(cls, d: dict, where: str = "") -> "AnswerModel":
        try:
            features = tuple(d["features"])
            model = cls(str(d["name"]), features, np.asarray(d["mean"], float), np.asarray(d["scale"], float),
                        np.asarray(d["coef"], float), float(d["intercept"]), dict(d.get("fitted", {})))
        except (KeyError, TypeError, ValueError) as e:
            raise HmiqaError(f"answer model {where or d.get('name', '?')} is not a fitted model ({e}); "
                             "refit it with `make answer-model` (scripts/fit_answer_model.py)") from None
        if features != FEATURE_NAMES or not (len(model.mean) == len(model.scale) == len(model.coef) == len(features)):
            raise HmiqaError(f"answer model {where or model.name} was fitted on other features than this version "
                             f"computes; refit it with `make answer-model` (scripts/fit_answer_model.py)")
        return model


def names() -> list[str]:
    return sorted(p.stem for p in MODELS.glob("*.json"))


def load(name_or_path: str) -> AnswerModel:
    """A packaged model by name, or a fitted model's JSON file by path."""
    path = Path(name_or_path).expanduser()
    if not (path.suffix == ".json" and path.is_file()):
        path = MODELS / f"{name_or_path}.json"
        if not path.is_file():
            raise HmiqaError(f"unknown answer model '{name_or_path}'; choose one of: {', '.join(names())}, "
                             "or the path of a model's .json file")
    try:
        return AnswerModel.from_dict(json.loads(path.read_text(encoding="utf-8")), str(path))
    except json.JSONDecodeError as e:
        raise HmiqaError(f"answer model {path} is not JSON ({e}); refit it with `make answer-model` (scripts/fit_answer_model.py)") from None


@dataclass
class Context:
    """What the features of one question's candidates need besides the candidates."""
    question: str
    query_vector: np.ndarray  # unit vector: the mean direction of the topic and the question
    topic_vector: np.ndarray  # unit vectors of the topic alone and of the question as asked
    question_vector: np.ndarray
    concepts: list[set[str]]
    idf: dict[str, float]  # the question's words and their rarity in the corpus
    topic_idf: dict[str, float]  # the same for the topic's words
    tokenize: Callable[[list[str]], list[list[str]]]
    boilerplate: set[int]
    chunks_in: Callable[[str], int]  # doc_id -> how many chunks the document has
    progress: bool
    recommend: bool


def features(cands: list[extractive.Candidate], ctx: Context) -> np.ndarray:
    """One row per candidate, in FEATURE_NAMES order; call after extractive.score."""
    if not cands:
        return np.zeros((0, len(FEATURES)))
    wanted = extractive.wants(ctx.question)
    about_inspection = bool(extractive.ABOUT_THE_INSPECTION.search(ctx.question))
    signed = any(a.pattern == extractive.SIGNATURE for a in wanted)
    top = max(c.passage.score for c in cands) or 1.0
    bm25_top = max(c.passage.scores.get("bm25", 0.0) for c in cands) or 1.0
    idf_total = sum(ctx.idf.values()) or 1.0
    topic_total = sum(ctx.topic_idf.values()) or 1.0
    tokens = ctx.tokenize([c.text for c in cands])
    rows = []
    prev = None
    for c, toks in zip(cands, tokens, strict=True):
        text, p = c.text.strip(), c.passage
        own = extractive.stems(text)
        held = set(toks)
        n_chunks = max(1, ctx.chunks_in(p.doc_id))
        rows.append([
            c.hand, c.evidence, float(np.dot(ctx.query_vector, c.vector)), float(np.dot(ctx.topic_vector, c.vector)),
            float(np.dot(ctx.question_vector, c.vector)), p.scores.get("dense", 0.0),
            sum(1 for k in ctx.concepts if k & own) / max(1, len(ctx.concepts)),
            sum(w for t, w in ctx.idf.items() if t in held) / idf_total,
            sum(w for t, w in ctx.topic_idf.items() if t in held) / topic_total,
            max(0.0, p.score) / top, 1.0 / max(1, p.rank), p.scores.get("bm25", 0.0) / bm25_top,
            float(c.typed), float(bool(wanted) and all(w.search(text) for w in wanted)),
            float(bool(JUDGEMENT_RE.search(text))),
            len(own & extractive.stems(p.title or "")) / max(1, len(own)),
            float(prev is not None and prev.passage is p
                  and (extractive.framing(prev.text) or bool(extractive.LEAD_IN_RE.search(prev.text)))),
            float(not about_inspection and extractive.framing(text)),
            float(bool(ctx.boilerplate) and shape_key(text) in ctx.boilerplate),
            float(bool(extractive.LEAD_IN_RE.search(text))),
            float(text[:1].islower() or bool(_FRAGMENT_END.search(text))),
            float(not signed and bool(SIGNATURE_RE.match(text))),
            float(ctx.progress and bool(extractive.CHANGE_RE.search(text))),
            float(ctx.recommend and bool(extractive.RECOMMENDATION_RE.search(text))),
            {None: 0.5, True: 1.0, False: 0.0}[p.meets_preferences],
            math.log(1 + len(text)), p.ordinal / n_chunks, (c.start - p.start) / max(1, len(p.text)),
        ])
        prev = c  # candidates come in passage order
    return np.asarray(rows, dtype=float)


def apply(model: AnswerModel, cands: list[extractive.Candidate], ctx: Context) -> None:
    """Each candidate's features and probability: `hand` keeps the hand-set score, `score` becomes the
    probability (what the answer orders, stops and refuses by)."""
    for c in cands:
        c.hand = c.score
    x = features(cands, ctx)
    for c, row, p in zip(cands, x, model.probabilities(x), strict=True):
        c.features, c.score = row, float(p)
