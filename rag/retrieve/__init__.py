"""Finding the passages for a question: dense and BM25 search fused by rank, time awareness,
sentence re-ranking, and follow-up questions made standalone."""
