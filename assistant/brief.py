"""The fieldwork brief: for one force, the grades over time, every recommendation and area for
improvement with what became of it, what the force said it did, and lines of enquiry for the open
items. Every line cites the report sentence it rests on."""
from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date

from ingest.findings import Finding
from ingest.records import Document

from .citing import SpanCiter
from .followthrough import Documents, Tracked
from .inert import inert, word_text
from .records import Citation

KIND_LABEL = {"recommendation": "Recommendation", "area_for_improvement": "Area for improvement",
              "cause_of_concern": "Cause of concern"}
OTHERS = ("national", "PCCs")


@dataclass
class BriefEvidence:
    source: str
    status: str | None
    year: int | None
    quote: str
    citation: int


@dataclass
class BriefItem:
    finding_id: str
    kind: str
    year: int | None
    period: str | None  # the inspection period of the report that made it, when it says
    report: str
    theme: str
    audience: str
    text: str
    citation: int
    status: str
    open: bool
    basis: str
    basis_year: int | None
    evidence: list[BriefEvidence] = field(default_factory=list)


@dataclass
class Grade:
    year: int | None
    period: str | None
    question: str | None  # None: the judgment of the whole area
    grade: str
    citation: int


@dataclass
class BriefLine:
    text: str
    citations: list[int]


@dataclass
class Brief:
    force: str
    themes: list[str]
    since: int | None
    generated: str
    as_of: int | None
    reports: list[dict]
    grades: list[Grade] = field(default_factory=list)
    items: list[BriefItem] = field(default_factory=list)
    lines_of_enquiry: list[BriefLine] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def open_items(self) -> list[BriefItem]:
        """Open items addressed to the force (or to every force)."""
        return [i for i in self.items if i.open and i.audience not in OTHERS]

    @property
    def met_items(self) -> list[BriefItem]:
        return [i for i in self.items if not i.open and i.audience not in OTHERS]

    @property
    def others_items(self) -> list[BriefItem]:
        """Recommendations to national bodies or PCCs that the force's response answered."""
        return [i for i in self.items if i.audience in OTHERS]

    def sections(self) -> list[tuple[str, list[BriefItem]]]:
        return [(title, items) for title, items in (
            ("Open recommendations and areas for improvement", self.open_items),
            ("Met, by the latest evidence", self.met_items),
            ("Recommendations to national bodies and PCCs, with the force's response", self.others_items))
            if items]


def build(force: str, tracked: list[Tracked], judgments: list[Finding], docs: Mapping[str, Document], chunk_at,
          themes: list[str] | None = None, since: int | None = None) -> Brief:
    headers = docs.headers if isinstance(docs, Documents) else docs  # the force's reports, no texts read
    mine = sorted((d for d in headers.values() if force in d.forces), key=lambda d: (d.year or 0, d.title))
    brief = Brief(force=force, themes=list(themes or []), since=since, generated=date.today().isoformat(),
                  as_of=max((d.year for d in mine if d.year), default=None),
                  reports=[{"doc_id": d.doc_id, "title": d.title, "year": d.year, "period": d.period,
                            "programme": d.programme, "kind": d.kind} for d in mine])
    cite = SpanCiter(docs.__getitem__, chunk_at)

    def wanted(f: Finding) -> bool:
        return (since is None or (f.year or 0) >= since) and (not themes or any(t in f.themes for t in themes))

    for j in sorted((j for j in judgments if since is None or (j.year or 0) >= since),
                    key=lambda j: (j.year or 0, j.question is not None, j.start)):
        doc = docs[j.doc_id]
        brief.grades.append(Grade(year=j.year, period=doc.period if not j.quoted else None, question=j.question,
                                  grade=j.grade or j.text, citation=cite(j.doc_id, j.start, j.end)))
    def order(t: Tracked):  # the inspection reports' own findings first, then what a response document lists
        return (docs[t.finding.doc_id].is_response, t.finding.year or 0, t.finding.start)

    for t in sorted((t for t in tracked if wanted(t.finding)), key=order):
        f = t.finding
        item = BriefItem(finding_id=f.finding_id, kind=f.kind, year=f.year,
                         period=None if f.quoted else docs[f.doc_id].period, report=docs[f.doc_id].title,
                         theme=f.theme, audience=f.audience, text=f.text, citation=cite(f.doc_id, f.start, f.end),
                         status=t.status, open=t.open, basis=t.basis, basis_year=t.basis_year)
        for e in sorted(t.evidence, key=lambda e: (e.year or 0, e.start)):
            item.evidence.append(BriefEvidence(source=e.source, status=e.status, year=e.year, quote=e.quote,
                                               citation=cite(e.doc_id, e.start, e.end)))
        brief.items.append(item)
        if item.open and item.audience not in OTHERS:
            basis = t.basis_evidence
            brief.lines_of_enquiry.append(_enquiry(item, cite(basis.doc_id, basis.start, basis.end) if basis else None))
    brief.citations = cite.citations
    return brief


def _enquiry(i: BriefItem, basis: int | None) -> BriefLine:
    """What to ask about an open item; `basis` the citation of the evidence its position rests on."""
    label = KIND_LABEL[i.kind].lower()
    theme = "Other" if i.theme == "general" else i.theme.capitalize()
    if basis is not None:
        return BriefLine(f"{theme}: ask for evidence that the {i.year} {label} has been met "
                         f"[{i.citation}]; the latest evidence ({i.basis_year}) shows {i.status} [{basis}].",
                         [i.citation, basis])
    return BriefLine(f"{theme}: ask what the force has done about the {i.year} {label} "
                     f"[{i.citation}]; no later report or response in the corpus says.", [i.citation])


# --- rendering ---------------------------------------------------------------------------------------

def _flat(text: str) -> str:
    """A quote on one line: a recommendation with its own bullets would break the list it sits in.
    The citation keeps the exact text."""
    return " ".join(text.split())


def made_label(i: BriefItem) -> str:
    return f"{KIND_LABEL[i.kind]}, {i.year}" + (f" ({i.period})" if i.period else "")


def evidence_label(e: BriefEvidence) -> str:
    who = {"verdict": "HMIC found", "later report": "HMIC found", "later finding": "HMIC raised it again",
           "force response": "the force said", "origin": "HMIC wrote at the time"}.get(e.source, e.source)
    return f"{e.year} · {who}" + (f" ({e.status})" if e.status else "")


def to_markdown(b: Brief) -> str:
    out = [f"# Fieldwork brief: {b.force}", "",
           f"Generated {b.generated} from {len(b.reports)} report(s), the newest from {b.as_of or 'an unknown year'}"
           + (f"; themes: {', '.join(b.themes)}" if b.themes else "") + (f"; since {b.since}" if b.since else "")
           + ". Every quote is verbatim from the cited report.", ""]
    out += ["## Reports", ""] + [f"- {r['year'] or '?'} · {r['title']}" + (f" ({r['period']})" if r["period"] else "")
                                 for r in b.reports] + [""]
    if b.grades:
        out += ["## Grades over time", "", "| year | judged | grade |", "|---|---|---|"]
        for g in b.grades:
            when = f"{g.year}" + (f" ({g.period})" if g.period else "")
            out.append(f"| {when} | {g.question or 'overall'} | {g.grade} [{g.citation}] |")
        out.append("")
    for title, items in b.sections():
        out += [f"## {title}", ""]
        for i in items:
            who = "" if i.audience == "force" else f" (to {i.audience})"
            out.append(f"- **{made_label(i)}{who}** · {i.theme} · latest position: "
                       f"**{i.status}**" + (f" ({i.basis})" if i.basis_year else "") + f"  \n  “{inert(_flat(i.text))}” [{i.citation}]")
            for e in i.evidence:
                out.append(f"  - {evidence_label(e)}: “{inert(_flat(e.quote))}” [{e.citation}]")
        out.append("")
    if b.lines_of_enquiry:
        out += ["## Suggested lines of enquiry", ""] + [f"{k}. {line.text}" for k, line in
                                                        enumerate(b.lines_of_enquiry, start=1)] + [""]
    out += ["## Sources", ""]
    for c in b.citations:
        page = f", p. {c.page}" if c.page else ""
        out.append(f"{c.n}. {c.title} · {c.year or '?'}{page} · § {c.section}")
    return "\n".join(out) + "\n"


def to_docx(b: Brief) -> bytes:
    import docx

    doc = docx.Document()
    doc.add_heading(word_text(f"Fieldwork brief: {b.force}"), level=0)
    doc.add_paragraph(f"Generated {b.generated} from {len(b.reports)} report(s), the newest from {b.as_of}. "
                      "Every quote is verbatim from the cited report; numbers in brackets refer to the sources.")
    doc.add_heading("Reports", level=1)
    for r in b.reports:
        doc.add_paragraph(word_text(f"{r['year'] or '?'} · {r['title']}" + (f" ({r['period']})" if r["period"] else "")),
                          style="List Bullet")
    if b.grades:
        doc.add_heading("Grades over time", level=1)
        table = doc.add_table(rows=1, cols=3)
        table.style = "Light List Accent 1"
        for cell, text in zip(table.rows[0].cells, ("Year", "Judged", "Grade"), strict=True):
            cell.text = text
        for g in b.grades:
            row = table.add_row().cells
            row[0].text = word_text(f"{g.year}" + (f" ({g.period})" if g.period else ""))
            row[1].text = word_text(g.question or "overall")
            row[2].text = word_text(f"{g.grade} [{g.citation}]")
    for title, items in b.sections():
        doc.add_heading(word_text(title), level=1)
        for i in items:
            p = doc.add_paragraph(style="List Number")
            p.add_run(word_text(f"{made_label(i)} · {i.theme} · latest position: {i.status}")).bold = True
            doc.add_paragraph(word_text(f"“{_flat(i.text)}” [{i.citation}]"), style="Quote")
            for e in i.evidence:
                doc.add_paragraph(word_text(f"{evidence_label(e)}: “{_flat(e.quote)}” [{e.citation}]"),
                                  style="List Bullet")
    if b.lines_of_enquiry:
        doc.add_heading("Suggested lines of enquiry", level=1)
        for line in b.lines_of_enquiry:
            doc.add_paragraph(word_text(line.text), style="List Number")
    doc.add_heading("Sources", level=1)
    for c in b.citations:
        page = f", p. {c.page}" if c.page else ""
        doc.add_paragraph(word_text(f"[{c.n}] {c.title} · {c.year or '?'}{page} · § {c.section}"))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
