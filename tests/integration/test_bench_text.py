"""`python -m bench.text_speed` runs and prints a number for every step (never a speed assertion)."""

import json
import subprocess
import sys

from conftest import REPO


def test_text_speed_prints_every_step():
    run = subprocess.run([sys.executable, "-m", "bench.text_speed", "--repeat", "1", "--json"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout)
    assert result["vocabulary_terms"] > 1000 and result["from_vocabulary_s"] > 0
    for step in ("spoken_to_written", "correct", "char_ngrams"):
        for kind in ("clean", "typos", "spoken"):
            timing = result["steps"][step][kind]
            assert timing["n"] == 4 and 0 < timing["median_us"] <= timing["p95_us"] and timing["cpu_p95_us"] >= 0
