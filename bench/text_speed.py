"""Micro-benchmark of the query-understanding steps: `python -m bench.text_speed [--repeat N] [--json]`.

Builds the corrector from the real kb/ (every kb pooled, as the largest vocabulary), then times
spoken_to_written, Corrector.correct and char_ngrams on customer phrasings of about 20
characters, clean and with typos. Prints numbers; asserts nothing.
"""

import argparse
import json
import statistics
import time
from pathlib import Path

from indexer.chunk import chunk_document
from indexer.load import list_kb_files, read_document
from kefu.settings import Settings
from kefu.text.colloquial import spoken_to_written
from kefu.text.correct import Corrector, count_terms
from kefu.text.tokenize import Tokenizer, char_ngrams

KB_DIR = Path(__file__).resolve().parent.parent / "kb"
QUERIES = {
    "clean": [
        "请问过了保质期的牛奶还能退货吗我想投诉一下",
        "你们的客服电话一直打不通到底是怎么回事啊",
        "家里燃气表不走了需要报修应该打哪个电话呢",
        "在超市买的东西有质量问题能不能退换货的呀",
    ],
    "typos": [
        "请问过了保值期的牛奶还能退货吗我想投述一下",
        "你们的客服点话一直打不通到底是怎么处里啊",
        "家里燃气表不走了需要报休应该打哪个电化呢",
        "在超市买的东西有质量问题能不能腿款的呀呀",
    ],
    "spoken": [
        "买的牛奶过期了咋整 两个小时能回电话不",
        "啥时候能上门啊 等了三天了还没有人来没",
        "灯买来就不亮了怎么弄啊 一箱多少前能退码",
        "师傅弄坏了我家地板咋办 投诉要等几天马",
    ],
}


def kb_texts(kb_dir: Path, kb: str | None = None) -> list[str]:
    """What a kb's index holds (every kb's, without one named): each passage's indexed text and
    its associated questions, chunked with the default settings."""
    settings = Settings.model_fields
    low, high = settings["chunk_min_chars"].default, settings["chunk_max_chars"].default
    folders = [kb_dir / kb] if kb else sorted(p for p in kb_dir.iterdir() if p.is_dir())
    chunks = [c for f in folders for path in list_kb_files(f) for c in chunk_document(read_document(path), low, high)]
    return [text for c in chunks for text in (c.index_text(), *c.questions)]


def timed_us(function, texts: list[str], repeat: int) -> dict:
    """Per-call microseconds over `repeat` passes of the texts: wall-clock median and p95, the
    thread's CPU time p95 (on a shared machine the wall-clock tail is mostly waiting for a core),
    and the very first call (caches cold)."""
    first = time.perf_counter()
    function(texts[0])
    first = (time.perf_counter() - first) * 1e6
    wall, cpu = [], []
    for _ in range(repeat):
        for text in texts:
            start, start_cpu = time.perf_counter(), time.thread_time()
            function(text)
            cpu.append((time.thread_time() - start_cpu) * 1e6)
            wall.append((time.perf_counter() - start) * 1e6)
    return {"first_us": round(first, 1), "median_us": round(statistics.median(wall), 1), "p95_us": _p95(wall), "cpu_p95_us": _p95(cpu), "n": len(wall)}


def _p95(samples: list[float]) -> float:
    return round(sorted(samples)[int(0.95 * (len(samples) - 1))], 1)


def run(repeat: int) -> dict:
    started = time.perf_counter()
    tokenizer = Tokenizer()
    terms = count_terms(kb_texts(KB_DIR), tokenizer)
    counted = time.perf_counter()
    corrector = Corrector.from_vocabulary(terms, tokenizer)
    built = time.perf_counter()
    steps = {"spoken_to_written": spoken_to_written, "correct": corrector.correct, "char_ngrams": char_ngrams}
    return {
        "vocabulary_terms": len(terms),
        "count_terms_s": round(counted - started, 3),
        "from_vocabulary_s": round(built - counted, 3),
        "query_chars": round(statistics.mean(len(q) for qs in QUERIES.values() for q in qs), 1),
        "steps": {name: {kind: timed_us(step, queries, repeat) for kind, queries in QUERIES.items()} for name, step in steps.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300, help="passes over the queries (default 300)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    result = run(max(1, args.repeat))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    print(f"vocabulary: {result['vocabulary_terms']} terms; count_terms {result['count_terms_s']} s (jieba loaded), "
          f"from_vocabulary {result['from_vocabulary_s']} s; queries of {result['query_chars']} characters")
    print(f"{'step':<18} {'queries':<8} {'median µs':>10} {'p95 µs':>8} {'CPU p95 µs':>11} {'first µs':>9}")
    for name, kinds in result["steps"].items():
        for kind, t in kinds.items():
            print(f"{name:<18} {kind:<8} {t['median_us']:>10} {t['p95_us']:>8} {t['cpu_p95_us']:>11} {t['first_us']:>9}")


if __name__ == "__main__":
    main()
