"""Starts an ipykernel-based kernel class against the gateway's read-only connection file.

    python3 -m nbgw_kernels.launch MODULE:CLASS -f /kernel/connection.json

The gateway writes the connection file itself (its own HMAC key, every channel's socket suffix or port filled in) and
mounts it read-only at /kernel/connection.json. ipykernel 6.x always writes the file back after binding its sockets,
which fails with EROFS and kills the kernel. Here the write-back is skipped when the file cannot be written *and*
already holds exactly the transport, address and ports the kernel bound; any other failure is raised as before.
"""

import errno
import importlib
import json
import os
import sys

_READ_ONLY_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)
_CHANNELS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


def drop_cwd_from_path():
    """Like Debian's launcher: never import kernel machinery from the workspace (a notebook's own zmq.py must not
    break start-up). IPython puts '' back for user code once its shell is initialised."""
    while sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]


def sandbox_app_class():
    """IPKernelApp that accepts a read-only, already complete connection file."""
    from ipykernel.kernelapp import IPKernelApp

    class SandboxKernelApp(IPKernelApp):
        def write_connection_file(self):
            try:
                super().write_connection_file()
            except OSError as exc:
                if exc.errno not in _READ_ONLY_ERRNOS or not self._connection_file_matches():
                    raise
                self.log.debug("Connection file %s is read-only and current; not rewriting it", self.abs_connection_file)

        def _connection_file_matches(self):
            try:
                with open(self.abs_connection_file, encoding="utf-8") as f:
                    info = json.load(f)
            except (OSError, ValueError):
                return False
            if info.get("transport") != self.transport or info.get("ip") != self.ip:
                return False
            return all(info.get(name) == getattr(self, name) for name in _CHANNELS)

    return SandboxKernelApp


def launch(kernel_class=None, argv=None):
    """Runs the kernel until it shuts down. Without a kernel class, IPython's kernel."""
    drop_cwd_from_path()
    app_class = sandbox_app_class()
    if kernel_class is None:
        app_class.launch_instance(argv=argv)
    else:
        app_class.launch_instance(argv=argv, kernel_class=kernel_class)


def _load(name):
    module_name, _, class_name = name.partition(":")
    if not module_name or not class_name:
        raise SystemExit(f"usage: python3 -m nbgw_kernels.launch MODULE:CLASS -f CONNECTION_FILE (got {name!r})")
    return getattr(importlib.import_module(module_name), class_name)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit("usage: python3 -m nbgw_kernels.launch MODULE:CLASS -f CONNECTION_FILE")
    drop_cwd_from_path()
    launch(_load(sys.argv[1]), sys.argv[2:])
