"""The `kefu bench` result as Markdown tables (docs/performance.md pastes them)."""

from bench.stages import STAGES


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def stages_table(result: dict) -> str:
    floor = result["floor"]["floor_ms"]
    rows = []
    for name in (*STAGES, "total", "total_cached"):
        s = result["stages"][name]
        ratio = f"{s['p50'] / floor:.1f}×" if name in ("embed", "total") and floor else ("—" if name != "read" else "≈0 floor")
        rows.append([name, s["p50"], s["p95"], s["p99"], ratio])
    rows.append(["peer (naive pipeline)", result["peer"]["p50"], result["peer"]["p95"], result["peer"]["p99"], f"{result['peer']['p50'] / floor:.1f}×"])
    return table(["in-process stage (ms)", "p50", "p95", "p99", "p50 / embed floor"], rows)


def floor_line(result: dict) -> str:
    f = result["floor"]
    threads = result["threads"]
    path = f"{threads['backend']} {'int8' if threads['int8'] else 'float32'}"
    return (f"Embed floor: {f['gflop_per_query']} GFLOP per query ({f['median_tokens']} tokens) at {f['gemm_gflops_small']} GFLOP/s "
            f"(float32 GEMM on the query's shapes; {f['gemm_gflops_large']} on 1024³) = **{f['floor_ms']} ms**. "
            f"Query embed p50 ({path}) on 1 thread {threads['1']['p50']} ms, on 2 threads {threads['2']['p50']} ms. "
            f"Peer / kefu (p50, uncached): **{result['peer_ratio']}×**.")


def ask_table(result: dict) -> str:
    ask = result["ask"]
    rows = [["ask (whole answer)", *(ask["total"][p] for p in ("p50", "p95", "p99"))],
            ["store, all calls", *(ask["store"][p] for p in ("p50", "p95", "p99"))]]
    rows += [[f"store: {name}", *(s[p] for p in ("p50", "p95", "p99"))] for name, s in ask["calls"].items()]
    return (table([f"in-process `ask`, SQLite store, {ask['total']['n']} questions (ms)", "p50", "p95", "p99"], rows)
            + f"\n\nStore transactions committed per answer: **{ask['commits_per_answer']}**.")


def encoders_table(result: dict) -> str:
    rows = [[e["name"], e["p50"], e["p95"], e["p99"], e["cosine_mean"], e["cosine_min"], e["build_s"]] for e in result["encoders"]]
    n = result["encoders"][0]["n"]
    return table([f"query encoder, 1 thread, {n} questions", "p50 ms", "p95 ms", "p99 ms", "cosine to float32 mean", "min", "model build s"], rows)


def cases_table(title: str, cases: list[dict], scoped: bool = False, suffix: str = "") -> str:
    """Load cases as rows; `scoped` adds the kb they were asked in, `suffix` follows each endpoint."""
    rows = [[f"/api/{c['kind']}{suffix}", *([c["scope"]] if scoped else []), c["clients"], c["requests"], c["errors"],
             c["throughput_rps"], c["p50"], c["p95"], c["p99"]] for c in cases]
    return table([title, *(["kb"] if scoped else []), "clients", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms"], rows)


def peer_http_lines(result: dict) -> str:
    ratios = "; ".join(f"{r['scope']}, {r['clients']} client{'s' if r['clients'] > 1 else ''}: p50 **{r['p50']}×**, p95 {r['p95']}×, req/s {r['throughput']}×"
                       for r in result["peer_http_ratio"])
    return (cases_table("HTTP, naive peer", result["peer_http"]["cases"], scoped=True, suffix=" (peer)")
            + f"\n\nPeer / kefu over HTTP (/api/search): {ratios}.")


def http_table(result: dict) -> str:
    return cases_table("HTTP (loopback)", result["http"]["cases"], scoped=True)


def workers_lines(result: dict) -> str:
    run = result["http_workers"]
    memory = ", ".join(f"{m['rss_mb']} MB (peak {m['peak_rss_mb']})" for m in run["worker_memory"])
    shares = "; ".join(f"/api/{c['kind']} {c['clients']} clients {' / '.join(f'{share:.0%}' for share in c['worker_cpu_share'])}"
                       for c in run["cases"] if "worker_cpu_share" in c)
    return (cases_table(f"HTTP, {run['workers']} workers", run["cases"]) + f"\n\nWorker memory (RSS after the cases): {memory}."
            + (f" Each worker's share of the CPU the workers spent on a case: {shares}." if shares else ""))


def index_facts(dense: dict) -> str:
    return ", ".join([dense["type"], *(f"{k}={v}" for k, v in dense.items() if k != "type")])


def scale_http_lines(result: dict) -> str:
    e = result["scale_http"]
    recall, memory, answers = e["recall@10"], e["server_memory"], e["answers"]
    return (cases_table(f"HTTP end to end, {e['chunks']} synthetic chunks", e["cases"])
            + f"\n\nSynthetic kb: {e['chunks']} chunks, {e['sentences']} sentence vectors ({index_facts(e['dense_index']['sentences'])}), "
            f"{e['questions']} associated questions ({index_facts(e['dense_index']['questions'])}); made in {e['make_s']} s, written by the indexer in {e['write_s']} s, server ready in "
            f"{e['server_start_s']} s. Recall@10 of the dense indexes as served, against exact search over the same vectors: sentences "
            f"**{recall['sentences']}**, questions {recall['questions']}. Server memory: {memory['idle_rss_mb']} MB RSS after start, "
            f"{memory['rss_mb']} after the load, peak {memory['peak_rss_mb']}. Answers read: {answers['ok']} of {answers['asked']} "
            f"answered 200, {answers['citing']} citing, {answers['foreign']} of {answers['citations']} citations outside the synthetic kb.")


def build_table(result: dict) -> str:
    rows = [[name, b["seconds"], b["model_load_s"], b["query_model_s"], b["chunks"], b["chunks_per_s"], b["sentences_embedded"], b["sentences_reused"]]
            for name, b in result["build"].items()]
    return table(["build of kb/ (`kefu index`)", "seconds", "model load s", "query model s", "chunks", "chunks/s", "embedded", "reused"], rows)


def scale_tables(result: dict) -> str:
    rows = []
    for size in result["scale"]["dense"]:
        for index in size["indexes"]:
            for point in index["sweep"]:
                knob = "exact" if index["kind"] == "flat" else next(f"{k}={v}" for k, v in point.items() if k in ("nprobe", "ef_search"))
                params = ", ".join(f"{k}={v}" for k, v in index["params"].items()) or "—"
                rows.append([size["chunks"], size["vectors"], index["kind"], params, knob, point["recall@10"],
                             point["p50"], point["p95"], index["build_s"], index["memory_mb"]])
    dense = table(["chunks", "vectors", "FAISS", "params", "search", "recall@10", "p50 ms", "p95 ms", "build s", "MB"], rows)
    estimates = [f"{size['chunks']} chunks ≈ {size['server_estimate_mb']} MB" for size in result["scale"]["dense"] if "server_estimate_mb" in size]
    if estimates:
        dense += (f"\n\nServer memory at scale (idle RSS on kb/ + {result['scale']['chunk_bytes']} B per loaded chunk + the "
                  "index `auto` chooses + BM25): " + "; ".join(estimates) + ".")
    sparse = table(["chunks", "BM25 build s", "p50 ms", "p95 ms", "p99 ms", "MB"],
                   [[s["chunks"], s["build_s"], s["p50"], s["p95"], s["p99"], s["memory_mb"]] for s in result["scale"]["sparse"]])
    return dense + "\n\n" + sparse


def render_bench(result: dict) -> str:
    meta = result["meta"]
    dot = ", ".join(meta.get("int8_dot", [])) or "none"
    head = (f"kefu bench — {meta['date']} — {meta['cpu']}, {meta['cores']} cores, int8 dot product: {dot}, Python {meta['python']} — "
            f"load {meta['load_before']} → {meta.get('load_after')} — queries {meta['query_backend']}, int8 {meta['query_int8']}, "
            f"onnx threads {meta['onnx_threads']}, torch threads {meta['torch_threads']}"
            + (" — QUICK (tiny sizes, not for publishing)" if meta["quick"] else ""))
    parts = [head, floor_line(result), stages_table(result), *([ask_table(result)] if "ask" in result else []), encoders_table(result)]
    if "http" in result:
        memory = result["http"]["server_memory"]
        parts += [http_table(result), f"Server memory: {memory['idle_rss_mb']} MB RSS after start, peak {memory['peak_rss_mb']} MB.",
                  workers_lines(result), peer_http_lines(result)]
    parts += [build_table(result), scale_tables(result), *([scale_http_lines(result)] if "scale_http" in result else [])]
    return "\n\n".join(parts) + "\n"
