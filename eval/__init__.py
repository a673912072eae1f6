"""Evaluation of retrieval and answers over Q&A files, and the development set.

    rag eval eval/devset.jsonl [-k N] [--out DIR] [--limit N] [--retrieval-only]
    python -m eval eval/devset.jsonl                      # the same command
    python -m eval.xquad_benchmark --retrieval-only       # XQuAD, Vietnamese and English questions
    python -m eval.heldout --half choose --per-set 15     # every target figure on one half

Modules: ``datasets`` (readers), ``metrics`` (scores), ``corpus`` (which index is searched),
``runner`` (the loop and ``run_from_cli``), ``report`` and ``plots`` (what is written),
``xquad`` (the cross-lingual XQuAD items), ``splits`` (the choose/report halves),
``unanswerable`` (unanswerable questions made from real ones), ``heldout`` and ``heldout_table``
(all the target figures on one half).
"""

from pathlib import Path

DEVSET = Path(__file__).with_name("devset.jsonl")
