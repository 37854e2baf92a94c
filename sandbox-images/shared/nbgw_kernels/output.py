"""Output plumbing shared by the wrapper kernels: stream messages, error replies, incremental UTF-8 decoding."""

import codecs
import re

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class StreamWriter:
    """Sends a child's bytes to one Jupyter stream (stdout or stderr), decoding UTF-8 across chunk borders, and stops
    forwarding (with one notice) past a byte budget."""

    def __init__(self, kernel, name, budget=None):
        self._kernel = kernel
        self._name = name
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._budget = budget
        self.sent = 0
        self.truncated = False

    def write(self, data):
        if not data or self.truncated:
            return
        if self._budget is not None and self.sent + len(data) > self._budget:
            data = data[: max(0, self._budget - self.sent)]
            self.truncated = True
        self.sent += len(data)
        self._send(self._decoder.decode(data))
        if self.truncated:
            self._send(self._decoder.decode(b"", final=True))
            self._kernel.send_response(self._kernel.iopub_socket, "stream", {
                "name": "stderr",
                "text": f"\n[output cut: more than {self._budget} bytes on {self._name}]\n",
            })

    def flush(self):
        self._send(self._decoder.decode(b"", final=True))

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
