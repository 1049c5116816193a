#!/usr/bin/env python3
"""Writes the seed corpora: tests/fuzz/corpus/http1/ and tests/fuzz/corpus/h2/ (see README.md).

Each seed starts with the option bytes its fuzz target reads (see the targets' comments).
HTTP/2 seeds are server byte streams built frame by frame with HPACK from the static table
and literals (no Huffman), answering the harness's requests: 1 GET, 3 POST, 5 HEAD.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = (
    0, 1, 3, 4, 6, 7, 8, 9)
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4


def frame(type_, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([type_, flags]) + \
        struct.pack(">I", stream) + payload


def settings(*pairs):
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


def literal(name, value):  # literal header field without indexing, new name
    assert len(name) < 127 and len(value) < 127
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def status(code):  # indexed from the static table where it can be, else a literal
    table = {200: 8, 204: 9, 206: 10, 304: 11, 400: 12, 404: 13, 500: 14}
    if code in table:
        return bytes([0x80 | table[code]])
    v = str(code).encode()
    return b"\x08" + bytes([len(v)]) + v  # literal without indexing, name :status (index 8)


def headers(stream, block, end_stream=False, end_headers=True):
    flags = (END_STREAM if end_stream else 0) | (END_HEADERS if end_headers else 0)
    return frame(HEADERS, flags, stream, block)


def data(stream, payload, end_stream=True):
    return frame(DATA, END_STREAM if end_stream else 0, stream, payload)


PREFACE = settings((3, 100), (4, 65535)) + frame(SETTINGS, ACK, 0)

h2_seeds = {
    # Three plain responses.
    "responses": PREFACE
    + headers(1, status(200) + literal(b"content-type", b"text/plain")) + data(1, b"hello")
    + headers(3, status(201), end_stream=True)
    + headers(5, status(200) + literal(b"content-length", b"42"), end_stream=True),
    # A 103 then the final response with trailers; the POST's windows opened.
    "interim_trailers": PREFACE
    + headers(1, status(103) + literal(b"link", b"</a.css>; rel=preload"))
    + headers(1, status(200)) + data(1, b"body", end_stream=False)
    + headers(1, literal(b"grpc-status", b"0"), end_stream=True)
    + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 20))
    + frame(WINDOW_UPDATE, 0, 3, struct.pack(">I", 1 << 20)),
    # Resets and a GOAWAY that leaves stream 5 unprocessed.
    "reset_goaway": PREFACE
    + frame(RST_STREAM, 0, 3, struct.pack(">I", 7))
    + frame(GOAWAY, 0, 0, struct.pack(">II", 1, 0) + b"bye")
    + headers(1, status(404)) + data(1, b"not found"),
    # A header block split over CONTINUATION, a PING, a zero-size stream window.
    "continuation_ping": settings((4, 0)) + frame(SETTINGS, ACK, 0)
    + frame(PING, 0, 0, b"12345678")
    + headers(1, status(200), end_headers=False)
    + frame(CONTINUATION, END_HEADERS, 1, literal(b"x-a", b"b")) + data(1, b""),
    # Not HTTP/2 at all.
    "http1_answer": b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
}

# h2 option byte: piece size index in bits 0-2, other bits per h2_read_fuzz.cpp.
h2_options = {"responses": 0x07, "interim_trailers": 0x23, "reset_goaway": 0x06,
              "continuation_ping": 0x41, "http1_answer": 0x17}

http1_seeds = {
    "content_length": (0, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
    "chunked_trailers": (0, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"),
    "close_delimited": (2, b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil close"),
    "continue_pipelined": (0, b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
                              b"HTTP/1.1 304 Not Modified\r\nETag: \"a\"\r\n\r\n"
                              b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx"),
    "head": (1, b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
    "small_cap": (4, b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 80 + b"\r\n\r\n"),
}


def write(dir_, name, content):
    os.makedirs(dir_, exist_ok=True)
    with open(os.path.join(dir_, name), "wb") as f:
        f.write(content)


for name, stream in h2_seeds.items():
    write(os.path.join(HERE, "corpus", "h2"), name, bytes([h2_options[name]]) + stream)
for name, (opts, text) in http1_seeds.items():
    split = len(text) // 2
    write(os.path.join(HERE, "corpus", "http1"), name,
          bytes([opts, split & 0xFF, split >> 8]) + text)
