"""hmiqa in the browser. Until the chat lands, a search box over the index with filters."""
from __future__ import annotations

import os

import streamlit as st

from assistant import Assistant, HmiqaError

st.set_page_config(page_title="hmiqa: inspection reports", page_icon="🔎", layout="wide")


@st.cache_resource(show_spinner="Loading the index and the embedding model…")
def load(index_dir: str) -> Assistant:
    assistant = Assistant.open(index_dir)
    # load once per process, not on the first question (assigned: Streamlit would print a bare name)
    _ = assistant.index.embedder.model, assistant.index.bm25
    return assistant


index_dir = os.environ.get("HMIQA_INDEX", "./var/index")
try:
    assistant = load(index_dir)
except HmiqaError as e:
    st.error(f"The index could not be opened: {e}")
    st.stop()

st.title("hmiqa")
st.caption("Search what HMIC and HMICFRS found in police inspection reports.")
docs = assistant.documents()
if not docs:
    st.warning("No reports are indexed yet. Add some with `hmiqa ingest data/reports` "
               f"(index: {index_dir}), then reload this page.")
    st.stop()

with st.sidebar:
    st.header("Filters")
    forces = st.multiselect("Force", sorted({f for d in docs for f in d.forces}))
    years = sorted({d.year for d in docs if d.year})
    year_range = st.slider("Year", years[0], years[-1], (years[0], years[-1])) if len(years) > 1 else None
    types = st.multiselect("Report type", sorted({d.report_type for d in docs if d.report_type}))
    k = st.slider("Passages", 1, 20, 8)
    st.caption(f"{len(docs)} reports indexed")

question = st.text_input("Search the reports", placeholder="e.g. vetting backlog, gifts and hospitality register")
if question.strip():
    try:
        filters = assistant.filters(forces=forces, report_types=types,
                                    year_from=year_range[0] if year_range else None,
                                    year_to=year_range[1] if year_range else None)
        passages = assistant.search(question, k=k, filters=filters)
    except HmiqaError as e:
        st.error(str(e))
        st.stop()
    if not passages:
        st.info("No passage matches. Try other words or fewer filters.")
    for p in passages:
        page = f" · p. {p.page_start}" if p.page_start else ""
        with st.container(border=True):
            st.markdown(f"**[{p.rank}] {p.title}** · {', '.join(p.forces)} · {p.year}{page}")
            st.caption(p.section)
            st.write(p.text)
