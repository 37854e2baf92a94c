"""The gateway's interrupt (SIGINT to the kernel) as a flag that a cell's wait loop reads, not as a KeyboardInterrupt
raised wherever the main thread happens to be.

ipykernel makes SIGINT raise KeyboardInterrupt while a request is handled. Raised outside the loop's own handler (in
its condition, while draining the child's output, while an output message is sent) it escapes do_execute: ipykernel
then logs it and publishes `idle` without any execute_reply, and the client waits for a reply that never comes. So
while a cell runs, SIGINT only counts; the handler stays in place until ipykernel's post-request hook puts SIGINT back
to ignored, so an interrupt that arrives as the reply is being sent costs nothing.
"""

import signal
from contextlib import contextmanager


class Interrupts:
    # A count and how much of it was taken, not a flag to reset: the handler may run between a check and a reset.
    def __init__(self):
        self._count = 0
        self._taken = 0

    def arm(self):
        """At the start of a cell: counting starts afresh (an interrupt between cells was for no cell)."""
        self._count = self._taken = 0
        signal.signal(signal.SIGINT, self._record)

    def _record(self, signum, frame):
        self._count += 1

    def take(self):
        """True when an interrupt came since the last call."""
        if self._count == self._taken:
            return False
        self._taken = self._count
        return True

    @contextmanager
    def raising(self):
        """For a wait that only a KeyboardInterrupt ends (ipykernel's input request): SIGINT raises again inside it,
        and one that came just before raises at once."""
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            if self.take():
                raise KeyboardInterrupt
            yield
        finally:
            signal.signal(signal.SIGINT, previous)
