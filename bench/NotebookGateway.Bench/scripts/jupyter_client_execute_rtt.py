"""Execute round trip of the cell `1` through jupyter_client's blocking client: from sending the request
until both execute_reply and the idle status for it have arrived. Prints the samples (ms) as JSON."""
import json
import sys
import time

from jupyter_client import BlockingKernelClient

connection_file, runs, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
client = BlockingKernelClient()
client.load_connection_file(connection_file)
client.start_channels()
client.wait_for_ready(timeout=60)

samples = []
for i in range(warmup + runs):
    start = time.perf_counter()
    msg_id = client.execute("1")
    replied = idle = False
    while not (replied and idle):
        if not replied:
            reply = client.get_shell_msg(timeout=30)
            replied = reply["parent_header"].get("msg_id") == msg_id
        if not idle:
            msg = client.get_iopub_msg(timeout=30)
            idle = (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                    and msg["content"]["execution_state"] == "idle")
    if i >= warmup:
        samples.append((time.perf_counter() - start) * 1000.0)
client.stop_channels()
print(json.dumps(samples))
