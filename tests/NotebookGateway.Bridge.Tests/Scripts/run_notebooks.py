"""Runs real notebooks (the test notebooks Debian ships with python3-nbclient) through nbclient twice, on a local
kernel and on a bridged one, and compares the outputs as nbclient's own tests do (metadata dropped, memory addresses
and ANSI colours normalised, execution counts compared).

  run_notebooks.py nbclient LOCAL_KERNEL BRIDGED_KERNEL   -> one JSON line per notebook: {"name", "equal", "detail"}
  run_notebooks.py compare EXPECTED.ipynb ACTUAL.ipynb    -> {"equal", "detail"}
"""
import base64
import copy
import json
import os
import re
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError

FILES = "/usr/lib/python3/dist-packages/nbclient/tests/files"
ADDRESS = re.compile(r"0x[0-9a-f]{7,9}")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
IPYTHON_INPUT = re.compile(r"(<ipython-input-\d+-[0-9a-f]+>|Cell In\s*\[\d+\])")

# name -> NotebookClient options; every one is compared with a local run of the same notebook.
CASES = {
    "HelloWorld.ipynb": {},
    "Factorials.ipynb": {},
    "Empty Cell.ipynb": {},
    "Clear Output.ipynb": {},                      # clear_output, with and without wait, display ids
    "update-display-id.ipynb": {},                 # display updates
    "Inline Image.ipynb": {},                      # a PNG (python.png, copied into the sandbox's workspace first)
    "SVG.ipynb": {},
    "Unicode.ipynb": {},
    "UnicodePy3.ipynb": {},
    "Other Comms.ipynb": {},
    "Skip Execution with Cell Tag.ipynb": {},
    "Skip Exceptions with Cell Tags.ipynb": {},    # an error allowed by a cell tag
    "Skip Exceptions.ipynb": {"allow_errors": True},
    "Error.ipynb": {"allow_errors": True},
    "Disable Stdin.ipynb": {"allow_errors": True},  # input() without stdin: StdinNotImplementedError
    "Interrupt.ipynb": {"allow_errors": True, "timeout": 5, "interrupt_on_timeout": True},  # an endless loop interrupted
    "Sleep1s.ipynb": {"structure_only": True},     # prints wall-clock times: only the shape can match
    "Autokill.ipynb": {"expect_death": True},      # the kernel kills itself: the run must fail, not hang
}
# Left out, and why: "Check History in Memory" needs --HistoryManager.hist_file=:memory: on the kernel's command
# line, which is the gateway's to choose; "Parallel Execute A/B" share a local temp directory named in an environment
# variable, which a sandbox cannot see; "JupyterWidgets" and "Output" need ipywidgets, which neither Debian's Python
# here nor the sandbox image has.


def normalize_output(output):
    output = copy.deepcopy(dict(output))
    output.pop("metadata", None)
    if "text" in output:
        output["text"] = ADDRESS.sub("<HEXADDR>", output["text"])
    data = output.get("data", {})
    if "text/plain" in data:
        data["text/plain"] = ADDRESS.sub("<HEXADDR>", data["text/plain"])
    for key, value in data.items():
        if isinstance(value, str) and key.startswith("image/") and key != "image/svg+xml":
            data[key] = base64.b64encode(base64.b64decode(value)).decode("ascii")
    if "traceback" in output:
        output["traceback"] = [IPYTHON_INPUT.sub("<IPY-INPUT>", ANSI.sub("", line)) for line in output["traceback"]]
    return output


def compare(expected, actual, structure_only=False):
    if len(expected.cells) != len(actual.cells):
        return False, "cell count %d != %d" % (len(expected.cells), len(actual.cells))
    for index, (a, b) in enumerate(zip(expected.cells, actual.cells)):
        outputs_a = [normalize_output(o) for o in a.get("outputs", [])]
        outputs_b = [normalize_output(o) for o in b.get("outputs", [])]
        if structure_only:
            outputs_a = [(o["output_type"], o.get("name")) for o in outputs_a]
            outputs_b = [(o["output_type"], o.get("name")) for o in outputs_b]
        if outputs_a != outputs_b:
            return False, "cell %d outputs differ:\n local:   %s\n bridged: %s" % (index, json.dumps(outputs_a)[:2000], json.dumps(outputs_b)[:2000])
        if a.get("execution_count") != b.get("execution_count"):
            return False, "cell %d execution_count %s != %s" % (index, a.get("execution_count"), b.get("execution_count"))
    return True, ""


def run(name, kernel, options):
    with open(os.path.join(FILES, name), encoding="utf-8") as f:
        nb = nbformat.read(f, 4)
    for cell in nb.cells:
        cell.pop("execution_count", None)
        if "outputs" in cell:
            cell["outputs"] = []
    client_options = {k: v for k, v in options.items() if k not in ("structure_only", "expect_death")}
    client = NotebookClient(nb, kernel_name=kernel, resources={"metadata": {"path": FILES}}, startup_timeout=120, **client_options)
    started = time.monotonic()
    try:
        client.execute()
        return nb, None, time.monotonic() - started
    except (DeadKernelError, RuntimeError, CellExecutionError) as e:
        return nb, "%s: %s" % (type(e).__name__, str(e)[:300]), time.monotonic() - started


def copy_into_workspace(kernel, directory, file_name):
    """A sandboxed kernel sees its workspace, not the local directory: put the file the notebook reads there."""
    from jupyter_client.manager import start_new_kernel
    with open(os.path.join(directory, file_name), "rb") as f:
        payload = base64.b64encode(f.read()).decode("ascii")
    km, kc = start_new_kernel(kernel_name=kernel, cwd=directory, startup_timeout=120)
    try:
        reply = kc.execute_interactive("import base64\n_ = open(%r, 'wb').write(base64.b64decode(%r))" % (file_name, payload), timeout=60)
        assert reply["content"]["status"] == "ok", reply
    finally:
        kc.stop_channels()
        km.shutdown_kernel()


def main():
    if sys.argv[1] == "compare":
        with open(sys.argv[2], encoding="utf-8") as f:
            expected = nbformat.read(f, 4)
        with open(sys.argv[3], encoding="utf-8") as f:
            actual = nbformat.read(f, 4)
        equal, detail = compare(expected, actual)
        print(json.dumps({"equal": equal, "detail": detail}), flush=True)
        return
    local, bridged = sys.argv[2], sys.argv[3]
    copy_into_workspace(bridged, FILES, "python.png")
    for name, options in CASES.items():
        expected, expected_failure, local_seconds = run(name, local, options)
        actual, actual_failure, bridged_seconds = run(name, bridged, options)
        if options.get("expect_death"):
            equal = expected_failure is not None and actual_failure is not None
            detail = "local: %s | bridged: %s" % (expected_failure, actual_failure)
        elif expected_failure or actual_failure:
            equal, detail = False, "local: %s | bridged: %s" % (expected_failure, actual_failure)
        else:
            equal, detail = compare(expected, actual, options.get("structure_only", False))
        print(json.dumps({"name": name, "equal": equal, "detail": detail,
                          "local_seconds": round(local_seconds, 2), "bridged_seconds": round(bridged_seconds, 2)}), flush=True)


main()
