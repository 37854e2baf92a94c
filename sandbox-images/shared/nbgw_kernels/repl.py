"""Kernels around a long-lived interpreter on a pseudo-terminal (Bash, Octave): state persists between cells.

How a cell runs: the code is written to a private file and one line that runs that file is typed into the
interpreter's terminal (a pseudo-terminal that is its controlling tty; echo off). After every command line the
interpreter prints a sentinel (bash: PROMPT_COMMAND with `$?`; Octave: its prompt), which ends the cell. stdout is the
terminal, stderr a separate pipe. Interrupt: SIGINT reaches the kernel (the gateway signals the kernel's process
group); the kernel types Ctrl-C into the terminal, so the terminal sends SIGINT to the interpreter's foreground job,
exactly as in a terminal. The interpreter is in a session of its own, so the gateway's signal never reaches it
directly. A read of the terminal by the interpreter or a program it runs, during a cell, asks Jupyter for input.
"""

import fcntl
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import termios
import time

from ipykernel.kernelbase import Kernel

from .interrupts import Interrupts
from .output import StreamWriter, error_reply, ok_reply
from .sandbox_limits import LimitCounters
from .stdin_watch import answer_input, session_reads_stdin, unread_bytes

START_TIMEOUT = 30.0
INTERRUPT_GRACE = 5.0
POLL = 0.05
# How long the interpreter must have been silent before the kernel looks whether it waits for input (reading /proc
# costs CPU that the sandbox's own quota pays for).
STDIN_CHECK = 0.05


class PtyRepl:
    """An interpreter on a pseudo-terminal, stderr on a pipe, and a sentinel (regex `done`) after every command line.
    A `status` group in the sentinel, when there is one, is the command line's exit status."""

    def __init__(self, argv, env, done, cwd=None, nonce=None):
        self.nonce = nonce or secrets.token_hex(8)
        self.done = done
        self.cell_dir = f"/tmp/.nbgw-repl-{self.nonce}"
        os.mkdir(self.cell_dir, 0o700)
        self.master, self.slave = os.openpty()
        attrs = termios.tcgetattr(self.slave)
        attrs[1] &= ~termios.ONLCR  # oflag: no \n -> \r\n
        attrs[3] &= ~(termios.ECHO | termios.ECHONL)  # lflag: no echo of what the kernel types
        termios.tcsetattr(self.slave, termios.TCSANOW, attrs)
        self.err_read, err_write = os.pipe()
        child_env = {k: v for k, v in os.environ.items() if k not in ("JPY_PARENT_PID", "JPY_SESSION_NAME")}
        child_env.update({"TERM": "dumb", "PAGER": "cat", "GIT_PAGER": "cat"}, **env)
        self.process = subprocess.Popen(argv, stdin=self.slave, stdout=self.slave, stderr=err_write, cwd=cwd,
                                        env=child_env, start_new_session=True, preexec_fn=_take_terminal,
                                        close_fds=True)
        os.close(err_write)
        os.set_blocking(self.err_read, False)
        self.buffer = b""

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process.poll() is None

    def type_line(self, line):
        os.write(self.master, line.encode() + b"\n")

    def read_available(self, timeout):
        """(stdout bytes, stderr bytes, sentinel match or None while the command line runs, eof)."""
        err = b""
        eof = False
        ready, _, _ = select.select([self.master, self.err_read], [], [], timeout)
        if self.err_read in ready:
            err = _read_all(self.err_read)
        if self.master in ready:
            try:
                self.buffer += os.read(self.master, 65536)
            except OSError:  # EIO: the interpreter is gone and the terminal closed
                eof = True
        match = self.done.search(self.buffer)
        if match:
            out, self.buffer = self.buffer[: match.start()], self.buffer[match.end():]
            err += _read_all(self.err_read)  # written before the sentinel, so already in the pipe
            return out, err, match, eof
        # Hold back, from its first byte, what could be a sentinel still arriving (\x1d opens Octave's error marker,
        # which comes before the sentinel and holds a message). Plain output has neither control character.
        recent = max(0, len(self.buffer) - 65536)
        starts = [p for p in (self.buffer.find(b"\x1d", recent), self.buffer.find(b"\x1e", recent)) if p != -1]
        cut = min(starts) if starts else len(self.buffer)
        out, self.buffer = self.buffer[:cut], self.buffer[cut:]
        return out, err, None, eof

    def wait_for_sentinel(self, timeout):
        """Output until the next sentinel (None when it did not come in time or the interpreter ended)."""
        deadline = time.monotonic() + timeout
        chunks = []
        while time.monotonic() < deadline:
            out, _, match, eof = self.read_available(POLL)
            chunks.append(out)
            if match is not None:
                return b"".join(chunks)
            if eof or not self.alive():
                return None
        return None

    def waiting_for_input(self):
        """The interpreter or one of its jobs is blocked reading the terminal, and nothing is left unread either way.
        (Called only while no sentinel is pending: the sentinel is written before the interpreter reads again.)"""
        return (session_reads_stdin(self.pid)
                and unread_bytes(self.slave) == 0
                and unread_bytes(self.master) == 0)

    def interrupt(self):
        os.write(self.master, b"\x03")

    def end_of_input(self):
        os.write(self.master, b"\x04")

    def kill(self):
        end_session(self.process, (self.master, self.slave, self.err_read))
        shutil.rmtree(self.cell_dir, ignore_errors=True)


def end_session(process, fds):
    """Kills a child started with start_new_session and every process of its group, reaps it and closes its pipes."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _take_terminal():
    # In the child, after setsid: the pseudo-terminal on fd 0 becomes the controlling terminal (job control needs it).
    # The kernel ignores SIGINT between requests (ipykernel does), and an ignored signal stays ignored across exec:
    # the interpreter would pass that on to every job, and Ctrl-C would stop nothing but its own loops.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def _read_all(fd):
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


class ReplKernel(Kernel):
    """do_execute for a PtyRepl: subclasses say how to start the interpreter, which line runs a cell file, and what a
    finished command line's sentinel and output mean."""

    # The file a cell is written to ({n}: the cell's number in this kernel).
    cell_file_name = "cell"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.repl = None
        self.interrupts = Interrupts()
        self._start_repl()

    # ---- what subclasses provide

    def start_repl(self, cwd):
        """A started PtyRepl (its first sentinel not yet read)."""
        raise NotImplementedError

    def run_line(self, cell_file):
        """The one line typed to run the cell's file."""
        raise NotImplementedError

    def outcome(self, match, stdout_tail):
        """None when the command line succeeded, else (ename, evalue)."""
        raise NotImplementedError

    # ---- lifecycle

    def _start_repl(self, cwd=None):
        self.repl = self.start_repl(cwd)
        if self.repl.wait_for_sentinel(START_TIMEOUT) is None:
            raise RuntimeError(f"{self.implementation}: the interpreter did not start")

    def _restart_repl(self):
        cwd = None
        if self.repl is not None:
            try:
                cwd = os.readlink(f"/proc/{self.repl.pid}/cwd")
            except OSError:
                pass
            self.repl.kill()
        self._start_repl(cwd=cwd if cwd and os.path.isdir(cwd) else None)

    def do_shutdown(self, restart):
        if self.repl is not None:
            self.repl.kill()
        return {"status": "ok", "restart": restart}

    # ---- execute

    def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False, *, cell_id=None):
        self._allow_stdin = allow_stdin
        if not code.strip():
            return ok_reply(self)
        self.interrupts.arm()
        if not self.repl.alive():
            self._restart_repl()
        repl = self.repl
        self.cell_count = getattr(self, "cell_count", 0) + 1
        cell_file = os.path.join(repl.cell_dir, self.cell_file_name.format(n=self.cell_count))
        with open(cell_file, "w", encoding="utf-8") as f:
            f.write(code if code.endswith("\n") else code + "\n")
        path = cell_file.encode()
        shown = os.path.basename(cell_file).encode()
        stdout = StreamWriter(self, "stdout", replacements=((path, shown),))
        stderr = StreamWriter(self, "stderr", replacements=((path, shown),))
        limits_before = LimitCounters()
        repl.type_line(self.run_line(cell_file))

        match = None
        tail = b""
        quiet_since = time.monotonic()
        interrupted_at = None
        exited = False
        while match is None:
            out, err, match, eof = repl.read_available(POLL)
            tail = (tail + out)[-4096:]
            if not silent:
                stdout.write(out)
                stderr.write(err)
                stdout.tick()
                stderr.tick()
            if eof or (match is None and not repl.alive()):
                exited = True
                break
            if match is None and interrupted_at is not None and time.monotonic() - interrupted_at > INTERRUPT_GRACE:
                break
            interrupted = self.interrupts.take()
            if out or err:
                quiet_since = time.monotonic()
            elif match is None and not interrupted and time.monotonic() - quiet_since >= STDIN_CHECK and repl.waiting_for_input():
                stdout.flush(final=False)
                stderr.flush(final=False)
                interrupted = not answer_input(self, self.interrupts, allow_stdin, repl.type_line, repl.end_of_input)
            if interrupted and match is None and interrupted_at is None:
                # One Ctrl-C per cell: more would reach the prompt after the command stopped and cancel the next
                # cell's line. A command that ignores it is ended by the grace below (the interpreter restarts).
                interrupted_at = time.monotonic()
                repl.interrupt()
        stdout.flush()
        stderr.flush()
        if cell_file != os.path.join(repl.cell_dir, self.cell_file_name):
            try:
                os.unlink(cell_file)
            except OSError:
                pass

        why = LimitCounters().explain_since(limits_before)
        if exited:
            try:
                exit_status = repl.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                exit_status = "unknown"
            self._restart_repl()
            return error_reply(self, "InterpreterExited",
                               f"{self.language_info['name']} exited (status {exit_status}{'; ' + why if why else ''}); "
                               "a new one was started (variables are gone, files remain)")
        if match is None:
            self._restart_repl()
            return error_reply(self, "KeyboardInterrupt",
                               f"the command did not stop within {INTERRUPT_GRACE:.0f} s of the interrupt; "
                               f"{self.language_info['name']} was restarted")
        if interrupted_at is not None:
            return error_reply(self, "KeyboardInterrupt", "interrupted")
        failure = self.outcome(match, tail)
        if failure is not None:
            ename, evalue = failure
            return error_reply(self, ename, evalue + (f" ({why})" if why else ""))
        return ok_reply(self)

    def run_quietly(self, line, timeout=5.0):
        """Runs one command line in the interpreter between cells and returns its stdout (completion helpers)."""
        repl = self.repl
        if repl is None or not repl.alive():
            return ""
        repl.type_line(line)
        out = repl.wait_for_sentinel(timeout)
        return (out or b"").decode("utf-8", "replace")


def token_before(code, cursor_pos, separators=r"[\s;|&<>()`'\",=\[\]{}+*/^-]"):
    """The word being typed at the cursor and where it starts."""
    token = re.split(separators, code[:cursor_pos])[-1]
    return token, cursor_pos - len(token)
