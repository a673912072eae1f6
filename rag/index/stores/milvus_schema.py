"""The two Milvus collections of an index (``rag.index.stores.milvus_store``), defined once."""

from __future__ import annotations

from typing import Any

# Milvus' standard tokenizer splits the space-joined syllable tokens newsrag writes (already
# NFC and lower-cased); lowercase is set explicitly, as Milvus Lite needs it.
ANALYZER = {"tokenizer": "standard", "filter": ["lowercase"]}
TEXT_BYTES = 65_535
BM25_K1, BM25_B = 1.5, 0.75


def create_collections(client: Any, name: str, dimension: int) -> None:
    """``name``: a row per chunk (FLAT inner product, exact, as FAISS; BM25 on ``lexical``);
    ``name_articles``: the articles' JSON pieces."""
    from pymilvus import DataType, Function, FunctionType

    chunks = client.create_schema(auto_id=False, enable_dynamic_field=False)
    chunks.add_field("pk", DataType.INT64, is_primary=True)
    chunks.add_field("batch", DataType.INT64)
    chunks.add_field("chunk_id", DataType.VARCHAR, max_length=2048)
    chunks.add_field("doc_id", DataType.VARCHAR, max_length=1024)
    chunks.add_field("title", DataType.VARCHAR, max_length=TEXT_BYTES)
    chunks.add_field("date", DataType.VARCHAR, max_length=32)
    chunks.add_field("start", DataType.INT64)
    chunks.add_field("end", DataType.INT64)
    chunks.add_field("text", DataType.VARCHAR, max_length=TEXT_BYTES)
    chunks.add_field(
        "lexical", DataType.VARCHAR, max_length=TEXT_BYTES, enable_analyzer=True,
        analyzer_params=ANALYZER,
    )  # fmt: skip
    chunks.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    chunks.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    bm25 = Function(
        name="bm25",
        function_type=FunctionType.BM25,
        input_field_names=["lexical"],
        output_field_names=["sparse"],
    )
    chunks.add_function(bm25)
    indexes = client.prepare_index_params()
    indexes.add_index("vector", index_type="FLAT", metric_type="IP")
    # k1 and b as bm25s (LexicalIndex) uses them, so both stores rank alike.
    indexes.add_index(
        "sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
        params={"bm25_k1": BM25_K1, "bm25_b": BM25_B},
    )  # fmt: skip
    client.create_collection(name, schema=chunks, index_params=indexes)

    articles = client.create_schema(auto_id=False, enable_dynamic_field=False)
    articles.add_field("key", DataType.VARCHAR, is_primary=True, max_length=1200)
    articles.add_field("doc_id", DataType.VARCHAR, max_length=1024)
    articles.add_field("batch", DataType.INT64)
    articles.add_field("n", DataType.INT64)
    articles.add_field("pieces", DataType.INT64)
    articles.add_field("record", DataType.VARCHAR, max_length=TEXT_BYTES)
    articles.add_field("dummy", DataType.FLOAT_VECTOR, dim=2)  # Milvus needs a vector field
    piece_index = client.prepare_index_params()
    piece_index.add_index("dummy", index_type="FLAT", metric_type="L2")
    client.create_collection(f"{name}_articles", schema=articles, index_params=piece_index)
