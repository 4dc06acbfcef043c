#!/usr/bin/env python3
"""rtp_sink.py - a far-end media endpoint for the media flows.

rtp_sink.py ADDR:PORT OUTFILE [--echo] [--timeout S] [--idle S]

ADDR is IPv4 or IPv6 ("[::1]:PORT" or "::1:PORT"); IPv6 sources are
written "[ADDR]:PORT".

Binds ADDR:PORT (UDP), counts the RTP packets that arrive (version 2) per
payload type and, with --echo, sends each one back to where it came from
(so the other side of the relay sees media too). Ends --idle seconds after
the last packet (once one arrived) or after --timeout seconds, then writes
one line to OUTFILE: "pkts=N pt8=N pt101=N ... sources=ADDR:PORT,... bytes=N"
and exits 0 (1 when it could not bind). The check is the caller's job.
"""
import socket
import sys
import time


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    host, port = args[0].rsplit(":", 1)
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    out = args[1]
    echo = "--echo" in args
    timeout = float(args[args.index("--timeout") + 1]) if "--timeout" in args else 20.0
    idle = float(args[args.index("--idle") + 1]) if "--idle" in args else 2.0
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:
        s.bind((host, int(port)))
    except OSError as e:
        print("rtp_sink: bind %s: %s" % (args[0], e), file=sys.stderr)
        return 1
    pkts = 0
    nbytes = 0
    per_pt = {}
    sources = set()
    events = set()
    start = time.monotonic()
    last = None
    while True:
        now = time.monotonic()
        if now - start > timeout or (last is not None and now - last > idle):
            break
        s.settimeout(0.1)
        try:
            data, src = s.recvfrom(4096)
        except socket.timeout:
            continue
        if len(data) < 12 or data[0] >> 6 != 2:
            continue
        last = time.monotonic()
        pkts += 1
        nbytes += len(data)
        pt = data[1] & 0x7F
        per_pt[pt] = per_pt.get(pt, 0) + 1
        if pt == 101 and len(data) >= 16:
            events.add(data[12])   # RFC 4733 event code (digit)
        sources.add(("[%s]:%d" if family == socket.AF_INET6 else "%s:%d") % (src[0], src[1]))
        if echo:
            s.sendto(data, src)
    line = "pkts=%d bytes=%d %s events=%s sources=%s" % (
        pkts, nbytes, " ".join("pt%d=%d" % kv for kv in sorted(per_pt.items())),
        ",".join(str(e) for e in sorted(events)), ",".join(sorted(sources)))
    with open(out, "w") as f:
        f.write(line + "\n")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
