"""The sweep's progress: plain lines off a terminal, a redrawn status line on one."""

from __future__ import annotations

import io

from barenet.sweep.progress import Progress


def record(name, status="ok", acc=0.9, error=""):
    return {
        "name": name,
        "status": status,
        "val_accuracy": acc,
        "epochs": 2,
        "seconds": 1.5,
        "worker": "tcp://w1",
        "error": error,
    }


def test_plain_lines_count_done_running_failed_and_the_best_so_far():
    out = io.StringIO()
    progress = Progress(out)
    progress.start("trials", 4, [record("a", acc=0.91)])
    progress.tick(2)
    progress.finished(record("b", acc=0.95))
    progress.finished(record("c", "failed", None, "loss became inf at epoch 1, batch 3"))
    lines = out.getvalue().splitlines()
    assert lines[0] == "trials: 4 trials (1 already finished, skipped)"
    assert lines[1].startswith("b: val_accuracy 95.00% after 2 epochs, 1.5 s on tcp://w1")
    assert lines[1].endswith("[trials: 2/4 done, 1 running, 0 failed; best b val_accuracy 95.00%]")
    assert lines[2] == (
        "c: FAILED: loss became inf at epoch 1, batch 3  "
        "[trials: 2/4 done, 0 running, 1 failed; best b val_accuracy 95.00%]"
    )
    assert "\r" not in out.getvalue() and len(lines) == 3


def test_a_terminal_gets_one_status_line_redrawn_in_place():
    out = io.StringIO()
    progress = Progress(out, live=True)
    progress.start("rung 1/2", 2, [])
    progress.finished(record("a"))
    progress.close()
    text = out.getvalue()
    assert text.count("\r\033[K") >= 3
    assert text.endswith("rung 1/2: 1/2 done, 0 running, 0 failed; best a val_accuracy 90.00%\n")
    assert "a: val_accuracy 90.00%" in text
