"""Reads the sandbox's own cgroup counters, to tell a user *why* a program died (out of memory, process limit).

Only for messages in the cell: the gateway measures and enforces every limit itself from the host side and never
trusts what a kernel says. cgroup v2 (memory.events, pids.events at the root of the container's cgroup namespace) and
v1 (memory/memory.oom_control, pids/pids.events) are both read.
"""

_OOM_FILES = ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control")
_PIDS_FILES = ("/sys/fs/cgroup/pids.events", "/sys/fs/cgroup/pids/pids.events")


def _counter(paths, key):
    for path in paths:
        try:
            with open(path, encoding="ascii") as f:
                for line in f:
                    name, _, value = line.partition(" ")
                    if name == key and value.strip().isdigit():
                        return int(value)
        except OSError:
            continue
    return 0


class LimitCounters:
    """A snapshot of the OOM-kill and pids-limit counters; compare a later one to see what happened meanwhile."""

    def __init__(self):
        self.oom_kills = _counter(_OOM_FILES, "oom_kill")
        self.pids_limit_hits = _counter(_PIDS_FILES, "max")

    def explain_since(self, before):
        """A sentence on the limits hit since `before`, or ''."""
        notes = []
        if self.oom_kills > before.oom_kills:
            notes.append("out of memory: the sandbox's memory limit was reached and the kernel's out-of-memory killer "
                         "stopped a process")
        if self.pids_limit_hits > before.pids_limit_hits:
            notes.append("the sandbox's process limit was reached: a fork or a new thread was refused")
        return "; ".join(notes)
