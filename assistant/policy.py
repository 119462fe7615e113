"""The answer policy, in one place: refuse, answer with a caution, answer from the findings tracker
alone, or answer; and, when the question implies preferences (a force, years, a programme), whether
the answer keeps to the passages consistent with them or relaxes them.

Every threshold is a setting (assistant/settings.py) with where it was fitted. `Assistant.ask` runs
the steps; this module decides.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .extractive import Candidate

ANSWER, CAUTION, TRACKER, REFUSE = "answer", "caution", "tracker", "refuse"


@dataclass
class Decision:
    action: str  # answer | caution | tracker | refuse
    best: float  # the evidence score: the best sentence over every passage retrieved
    pool: list[Candidate] = field(default_factory=list)  # the sentences the answer is chosen from
    kept_preferences: bool = False  # answered only from passages consistent with the preferences
    relaxed: bool = False  # preferences were set aside: the consistent evidence was weaker


def consistent(c: Candidate) -> bool:
    """The sentence's passage meets every preference or its field is unknown (never contradicts one)."""
    return c.passage.scores.get("consistent", 1.0) >= 1.0


def force_consistent(c: Candidate) -> bool:
    """About the force the question names, or about no single force: a force named in a question is
    not relaxed (force metadata is the most reliable field; years and programmes are relaxed)."""
    return c.passage.scores.get("force_consistent", 1.0) >= 1.0


def decide(cands: list[Candidate], settings, has_preferences: bool, tracked: bool) -> Decision:
    # the evidence score: how well the best sentence holding what is asked for (a figure for "how
    # many", a date for "when") matches the question; a report that discusses the subject without
    # the figure does not answer "how many"
    if has_preferences:
        cands = [c for c in cands if force_consistent(c)]
    best = max((c.evidence for c in cands if c.typed), default=0.0)
    if best < settings.refuse_below:
        return Decision(TRACKER if tracked else REFUSE, best)
    action = CAUTION if best < settings.caution_below else ANSWER
    if not has_preferences:
        return Decision(action, best, cands)
    kept = [c for c in cands if consistent(c)]
    best_kept = max((c.evidence for c in kept if c.typed), default=0.0)
    # the preferences narrow the answer only while what meets them is nearly as strong as the best
    if kept and best_kept >= max(settings.refuse_below, best - settings.relax_margin):
        return Decision(action, best, kept, kept_preferences=True)
    return Decision(action, best, cands, relaxed=True)
