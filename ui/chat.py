"""The chat: ask, read the cited answer, open its sources, narrow by force and year, export."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from assistant import HmiqaError
from assistant.vocabulary import ANSWER_MODES, DOCX_MEDIA_TYPE, MARKDOWN_MEDIA_TYPE
from assistant.export import conversation_docx, conversation_markdown
from assistant.feedback import FeedbackStore
from assistant.inert import inert
from assistant.records import Answer

from .render import passage_html, report_html

CHIP_LABELS = {"forces": "force", "years": "years", "programmes": "programme"}


@dataclass
class Turn:
    question: str
    answer: Answer
    drop: list[str] = field(default_factory=list)
    rated: bool = False
    asked_with: dict | None = None  # the sidebar filters in force when it was asked


def _key(caller) -> dict | None:
    return caller.to_dict() if caller is not None else None


def _turns() -> list[Turn]:
    return st.session_state.setdefault("turns", [])


def _sidebar(assistant, docs):
    with st.sidebar:
        st.header("Narrow the answer")
        forces = st.multiselect("Force", sorted({f for d in docs for f in d.forces}), key="f_forces",
                                help="Only reports about these forces. Overrides a force named in the question.")
        years = sorted({d.year for d in docs if d.year})
        year_range = None
        if len(years) > 1:
            picked = st.slider("Report year", years[0], years[-1], (years[0], years[-1]), key="f_years",
                               help="Only reports published in these years.")
            year_range = picked if picked != (years[0], years[-1]) else None
        types = st.multiselect("Programme", sorted({d.programme for d in docs if d.programme}), key="f_types",
                               help="Only reports of these inspection programmes.")
        kinds = st.multiselect("Kind of publication", sorted({d.kind for d in docs if d.kind}), key="f_kinds",
                               help="Inspection reports, revisits, responses, news releases, letters …")
        llm = assistant.settings.llm_provider != "none"
        mode = st.radio("Answer", list(ANSWER_MODES) if llm else list(ANSWER_MODES[:1]), key="f_mode",
                        format_func=lambda m: {"extractive": "Quotes from the reports",
                                               "llm": f"Written by {assistant.settings.llm_model or 'the LLM'}, checked"}[m],
                        help="Quotes: sentences copied verbatim, each cited. The LLM option appears when one is "
                             "configured (HMIQA_LLM_*).")
        k = st.slider("Passages to read", 3, 20, assistant.settings.k, key="f_k")
        st.caption(f"{len(docs)} reports indexed")
        turns = _turns()
        if turns:
            st.divider()
            pairs = [(t.question, t.answer) for t in turns]
            st.download_button("Download conversation (Markdown)", conversation_markdown(pairs),
                               file_name="hmiqa-conversation.md", mime=MARKDOWN_MEDIA_TYPE, width="stretch")
            try:  # built on every rerun: an export that fails must not take the Ask page down
                word = conversation_docx(pairs)
            except Exception as e:  # noqa: BLE001 - shown, and the Markdown export still offered
                st.caption(f"The Word export could not be made ({type(e).__name__}: {e}); the Markdown one "
                           "holds every answer.")
            else:
                st.download_button("Download conversation (Word)", word, file_name="hmiqa-conversation.docx",
                                   width="stretch", mime=DOCX_MEDIA_TYPE)
            if st.button("Start a new conversation", width="stretch"):
                st.session_state["turns"] = []
                st.session_state.pop("source", None)
                st.rerun()
    caller = None
    if forces or year_range or types or kinds:
        caller = assistant.filters(forces=forces, programmes=types, kinds=kinds,
                                   year_from=year_range[0] if year_range else None,
                                   year_to=year_range[1] if year_range else None)
    return caller, mode, k


def _ask(assistant, question: str, history: list[str], drop: list[str], caller, mode, k) -> Answer:
    return assistant.ask(question, filters=caller, history=history, mode=mode, k=k, drop=drop)


def _chips(assistant, i: int, turn: Turn, caller, mode, k):
    f, sources = turn.answer.filters, turn.answer.filters.get("sources", {})
    chips = []
    if f.get("forces") and sources.get("forces") != "caller":
        chips.append(("forces", ", ".join(f["forces"])))
    if (f.get("year_from") or f.get("year_to")) and sources.get("years") != "caller":
        chips.append(("years", f"{f.get('year_from') or '…'}–{f.get('year_to') or '…'}"))
    if f.get("programmes") and sources.get("programmes") != "caller":
        chips.append(("programmes", ", ".join(f["programmes"])))
    if not chips:
        return
    cols = st.columns(len(chips) + 1, gap="small")
    cols[0].caption("Filters taken from the question:")
    for col, (name, value) in zip(cols[1:], chips, strict=True):
        col.button(f"{CHIP_LABELS[name]}: {value} ✕", key=f"chip-{i}-{name}", on_click=_reanswer,
                   args=(assistant, i, sorted(set(turn.drop) | {name}), caller, mode, k),
                   help=f"Remove this {CHIP_LABELS[name]} filter and ask again")


def _reanswer(assistant, i: int, drop: list[str], caller, mode, k):
    """Ask turn i again: without the filters in `drop` (a removed chip), or with new sidebar filters."""
    turns = _turns()
    turn = turns[i]
    try:
        turn.answer = _ask(assistant, turn.question, [t.question for t in turns[:i]], drop, caller, mode, k)
        turn.drop, turn.asked_with, turn.rated = drop, _key(caller), False
    except HmiqaError as e:
        st.session_state["chat_error"] = str(e)


def _open_source(doc_id: str, start: int, end: int):
    st.session_state["source"] = (doc_id, start, end)


def _close_source():
    st.session_state.pop("source", None)


# the open source lives in session state, not in one button's True: a rerun from anything else
# (a rating, a sidebar change) redraws the dialog instead of losing it
@st.dialog("Source", width="large", on_dismiss=_close_source)
def _source(assistant, doc_id: str, start: int, end: int):
    try:
        doc = assistant.document(doc_id)
    except HmiqaError as e:
        st.error(f"{e}. The report may have been removed from the corpus.")
        return
    st.markdown(f"### {doc.title}")
    facts = [", ".join(doc.forces) or "no force", f"published {doc.published}" if doc.published else None,
             doc.period, doc.programme, doc.kind, doc.inspectorate, f"page {doc.page_at(start)}" if doc.pages else None]
    st.caption(" · ".join(x for x in facts if x))
    if doc.url:
        st.link_button("Open the original", doc.url)
    elif Path(doc.source).is_file():
        st.download_button("Download the original file", Path(doc.source).read_bytes(),
                           file_name=Path(doc.source).name, key=f"orig-{doc_id}-{start}")
    st.iframe(report_html(doc.text, start, end), height=520)  # our own escaped HTML: the report as data


def _cited(i: int, c, label: str, chunks, key: str | None = None) -> None:
    """A cited sentence in its passage, highlighted, with a way into the whole report."""
    with st.expander(label):
        chunk = chunks.get(c.chunk_id)
        if chunk is not None:
            st.markdown(passage_html(chunk.text, c.quote, c.start - chunk.start), unsafe_allow_html=True)
        else:
            st.markdown(f"> {inert(c.quote)}")
        st.button("Open the whole report here", key=key or f"open-{i}-{c.n}", on_click=_open_source,
                  args=(c.doc_id, c.start, c.end))


def _render(assistant, i: int, turn: Turn, caller, mode, k, chunks):
    with st.chat_message("user"):
        st.markdown(turn.question)
    with st.chat_message("assistant"):
        a = turn.answer
        _chips(assistant, i, turn, caller, mode, k)
        for notice in a.notices:
            st.info(notice)
        st.markdown(a.answer)
        if a.citations:
            st.markdown("**Sources**")
        for c in a.citations:
            page = f" · p. {c.page}" if c.page else ""
            _cited(i, c, f"[{c.n}] {c.title} · {c.force or 'no force'} · {c.year}{page} · § {c.section[:80]}", chunks)
        if a.closest:
            st.markdown("**Closest passages** (not an answer: they may not say what was asked)")
        for c in a.closest:
            page = f" · p. {c.page}" if c.page else ""
            _cited(i, c, f"“{c.quote[:90]}{'…' if len(c.quote) > 90 else ''}” · {c.title} · {c.year}{page}",
                    chunks, key=f"closest-{i}-{c.n}")
        if not turn.rated:
            rating = st.feedback("thumbs", key=f"fb-{i}")
            if rating is not None:
                FeedbackStore(assistant.settings.index).record(a, int(rating))
                turn.rated = True
                st.toast("Thanks: your rating was saved with the question and its citations.")
        else:
            st.caption("Rated. Thank you.")
        if i == len(_turns()) - 1 and turn.asked_with != _key(caller):
            st.button("The sidebar filters changed: ask this again with them", key=f"reask-{i}",
                      on_click=_reanswer, args=(assistant, i, [], caller, mode, k), type="primary")


def page(assistant, corpus_page=None):
    st.title("hmiqa")
    st.caption("Ask what HMIC and HMICFRS found in police inspection reports. Every sentence of an answer is "
               "quoted from a report and cited; open a source to read it in place.")
    docs = assistant.documents()
    if not docs:
        st.warning("No reports are indexed yet. Add PDF, TXT, HTML, Markdown or Word reports on the "
                   "**Corpus** page, or run `hmiqa ingest data/reports` on the server, then ask again.")
        if corpus_page is not None:
            st.page_link(corpus_page, label="Go to the Corpus page", icon=":material/library_books:")
        return
    try:
        caller, mode, k = _sidebar(assistant, docs)
    except HmiqaError as e:
        st.error(f"The filters could not be applied: {e}")
        return
    if err := st.session_state.pop("chat_error", None):
        st.error(err)
    chunks = assistant.passages()
    turns = _turns()
    if not turns:
        st.info("Try: *What progress has been made on vetting since 2014?* · *What did HMIC recommend to "
                "Hampshire?* · then a follow-up such as *and in Cambridgeshire?*")
    for i, turn in enumerate(turns):
        _render(assistant, i, turn, caller, mode, k, chunks)
    if opened := st.session_state.get("source"):
        _source(assistant, *opened)
    question = st.chat_input("Ask about the inspection reports…", max_chars=assistant.settings.max_question_chars)
    if question is not None:
        if not question.strip():
            st.error("The question is empty: type what you want to know.")
            return
        with st.spinner("Reading the reports…"):
            try:
                answer = _ask(assistant, question, [t.question for t in turns], [], caller, mode, k)
            except HmiqaError as e:
                st.error(str(e))
                return
        turns.append(Turn(question, answer, asked_with=_key(caller)))
        st.rerun()
