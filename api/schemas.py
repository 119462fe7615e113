"""What the API reads and writes, where the library's records are not already the contract (Answer,
Brief, Finding and Passage are served as they are). No `from __future__ import annotations`: FastAPI
reads these annotations at run time, and the request models are made per app from its limits."""
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from assistant import Passage
from assistant.vocabulary import PROGRAMMES, PUBLICATION_KINDS, RETRIEVER_NAMES, YEARS, AnswerMode
from assistant.settings import Settings

K_MAX_ASK, K_MAX_SEARCH = 20, 50


class DocumentOut(BaseModel):
    doc_id: str
    source: str = Field(description="the file name the document was ingested from")
    url: str | None = None
    title: str
    forces: list[str]
    year: int | None
    published: str | None
    inspection_year: int | None
    period: str | None
    programme: str | None
    kind: str | None
    inspectorate: str | None
    n_chunks: int
    pages: list[int]
    sections: list[dict]
    metadata_confidence: dict[str, dict]
    warnings: list[str]


class DocumentFull(DocumentOut):
    text: str = Field(description="the cleaned text; citations' start/end are offsets into it")


class UploadOut(BaseModel):
    status: Literal["added", "replaced", "unchanged", "duplicate"]
    document: DocumentOut | None
    warnings: list[str]


class DeletedOut(BaseModel):
    deleted: str
    title: str


class SearchOut(BaseModel):
    question: str
    filters: dict
    passages: list[Passage]


def doc_out(d, with_text: bool = False) -> dict:
    out = d.to_dict(with_text=with_text)
    out["source"] = Path(d.source).name  # not the server's paths
    return out


def request_models(settings: Settings):
    """(FiltersIn, AskIn, SearchIn) with this deployment's question and history limits, and the text
    a client is told when a request breaks them."""
    q_max, h_max = settings.max_question_chars, settings.max_history
    Question = Annotated[str, StringConstraints(min_length=1, max_length=q_max)]
    Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]

    class FiltersIn(BaseModel):
        model_config = ConfigDict(extra="forbid")
        forces: list[Name] = Field(default_factory=list, max_length=50,
                                   description="force names; short forms such as 'Cambs' work")
        year_from: int | None = Field(None, ge=YEARS[0], le=YEARS[1])
        year_to: int | None = Field(None, ge=YEARS[0], le=YEARS[1])
        programmes: list[Name] = Field(default_factory=list, max_length=20,
                                       description="inspection programmes: " + ", ".join(PROGRAMMES))
        kinds: list[Name] = Field(default_factory=list, max_length=10,
                                  description="kinds of publication: " + ", ".join(PUBLICATION_KINDS))

    class AskIn(BaseModel):
        model_config = ConfigDict(extra="forbid")
        question: Question
        filters: FiltersIn | None = Field(None, description="win over filters inferred from the question")
        history: list[Question] = Field(default_factory=list, max_length=h_max,
                                        description="earlier questions of the conversation, oldest first")
        mode: AnswerMode = "extractive"
        k: int = Field(8, ge=1, le=K_MAX_ASK, description="passages to read")

    class SearchIn(BaseModel):
        model_config = ConfigDict(extra="forbid")
        question: Question
        filters: FiltersIn | None = None
        k: int = Field(8, ge=1, le=K_MAX_SEARCH)
        retriever: Literal[RETRIEVER_NAMES] | None = None

    limits = (f"question ≤ {q_max} characters, history ≤ {h_max} turns, k 1–{K_MAX_ASK} for ask and "
              f"1–{K_MAX_SEARCH} for search")
    return FiltersIn, AskIn, SearchIn, limits
