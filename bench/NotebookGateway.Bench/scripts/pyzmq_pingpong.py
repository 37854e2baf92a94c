"""ROUTER/DEALER ping-pong over ipc with 1 KiB messages through pyzmq, in one thread.
Prints round trips per second."""
import os
import sys
import tempfile
import time

import zmq

count, size = int(sys.argv[1]), int(sys.argv[2])
context = zmq.Context()
path = os.path.join(tempfile.mkdtemp(), "pp")
router = context.socket(zmq.ROUTER)
router.bind("ipc://" + path)
dealer = context.socket(zmq.DEALER)
dealer.connect("ipc://" + path)
payload = b"x" * size
for _ in range(1000):  # warm-up
    dealer.send(payload)
    router.send_multipart(router.recv_multipart())
    dealer.recv()
start = time.perf_counter()
for _ in range(count):
    dealer.send(payload)
    router.send_multipart(router.recv_multipart())
    dealer.recv()
elapsed = time.perf_counter() - start
print(count / elapsed)
router.close(0)
dealer.close(0)
context.term()
