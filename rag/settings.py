"""One settings object for the whole product, overridable from the environment (prefix ``RAG_``).

Examples: ``RAG_EMBEDDER=/path/to/model``, ``RAG_CACHE_DIR=/data/newsrag``, ``RAG_TOP_K=8``,
``RAG_GENERATOR_BACKEND=llama.cpp``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BUNDLED_ARTICLES = PROJECT_ROOT / "data" / "articles"


@dataclass(frozen=True)
class ChunkingParams:
    """How articles are cut into passages (``rag.ingest.chunking``); recorded in an index."""

    max_chars: int
    overlap: int


@dataclass(frozen=True)
class FusionParams:
    """How the dense and the BM25 rankings are merged (``rag.retrieve.fusion``)."""

    k: float
    dense_weight: float
    lexical_weight: float
    lexical_weight_en: float  # for English questions


@dataclass(frozen=True)
class RetrievalParams:
    """What the retriever (``rag.retrieve.retriever``) needs of the settings."""

    candidate_pool: int
    year_bonus: float
    fusion: FusionParams
    rerank: bool
    rerank_depth: int


def _default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("newsrag"))


class Settings(BaseSettings):
    """Everything that can be tuned, with the offline defaults of ../shared/MODELS.md."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore", validate_default=True)

    # Where things live.
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    models_dir: Path | None = None  # default: <cache_dir>/models
    articles_dir: Path = BUNDLED_ARTICLES
    index_dir: Path | None = None  # default: <cache_dir>/indexes/default-<embedder>
    # The articles users add to (or remove from) the default collection: outside the
    # repository, replayed over the bundled ones at every rebuild (rag.index.added).
    added_dir: Path | None = None  # default: <cache_dir>/added-articles
    # Where vectors, chunks and articles live: "faiss" (a file in the index folder) or
    # "milvus" (a Milvus collection several servers can share; needs the `milvus` extra).
    store: Literal["faiss", "milvus"] = "faiss"
    # Milvus: a local file (Milvus Lite: one process, tests, CI) or a server, http://host:19530.
    milvus_uri: str | None = None  # default: <cache_dir>/milvus.db

    # Embedding: a catalogue name (see `rag models list`), a hub id, or a local folder.
    embedder: str = "embeddinggemma-300m"
    # auto: the precision `rag models calibrate` measured fastest on this machine among those
    # giving the float32 vectors (rag.machine), else bfloat16.
    embedder_dtype: Literal["auto", "bfloat16", "float32"] = "auto"
    embed_batch_size: int = Field(default=8, ge=1, le=512)

    # Store every sentence's vector in the index too (rag.index.sentences), so that focusing the
    # context on the question's sentences costs no embedding at question time; about doubles
    # the embedding work of a build. Off: sentences are embedded when first needed, and cached.
    sentence_vectors: bool = True

    # Chunking: passages of whole sentences, at most this many characters, overlapping.
    chunk_max_chars: int = Field(default=700, ge=100, le=8000)
    chunk_overlap_sentences: int = Field(default=1, ge=0, le=5)

    # Retrieval and questions.
    top_k: int = Field(default=5, ge=1, le=100)
    candidate_pool: int = Field(default=20, ge=1, le=1000)  # re-ranked for time awareness
    year_bonus: float = Field(default=0.08, ge=0.0, le=1.0)  # for passages naming the asked year
    # Hybrid retrieval: dense and BM25 rankings merged by reciprocal rank fusion
    # (rag.retrieve.fusion), rank r of a ranking earning weight / (fusion_k + r); a weight of 0
    # turns a side off.
    # Chosen on benchmarks/bench_retrieval.py (a flat optimum around k 10-20, BM25 0.5). English
    # questions share almost no words with Vietnamese articles: any BM25 weight hurt them there.
    fusion_k: float = Field(default=10.0, ge=0.0, le=1000.0)
    fusion_dense_weight: float = Field(default=1.0, ge=0.0, le=10.0)
    fusion_lexical_weight: float = Field(default=0.5, ge=0.0, le=10.0)
    fusion_lexical_weight_en: float = Field(default=0.0, ge=0.0, le=10.0)
    # Sentence re-ranking (rag.retrieve.rerank): the top `rerank_depth` fused passages re-ordered by
    # mean(passage cosine, best sentence cosine). Off by default: it embeds every sentence of
    # those passages at question time (3-5 s per question on a CPU) for ~+1-2 points of hit@1.
    rerank: bool = False
    rerank_depth: int = Field(default=10, ge=1, le=100)
    max_question_chars: int = Field(default=2000, ge=10, le=100_000)

    # Answering: what the generator reads, and when not to answer.
    context_passages: int = Field(default=3, ge=1, le=20)
    context_chars: int = Field(default=1800, ge=200, le=50_000)  # bounds the prompt, so latency
    # Focus (rag.answer.focus): the context cut down to the sentences closest to the question,
    # with `focus_neighbours` on each side, within this many characters; 0 reads whole passages.
    # Chosen on the choose half (eval.heldout, 24 questions per set): at 1300, the same answers
    # right as whole passages (dev .833, XQuAD vi .542, en .333) in 0.79-0.85x the median time;
    # at 900 faster still but fewer right (dev .792, en .250).
    focus_chars: int = Field(default=1300, ge=0, le=50_000)
    focus_neighbours: int = Field(default=1, ge=0, le=5)
    # Cut sentences that speak to the model (rag.answer.instructions: "System: ...", "ignore the
    # question", "every answer must be ...") out of what it reads. Off only to test what the
    # other defences do when planted instructions reach the model.
    screen_instructions: bool = True
    # Below this cosine similarity nothing retrieved is about the question (calibrated on
    # EmbeddingGemma: off-topic questions score < 0.1, on-topic ones > 0.25).
    min_relevance: float = Field(default=0.2, ge=-1.0, le=1.0)
    # Give an answer only when the judge's confidence that it is right (rag.answer.judge: the
    # reader's own P("yes") that the passages state it, how sure it was of what it wrote, and
    # what the answer shows) is at least this; 0 answers whenever the gates let it, 1 never.
    # Chosen on the whole choose half of the held-out sets (628 questions, half of them absent
    # from the articles) as the most right answers minus twice the wrong ones (eval.calibrate);
    # on the bundled collection's sets alone (100 questions) that point is 0.334. Lower: more
    # right answers and more wrong ones (the trade-off, measured: eval/README.md).
    answer_threshold: float = Field(default=0.594, ge=0.0, le=1.0)

    # The chat server (ui/gate.py): one question is answered at a time, this many more may wait
    # (each at most chat_max_wait_s), and anyone beyond, or whose wait would exceed that at the
    # pace of recent answers, is told at once that the assistant is busy.
    chat_max_waiting: int = Field(default=8, ge=0, le=200)
    chat_max_wait_s: float = Field(default=300.0, gt=0)

    # Uploads (rag.ingest.limits): what one upload may hold; beyond it, refused with a reason.
    upload_max_bytes: int = Field(default=20_000_000, ge=1)  # per file, checked before reading
    upload_max_articles: int = Field(default=2000, ge=1)  # per upload, all files together
    article_max_chars: int = Field(default=200_000, ge=100)  # per article, title and text

    # Generation.
    generator: str = "qwen2.5-coder-1.5b-instruct"
    # What runs it: openvino (the int8 copy converted by `rag models fetch`, with prompt lookup
    # and prefix caching), transformers (the bf16 copy: the reference) or llama.cpp (the GGUF
    # itself; the `llamacpp` extra). auto: the fastest of those that wrote the reference text
    # when `rag models calibrate` (run by `make setup`) timed them on this machine; before any
    # calibration, openvino f32 where installed (rag.generation.factory.SAFE_DEFAULT).
    generator_backend: Literal["auto", "transformers", "llama.cpp", "openvino"] = "auto"
    # The arithmetic it runs in (openvino: the CPU plugin's inference precision hint, its
    # weights staying int8). auto: the calibrated one, else the backend's own safe choice.
    generator_precision: Literal["auto", "f32", "bf16"] = "auto"
    # Sized on the replies to eval/devset.jsonl questions 0, 5, ..., 45 (benchmarks/
    # bench_answer_tokens.py, cap 512) and 50 (en-001, the same prompt, cap 320): 2-70 tokens.
    # Chosen on the even-indexed questions (longest 70, en-001) x 1.5, rounded up to the chat
    # slider's step of 32; the odd-indexed ones (longest 46) all fit. It was 320.
    max_new_tokens: int = Field(default=128, ge=8, le=4096)
    # Prompt-lookup decoding (transformers backend): drafts of up to this many tokens copied from
    # the prompt, checked in one forward pass. The same greedy text where the arithmetic is exact
    # (f32); in bf16, kernels of another shape may round differently (seen on Intel AMX), so the
    # calibration times it as a candidate of its own. 0 turns it off.
    prompt_lookup_tokens: int = Field(default=10, ge=0, le=64)
    # openvino backend: the int8 weight products quantize their inputs on the fly in groups of
    # this many values (the CPU plugin's DYNAMIC_QUANTIZATION_GROUP_SIZE, whose default is 32);
    # 0 keeps the plugin's default. Coarser groups read a prompt faster and round the inputs a
    # little more. Measured with benchmarks/bench_openvino.py --group-sizes (README, "Answer time").
    openvino_quantization_group: int = Field(default=256, ge=0, le=65536)
    generation_timeout_s: float = Field(default=180.0, gt=0)

    @field_validator("cache_dir", "articles_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    # --- the settings of one stage, as the stage takes them -------------------------------

    def chunking(self) -> ChunkingParams:
        return ChunkingParams(self.chunk_max_chars, self.chunk_overlap_sentences)

    def fusion(self) -> FusionParams:
        return FusionParams(
            self.fusion_k, self.fusion_dense_weight, self.fusion_lexical_weight,
            self.fusion_lexical_weight_en,
        )  # fmt: skip

    def retrieval(self) -> RetrievalParams:
        return RetrievalParams(
            self.candidate_pool, self.year_bonus, self.fusion(), self.rerank, self.rerank_depth
        )

    @property
    def resolved_models_dir(self) -> Path:
        return (self.models_dir or self.cache_dir / "models").expanduser()

    @property
    def resolved_added_dir(self) -> Path:
        return (self.added_dir or self.cache_dir / "added-articles").expanduser()

    @property
    def resolved_milvus_uri(self) -> str:
        return self.milvus_uri or str(self.cache_dir / "milvus.db")

    @property
    def resolved_index_dir(self) -> Path:
        if self.index_dir is not None:
            return self.index_dir.expanduser()
        return self.cache_dir / "indexes" / f"default-{slug(self.embedder)}"


def slug(text: str) -> str:
    """A file-name-safe form of a model id or path."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-.")
    return cleaned[-80:] or "model"
