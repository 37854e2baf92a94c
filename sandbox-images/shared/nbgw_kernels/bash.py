"""A stateful Bash kernel: one long-lived interactive bash per kernel, so `cd`, variables, functions and aliases persist.

    python3 -m nbgw_kernels.bash -f CONNECTION_FILE

A cell is `source`d from a file (see repl.py); bash's PROMPT_COMMAND prints the sentinel with `$?`, so a cell whose
last command fails ends with an error `exit status N`.
"""

import re
import secrets
import shlex
import subprocess

from .launch import launch
from .repl import PtyRepl, ReplKernel, token_before


def _bash_version():
    try:
        return subprocess.run(["bash", "-c", "echo ${BASH_VERSINFO[0]}.${BASH_VERSINFO[1]}.${BASH_VERSINFO[2]}"],
                              capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


class BashKernel(ReplKernel):
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

    def start_repl(self, cwd):
        nonce = secrets.token_hex(8)
        return PtyRepl(
            ["bash", "--noprofile", "--norc", "--noediting", "-i"],
            {"PS1": "", "PS2": "", "PS0": "", "HISTFILE": "",
             "PROMPT_COMMAND": f"printf '\\036NBGW{nonce}:%d\\037' $?"},
            re.compile(rb"\x1eNBGW" + nonce.encode() + rb":(?P<status>\d+)\x1f"), cwd=cwd, nonce=nonce)

    def run_line(self, cell_file):
        return f"source {shlex.quote(cell_file)}"

    def outcome(self, match, stdout_tail):
        status = int(match.group("status"))
        return None if status == 0 else ("ExitStatus", f"exit status {status}")

    def do_complete(self, code, cursor_pos):
        token, start = token_before(code, cursor_pos, r"[\s;|&<>()`'\"]")
        if token.startswith("$"):
            words = self.run_quietly(f"compgen -v -- {shlex.quote(token[1:])}").split()
            matches = ["$" + w for w in words]
        else:
            words = self.run_quietly(
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
        if "unexpected end of file" in result.stderr or "unexpected EOF" in result.stderr:
            return {"status": "incomplete", "indent": ""}
        return {"status": "invalid"}


if __name__ == "__main__":
    launch(BashKernel)
