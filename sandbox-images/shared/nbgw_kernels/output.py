"""Output plumbing shared by the wrapper kernels: stream messages, error replies, incremental UTF-8 decoding."""

import codecs
import re
import time

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class StreamWriter:
    """Sends a child's bytes to one Jupyter stream (stdout or stderr): decodes UTF-8 across chunk borders, gathers
    small writes into one message per interval (a program that writes byte by byte must not become thousands of
    messages), rewrites host-side build paths, and stops forwarding (with one notice) past a byte budget."""

    INTERVAL = 0.05
    MAX_PENDING = 65536

    def __init__(self, kernel, name, budget=None, replacements=()):
        self._kernel = kernel
        self._name = name
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._budget = budget
        self._replacements = replacements
        self._pending = bytearray()
        self._last_flush = time.monotonic()
        self.sent = 0
        self.truncated = False

    def write(self, data):
        if not data or self.truncated:
            return
        if self._budget is not None and self.sent + len(data) > self._budget:
            data = data[: max(0, self._budget - self.sent)]
            self.truncated = True
        self.sent += len(data)
        self._pending += data
        if self.truncated:
            self.flush()
            self._kernel.send_response(self._kernel.iopub_socket, "stream", {
                "name": "stderr",
                "text": f"\n[output cut: more than {self._budget} bytes on {self._name}]\n",
            })
        elif len(self._pending) >= self.MAX_PENDING or time.monotonic() - self._last_flush >= self.INTERVAL:
            self.flush(final=False)

    def tick(self):
        """Sends what is pending once the interval is over, also when nothing new arrives (a program that printed a
        line and then computes for minutes)."""
        if self._pending and time.monotonic() - self._last_flush >= self.INTERVAL:
            self.flush(final=False)

    def flush(self, final=True):
        """Sends what is pending (at the end of a cell, before asking for input, or when the interval is over)."""
        data = bytes(self._pending)
        self._pending.clear()
        self._last_flush = time.monotonic()
        for old, new in self._replacements:
            data = data.replace(old, new)
        self._send(self._decoder.decode(data, final=final))

    def _send(self, text):
        if text:
            self._kernel.send_response(self._kernel.iopub_socket, "stream", {"name": self._name, "text": text})


def error_reply(kernel, ename, evalue, traceback=()):
    """Publishes an `error` output and returns the matching execute_reply content."""
    content = {"ename": ename, "evalue": evalue, "traceback": list(traceback) or [f"{ename}: {evalue}"]}
    kernel.send_response(kernel.iopub_socket, "error", content)
    return {"status": "error", "execution_count": kernel.execution_count, **content}


def ok_reply(kernel):
    return {"status": "ok", "execution_count": kernel.execution_count, "payload": [], "user_expressions": {}}


def strip_ansi(text):
    return _ANSI.sub("", text)
