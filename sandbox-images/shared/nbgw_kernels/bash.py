"""A stateful Bash kernel: one long-lived interactive bash per kernel, so `cd`, variables, functions and aliases persist.

    python3 -m nbgw_kernels.bash -f CONNECTION_FILE

How a cell runs: the code is written to a private file and the line `source FILE` is typed into bash's terminal (a
pseudo-terminal that is bash's controlling tty; echo off). bash's PROMPT_COMMAND prints a sentinel with `$?` after
every command line, which ends the cell and gives its exit status. stdout is the terminal, stderr a separate pipe.
Interrupt: SIGINT reaches this process (the gateway signals the kernel's process group); the kernel types Ctrl-C into
the terminal, so the terminal sends SIGINT to bash's foreground job, exactly as in a terminal. bash is in a session of
its own, so the gateway's signal never reaches it directly.
"""

import fcntl
import os
import re
import select
import shlex
import signal
import subprocess
import termios
import time
import secrets

from ipykernel.kernelbase import Kernel

from .launch import launch
from .output import StreamWriter, error_reply, ok_reply
from .sandbox_limits import LimitCounters
from .stdin_watch import session_reads_stdin, unread_bytes

_START_TIMEOUT = 10.0
_INTERRUPT_GRACE = 5.0
_POLL = 0.05


class BashProcess:
    """bash on a pseudo-terminal, with stderr on a pipe and a sentinel after every command line."""

    def __init__(self, cwd=None):
        self.nonce = secrets.token_hex(8)
        self.sentinel = re.compile(rb"\x1eNBGW" + self.nonce.encode() + rb":(\d+)\x1f")
        self.cell_dir = f"/tmp/.nbgw-bash-{self.nonce}"
        os.mkdir(self.cell_dir, 0o700)
        self.master, self.slave = os.openpty()
        attrs = termios.tcgetattr(self.slave)
        attrs[1] &= ~termios.ONLCR  # oflag: no \n -> \r\n
        attrs[3] &= ~(termios.ECHO | termios.ECHONL)  # lflag: no echo of what the kernel types
        termios.tcsetattr(self.slave, termios.TCSANOW, attrs)
        self.err_read, err_write = os.pipe()
        env = dict(os.environ)
        for name in ("JPY_PARENT_PID", "JPY_SESSION_NAME"):
            env.pop(name, None)
        env.update({
            "PS1": "", "PS2": "", "PS0": "", "HISTFILE": "", "TERM": "dumb", "PAGER": "cat", "GIT_PAGER": "cat",
            "PROMPT_COMMAND": f"printf '\\036NBGW{self.nonce}:%d\\037' $?",
        })
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc", "--noediting", "-i"],
            stdin=self.slave, stdout=self.slave, stderr=err_write, cwd=cwd, env=env,
            start_new_session=True, preexec_fn=_take_terminal, close_fds=True)
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
        """(stdout bytes, stderr bytes, exit status or None when the command line has not finished, eof)."""
        out = err = b""
        eof = False
        ready, _, _ = select.select([self.master, self.err_read], [], [], timeout)
        if self.err_read in ready:
            err = _read_all(self.err_read)
        if self.master in ready:
            try:
                self.buffer += os.read(self.master, 65536)
            except OSError:  # EIO: bash is gone and the terminal closed
                eof = True
        match = self.sentinel.search(self.buffer)
        if match:
            out, self.buffer = self.buffer[: match.start()], self.buffer[match.end():]
            err += _read_all(self.err_read)  # written before the sentinel, so already in the pipe
            return out, err, int(match.group(1)), eof
        # Hold back what could be the start of a sentinel split across reads.
        cut = self.buffer.rfind(b"\x1e")
        if cut == -1 or len(self.buffer) - cut > 64:
            cut = len(self.buffer)
        out, self.buffer = self.buffer[:cut], self.buffer[cut:]
        return out, err, None, eof

    def wait_for_prompt(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _, _, status, eof = self.read_available(_POLL)
            if status is not None:
                return True
            if eof:
                return False
        return False

    def waiting_for_input(self):
        """bash or one of its jobs is blocked reading the terminal, and nothing is left unread either way."""
        return (session_reads_stdin(self.pid)
                and unread_bytes(self.slave) == 0
                and unread_bytes(self.master) == 0)

    def interrupt(self):
        os.write(self.master, b"\x03")

    def end_of_input(self):
        os.write(self.master, b"\x04")

    def kill(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for fd in (self.master, self.slave, self.err_read):
            try:
                os.close(fd)
            except OSError:
                pass
        subprocess.run(["rm", "-rf", "--", self.cell_dir], check=False)


def _take_terminal():
    # In the child, after setsid: the pseudo-terminal on fd 0 becomes the controlling terminal (job control needs it).
    # The kernel ignores SIGINT between requests (ipykernel does), and an ignored signal stays ignored across exec:
    # bash would pass that on to every job, and Ctrl-C would stop nothing but bash's own loops.
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


def _bash_version():
    try:
        return subprocess.run(["bash", "-c", "echo ${BASH_VERSINFO[0]}.${BASH_VERSINFO[1]}.${BASH_VERSINFO[2]}"],
                              capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


class BashKernel(Kernel):
    implementation = "nbgw-bash"
    implementation_version = "1.0"
    language = "bash"
    language_version = _bash_version()
    language_info = {
        "name": "bash",
        "version": language_version,
        "mimetype": "text/x-sh",
        "file_extension": ".sh",
        "codemirror_mode": "shell",
        "pygments_lexer": "bash",
    }
    banner = (f"GNU bash {language_version} (NotebookGateway Bash kernel): one interactive bash per kernel; "
              "`cd`, variables and functions persist between cells; a non-zero exit status ends the cell with an error.")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._bash = None
        self._start_bash()

    def _start_bash(self, cwd=None):
        self._bash = BashProcess(cwd=cwd)
        if not self._bash.wait_for_prompt(_START_TIMEOUT):
            raise RuntimeError("bash did not start")

    def _restart_bash(self):
        cwd = None
        if self._bash is not None:
            try:
                cwd = os.readlink(f"/proc/{self._bash.pid}/cwd")
            except OSError:
                pass
            self._bash.kill()
        self._start_bash(cwd=cwd if cwd and os.path.isdir(cwd) else None)

    def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False, *, cell_id=None):
        self._allow_stdin = allow_stdin
        if not code.strip():
            return ok_reply(self)
        if not self._bash.alive():
            self._restart_bash()
        bash = self._bash
        cell_file = os.path.join(bash.cell_dir, "cell")
        with open(cell_file, "w", encoding="utf-8") as f:
            f.write(code if code.endswith("\n") else code + "\n")
        stdout = StreamWriter(self, "stdout")
        stderr = StreamWriter(self, "stderr")
        path = cell_file.encode()
        limits_before = LimitCounters()
        bash.type_line(f"source {shlex.quote(cell_file)}")

        status = None
        interrupted = False
        interrupted_at = None
        exited = False
        while status is None:
            try:
                out, err, status, eof = bash.read_available(_POLL)
                if not silent:
                    stdout.write(out.replace(path, b"cell"))
                    stderr.write(err.replace(path, b"cell"))
                if eof or (status is None and not bash.alive()):
                    exited = True
                    break
                if status is None and interrupted_at is not None and time.monotonic() - interrupted_at > _INTERRUPT_GRACE:
                    break
                if status is None and not out and not err and bash.waiting_for_input():
                    self._answer_input(bash, allow_stdin)
            except KeyboardInterrupt:
                interrupted = True
                interrupted_at = interrupted_at or time.monotonic()
                bash.interrupt()
        stdout.flush()
        stderr.flush()

        if exited:
            try:
                exit_status = bash.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                exit_status = "unknown"
            why = LimitCounters().explain_since(limits_before)
            self._restart_bash()
            return error_reply(self, "BashExited", f"bash exited (status {exit_status}{'; ' + why if why else ''}); a new bash was started "
                               "(variables and functions are gone, files remain)")
        if status is None:
            self._restart_bash()
            return error_reply(self, "KeyboardInterrupt", f"the command did not stop within {_INTERRUPT_GRACE:.0f} s of the interrupt; bash was restarted")
        if interrupted:
            return error_reply(self, "KeyboardInterrupt", "interrupted")
        if status != 0:
            why = LimitCounters().explain_since(limits_before)
            return error_reply(self, "ExitStatus", f"exit status {status}" + (f" ({why})" if why else ""))
        return ok_reply(self)

    def _answer_input(self, bash, allow_stdin):
        if not allow_stdin:
            bash.end_of_input()
            return
        try:
            value = self.raw_input("")
        except KeyboardInterrupt:
            raise
        except Exception:  # the frontend went away: end of input
            bash.end_of_input()
            return
        bash.type_line(value)

    def _run_quietly(self, command, timeout=5.0):
        """Runs one command line in the kernel's bash (between cells) and returns its stdout."""
        bash = self._bash
        if bash is None or not bash.alive():
            return ""
        bash.type_line(command)
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out, _, status, eof = bash.read_available(_POLL)
            chunks.append(out)
            if status is not None or eof:
                break
        return b"".join(chunks).decode("utf-8", "replace")

    def do_complete(self, code, cursor_pos):
        before = code[:cursor_pos]
        token = re.split(r"[\s;|&<>()`'\"]", before)[-1]
        start = cursor_pos - len(token)
        if token.startswith("$"):
            words = self._run_quietly(f"compgen -v -- {shlex.quote(token[1:])}").split()
            matches = ["$" + w for w in words]
        else:
            words = self._run_quietly(
                f"compgen -A function -A alias -A builtin -A keyword -A command -A file -- {shlex.quote(token)}").split("\n")
            matches = sorted({w for w in words if w})
        return {"matches": matches[:500], "cursor_start": start, "cursor_end": cursor_pos, "metadata": {}, "status": "ok"}

    def do_is_complete(self, code):
        try:
            result = subprocess.run(["bash", "-n"], input=code, capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.SubprocessError):
            return {"status": "unknown"}
        if result.returncode == 0:
            return {"status": "complete"}
        if "unexpected end of file" in result.stderr:
            return {"status": "incomplete", "indent": ""}
        return {"status": "invalid"}

    def do_shutdown(self, restart):
        if self._bash is not None:
            self._bash.kill()
        return {"status": "ok", "restart": restart}


if __name__ == "__main__":
    launch(BashKernel)
