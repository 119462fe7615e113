"""The answer policy, in one place: refuse, answer with a caution, answer from the findings tracker
alone, or answer; and, when the question implies preferences (a force, years, a programme), whether
the answer keeps to the passages consistent with them or relaxes them.

Every threshold is a setting (assistant/settings.py) with where it was fitted; they compare the answer
model's probabilities (assistant/answer_model.py). The answer pipeline
(assistant/answering.py) runs the steps; this module decides, and words what it decided.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .extractive import Candidate, lacking

ANSWER, CAUTION, TRACKER, REFUSE = "answer", "caution", "tracker", "refuse"


@dataclass
class Decision:
    action: str  # answer | caution | tracker | refuse
    best: float  # the evidence score: the best sentence over every passage retrieved
    pool: list[Candidate] = field(default_factory=list)  # the sentences the answer is chosen from
    relaxed: bool = False  # preferences were set aside: the consistent evidence was weaker


def consistent(c: Candidate) -> bool:
    """The sentence's passage meets every preference or its field is unknown (never contradicts one)."""
    return c.passage.meets_preferences is not False


def force_consistent(c: Candidate) -> bool:
    """About the force the question names, or about no single force: a force named in a question is
    not relaxed (force metadata is the most reliable field; years and programmes are relaxed)."""
    return c.passage.meets_force is not False


def evidence(cands: list[Candidate], typed_only: bool = True) -> float:
    """How likely the retrieved text answers the question: the answer model's probability for the best
    sentence holding what is asked for (a figure for "how many", a date for "when"; a report that
    discusses the subject without the figure does not answer "how many"). `typed_only=False`: the
    best sentence whatever it holds, to say how close a report came that discusses the subject
    without the figure."""
    return max((c.score for c in cands if c.typed or not typed_only), default=0.0)


def decide(cands: list[Candidate], settings, has_preferences: bool, tracked: bool) -> Decision:
    if has_preferences:
        cands = [c for c in cands if force_consistent(c)]
    best = evidence(cands)
    if best < settings.refuse_below:
        return Decision(TRACKER if tracked else REFUSE, best)
    action = CAUTION if best < settings.caution_below else ANSWER
    if not has_preferences:
        return Decision(action, best, cands)
    kept = [c for c in cands if consistent(c)]
    best_kept = evidence(kept)
    # the preferences narrow the answer only while what meets them is nearly as strong as the best
    if kept and best_kept >= max(settings.refuse_below, best * settings.relax_ratio):
        return Decision(action, best, kept)
    return Decision(action, best, cands, relaxed=True)


def refusal(question: str, cands: list[Candidate], settings, listed: bool) -> str:
    """Why the answer is refused, in words (the score is the record's `evidence_score`): the reports
    discuss the subject without the figure, date or grade asked for, or they do not answer it; `listed`
    when the closest passages are shown beside it."""
    near = evidence(cands, typed_only=False)
    wanted = lacking(question)
    if wanted and near >= settings.refuse_below:
        text = f"The indexed reports discuss this but give no {wanted}."
    elif cands:
        text = "The indexed reports do not answer this: no passage says what was asked closely enough to quote."
    else:
        text = "The indexed reports do not answer this: no passage matches the question."
    if listed:
        text += " The closest passages are listed; they may not answer it."
    return text


CAUTION_NOTICE = "weak evidence: the passages quoted may not answer the question"
