"""Kernel start and execute round trip through jupyter_client (the blocking client Notebook, nbclient and jupyter
console sit on), for a local kernelspec and a bridged one, interleaved so both see the same machine load.

bridge_bench.py LOCAL_SPEC BRIDGED_SPEC RUNS WARMUP STARTS -> JSON {spec: {"start_ms": [...], "rtt_ms": [...]}}
start: KernelManager.start_kernel until wait_for_ready (a kernel_info reply); rtt: execute `1` until both its
execute_reply and its idle status have arrived (the same loop as jupyter_client_execute_rtt.py).
"""
import json
import sys
import time

from jupyter_client.manager import KernelManager

local, bridged, runs, warmup, starts = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
specs = (local, bridged)


def start(name):
    began = time.perf_counter()
    km = KernelManager(kernel_name=name)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    return km, kc, (time.perf_counter() - began) * 1000.0


def round_trip(kc):
    began = time.perf_counter()
    msg_id = kc.execute("1")
    replied = idle = False
    while not (replied and idle):
        if not replied:
            reply = kc.get_shell_msg(timeout=30)
            replied = reply["parent_header"].get("msg_id") == msg_id
        if not idle:
            msg = kc.get_iopub_msg(timeout=30)
            idle = (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                    and msg["content"]["execution_state"] == "idle")
    return (time.perf_counter() - began) * 1000.0


results = {name: {"start_ms": [], "rtt_ms": []} for name in specs}
for _ in range(starts):
    for name in specs:
        km, kc, ms = start(name)
        results[name]["start_ms"].append(ms)
        kc.stop_channels()
        km.shutdown_kernel(now=False)

running = {name: start(name) for name in specs}
for i in range(warmup + runs):
    for name in specs:
        ms = round_trip(running[name][1])
        if i >= warmup:
            results[name]["rtt_ms"].append(ms)
for km, kc, _ in running.values():
    kc.stop_channels()
    km.shutdown_kernel(now=False)
print(json.dumps(results))
