"""The fieldwork brief in the browser: pick a force, read what was found and recommended, what
became of it and what to ask, every line cited; take it away as Word, Markdown or JSON."""
from __future__ import annotations

import json

import streamlit as st

from assistant import HmiqaError
from assistant.vocabulary import DOCX_MEDIA_TYPE, MARKDOWN_MEDIA_TYPE, THEMES, brief_file_name
from assistant.brief import Brief, evidence_label, made_label, to_docx, to_markdown
from assistant.inert import inert

from .chat import _open_source, _source
from .render import passage_html

STATUS_BADGE = {"done": "green", "progress": "blue", "limited progress": "orange", "no evidence yet": "gray"}


def _cited(text: str, n: int) -> str:
    return f"{text} [{n}]"


def _items(b: Brief) -> None:
    for title, items in b.sections():
        st.subheader(title)
        for i in items:
            who = "" if i.audience == "force" else f" · to {i.audience}"
            st.markdown(f":{STATUS_BADGE.get(i.status, 'gray')}-badge[{i.status}] **{made_label(i)}{who}** · {i.theme}"
                        + (f" · latest position from {i.basis}" if i.basis_year else ""))
            st.markdown(_cited(f"> {inert(i.text)}".replace("\n", "\n> "), i.citation))
            for e in i.evidence:
                st.markdown(_cited(f"- {evidence_label(e)}: “{inert(e.quote)}”", e.citation))


def _sources(assistant, b: Brief) -> None:
    st.subheader("Sources")
    for c in b.citations:
        page = f" · p. {c.page}" if c.page else ""
        with st.expander(f"[{c.n}] {c.title} · {c.year}{page} · § {c.section[:80]}"):
            st.markdown(passage_html(c.quote, c.quote, 0), unsafe_allow_html=True)
            st.button("Open the whole report here", key=f"brief-open-{c.n}", on_click=_open_source,
                      args=(c.doc_id, c.start, c.end))


def page(assistant) -> None:
    st.title("Fieldwork brief")
    st.caption("For one force: the grades over time, every recommendation and area for improvement with what "
               "later reports and the force's own responses say about it, and lines of enquiry for the open "
               "items. Every line cites the report sentence it rests on.")
    forces = assistant.covered("forces")
    if not forces:
        st.warning("No reports are indexed yet. Add reports on the **Corpus** page, then come back.")
        return
    col1, col2, col3 = st.columns([2, 3, 1])
    force = col1.selectbox("Force", forces, key="brief_force")
    themes = col2.multiselect("Themes", [n for n, _ in THEMES], key="brief_themes",
                              help="Only findings on these themes; none selected means all.")
    years = [y for y in assistant.covered("year") if y]
    since = col3.selectbox("Made since", [None] + years, key="brief_since",
                           format_func=lambda y: "any year" if y is None else str(y))
    try:
        with st.spinner("Reading the findings…"):
            b = assistant.brief(force, themes=themes, since=since)
    except HmiqaError as e:
        st.error(f"The brief could not be made: {e}")
        return
    d1, d2, d3 = st.columns(3)
    d1.download_button("Download (Word)", to_docx(b), file_name=brief_file_name(b.force, "docx"), width="stretch",
                       mime=DOCX_MEDIA_TYPE)
    d2.download_button("Download (Markdown)", to_markdown(b), file_name=brief_file_name(b.force, "md"),
                       mime=MARKDOWN_MEDIA_TYPE, width="stretch")
    d3.download_button("Download (JSON)", json.dumps(b.to_dict(), indent=2, ensure_ascii=False),
                       file_name=brief_file_name(b.force, "json"), mime="application/json", width="stretch")
    open_n = len(b.open_items)
    st.markdown(f"**{len(b.reports)} report(s)**, the newest from {b.as_of}: "
                f"{open_n} open item(s), {len(b.met_items)} met by the latest evidence.")
    if b.grades:
        st.subheader("Grades over time")
        st.dataframe([{"year": f"{g.year}" + (f" ({g.period})" if g.period else ""), "judged": g.question or "overall",
                       "grade": g.grade, "source": f"[{g.citation}]"} for g in b.grades],
                     hide_index=True, width="stretch")
    _items(b)
    if b.lines_of_enquiry:
        st.subheader("Suggested lines of enquiry")
        st.markdown("\n".join(f"{k}. {line.text}" for k, line in enumerate(b.lines_of_enquiry, start=1)))
    if not b.items and not b.grades:
        st.info("No recommendations, areas for improvement or grades were found for these choices.")
    _sources(assistant, b)
    if opened := st.session_state.get("source"):
        _source(assistant, *opened)
