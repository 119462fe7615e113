"""hmiqa in the browser: a cited chat, sources opened in place, and the corpus with uploads.

Run with `hmiqa ui` (or `make run`). The pages live in ui/; every answer comes from `Assistant`.
"""
from __future__ import annotations

import os

import streamlit as st

from assistant import Assistant, HmiqaError
from ui import brief, chat, corpus

st.set_page_config(page_title="hmiqa: inspection reports", page_icon="🔎", layout="wide")


@st.cache_resource(show_spinner="Loading the index and the embedding model (once per server)…")
def load(index_dir: str) -> Assistant:
    assistant = Assistant.open(index_dir)
    assistant.warm_up()  # here, behind the spinner, not on the first question
    return assistant


index_dir = os.environ.get("HMIQA_INDEX", "./var/index")
try:
    assistant = load(index_dir)
except HmiqaError as e:
    st.error(f"The index at {index_dir} could not be opened: {e}")
    st.stop()

# Material icons ship with Streamlit's own font, so they draw the same on every machine (emoji need one)
corpus_page = st.Page(lambda: corpus.page(assistant), title="Corpus", icon=":material/library_books:", url_path="corpus")
ask_page = st.Page(lambda: chat.page(assistant, corpus_page), title="Ask", icon=":material/chat:", url_path="ask", default=True)
brief_page = st.Page(lambda: brief.page(assistant), title="Brief", icon=":material/assignment:", url_path="brief")
st.navigation([ask_page, brief_page, corpus_page]).run()
