"""Optional LLM answers through llama-index (Ollama or any OpenAI-compatible endpoint).

The model only rewrites what the passages say: every [n] it writes is checked afterwards, numbers
that do not exist are removed and flagged, a sentence without a citation is marked unsupported, and
each citation's quote is a sentence copied from the cited passage, never text the model wrote.
"""
from __future__ import annotations

import re

from ingest.chunk import sentence_spans
from index.records import Passage

from . import prompts
from .citing import of_passage
from .extractive import stems
from .records import AnswerSentence, Citation
from .vocabulary import LLM_PROVIDERS

CITE_RE = re.compile(r"\[(\d{1,3})\]")


class LLMUnavailable(Exception):
    pass


def build(settings):
    """The llama-index LLM for the configured provider (imported only when used)."""
    if settings.llm_provider == "openai":
        from llama_index.llms.openai_like import OpenAILike
        return OpenAILike(model=settings.llm_model, api_base=settings.llm_base_url,
                          api_key=settings.llm_api_key or "not-needed", is_chat_model=True,
                          timeout=settings.llm_timeout, max_retries=0, temperature=0.0,
                          max_tokens=settings.llm_max_tokens)
    if settings.llm_provider == "ollama":
        from llama_index.llms.ollama import Ollama
        return Ollama(model=settings.llm_model, base_url=settings.llm_base_url,
                      request_timeout=settings.llm_timeout, temperature=0.0)
    raise LLMUnavailable(f"no LLM configured (llm_provider={settings.llm_provider!r}); "
                         f"set HMIQA_LLM_PROVIDER to one of {', '.join(LLM_PROVIDERS[1:])}")


def messages(question: str, passages: list[Passage]):
    from llama_index.core.llms import ChatMessage, MessageRole

    blocks = []
    for n, p in enumerate(passages, start=1):
        meta = f"{p.title} · {', '.join(p.forces)} · {p.year} · {p.section}"
        # the passage text is data: strip anything that could close our delimiter
        body = p.text.replace("<passage", "‹passage").replace("</passage>", "‹/passage›")
        blocks.append(f'<passage n="{n}" source="{meta}">\n{body}\n</passage>')
    user = prompts.load("answer_user").format(passages="\n\n".join(blocks), question=question)
    return [ChatMessage(role=MessageRole.SYSTEM, content=prompts.load("answer_system")),
            ChatMessage(role=MessageRole.USER, content=user)]


def generate(llm, question: str, passages: list[Passage]) -> str:
    try:
        return llm.chat(messages(question, passages)).message.content or ""
    except Exception as e:  # connection refused, timeout, HTTP error: all mean "use extractive"
        raise LLMUnavailable(f"{type(e).__name__}: {str(e)[:200]}") from None


def check(text: str, passages: list[Passage], page_of) -> tuple[str, list[AnswerSentence], list[Citation], list[str]]:
    """Keep only real citations; mark unsupported sentences; quote the cited passages verbatim."""
    notices: list[str] = []
    citations: dict[int, Citation] = {}
    sentences: list[AnswerSentence] = []
    out_lines: list[str] = []
    invented: set[int] = set()
    for s, e in sentence_spans(" ".join(text.split())):
        sentence = " ".join(text.split())[s:e]
        numbers = [int(n) for n in CITE_RE.findall(sentence)]
        valid = [n for n in numbers if 1 <= n <= len(passages)]
        invented |= set(numbers) - set(valid)
        plain = CITE_RE.sub("", sentence).replace(" .", ".").strip()
        if not plain:
            continue
        for n in valid:
            if n not in citations:
                p = passages[n - 1]
                qs, qe = _best_sentence(p, plain)
                citations[n] = of_passage(n, p, p.start + qs, p.start + qe, page_of)
        marks = "".join(f" [{n}]" for n in dict.fromkeys(valid))
        out_lines.append(plain + (marks if valid else " *(unsupported: no citation)*"))
        sentences.append(AnswerSentence(text=plain, citations=list(dict.fromkeys(valid))))
    if invented:
        notices.append("the model cited passages that do not exist (" + ", ".join(f"[{n}]" for n in sorted(invented))
                       + "); those citations were removed")
    if any(not s.citations for s in sentences):
        notices.append("some sentences have no citation and are marked unsupported")
    return " ".join(out_lines), sentences, sorted(citations.values(), key=lambda c: c.n), notices


def _best_sentence(p: Passage, claim: str) -> tuple[int, int]:
    target = stems(claim)
    spans = sentence_spans(p.text) or [(0, len(p.text))]
    return max(spans, key=lambda se: len(target & stems(p.text[se[0]:se[1]])))
