"""Embeddings, the Chroma store, BM25 and hybrid retrieval with metadata filters.

Importing the package keeps run time off the network (index/offline.py) before any module of it, or
any library it loads (the model, Chroma), is imported."""
from . import offline

offline.enforce()
