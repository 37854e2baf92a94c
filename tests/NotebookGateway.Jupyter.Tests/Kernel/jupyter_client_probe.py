"""Drives a kernel with Debian's jupyter_client and prints what it saw as JSON (used by KernelServerTests)."""
import json
import sys

from jupyter_client import BlockingKernelClient

client = BlockingKernelClient()
client.load_connection_file(sys.argv[1])
client.start_channels()
client.wait_for_ready(timeout=30)
out = {}

client.kernel_info()
out["kernel_info"] = client.get_shell_msg(timeout=10)["content"]

outputs = []
reply = client.execute_interactive("hello", timeout=10, output_hook=lambda m: outputs.append([m["msg_type"], m["content"]]))
out["execute"] = {"reply": reply["content"], "outputs": outputs}

errors = []
reply = client.execute_interactive("fail", timeout=10, output_hook=lambda m: errors.append([m["msg_type"], m["content"]]))
out["error"] = {"reply": reply["content"], "outputs": errors}

typed = []
reply = client.execute_interactive(
    "ask", timeout=10, allow_stdin=True,
    stdin_hook=lambda m: (typed.append(m["content"]["prompt"]), client.input("bob")),
    output_hook=lambda m: typed.append(m["content"].get("text")) if m["msg_type"] == "stream" else None)
out["input"] = {"reply": reply["content"], "seen": typed}

client.is_complete("x \\")
out["incomplete"] = client.get_shell_msg(timeout=10)["content"]
client.is_complete("x")
out["complete"] = client.get_shell_msg(timeout=10)["content"]

client.shutdown()
out["shutdown"] = client.get_control_msg(timeout=10)["content"]
client.stop_channels()
print(json.dumps(out))
