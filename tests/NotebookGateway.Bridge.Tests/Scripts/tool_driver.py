"""A Jupyter tool under the test's control: jupyter_client's KernelManager and blocking client, as Notebook, nbclient
and jupyter console use them, driven by one JSON command per stdin line and answering one JSON object per stdout line.

Commands (each answers {"ok": true, ...} or {"ok": false, "error": "..."}):
  {"op": "start", "kernel": NAME, "cwd": DIR?, "env": {...}?}  -> {"pid": bridge process id}
  {"op": "execute", "code": CODE, "input": VALUE?, "timeout": S?, "stop_on": TEXT?}
      -> {"status", "stdout", "stderr", "result", "ename", "evalue", "iopub": [msg types], "reply_ms"}
      with "input", an input_request is answered with VALUE; with "stop_on", the command answers as soon as stdout
      contains TEXT (the cell keeps running) and the rest of the cell is read by "finish".
  {"op": "finish", "timeout": S?} -> as execute, for the cell left running by "stop_on"
  ("start" takes "ignore_sigint": true to start the kernel with SIGINT ignored, as a background tool would)
  {"op": "interrupt_signal"}  -> SIGINT to the kernel's process group (interrupt_mode signal)
  {"op": "interrupt_message"} -> interrupt_request on control; answers the interrupt_reply's status
  {"op": "kernel_info"} -> {"status", "implementation", "banner", "language"}
  {"op": "heartbeat", "seconds": S} -> {"beating": bool} after S seconds of the hb channel
  {"op": "shutdown"}, {"op": "restart"}, {"op": "restart_now"}, {"op": "kill"}, {"op": "alive"}
"""
import json
import os
import signal
import sys
import time
import traceback

from jupyter_client.manager import KernelManager

km = None
kc = None
pending = None  # (msg_id, state) of a cell left running by stop_on


def answer(**fields):
    print(json.dumps({"ok": True, **fields}), flush=True)


def new_state():
    return {"stdout": "", "stderr": "", "result": None, "ename": None, "evalue": None, "iopub": [], "status": None,
            "replied": False, "idle": False, "dead": False}


def pump(msg_id, state, timeout, input_value=None, stop_on=None):
    deadline = time.monotonic() + timeout
    while not (state["replied"] and (state["idle"] or state["dead"])):
        if stop_on is not None and stop_on in state["stdout"]:
            return state
        if time.monotonic() > deadline:
            raise TimeoutError("no execute_reply and idle within %s s; so far: %s" % (timeout, json.dumps(state)))
        if input_value is not None:
            try:
                request = kc.get_stdin_msg(timeout=0.01)
                if request["msg_type"] == "input_request":
                    state["prompt"] = request["content"]["prompt"]
                    kc.input(input_value)
            except Exception:
                pass
        if not state["replied"]:
            try:
                reply = kc.get_shell_msg(timeout=0.05)
                if reply["parent_header"].get("msg_id") == msg_id:
                    state["replied"] = True
                    state["status"] = reply["content"]["status"]
                    state["reply_ename"] = reply["content"].get("ename")
            except Exception:
                pass
        try:
            msg = kc.get_iopub_msg(timeout=0.05)
        except Exception:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "dead":
            state["dead"] = True  # the gateway's word that the kernel died: no idle will follow
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        content = msg["content"]
        state["iopub"].append(kind)
        if kind == "stream":
            state[content["name"]] += content["text"]
        elif kind == "execute_result":
            state["result"] = content["data"].get("text/plain")
        elif kind == "error":
            state["ename"], state["evalue"] = content["ename"], content["evalue"]
        elif kind == "status" and content["execution_state"] == "idle":
            state["idle"] = True
    return state


def run(command):
    global km, kc, pending
    op = command["op"]
    if op == "start":
        km = KernelManager(kernel_name=command["kernel"])
        env = dict(os.environ)
        env.update(command.get("env") or {})
        # "ignore_sigint": start the kernel as a tool run in the background by a non-interactive shell would (SIGINT
        # inherited as ignored), which must not stop interrupt_mode signal from working.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if command.get("ignore_sigint") else None
        try:
            km.start_kernel(cwd=command.get("cwd") or os.getcwd(), env=env)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=command.get("timeout", 120))
        answer(pid=km.provisioner.process.pid)
    elif op == "execute":
        started = time.monotonic()
        msg_id = kc.execute(command["code"], allow_stdin="input" in command)
        state = pump(msg_id, new_state(), command.get("timeout", 60), command.get("input"), command.get("stop_on"))
        if not (state["replied"] and (state["idle"] or state["dead"])):
            pending = (msg_id, state)
        state["reply_ms"] = (time.monotonic() - started) * 1000.0
        answer(**state)
    elif op == "finish":
        msg_id, state = pending
        pending = None
        answer(**pump(msg_id, state, command.get("timeout", 60)))
    elif op == "interrupt_signal":
        km.interrupt_kernel()  # the kernelspec says interrupt_mode signal: SIGINT to the process group
        answer()
    elif op == "interrupt_message":
        msg = kc.session.msg("interrupt_request", content={})
        kc.control_channel.send(msg)
        deadline = time.monotonic() + command.get("timeout", 30)
        while True:
            reply = kc.get_control_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                answer(status=reply["content"]["status"], evalue=reply["content"].get("evalue"))
                return
    elif op == "kernel_info":
        reply = kc.kernel_info(reply=True, timeout=command.get("timeout", 30))
        content = reply["content"]
        answer(status=content["status"], implementation=content.get("implementation"), banner=content.get("banner"),
               language=content.get("language_info", {}).get("name"))
    elif op == "heartbeat":
        kc.hb_channel.unpause()
        time.sleep(command["seconds"])  # the hb channel's own 1 s pings run meanwhile
        answer(beating=kc.hb_channel.is_beating())
    elif op == "shutdown":
        km.shutdown_kernel(now=False)
        answer()
    elif op == "restart":
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=command.get("timeout", 120))
        answer(pid=km.provisioner.process.pid)
    elif op == "restart_now":
        km.restart_kernel(now=True)
        kc.wait_for_ready(timeout=command.get("timeout", 120))
        answer(pid=km.provisioner.process.pid)
    elif op == "kill":
        pid = km.provisioner.process.pid
        os.kill(pid, signal.SIGKILL)
        km.provisioner.process.wait()
        answer(pid=pid)
    elif op == "start_many":
        # Launch every kernel first (each start only spawns its bridge), then wait for all: they start side by side.
        managers = []
        for i in range(command["count"]):
            manager = KernelManager(kernel_name=command["kernel"])
            manager.start_kernel(cwd=os.getcwd())
            managers.append(manager)
        clients = []
        for manager in managers:
            client = manager.client()
            client.start_channels()
            client.wait_for_ready(timeout=command.get("timeout", 300))
            clients.append(client)
        ids = [client.execute("print(%d * %d)" % (i, i)) for i, client in enumerate(clients)]
        outputs = []
        for client, msg_id in zip(clients, ids):
            text = ""
            while True:
                msg = client.get_iopub_msg(timeout=120)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "stream":
                    text += msg["content"]["text"]
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
            outputs.append(text)
        for client in clients:
            client.stop_channels()
        for manager in managers:
            manager.shutdown_kernel(now=False)
        answer(outputs=outputs)
    elif op == "alive":
        answer(alive=km.is_alive())
    else:
        raise ValueError("unknown op " + op)


for line in sys.stdin:
    if not line.strip():
        continue
    try:
        run(json.loads(line))
    except Exception as e:
        print(json.dumps({"ok": False, "error": "%s: %s" % (type(e).__name__, e), "trace": traceback.format_exc()}), flush=True)
