"""The words every surface offers: answer modes, filters a user may remove, publication kinds and
programmes, finding kinds, brief formats, readable file types, year bounds. Each is defined once
(here, or in the ingest table it belongs to and named here) and imported by the CLI's choices, the
API's Literals and the app's options alike."""
from __future__ import annotations

from typing import Literal, get_args

from index.embed import BACKENDS as EMBEDDING_BACKENDS
from index.retrieve import FUSIONS, RETRIEVERS
from ingest.findings import FINDING_KINDS, THEMES
from ingest.loaders import FILE_TYPES, SUPPORTED, described_file_types
from ingest.programmes import PROGRAMMES, PUBLICATION_KINDS
from ingest.records import YEARS  # the years a report, a filter or a brief's `since` may name

AnswerMode = Literal["extractive", "llm"]
ANSWER_MODES: tuple[str, ...] = get_args(AnswerMode)

RETRIEVER_NAMES: tuple[str, ...] = tuple(RETRIEVERS)  # hybrid first: the default

# the LLM an answer in mode llm is written by (assistant/llm.py); none: no LLM
LLM_PROVIDERS = ("none", "openai", "ollama")

# inferred filters a user may remove from a question ("drop" in ask, the chips in the app)
DROPPABLE = ("forces", "years", "programmes")

BriefFormat = Literal["json", "md", "docx"]
BRIEF_FORMATS: tuple[str, ...] = get_args(BriefFormat)
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MARKDOWN_MEDIA_TYPE = "text/markdown"



def brief_file_name(force: str, fmt: str) -> str:
    """The file a brief is saved as: brief-<force>.<format>."""
    return f"brief-{force.lower().replace(' ', '-')}.{fmt}"


__all__ = ["AnswerMode", "ANSWER_MODES", "DROPPABLE", "BriefFormat", "BRIEF_FORMATS", "DOCX_MEDIA_TYPE",
           "MARKDOWN_MEDIA_TYPE", "YEARS", "brief_file_name", "FINDING_KINDS", "THEMES", "FILE_TYPES", "SUPPORTED",
           "described_file_types", "PROGRAMMES", "PUBLICATION_KINDS", "RETRIEVER_NAMES", "FUSIONS", "EMBEDDING_BACKENDS", "LLM_PROVIDERS"]
