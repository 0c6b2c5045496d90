"""The progress line of long scans: late, throttled, fitted to the terminal, erased at the end."""
from __future__ import annotations

import io

import pytest

from pyiamguard.model import ScanProgress
from pyiamguard.reporters.progress import ProgressLine


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_nothing_is_drawn_for_a_short_scan() -> None:
    stream, clock = io.StringIO(), _Clock()
    line = ProgressLine(stream, clock=clock)
    clock.now += 0.9
    line(ScanProgress(1, 3, 10, "a.json"))
    line.finish()
    assert stream.getvalue() == ""


def test_a_long_scan_draws_one_line_at_a_time_and_erases_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    stream, clock = io.StringIO(), _Clock()
    line = ProgressLine(stream, clock=clock)
    clock.now += 2.0
    line(ScanProgress(12, 300, 5230, "infra/plan.json"))
    clock.now += 0.05  # within the redraw interval: skipped
    line(ScanProgress(12, 300, 5300, "infra/plan.json"))
    clock.now += 0.10
    line(ScanProgress(13, 300, 5400, "iam/x.json"))
    line.finish()
    assert stream.getvalue() == (
        "\r\x1b[Kscanning: 12/300 files, 5,230 documents (2,615/s)  infra/plan.json"
        "\r\x1b[Kscanning: 13/300 files, 5,400 documents (2,512/s)  iam/x.json"
        "\r\x1b[K"
    )


def test_the_line_fits_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    stream, clock = io.StringIO(), _Clock()
    line = ProgressLine(stream, clock=clock, delay=0)
    clock.now += 1
    line(ScanProgress(1, 2, 3, "a/very/long/path/to/a/file/that/does/not/fit.json"))
    drawn = stream.getvalue()[len("\r\x1b[K"):]
    assert len(drawn) == 39 and drawn.endswith("…")


def test_a_broken_stream_never_fails_the_scan() -> None:
    class Closed(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError("gone")

    line = ProgressLine(Closed(), delay=0, interval=0)
    line(ScanProgress(1, 1, 1, "a.json"))
    line.finish()
