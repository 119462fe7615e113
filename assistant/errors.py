"""The library's domain exceptions; each edge turns them into its own words (a CLI message, a JSON
error, `st.error`)."""
from __future__ import annotations


class HmiqaError(Exception):
    """A problem the user can fix; the message says how."""


class StoreUnavailable(HmiqaError):
    """The Chroma server holding the index cannot be reached."""


class StoreFull(HmiqaError):
    """The device holding the index has no space left."""
