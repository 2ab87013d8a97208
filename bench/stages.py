"""Bench section: one question in-process, split by stage, and the compute floor of the embed.

Stages run the code `BotService.decide` runs, one after the other, each timed, for each
question in its kb (the question as typed: a corrected one is ranked twice): read (check, spoken
→ written, typo correction), embed (the query model, cache off), BM25 (jieba + bm25s over
passages and associated questions), characters (character n-grams + bm25s over passages and
associated questions), FAISS (sentences and associated questions), fuse (fusion, ranking,
hits), decision (each candidate's features and the model's probabilities), compose (the
extractive answer). `total` times `decide` itself with the query cache off, and `total_cached`
with every question cached.
"""

import statistics
import time

from bench.loadgen import latency_summary
from bot.answer import AnswerContext, compose_answer
from bot.features import Asked, candidate_features
from bot.ranking import weight_sum
from bot.retrieve.fuse import top
from bot.retrieve.query_cache import QueryCache
from bot.retrieve.search import RetrievalMode, fuse, mode_weights, passage_fusion
from bot.service import SEARCH_DEPTH, BotService, check_question
from kefu.text.colloquial import spoken_to_written
from kefu.text.normalize import fold_for_search
from kefu.text.tokenize import char_ngrams
from kefu.vocab import Persona

STAGES = ("read", "embed", "bm25", "characters", "faiss", "fuse", "decision", "compose")


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


Question = tuple[str, str]  # (question, the kb it is asked in)


def time_stages(service: BotService, question: str, kb: str) -> dict[str, float]:
    """The stages of `decide` for one question asked in `kb`, each timed on its own."""
    readers = service.readers_for(kb)
    searcher, settings, reader = service.searcher(readers), service.settings, readers[0]
    fusion = passage_fusion(settings)
    t = time.perf_counter()
    text = spoken_to_written(check_question(question, settings.max_question_chars))
    service.corrector_for(readers).correct(text)
    out = {"read": _ms(t)}
    t = time.perf_counter()
    vector = service.queries.encode_batch([text])[0]
    out["embed"] = _ms(t)
    t = time.perf_counter()
    tokens = service.tokenizer.tokenize(text)
    sparse, _ = searcher.candidates(tokens, None, {"sparse": 1.0, "question_sparse": 1.0}, True, 0)
    out["bm25"] = _ms(t)
    t = time.perf_counter()
    chars, _ = searcher.candidates(None, None, {}, True, 0, char_ngrams(text))
    out["characters"] = _ms(t)
    t = time.perf_counter()
    dense, questions = searcher.candidates(None, vector, {"dense": 1.0}, True, 0)
    out["faiss"] = _ms(t)
    t = time.perf_counter()
    channels = {**sparse, "chars": chars["chars"], "question_chars": chars["question_chars"],
                "dense": dense["dense"], "sentence": dense["sentence"], "question_dense": dense["question_dense"]}
    hits = searcher.hits(top(fuse(channels, mode_weights(fusion, RetrievalMode.hybrid), fusion), SEARCH_DEPTH), channels, questions)
    out["fuse"] = _ms(t)
    t = time.perf_counter()
    asked, total = Asked(text, tokens, Persona.customer, len(readers)), weight_sum(settings)
    rows = [candidate_features(asked, hits, i, reader, total) for i in range(len(hits))]
    probabilities = [service.decision.probability(row) for row in rows]
    service.decision.confidence(max(probabilities, default=0.0), asked.persona.value)
    out["decision"] = _ms(t)
    t = time.perf_counter()
    if hits:  # composed for every question, as if each were answered
        compose_answer(AnswerContext(text, vector, tokens, {reader.kb: reader}), hits[:1], Persona.customer)
    out["compose"] = _ms(t)
    return out


def time_decide(service: BotService, questions: list[Question]) -> list[float]:
    times = []
    for question, kb in questions:
        t = time.perf_counter()
        service.decide(question, Persona.customer, 0, kb)
        times.append(_ms(t))
    return times


def bench_stages(service: BotService, questions: list[Question], repeats: int = 1) -> dict:
    queries = service.queries
    for question, kb in questions[:10]:  # warm: first calls allocate
        time_stages(service, question, kb)
    per_stage: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for _ in range(repeats):
        for question, kb in questions:
            for stage, ms in time_stages(service, question, kb).items():
                per_stage[stage].append(ms)
    saved, queries.cache = queries.cache, QueryCache(0)
    try:
        total = [ms for _ in range(repeats) for ms in time_decide(service, questions)]
    finally:
        queries.cache = saved
    saved, queries.cache = queries.cache, QueryCache(len(questions) + 1)
    try:
        time_decide(service, questions)  # fills the cache
        cached = time_decide(service, questions)
    finally:
        queries.cache = saved
    result = {stage: latency_summary(values) for stage, values in per_stage.items()}
    result["total"] = latency_summary(total)
    result["total_cached"] = latency_summary(cached)
    return result


def linear_flops_per_token(encoder) -> int:
    """2 x the weights of the transformer's Linear layers (a matrix-vector product per token)."""
    import torch

    model = encoder.model
    return 2 * sum(m.weight.numel() for name, m in model.named_modules() if isinstance(m, torch.nn.Linear) and "pooler" not in name)


def gemm_gflops(rows: int, inner: int, cols: int, seconds: float = 0.5) -> float:
    """float32 matrix-product rate on this machine: the best of torch on 1 and on 2 threads."""
    import torch

    a, b = torch.randn(rows, inner), torch.randn(inner, cols)
    saved, best = torch.get_num_threads(), 0.0
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            for _ in range(3):
                a @ b
            n, started = 0, time.perf_counter()
            while time.perf_counter() - started < seconds:
                a @ b
                n += 1
            best = max(best, 2 * rows * inner * cols * n / (time.perf_counter() - started) / 1e9)
    finally:
        torch.set_num_threads(saved)
    return best


def embed_floor(encoder, questions: list[str]) -> dict:
    """The compute floor of one query embed: its Linear-layer FLOPs at the rate this machine
    reaches on the same matrix shapes (tokens x 512 by 512 x 2048)."""
    model = encoder.model
    tokens = [int(model.preprocess([fold_for_search(q)])["attention_mask"].sum()) for q in questions]
    median_tokens = statistics.median(tokens)
    per_token = linear_flops_per_token(encoder)
    small = gemm_gflops(int(median_tokens), 512, 2048)
    large = gemm_gflops(1024, 1024, 1024)
    gflop = per_token * median_tokens / 1e9
    return {
        "median_tokens": median_tokens, "gflop_per_query": round(gflop, 3),
        "gemm_gflops_small": round(small, 1), "gemm_gflops_large": round(large, 1),
        "floor_ms": round(gflop / small * 1000, 2),
    }


def distance_from_floor(stages: dict, floor_ms: float) -> dict[str, float]:
    """How many times the floor each embedding stage's median is."""
    return {name: round(stages[name]["p50"] / floor_ms, 2) for name in ("embed", "total") if floor_ms > 0}
