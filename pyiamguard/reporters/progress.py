"""A progress line for long scans, drawn on a terminal's stderr and erased when the scan ends.

    scanning: 12/300 files, 5,230 documents (850/s)  infra/plan.json

It appears only once a scan has run `delay` seconds (a short scan shows nothing), is redrawn at
most every `interval` seconds, and fits the terminal's width. The CLI creates one only when
stderr is a terminal, TERM is not `dumb` and `--quiet` is not given; it is the `progress`
callback of the Scanner and only observes.
"""
from __future__ import annotations

import shutil
import time
from typing import Callable, TextIO

from ..model import ScanProgress


class ProgressLine:
    def __init__(self, stream: TextIO, *, delay: float = 1.0, interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._delay = delay
        self._interval = interval
        self._clock = clock
        self._start = clock()
        self._last = float("-inf")
        self._shown = False

    def __call__(self, progress: ScanProgress) -> None:
        now = self._clock()
        elapsed = now - self._start
        if elapsed < self._delay or now - self._last < self._interval:
            return
        self._last = now
        rate = f" ({progress.documents / elapsed:,.0f}/s)" if elapsed > 0 else ""
        text = (f"scanning: {progress.files_done}/{progress.files_total} files, "
                f"{progress.documents:,} documents{rate}  {progress.file}")
        width = max(20, shutil.get_terminal_size((80, 24)).columns - 1)
        if len(text) > width:
            text = text[:width - 1] + "…"
        self._write("\r\x1b[K" + text)
        self._shown = True

    def finish(self) -> None:
        """Erase the line, if one was drawn, so the report starts on a clean line."""
        if self._shown:
            self._write("\r\x1b[K")
            self._shown = False

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError, UnicodeEncodeError):
            pass  # a progress line is never worth failing a scan
