"""Recorded traffic as the demo page shows it: each message raw, and pretty-printed.

The record comes from the counting proxy (clients/wire/proxy.py) read back as HTTP messages and
WebSocket frames (clients/wire/conversation.py). Nothing here re-measures: sizes are the record's.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from lxml import etree
from websockets.frames import Opcode

from clients.wire.conversation import Message, Traffic
from clients.wire.frames import WsFrame
from clients.wire.http_messages import HttpMessage

# Our own gateway's answers, but parsed as if they were anyone's: no entities, no network.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)
_OPCODES = {
    Opcode.CONT: "continuation",
    Opcode.TEXT: "text",
    Opcode.BINARY: "binary",
    Opcode.CLOSE: "close",
    Opcode.PING: "ping",
    Opcode.PONG: "pong",
}


def summary(traffic: Traffic) -> dict[str, int]:
    return {
        "sent": traffic.sent,
        "received": traffic.received,
        "connections": traffic.connections,
        "round_trips": traffic.round_trips,
        "framing": traffic.framing_sent + traffic.framing_received,
    }


def shown(traffic: Traffic, phase: str) -> list[dict[str, Any]]:
    """Every message of the traffic in the order it crossed, labelled with its phase."""
    return [message_view(message, phase) for message in traffic.messages]


def message_view(message: Message, phase: str) -> dict[str, Any]:
    view: dict[str, Any] = {
        "phase": phase,
        "direction": "sent" if message.sent else "received",
        "size": message.size,
        "framing": message.framing,
    }
    if message.http is not None:
        view.update(http_view(message.http))
    elif message.frame is not None:
        view.update(frame_view(message.frame, masked=message.sent))
    return view


def http_view(message: HttpMessage) -> dict[str, Any]:
    content = _content(message)
    return {
        "kind": "http",
        "title": message.start_line,
        "headers": [[name, value] for name, value in _original_headers(message)],
        "body": pretty(content, message.header("content-type") or ""),
        "raw": message.raw.decode("utf-8", "replace"),
    }


def frame_view(frame: WsFrame, *, masked: bool) -> dict[str, Any]:
    opcode = _OPCODES.get(frame.opcode, str(frame.opcode))
    flags = ["FIN" if frame.fin else "not FIN", opcode]
    if masked:
        flags.append("masked, as every frame from a client is")
    if frame.compressed:
        flags.append("compressed (permessage-deflate)")
    if frame.opcode == Opcode.CLOSE and len(frame.data) >= 2:
        reason = frame.data[2:].decode("utf-8", "replace")
        text = f"close code {int.from_bytes(frame.data[:2], 'big')} {reason}"
    else:
        text = frame.data.decode("utf-8", "replace")
    header = " ".join(f"{byte:02x}" for byte in frame.header)
    undone = [word for word, done in (("unmasked", masked), ("decompressed", frame.compressed))
              if done]  # fmt: skip
    payload = " and ".join(undone) or "as sent"
    return {
        "kind": "frame",
        "title": f"{opcode} frame, {frame.size} bytes",
        "headers": [["frame header", f"{header} ({len(frame.header)} bytes: {', '.join(flags)})"]],
        "body": pretty(frame.data, "application/json") if frame.opcode == Opcode.TEXT else text,
        "raw": f"[{header}] {text}" + (f"  ({payload})" if frame.data else ""),
    }


def pretty(content: bytes, media_type: str) -> str:
    """JSON indented, XML indented, anything else as text; what cannot be parsed stays as is."""
    text = content.decode("utf-8", "replace")
    if not content.strip():
        return ""
    if "json" in media_type:
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            return text
    if "xml" in media_type:
        try:
            root = etree.fromstring(content, _XML_PARSER)
        except etree.XMLSyntaxError:
            return text
        return etree.tostring(root, pretty_print=True, encoding="unicode")
    return text


def _original_headers(message: HttpMessage) -> list[tuple[str, str]]:
    """Header lines as they were written (HttpMessage.headers lower-cases the names)."""
    lines = message.raw[: message.head_size].decode("latin-1").split("\r\n")[1:]
    pairs = (line.partition(":") for line in lines if line)
    return [(name.strip(), value.strip()) for name, _, value in pairs]


def _content(message: HttpMessage) -> bytes:
    body = message.content
    encoding = (message.header("content-encoding") or "").lower()
    if encoding in {"gzip", "deflate"}:
        try:
            return zlib.decompress(body, zlib.MAX_WBITS | 32)  # 32: gzip or zlib header
        except zlib.error:
            return body
    return body
