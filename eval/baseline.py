"""Two yardsticks every gain is measured against, built the way other RAG tools ship them, with the
same embedding model and top-k as hmiqa. Nothing here is tuned; that is the point.

- `baseline`: the llama-index starter pipeline: SimpleDirectoryReader over the corpus, SentenceSplitter
  chunks of 1024 tokens, an in-memory VectorStoreIndex and its retriever.
- `fusion-baseline`: the generic hybrid stack: 512-token chunks, llama-index's QueryFusionRetriever
  over a BM25 retriever and the vector retriever, fused by reciprocal rank, no query rewriting.
"""
from __future__ import annotations

from pathlib import Path

from ingest.loaders import SUPPORTED

from .metrics import Hit

CHUNK_SIZE = 1024
CHUNK_OVERLAP = 20  # SentenceSplitter's default


class Baseline:
    name = "baseline"

    def __init__(self, corpus: Path, embedding_model: str, chunk_size: int = CHUNK_SIZE):
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
        splitter = SentenceSplitter(chunk_size=chunk_size, chunk_overlap=CHUNK_OVERLAP)
        self.index = VectorStoreIndex.from_documents(docs, embed_model=embed, transformations=[splitter])
        self.n_chunks = len(self.index.docstore.docs)

    def search(self, question: str, k: int) -> list[Hit]:
        nodes = self.index.as_retriever(similarity_top_k=k).retrieve(question)
        return [Hit(rank=i + 1, text=n.node.get_content(), file=n.node.metadata.get("file_name", ""))
                for i, n in enumerate(nodes)]


FUSION_CHUNK_SIZE = 512


class FusionBaseline(Baseline):
    name = "fusion-baseline"

    def __init__(self, corpus: Path, embedding_model: str):
        super().__init__(corpus, embedding_model, FUSION_CHUNK_SIZE)
        from llama_index.core.llms import MockLLM
        from llama_index.core.retrievers import QueryFusionRetriever

        self.k = 0
        self.fusion = None
        self._make = lambda k: QueryFusionRetriever(
            [self.index.as_retriever(similarity_top_k=k), _bm25_retriever(list(self.index.docstore.docs.values()), k)],
            similarity_top_k=k, num_queries=1, mode="reciprocal_rerank", use_async=False,
            llm=MockLLM())  # num_queries=1 writes no extra queries: the LLM is never called

    def search(self, question: str, k: int) -> list[Hit]:
        if self.fusion is None or self.k != k:
            self.fusion, self.k = self._make(k), k
        nodes = self.fusion.retrieve(question)
        return [Hit(rank=i + 1, text=n.node.get_content(), file=n.node.metadata.get("file_name", ""))
                for i, n in enumerate(nodes)]


def _bm25_retriever(nodes, k: int):
    """A llama-index retriever over bm25s with an English stemmer and stopwords: what the
    llama-index-retrievers-bm25 package does (its pinned PyStemmer would downgrade the one hmiqa uses)."""
    import bm25s
    import Stemmer
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import NodeWithScore

    class BM25Retriever(BaseRetriever):
        def __init__(self):
            super().__init__()
            self.stemmer = Stemmer.Stemmer("english")
            self.bm25 = bm25s.BM25()
            self.bm25.index(bm25s.tokenize([n.get_content() for n in nodes], stopwords="en", stemmer=self.stemmer,
                                           show_progress=False), show_progress=False)

        def _retrieve(self, query_bundle):
            tokens = bm25s.tokenize([query_bundle.query_str], stopwords="en", stemmer=self.stemmer, show_progress=False)
            ids, scores = self.bm25.retrieve(tokens, k=min(k, len(nodes)), show_progress=False)
            return [NodeWithScore(node=nodes[int(i)], score=float(s)) for i, s in zip(ids[0], scores[0])]

    return BM25Retriever()
