#!/usr/bin/env python3
"""hep_receiver.py ADDR PORT OUT SECONDS - a HEP3 capture server for the
tests: decodes every datagram on ADDR:PORT (HEP version 3, RFC-less but
the spec at github.com/sipcapture/HEP), checks its framing (the "HEP3"
id, the total length, each chunk's length within the packet) and writes
one JSON object per packet to OUT:
  {"ok": true, "family": 2, "proto": 17, "src": "127.0.0.1", "dst": ...,
   "sport": 5060, "dport": 5080, "sec": ..., "usec": ..., "type": 1,
   "capture_id": 4242, "auth": "...", "correlation": "...", "payload": "..."}
or {"ok": false, "why": "..."} for a malformed one. Stops after SECONDS.
"""
import json
import socket
import struct
import sys
import time
import ipaddress


def decode(d):
    if len(d) < 6 or d[:4] != b"HEP3":
        return {"ok": False, "why": "no HEP3 id"}
    total = struct.unpack("!H", d[4:6])[0]
    if total != len(d):
        return {"ok": False, "why": f"length {total} != datagram {len(d)}"}
    out = {"ok": True, "chunks": []}
    off = 6
    while off < total:
        if total - off < 6:
            return {"ok": False, "why": "truncated chunk header"}
        vendor, ctype, clen = struct.unpack("!HHH", d[off:off + 6])
        if clen < 6 or off + clen > total:
            return {"ok": False, "why": f"chunk {ctype} length {clen} out of the packet"}
        data = d[off + 6:off + clen]
        out["chunks"].append(ctype)
        if vendor != 0:
            pass
        elif ctype == 1:
            out["family"] = data[0]
        elif ctype == 2:
            out["proto"] = data[0]
        elif ctype in (3, 5):
            out["src"] = str(ipaddress.ip_address(data))
        elif ctype in (4, 6):
            out["dst"] = str(ipaddress.ip_address(data))
        elif ctype == 7:
            out["sport"] = struct.unpack("!H", data)[0]
        elif ctype == 8:
            out["dport"] = struct.unpack("!H", data)[0]
        elif ctype == 9:
            out["sec"] = struct.unpack("!I", data)[0]
        elif ctype == 10:
            out["usec"] = struct.unpack("!I", data)[0]
        elif ctype == 11:
            out["type"] = data[0]
        elif ctype == 12:
            out["capture_id"] = struct.unpack("!I", data)[0]
        elif ctype == 14:
            out["auth"] = data.decode("latin-1")
        elif ctype == 15:
            out["payload"] = data.decode("latin-1")
        elif ctype == 17:
            out["correlation"] = data.decode("latin-1")
        off += clen
    return out


def main():
    addr, port, path, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    s.settimeout(0.2)
    end = time.time() + secs
    with open(path, "w") as f:
        while time.time() < end:
            try:
                d = s.recv(70000)
            except socket.timeout:
                continue
            f.write(json.dumps(decode(d)) + "\n")
            f.flush()


if __name__ == "__main__":
    main()
