"""The one Assistant an API process serves to its worker threads. The Assistant is safe to share:
readers run side by side, writers one at a time (index/locks.py), so the API takes no lock of its own."""
import re

from assistant import Assistant, HmiqaError, StoreFull, StoreUnavailable

from .errors import ApiError

DOC_ID_RE = re.compile(r"\A[0-9a-f]{16}\Z")  # \Z: "$" would let an id end in a newline


class Service:
    def __init__(self, assistant: Assistant | None):
        self.assistant = assistant  # None until the app's start-up opens the index

    def current(self) -> Assistant:
        if self.assistant is None:
            raise ApiError(503, "not_ready", "the index and model are still loading; retry in a few seconds")
        return self.assistant

    def call(self, fn):
        """`fn()`; a HmiqaError (bad input the library explains) is a 400."""
        try:
            return fn()
        except (StoreUnavailable, StoreFull):
            raise  # api/errors.py: 503 and 507, from every endpoint
        except HmiqaError as e:
            raise ApiError(400, "bad_request", str(e)) from None

    def on_document(self, doc_id: str, fn):
        """`fn(doc_id)` for a well-formed id of an indexed document; anything else is a 404."""
        if not DOC_ID_RE.match(doc_id):
            raise ApiError(404, "not_found", f"no document with id '{doc_id[:40]}'; ids are 16 hex characters "
                           "from GET /v1/documents")
        try:
            return fn(doc_id)
        except (StoreUnavailable, StoreFull):
            raise
        except HmiqaError as e:
            raise ApiError(404, "not_found", str(e)) from None

    def filters_of(self, f):
        if f is None:
            return None
        return self.current().filters(forces=f.forces, year_from=f.year_from, year_to=f.year_to,
                                      programmes=f.programmes, kinds=f.kinds)
