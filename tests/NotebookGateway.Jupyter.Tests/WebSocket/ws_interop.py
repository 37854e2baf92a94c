"""Interop check of NotebookGateway's websocket codec against jupyter_server's own helpers.

Usage: ws_interop.py INPUT.json OUTPUT.json

INPUT holds frames our codec encoded, with the raw parts they carry. This script decodes each one with
jupyter_server (legacy JSON text, legacy binary, v1) and compares. It then encodes messages with jupyter_server
and jupyter_client (as the server and JupyterLab-like clients do) and writes them to OUTPUT with the exact raw
bytes of each part, for the C# side to decode. Every byte string travels as base64.

Written for Debian's jupyter_server 1.23, where the helpers live in jupyter_server.base.zmqhandlers
(jupyter_server 2.x moved them to jupyter_server.services.kernels.connection.base).
"""

import base64
import json
import sys

try:
    from jupyter_server.base.zmqhandlers import (
        deserialize_binary_message,
        deserialize_msg_from_ws_v1,
        serialize_binary_message,
        serialize_msg_to_ws_v1,
    )
except ImportError:  # jupyter_server >= 2
    from jupyter_server.services.kernels.connection.base import (
        deserialize_binary_message,
        deserialize_msg_from_ws_v1,
        serialize_binary_message,
        serialize_msg_to_ws_v1,
    )
from jupyter_client.jsonutil import extract_dates
from jupyter_client.session import Session

try:
    from jupyter_client.jsonutil import json_default
except ImportError:
    from jupyter_client.jsonutil import date_default as json_default


def b64(data):
    return base64.b64encode(bytes(data)).decode("ascii")


def unb64(text):
    return base64.b64decode(text)


def check_case(case, failures):
    name = case["name"]
    frame = unb64(case["frame"])
    raw = {part: unb64(case[part]) for part in ("header", "parent_header", "metadata", "content")}
    buffers = [unb64(b) for b in case["buffers"]]
    channel = case["channel"]

    def expect(condition, what):
        if not condition:
            failures.append(f"{name}: {what}")

    if case["kind"] == "v1":
        got_channel, parts = deserialize_msg_from_ws_v1(frame)
        expect(got_channel == channel, f"channel {got_channel!r} != {channel!r}")
        expect(len(parts) == 4 + len(buffers), f"{len(parts)} parts for {len(buffers)} buffers")
        for i, part in enumerate(("header", "parent_header", "metadata", "content")):
            expect(bytes(parts[i]) == raw[part], f"{part} bytes differ: {bytes(parts[i])!r}")
        expect([bytes(p) for p in parts[4:]] == buffers, "buffers differ")
        # The server's serializer, fed the same parts, must produce our frame byte for byte.
        again = serialize_msg_to_ws_v1(parts, got_channel)
        expect(again == frame, "serialize_msg_to_ws_v1 of the same parts gives different bytes")
        return

    if case["kind"] == "legacy":
        expect(not case["is_text"], "legacy frame marked as text")
        msg = deserialize_binary_message(frame)
        expect([bytes(b) for b in msg["buffers"]] == buffers, "buffers differ")
        expect("buffers" not in json.loads(frame[4 * (len(buffers) + 2):len(frame) - sum(map(len, buffers))]),
               "JSON part of a binary frame lists buffers")
    else:
        expect(case["is_text"], "JSON frame not marked as text")
        msg = json.loads(frame.decode("utf-8"))  # what the server does with a text frame
        expect(list(msg.keys()) == ["header", "msg_id", "msg_type", "parent_header", "metadata", "content", "buffers", "channel"],
               f"keys {list(msg.keys())}")
        expect(msg["buffers"] == [], "buffers is not []")
        msg["header"] = extract_dates(msg["header"])
        msg["parent_header"] = extract_dates(msg["parent_header"])

    expect(msg.get("channel") == channel, f"channel {msg.get('channel')!r} != {channel!r}")
    header = extract_dates(json.loads(raw["header"]))
    expect(msg["header"] == header, f"header {msg['header']!r} != {header!r}")
    expect(msg["msg_id"] == header["msg_id"], "top-level msg_id differs from the header's")
    expect(msg["msg_type"] == header["msg_type"], "top-level msg_type differs from the header's")
    expect(msg["parent_header"] == extract_dates(json.loads(raw["parent_header"])), "parent_header differs")
    expect(msg["metadata"] == json.loads(raw["metadata"]), "metadata differs")
    expect(msg["content"] == json.loads(raw["content"]), "content differs")


def dumps(obj):
    return json.dumps(obj, default=json_default).encode("utf-8")


def python_frames():
    session = Session(key=b"", username="py-user")
    pack = session.pack
    parent = session.msg("execute_request", content={"code": "x = 1"})
    content = {
        "code": "print('h\u00e9llo \u2603 \U0001F600')\n",
        "esc": "quote \" backslash \\ slash / controls \b\f\t\x01",
        "numbers": [1, 2.5, -0.0, 1e300, None, True],
    }
    msg = session.msg("comm_msg", content=content, parent=parent["header"], metadata={"m\u00e4": "\u00fc"})
    parts = {part: msg[part] for part in ("header", "parent_header", "metadata", "content")}
    frames = []

    def add(name, kind, frame, channel, raw, buffers=()):
        frames.append({
            "name": name,
            "kind": kind,
            "is_text": isinstance(frame, str),
            "frame": b64(frame.encode("utf-8") if isinstance(frame, str) else frame),
            "channel": channel,
            **{part: b64(raw[part]) for part in raw},
            "buffers": [b64(b) for b in buffers],
        })

    json_raw = {part: dumps(value) for part, value in parts.items()}

    # A JupyterLab-style client frame: the message plus channel, buffers [].
    client = dict(parts, buffers=[], channel="shell")
    add("python-client-text", "text", json.dumps(client, default=json_default), "shell", json_raw)

    # What jupyter_server sends (_reserialize_reply): the session message with msg_id/msg_type and channel.
    server = dict(msg, buffers=[], channel="iopub")
    add("python-server-text", "text", json.dumps(server, default=json_default), "iopub", json_raw)

    # A text frame without channel: the server assumes shell.
    add("python-text-no-channel", "text", json.dumps(parts, default=json_default), "shell", json_raw)

    # Legacy binary frame with buffers (serialize_binary_message), including an empty buffer.
    buffers = [b"\x00\x01\x02", b"", bytes(range(256))]
    binary = dict(msg, buffers=buffers, channel="iopub")
    add("python-legacy-binary", "legacy", serialize_binary_message(binary), "iopub", json_raw, buffers)

    # v1 frames, packed by the session as the server and kernels do.
    v1_raw = {part: pack(value) for part, value in parts.items()}
    add("python-v1", "v1", serialize_msg_to_ws_v1(msg, "control", pack), "control", v1_raw)
    msg_list = [v1_raw["header"], v1_raw["parent_header"], v1_raw["metadata"], v1_raw["content"]] + buffers
    add("python-v1-buffers", "v1", serialize_msg_to_ws_v1(msg_list, "stdin"), "stdin", v1_raw, buffers)
    return frames


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    failures = []
    for case in cases:
        try:
            check_case(case, failures)
        except Exception as e:  # report, do not stop: the C# side prints all failures
            failures.append(f"{case['name']}: {type(e).__name__}: {e}")
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump({"checked": len(cases), "failures": failures, "frames": python_frames()}, f)


if __name__ == "__main__":
    main()
