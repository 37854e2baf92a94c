"""A compile-and-run kernel for C, C++, Rust, Go and Java: each cell is one whole program, compiled and run the way
online judges run code.

    python3 -m nbgw_kernels.compiled LANGUAGE -f CONNECTION_FILE      (LANGUAGE: c, cpp, rust, go, java)

Two stages per cell, each with its own limits (environment of the kernel; a client may lower them through the
KERNEL_* variables the gateway passes on, never raise them):
  compile  NBGW_COMPILE_SECONDS (30) / KERNEL_COMPILE_SECONDS, NBGW_COMPILE_OUTPUT_BYTES (65536)
  run      NBGW_RUN_SECONDS (0: only the gateway's cell wall clock) / KERNEL_RUN_SECONDS,
           NBGW_RUN_OUTPUT_BYTES (67108864) / KERNEL_RUN_OUTPUT_BYTES
These are the kernel's own limits, for clear messages; the sandbox's envelope and the gateway's limits still bound
everything the kernel and the program do.

The program runs in the workspace (the kernel's working directory), so files it writes persist between cells. Its
stdout is a pseudo-terminal (line-buffered output, as in a terminal), stderr a pipe, stdin a pipe fed from Jupyter's
input_request when the program blocks reading it (see stdin_watch). Compiler messages name the cell's file
(`cell.c:3:5: error: ...`); the file holds the cell verbatim, so line numbers are the cell's.
"""

import os
import re
import select
import shutil
import signal
import subprocess
import sys
import termios
import time

from ipykernel.kernelbase import Kernel

from .interrupts import Interrupts
from .languages import LANGUAGES
from .launch import launch
from .output import StreamWriter, error_reply, ok_reply, strip_ansi
from .repl import end_session
from .sandbox_limits import LimitCounters
from .stdin_watch import answer_input, session_reads_stdin, unread_bytes

_POLL = 0.02
# How long a program must have been silent before the kernel looks whether it waits for input (reading /proc costs
# CPU that the program's own quota pays for).
_STDIN_CHECK = 0.05
_INTERRUPT_GRACE = 1.0
_SIGNALS = {
    signal.SIGSEGV: "segmentation fault", signal.SIGABRT: "aborted", signal.SIGFPE: "arithmetic error",
    signal.SIGBUS: "bus error", signal.SIGILL: "illegal instruction", signal.SIGKILL: "killed",
    signal.SIGTERM: "terminated", signal.SIGINT: "interrupted", signal.SIGSYS: "bad system call",
    signal.SIGPIPE: "broken pipe",
}


def _limit(own, client, default):
    """The spec's limit (NBGW_*), lowered by the client's (KERNEL_*) when that is smaller and positive."""
    def read(name):
        try:
            return float(os.environ.get(name, ""))
        except ValueError:
            return None
    value = read(own)
    value = default if value is None else value
    lower = read(client) if client else None
    if lower is not None and lower > 0 and (value <= 0 or lower < value):
        value = lower
    return value


class Stage:
    """One child process (compiler or program) in a session of its own. stdin and stdout are one pseudo-terminal, as
    in a terminal: C's stdio line-buffers stdout and flushes a prompt before it reads, and a read of the terminal is
    what asks Jupyter for input. Echo and signal characters are off (the kernel types the user's answers; Ctrl-C comes
    as the gateway's interrupt). stderr is a pipe. Ends by itself, by a time limit, an output limit, or an interrupt
    (SIGINT, then SIGKILL)."""

    def __init__(self, argv, cwd, env, stdin_enabled=True):
        self.master, self.slave = os.openpty()
        attrs = termios.tcgetattr(self.slave)
        attrs[1] &= ~termios.ONLCR
        attrs[3] &= ~(termios.ECHO | termios.ECHONL | termios.ISIG)
        termios.tcsetattr(self.slave, termios.TCSANOW, attrs)
        self.err_read, err_write = os.pipe()
        self.started = time.monotonic()
        try:
            self.process = subprocess.Popen(argv, stdin=self.slave, stdout=self.slave, stderr=err_write, cwd=cwd, env=env,
                                            start_new_session=True, close_fds=True)
        finally:
            os.close(err_write)
        if not stdin_enabled:
            self.end_input()
        os.set_blocking(self.master, False)
        os.set_blocking(self.err_read, False)
        self._open = {self.master, self.err_read}

    def elapsed(self):
        return time.monotonic() - self.started

    def read(self, timeout):
        """(stdout bytes, stderr bytes); both empty once the process has ended and everything was read."""
        out = err = b""
        if not self._open:
            return out, err
        ready, _, _ = select.select(list(self._open), [], [], timeout)
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:  # EIO: the terminal's last writer is gone
                data = b""
            if not data:
                self._open.discard(fd)
            elif fd == self.master:
                out = data
            else:
                err = data
        return out, err

    def finished(self):
        """The process has ended (its background children do not count: they are killed by close())."""
        return self.process.poll() is not None

    def drain(self):
        """What the ended process left unread in its pipes."""
        out, err = bytearray(), bytearray()
        while self._open:
            o, e = self.read(0)
            if not o and not e:
                break
            out += o
            err += e
        return bytes(out), bytes(err)

    def waiting_for_input(self):
        """The program (or a child of it) is blocked reading the terminal, and nothing typed is left unread."""
        return (self.process.poll() is None
                and session_reads_stdin(self.process.pid) and unread_bytes(self.slave) == 0)

    def give_input(self, text):
        os.write(self.master, text.encode() + b"\n")

    def end_input(self):
        """End of file for the program's next read (VEOF on an empty line)."""
        os.write(self.master, b"\x04")

    def signal(self, signum):
        try:
            os.killpg(self.process.pid, signum)
        except OSError:
            pass

    def close(self):
        # Nothing of the stage outlives it (background children included).
        end_session(self.process, (self.master, self.slave, self.err_read))


class CompiledKernel(Kernel):
    implementation = "nbgw-compiled"
    implementation_version = "1.0"
    language_spec = None  # set by main()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        spec = self.language_spec
        self.build_root = f"/tmp/nbgw-build-{os.getpid()}"
        os.makedirs(self.build_root, mode=0o700, exist_ok=True)
        self.cell_number = 0
        self.interrupts = Interrupts()
        self.env = dict(os.environ, **spec.env)
        for name in ("JPY_PARENT_PID", "JPY_SESSION_NAME"):
            self.env.pop(name, None)
        self.compile_seconds = _limit("NBGW_COMPILE_SECONDS", "KERNEL_COMPILE_SECONDS", 30)
        self.compile_output = int(_limit("NBGW_COMPILE_OUTPUT_BYTES", None, 65536))
        self.run_seconds = _limit("NBGW_RUN_SECONDS", "KERNEL_RUN_SECONDS", 0)
        self.run_output = int(_limit("NBGW_RUN_OUTPUT_BYTES", "KERNEL_RUN_OUTPUT_BYTES", 64 * 1024 * 1024))
        toolchain = self._toolchain_version()
        number = re.search(r"\d+(?:\.\d+)+", toolchain)
        version = number.group(0) if number else toolchain
        self.language = spec.name
        self.language_version = version
        self.language_info = {
            "name": spec.name, "version": version, "mimetype": spec.mimetype,
            "file_extension": spec.file_extension, "codemirror_mode": spec.codemirror_mode,
            "pygments_lexer": spec.pygments_lexer,
        }
        limits = (f"compile limit {self.compile_seconds:g} s, "
                  + (f"run limit {self.run_seconds:g} s" if self.run_seconds > 0 else "no run limit of its own"))
        self.banner = (f"{spec.display_name} ({toolchain}), compiled and run per cell by the NotebookGateway kernel.\n"
                       f"Compile: {' '.join(spec.compile)}\nRun: {' '.join(spec.run)}\n{limits}")

    def _toolchain_version(self):
        try:
            result = subprocess.run(self.language_spec.version_command, capture_output=True, text=True, timeout=30,
                                    env=self.env)
            text = (result.stdout or result.stderr).strip().splitlines()
            return text[0] if text else "unknown"
        except (OSError, subprocess.SubprocessError):
            return "unknown"

    # ---- execute

    def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False, *, cell_id=None):
        self._allow_stdin = allow_stdin
        if not code.strip():
            return ok_reply(self)
        self.interrupts.arm()
        spec = self.language_spec
        self.cell_number += 1
        build_dir = os.path.join(self.build_root, str(self.cell_number))
        shutil.rmtree(build_dir, ignore_errors=True)
        os.makedirs(build_dir, mode=0o700)
        try:
            source = os.path.join(build_dir, spec.source_file(code))
            with open(source, "w", encoding="utf-8") as f:
                f.write(code if code.endswith("\n") else code + "\n")
            fill = {"src": source, "exe": os.path.join(build_dir, "program"), "dir": build_dir,
                    "main": spec.main_class(code) if hasattr(spec, "main_class") else ""}
            compile_argv = [part.format(**fill) for part in spec.compile]
            run_argv = [part.format(**fill) for part in spec.run]

            failure = self._compile(compile_argv, build_dir, silent)
            if failure is not None:
                return failure
            return self._run(run_argv, build_dir, silent, allow_stdin)
        finally:
            shutil.rmtree(build_dir, ignore_errors=True)

    def _compile(self, argv, build_dir, silent):
        stage = Stage(argv, build_dir, self.env, stdin_enabled=False)
        output = bytearray()
        interrupted = timed_out = False
        try:
            while not stage.finished():
                out, err = stage.read(_POLL)
                output += out + err
                if self.compile_seconds > 0 and stage.elapsed() > self.compile_seconds and not timed_out:
                    timed_out = True
                    stage.signal(signal.SIGKILL)
                if self.interrupts.take():
                    interrupted = True
                    stage.signal(signal.SIGKILL)
            out, err = stage.drain()
            output += out + err
            status = stage.process.wait()
        finally:
            stage.close()
        text = strip_ansi(bytes(output).decode("utf-8", "replace")).replace(build_dir + "/", "")
        if len(text) > self.compile_output:
            text = text[: self.compile_output] + f"\n[compiler output cut at {self.compile_output} bytes]"
        if interrupted:
            return error_reply(self, "KeyboardInterrupt", "interrupted while compiling")
        if timed_out:
            return error_reply(self, "CompileTimeLimitExceeded",
                               f"compilation took longer than {self.compile_seconds:g} s and was stopped",
                               [f"CompileTimeLimitExceeded: compilation took longer than {self.compile_seconds:g} s and was stopped"])
        if status != 0:
            lines = text.rstrip().splitlines() or [f"the compiler exited with status {status}"]
            return error_reply(self, "CompileError", _first_diagnostic(lines), lines)
        if text.strip() and not silent:  # warnings
            self.send_response(self.iopub_socket, "stream", {"name": "stderr", "text": text})
        return None

    def _run(self, argv, build_dir, silent, allow_stdin):
        limits_before = LimitCounters()
        stage = Stage(argv, None, self.env)
        # Paths of the build directory (in a panic or a stack trace) read as the cell's file name.
        paths = ((os.path.join(build_dir, "").encode(), b""),)
        stdout = StreamWriter(self, "stdout", replacements=paths)
        stderr = StreamWriter(self, "stderr", replacements=paths)
        interrupted_at = None
        limit_hit = None
        written = 0
        quiet_since = time.monotonic()
        try:
            while not stage.finished():
                out, err = stage.read(_POLL)
                written += len(out) + len(err)
                if not silent:
                    stdout.write(out)
                    stderr.write(err)
                    stdout.tick()
                    stderr.tick()
                if limit_hit is None and self.run_output > 0 and written > self.run_output:
                    limit_hit = ("OutputLimitExceeded", f"the program wrote more than {self.run_output} bytes and was stopped")
                    stage.signal(signal.SIGKILL)
                if limit_hit is None and self.run_seconds > 0 and stage.elapsed() > self.run_seconds:
                    limit_hit = ("TimeLimitExceeded", f"the program ran longer than {self.run_seconds:g} s and was stopped")
                    stage.signal(signal.SIGKILL)
                interrupted = self.interrupts.take()
                if out or err:
                    quiet_since = time.monotonic()
                elif not interrupted and time.monotonic() - quiet_since >= _STDIN_CHECK and stage.waiting_for_input():
                    interrupted = not self._answer_input(stage, allow_stdin, stdout, stderr)
                    quiet_since = time.monotonic()
                if interrupted:
                    # The first interrupt asks the program to stop (SIGINT); a second, or the grace, kills it.
                    if interrupted_at is None:
                        interrupted_at = time.monotonic()
                        stage.signal(signal.SIGINT)
                    else:
                        stage.signal(signal.SIGKILL)
                elif interrupted_at is not None and time.monotonic() - interrupted_at > _INTERRUPT_GRACE:
                    stage.signal(signal.SIGKILL)
            out, err = stage.drain()
            if not silent:
                stdout.write(out)
                stderr.write(err)
            status = stage.process.wait()
        finally:
            stage.close()
            stdout.flush()
            stderr.flush()
        if interrupted_at is not None:
            return error_reply(self, "KeyboardInterrupt", "interrupted")
        if limit_hit is not None:
            return error_reply(self, *limit_hit)
        why = LimitCounters().explain_since(limits_before)
        why = f" ({why})" if why else ""
        if status < 0:
            signum = -status
            try:
                name = signal.Signals(signum).name
            except ValueError:
                name = f"signal {signum}"
            what = _SIGNALS.get(signum, "")
            return error_reply(self, "Signal", f"the program was killed by signal {signum} ({name}{', ' + what if what else ''}){why}")
        if status != 0:
            return error_reply(self, "ExitStatus", f"the program exited with status {status}{why}")
        return ok_reply(self)

    def _answer_input(self, stage, allow_stdin, *writers):
        """Asks for the line the program waits for; False when an interrupt ended the wait instead."""
        for writer in writers:
            writer.flush(final=False)  # the prompt the program wrote comes before the input box
        return answer_input(self, self.interrupts, allow_stdin, stage.give_input, stage.end_input)

    # ---- introspection

    def do_complete(self, code, cursor_pos):
        token = re.split(r"[^\w]", code[:cursor_pos])[-1]
        matches = sorted({k for k in self.language_spec.keywords if k.startswith(token)}) if token else []
        return {"matches": matches, "cursor_start": cursor_pos - len(token), "cursor_end": cursor_pos,
                "metadata": {}, "status": "ok"}

    def do_is_complete(self, code):
        depth = _bracket_depth(code)
        if depth > 0:
            return {"status": "incomplete", "indent": "    "}
        return {"status": "invalid" if depth < 0 else "complete"}

    def do_shutdown(self, restart):
        shutil.rmtree(self.build_root, ignore_errors=True)
        return {"status": "ok", "restart": restart}


def _first_diagnostic(lines):
    """The line a reader wants first: a located error (gcc, javac, go: `cell.c:3:5: error: ...`), else any error line
    (rustc's `error[E0308]: ...` followed by its location), else the first line."""
    located = [line for line in lines if re.match(r"\S+:\d+(?::\d+)?: ", line)]
    errors = [line for line in located if "error" in line] or located
    if errors:
        return errors[0].strip()
    for index, line in enumerate(lines):
        if re.search(r"\berror\b", line):
            where = next((m.group(1) for m in (re.match(r"\s*--> (\S+)", l) for l in lines[index + 1:index + 3]) if m), None)
            return f"{where}: {line.strip()}" if where else line.strip()
    return lines[0].strip()


def _bracket_depth(code):
    """Open minus closed brackets outside strings, characters and comments (C-family syntax)."""
    code = re.sub(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", "", code, flags=re.S)
    if "/*" in code:
        return 1  # an unterminated comment
    return sum(code.count(c) for c in "({[") - sum(code.count(c) for c in ")}]")


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in LANGUAGES:
        raise SystemExit(f"usage: python3 -m nbgw_kernels.compiled {{{','.join(LANGUAGES)}}} -f CONNECTION_FILE")
    kernel_class = type("CompiledKernel_" + sys.argv[1], (CompiledKernel,), {"language_spec": LANGUAGES[sys.argv[1]]})
    launch(kernel_class, sys.argv[2:])


if __name__ == "__main__":
    main()
