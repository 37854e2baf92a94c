"""IPython kernel entry point for NotebookGateway sandboxes.

Installed into /usr/local/lib/python3.X/dist-packages, which comes before
Debian's /usr/lib/python3/dist-packages on sys.path, so the standard kernelspec
argv `python3 -m ipykernel_launcher -f {connection_file}` runs this module.

Why: the gateway writes the connection file itself (transport "ipc", every
channel's socket suffix filled in, its own HMAC key) and mounts it read-only at
/kernel/connection.json. ipykernel (6.x) always writes the connection file back
after binding its sockets, which fails with EROFS and kills the kernel. Here the
write-back is skipped when the file cannot be written *and* already holds
exactly the transport, address and ports the kernel bound; any other failure
is raised as before.
"""

import errno
import json
import os
import sys

_READ_ONLY_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)
_CHANNELS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


def _drop_cwd_from_path():
    # Like Debian's launcher: do not import kernel machinery from the workspace
    # (a notebook's own zmq.py must not break start-up). IPython puts '' back
    # for user code once the shell is initialised.
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]


def main():
    _drop_cwd_from_path()
    from ipykernel.kernelapp import IPKernelApp

    class SandboxKernelApp(IPKernelApp):
        """IPKernelApp that accepts a read-only, already complete connection file."""

        def write_connection_file(self):
            try:
                super().write_connection_file()
            except OSError as exc:
                if exc.errno not in _READ_ONLY_ERRNOS or not self._connection_file_matches():
                    raise
                self.log.debug("Connection file %s is read-only and current; not rewriting it",
                               self.abs_connection_file)

        def _connection_file_matches(self):
            try:
                with open(self.abs_connection_file, encoding="utf-8") as f:
                    info = json.load(f)
            except (OSError, ValueError):
                return False
            if info.get("transport") != self.transport or info.get("ip") != self.ip:
                return False
            return all(info.get(name) == getattr(self, name) for name in _CHANNELS)

    SandboxKernelApp.launch_instance()


if __name__ == "__main__":
    main()
