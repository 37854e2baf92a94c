"""A stateful GNU Octave kernel: one long-lived octave-cli per kernel (see repl.py), so variables persist.

    python3 -m nbgw_kernels.octave -f CONNECTION_FILE

A cell is run by `__nbgw_run__ ("FILE")`, which `source`s the file in the base workspace (results display as at the
prompt, `ans = 42`) inside try/catch; an error ends the cell with an error reply (ename: the error's identifier, or
`error`; evalue: its message). Octave's prompt is the sentinel. Ctrl-C (the interrupt) stops a running statement as in
a terminal. There is no graphics toolkit in the sandbox: plots are not shown (write data to files instead).
"""

import os
import re
import secrets
import subprocess

from .launch import launch
from .repl import PtyRepl, ReplKernel, token_before

_RUNNER = """function __nbgw_run__ (file)
  try
    evalin ("base", sprintf ("source ('%s');", file));
  catch err
    printf ("%c%s%c%s%c", 29, err.identifier, 28, err.message, 29);
  end_try_catch
endfunction
"""

_BLOCK_OPEN = re.compile(r"^\s*(if|for|parfor|while|switch|function|try|do|unwind_protect)\b", re.M)
_BLOCK_CLOSE = re.compile(r"^\s*(end\w*|until)\b|[;,]\s*(end\w*)\s*$", re.M)


def _octave_version():
    try:
        out = subprocess.run(["octave-cli", "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    match = re.search(r"version (\d+(?:\.\d+)+)", out)
    return match.group(1) if match else ""


class OctaveKernel(ReplKernel):
    implementation = "nbgw-octave"
    implementation_version = "1.0"
    language = "octave"
    language_version = _octave_version()
    language_info = {
        "name": "octave",
        "version": language_version,
        "mimetype": "text/x-octave",
        "file_extension": ".m",
        "codemirror_mode": "octave",
        "pygments_lexer": "octave",
    }
    banner = (f"GNU Octave {language_version} (NotebookGateway Octave kernel): one octave-cli per kernel; variables "
              "persist between cells; an error ends the cell with its identifier and message; no plots in the sandbox.")
    # A new name per cell: Octave caches a parsed script by file name and modification time (whole seconds).
    cell_file_name = "cell{n}.m"

    def start_repl(self, cwd):
        nonce = secrets.token_hex(8)
        cell_dir = f"/tmp/.nbgw-repl-{nonce}"
        setup = (f'PS1([char(30) "NBGW{nonce}" char(31)]); PS2(""); more off; page_screen_output(false); '
                 f'addpath("{cell_dir}");')
        repl = PtyRepl(
            ["octave-cli", "--no-gui", "--quiet", "--norc", "--no-history", "--no-line-editing", "--interactive",
             "--persist", "--eval", setup],
            {"OCTAVE_HISTFILE": "/dev/null"},
            re.compile(rb"(?:\x1d(?P<id>[^\x1c\x1d]*)\x1c(?P<message>[^\x1d]*)\x1d)?\x1eNBGW" + nonce.encode() + rb"\x1f"),
            cwd=cwd, nonce=nonce)
        with open(os.path.join(repl.cell_dir, "__nbgw_run__.m"), "w", encoding="utf-8") as f:
            f.write(_RUNNER)
        return repl

    def run_line(self, cell_file):
        return f"__nbgw_run__ ('{cell_file}')"

    def outcome(self, match, stdout_tail):
        if match.group("message") is None:
            return None
        identifier = match.group("id").decode("utf-8", "replace") or "error"
        return identifier, match.group("message").decode("utf-8", "replace")

    def do_complete(self, code, cursor_pos):
        token, start = token_before(code, cursor_pos)
        matches = []
        if re.fullmatch(r"[A-Za-z_]\w*", token or ""):
            out = self.run_quietly(f'printf ("%s\\n", deblank (cellstr (completion_matches ("{token}"))){{:}});')
            matches = sorted({line.strip().strip("\x00") for line in out.splitlines() if line.strip().startswith(token)})
        return {"matches": matches[:500], "cursor_start": start, "cursor_end": cursor_pos, "metadata": {}, "status": "ok"}

    def do_is_complete(self, code):
        text = re.sub(r"%[^\n]*|#[^\n]*|'[^'\n]*'|\"[^\"\n]*\"", "", code)
        depth = len(_BLOCK_OPEN.findall(text)) - len(_BLOCK_CLOSE.findall(text))
        brackets = sum(text.count(c) for c in "([{") - sum(text.count(c) for c in ")]}")
        if depth > 0 or brackets > 0:
            return {"status": "incomplete", "indent": "  "}
        return {"status": "complete"}


if __name__ == "__main__":
    launch(OctaveKernel)
