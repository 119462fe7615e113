"""The llama-index starter pipeline, as the yardstick every gain is measured against.

SimpleDirectoryReader over the corpus, SentenceSplitter chunks of 1024 tokens, an in-memory
VectorStoreIndex and its retriever: what a user builds from the starter tutorial, with the same
embedding model and top-k as hmiqa. Nothing here is tuned; that is the point.
"""
from __future__ import annotations

from pathlib import Path

from ingest.loaders import SUPPORTED

from .metrics import Hit

CHUNK_SIZE = 1024
CHUNK_OVERLAP = 20  # SentenceSplitter's default


class Baseline:
    name = "baseline"

    def __init__(self, corpus: Path, embedding_model: str):
        from index import offline
        offline.enforce()
        from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        from index.embed import model_path

        files = [str(p) for p in sorted(Path(corpus).rglob("*"))
                 if p.is_file() and p.suffix.lower() in SUPPORTED and not p.name.startswith(".")]
        docs = SimpleDirectoryReader(input_files=files).load_data(show_progress=False)
        embed = HuggingFaceEmbedding(model_name=model_path(embedding_model), device="cpu")
        splitter = SentenceSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        self.index = VectorStoreIndex.from_documents(docs, embed_model=embed, transformations=[splitter])
        self.n_chunks = len(self.index.docstore.docs)

    def search(self, question: str, k: int) -> list[Hit]:
        nodes = self.index.as_retriever(similarity_top_k=k).retrieve(question)
        return [Hit(rank=i + 1, text=n.node.get_content(), file=n.node.metadata.get("file_name", ""))
                for i, n in enumerate(nodes)]
