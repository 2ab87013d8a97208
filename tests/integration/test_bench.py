"""`kefu bench --quick --json` runs from start to end and prints numbers (never a speed assertion)."""

import json
import math
import subprocess
import sys

import pytest

from conftest import REPO


def numbers(obj):
    if isinstance(obj, dict):
        for value in obj.values():
            yield from numbers(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from numbers(value)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield obj


@pytest.mark.model
def test_quick_bench_runs_and_prints_every_section(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "kefu.cli", "--data-dir", str(tmp_path / "var"), "bench", "--quick", "--json", "--sizes", "500"],
        cwd=REPO, capture_output=True, text=True, timeout=1200,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout)
    for section in ("meta", "floor", "stages", "ask", "encoders", "threads", "peer", "http", "http_workers", "peer_http", "peer_http_ratio", "build", "scale", "scale_http"):
        assert section in result, section
    assert all(math.isfinite(n) and n >= 0 for n in numbers(result))
    assert result["stages"]["embed"]["n"] > 0 and result["floor"]["floor_ms"] > 0
    assert result["ask"]["total"]["n"] > 0 and result["ask"]["commits_per_answer"] == 1  # one transaction per answer
    assert all(case["requests"] > 0 and case["errors"] == 0 for case in result["http"]["cases"] + result["http_workers"]["cases"] + result["peer_http"]["cases"])
    workers = result["http_workers"]["worker_memory"]  # each worker measured, not the supervisor
    assert len(workers) == result["http_workers"]["workers"] == 2 and all(m["rss_mb"] > 100 for m in workers)
    shares = [case["worker_cpu_share"] for case in result["http_workers"]["cases"]]  # each worker's part of a case's CPU
    assert all(len(s) == 2 and sum(s) == pytest.approx(1, abs=0.02) and min(s) >= 0 for s in shares)
    # as the widget asks (in its company's kb) and as the console searches without a kb, for both servers
    assert {(c["kind"], c["scope"]) for c in result["http"]["cases"]} == {(k, s) for k in ("ask", "search") for s in ("its kb", "every kb")}
    assert [(r["clients"], r["scope"]) for r in result["peer_http_ratio"]] == [(1, "its kb"), (8, "its kb"), (1, "every kb")]
    encoders = {row["name"]: row for row in result["encoders"]}
    assert list(encoders) == ["torch float32", "torch int8 dynamic", "ONNX float32", "ONNX int8 dynamic"]
    assert encoders["torch float32"]["cosine_min"] == 1.0 and encoders["ONNX float32"]["cosine_min"] > 0.9999
    assert encoders["ONNX int8 dynamic"]["int8"] and 0.99 < encoders["ONNX int8 dynamic"]["cosine_min"] < 1
    assert result["build"]["incremental"]["sentences_embedded"] < result["build"]["cold"]["sentences_embedded"]
    assert result["scale"]["dense"][0]["chunks"] == 500 and result["scale"]["sparse"][0]["p50"] >= 0
    e2e = result["scale_http"]
    assert e2e["chunks"] == 300 and e2e["answers"]["ok"] == e2e["answers"]["asked"] and e2e["answers"]["foreign"] == 0
    assert all(case["requests"] > 0 and case["errors"] == 0 for case in e2e["cases"])
    assert not (tmp_path / "var").exists(), "the bench must work on its own temporary copies"
