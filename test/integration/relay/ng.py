#!/usr/bin/env python3
"""ng.py - a tiny rtpengine "ng" client and RTP helpers for the relay's
integration tests (no third-party modules).

  ng.py ADDR:PORT COMMAND [key=value ...]   send one request, print the reply
  as a module: ng_request(), rtp_packet(), bencode()/bdecode()
"""
import os
import random
import socket
import struct
import sys


def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:" % len(v) + v
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        return b"d" + b"".join(bencode(k) + bencode(x) for k, x in v.items()) + b"e"
    raise TypeError(type(v))


def bdecode(b, i=0):
    c = b[i:i + 1]
    if c == b"i":
        e = b.index(b"e", i)
        return int(b[i + 1:e]), e + 1
    if c in (b"l", b"d"):
        i += 1
        items = []
        while b[i:i + 1] != b"e":
            v, i = bdecode(b, i)
            items.append(v)
        if c == b"l":
            return items, i + 1
        return {items[k].decode(): items[k + 1] for k in range(0, len(items), 2)}, i + 1
    colon = b.index(b":", i)
    n = int(b[i:colon])
    return b[colon + 1:colon + 1 + n], colon + 1 + n


def ng_request(addr, req, cookie=None, timeout=2.0, raw=None):
    host, port = addr.rsplit(":", 1)
    cookie = cookie or "%08x" % random.getrandbits(32)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(raw if raw is not None else cookie.encode() + b" " + bencode(req), (host, int(port)))
    data, _ = s.recvfrom(65536)
    s.close()
    c, _, body = data.partition(b" ")
    if raw is None and c.decode() != cookie:
        raise RuntimeError("cookie mismatch")
    return bdecode(body)[0]


def rtp_packet(seq, ts, ssrc, pt=0, payload=160):
    return struct.pack("!BBHII", 0x80, pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + os.urandom(payload)


def sdp(ip, port, proto="RTP/AVP", crypto=None, extra=""):
    lines = ["v=0", "o=- 1 1 IN IP4 %s" % ip, "s=-", "c=IN IP4 %s" % ip, "t=0 0",
             "m=audio %d %s 0 8 101" % (port, proto),
             "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
             "a=rtpmap:101 telephone-event/8000", "a=sendrecv"]
    if crypto:
        lines.append("a=crypto:" + crypto)
    if extra:
        lines.append(extra)
    return "\r\n".join(lines) + "\r\n"


def sdp_port(text):
    for line in text.splitlines():
        if line.startswith("m="):
            return int(line.split()[1])
    return None


def sdp_crypto(text):
    return [l[len("a=crypto:"):] for l in text.splitlines() if l.startswith("a=crypto:")]


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    req = {"command": sys.argv[2]}
    for kv in sys.argv[3:]:
        k, _, v = kv.partition("=")
        req[k] = v
    print(ng_request(sys.argv[1], req))
