"""Tells when a program the kernel started is waiting for input on its standard input.

A compiled program or a shell command reads stdin with a plain read(2) on descriptor 0; Jupyter has no way to know,
so the kernel looks: /proc/<pid>/task/<tid>/syscall names the system call a blocked thread is in and its arguments.
The kernel is the program's ancestor and runs as the same uid, which is what the kernel's ptrace access check (Yama
scope 1 included) asks for reading that file; no ptrace(2) call is made (the sandbox's seccomp profile denies it).
"""

import fcntl
import os
import struct
import termios

# x86_64 numbers: read, pread64, readv, preadv, preadv2 (the sandbox profile is x86_64 only).
_READ_SYSCALLS = frozenset((0, 17, 19, 295, 327))


def _session_of(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces; fields after the last ')' are plain.
    fields = stat[stat.rfind(b")") + 2:].split()
    try:
        return int(fields[3])  # state, ppid, pgrp, session
    except (IndexError, ValueError):
        return None


def _reads_stdin(pid):
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/syscall", "rb") as f:
                fields = f.read().split()
        except OSError:
            continue
        if len(fields) >= 2 and fields[0].isdigit() and int(fields[0]) in _READ_SYSCALLS and fields[1] == b"0x0":
            return True
    return False


def session_reads_stdin(session_id, exclude=()):
    """True when a process of the session (a program started with start_new_session) is blocked reading fd 0."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        if pid in exclude:
            continue
        if _session_of(pid) == session_id and _reads_stdin(pid):
            return True
    return False


def unread_bytes(fd):
    """Bytes written into a pipe or terminal that its reader has not taken yet (FIONREAD on a reading end)."""
    try:
        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except OSError:
        return 0


def answer_input(kernel, interrupts, allow_stdin, give, end):
    """Asks the frontend for the line a program waits for on stdin and passes it to `give`; when there is no frontend
    to ask (allow_stdin false, or it went away) the program gets end of input through `end`. False when an interrupt
    ended the wait instead (the only thing that ends ipykernel's wait for the answer, so SIGINT raises during it)."""
    if not allow_stdin:
        end()
        return True
    try:
        with interrupts.raising():
            value = kernel.raw_input("")
    except KeyboardInterrupt:
        return False
    except Exception:  # no frontend to ask: end of input
        end()
        return True
    give(value)
    return True
