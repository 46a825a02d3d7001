"""The terminal side of a run: writes that survive a reader that went away, and noticing that it went away.

A load generator must stop when told, also when nobody reads it any more (``... | head``, a closed ssh session).
Python ignores SIGPIPE, so a write to a pipe without a reader raises ``BrokenPipeError``; raised inside a signal
handler or the progress task, that exception would stop the handler before it stops the run. So every write goes
through :class:`Output`, which swallows the error, marks the stream gone and points its file descriptor at
``/dev/null`` (what the Python docs advise for SIGPIPE, "Note on SIGPIPE" in the ``signal`` module docs, so that the
interpreter's last flush does not fail either). :meth:`Output.reader_gone` also notices a reader that left while
nothing was written: ``poll(2)`` reports ``POLLERR`` on the write end of a pipe without readers and ``POLLHUP`` on a
terminal or socket that hung up (Linux ``fs/pipe.c`` ``pipe_poll``; ``poll(2)``).
"""

from __future__ import annotations

import contextlib
import os
import select
from typing import TextIO

GONE = select.POLLERR | select.POLLHUP


class Output:
    """A text stream (stdout or stderr) whose reader may go away."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.gone = False
        """The reader went away during the run. A stream that was never there (``>&-``: Python sets ``sys.stdout``
        to ``None``) is not a reader that left: writes to it are dropped and the run goes on."""
        self.fd: int | None = None
        with contextlib.suppress(OSError, ValueError, AttributeError):  # no descriptor (e.g. captured in tests)
            self.fd = stream.fileno() if stream is not None else None

    def write(self, text: str) -> None:
        if self.gone or self.stream is None:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (BrokenPipeError, ConnectionResetError):
            self._mark_gone()
        except ValueError:  # the stream was closed
            self.gone = True

    def flush(self) -> None:
        self.write("")

    def isatty(self) -> bool:
        try:
            return not self.gone and self.stream is not None and self.stream.isatty()
        except ValueError:
            return False

    def reader_gone(self) -> bool:
        """``True`` once a write failed or the descriptor reports the reader gone (checked without blocking)."""
        if self.gone or self.fd is None:
            return self.gone
        poller = select.poll()
        poller.register(self.fd, 0)
        if any(mask & GONE for _, mask in poller.poll(0)):
            self._mark_gone()
        return self.gone

    def _mark_gone(self) -> None:
        self.gone = True
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.fd)
            os.close(devnull)
