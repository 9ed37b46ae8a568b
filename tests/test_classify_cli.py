"""`scrm classify` reads JSON lines on stdin and writes one decision per line, reporting bad lines."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(stdin: str) -> subprocess.CompletedProcess:
    """Run `python -m app.cli classify` with `stdin`."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "app.cli", "classify"], input=stdin.encode("utf-8"), cwd=ROOT,
                          env=env, capture_output=True, timeout=60)


def test_classify_writes_one_line_per_input_and_survives_bad_lines() -> None:
    lines = [json.dumps({"text": "你们怎么收费？"}, ensure_ascii=False), "{not json", json.dumps({"txt": "x"}),
             json.dumps({"text": "别再发了"}, ensure_ascii=False), json.dumps({"text": "Can I get a free trial?"})]
    proc = run("\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode("utf-8")
    assert "你们怎么收费" in out
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 5
    first, broken, missing, opt_out, english = records
    assert set(first) == {"text", "hot", "intent", "score", "reasons"}
    assert (first["hot"], first["intent"], first["text"]) == (True, "pricing", "你们怎么收费？")
    assert first["reasons"]
    assert 0 < first["score"] <= 1
    assert broken["line"] == 2
    assert broken["error"]
    assert missing["line"] == 3
    assert "text" in missing["error"]
    assert (opt_out["hot"], opt_out["intent"]) == (False, "opt_out")
    assert (english["hot"], english["intent"]) == (True, "trial")


def test_classify_empty_input_exits_zero() -> None:
    proc = run("")
    assert proc.returncode == 0
    assert proc.stdout == b""
