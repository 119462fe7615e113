"""The one citation builder: every quote is the document's text at its start:end, whichever answer
(extractive, LLM, findings tracker) cites it, and a span outside the text it is quoted from is refused."""
from __future__ import annotations

import pytest

from assistant.citing import citation


def test_the_quote_is_the_document_text_at_its_offsets_whether_cut_from_a_passage_or_the_document():
    document = "Title\n\nThe force has a vetting backlog. It plans to clear it by March."
    start = document.index("It plans")
    end = len(document)
    passage_start = document.index("The force")
    from_passage = citation(1, "d", "d:0001", "t", ["Kent"], 2030, "s", 2, document[passage_start:], passage_start,
                            start, end)
    from_document = citation(1, "d", "d:0001", "t", ["Kent"], 2030, "s", 2, document, 0, start, end)
    assert from_passage == from_document
    assert from_passage.quote == document[start:end] == "It plans to clear it by March."
    assert from_passage.force == "Kent"


@pytest.mark.parametrize("start,end", [(0, 5), (30, 200), (20, 20)])
def test_a_span_outside_its_text_is_refused(start, end):
    with pytest.raises(ValueError, match="outside its text"):
        citation(1, "d", "c", "t", [], None, "", None, "0123456789" * 3, 10, start, end)
