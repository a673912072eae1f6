"""SIGKILL a process that keeps changing a saved index, at random moments, and count what is
left: the previous index, a newer one, or nothing loadable.

    python benchmarks/bench_kills.py [--rounds 100] [--seed 0] [--sentences]

Each round starts a child that loads the index and adds one article after another (chunking,
embedding with the fake embedder, writing the staging folder, the two renames), and kills it
with SIGKILL after a random delay. The index is then loaded as a reader would (checksums,
counts, a crash between the renames recovered) and compared with the articles it held before.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from embeddings.fake import HashingEmbedder  # noqa: E402
from rag.errors import RagError  # noqa: E402
from rag.index.collection import Index  # noqa: E402
from rag.ingest.articles import Article  # noqa: E402
from rag.settings import ChunkingParams  # noqa: E402

CHILD = """
import sys
from pathlib import Path
from embeddings.fake import HashingEmbedder
from rag.index.collection import Index
from rag.ingest.articles import Article
index = Index.load(Path(sys.argv[1]), "fake-hashing-256")
print("ready", flush=True)
n = 0
while True:
    n += 1
    body = " ".join(f"Câu {i} của bài {sys.argv[2]}-{n} về ngành Nội vụ." for i in range(40))
    index.add_articles([Article(f"k{sys.argv[2]}-{n}", "Bài mới", body)], HashingEmbedder(256))
"""


def seed_index(folder: Path, sentences: bool) -> None:
    articles = [
        Article(f"a{i}", f"Bài {i}", " ".join(f"Câu {j} của bài {i}." for j in range(30)))
        for i in range(20)
    ]
    Index.build(articles, HashingEmbedder(256), ChunkingParams(300, 1), sentences=sentences).save(
        folder
    )


def one_round(folder: Path, number: int, rng: random.Random) -> str:
    """'previous', 'newer' or 'broken: <error>' after killing one writer."""
    before = set(Index.load(folder, "fake-hashing-256").articles)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder), str(number)],
        env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    child.stdout.readline()  # loaded: from here on it only writes
    time.sleep(rng.uniform(0.0, 0.25))
    child.send_signal(signal.SIGKILL)
    child.wait()
    try:
        after = set(Index.load(folder, "fake-hashing-256").articles)
    except (RagError, OSError, ValueError) as error:
        return f"broken: {error}"
    return "previous" if after == before else "newer" if after > before else f"broken: {after}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sentences", action="store_true", help="index sentence vectors too")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="newsrag-kills-") as root:
        folder = Path(root) / "index"
        seed_index(folder, args.sentences)
        for number in range(args.rounds):
            outcome = one_round(folder, number, rng)
            key = outcome if not outcome.startswith("broken") else "broken"
            counts[key] = counts.get(key, 0) + 1
            if key == "broken":
                print(f"round {number}: {outcome}")
        leftovers = sorted(p.name for p in Path(root).iterdir() if p.name != "index")
    print(f"{args.rounds} writers killed at random: {counts}")
    print(f"left beside the index after the last kill (removed by the next save): {leftovers}")


if __name__ == "__main__":
    main()
