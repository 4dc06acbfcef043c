#!/usr/bin/env python3
"""sip_probe.py - sends one SIP request over UDP from a chosen loopback
address and prints what came back, for the security flows.

usage: sip_probe.py FROM_IP TO_IP:PORT METHOD [--contact URI] [--wait S]
       [--header 'Name: value' ...] [--body TEXT] [--ctype TYPE] [--tcp]
       [--via-host HOST] [--from-host HOST] [--pad N]
--tcp sends over TCP; --via-host and --from-host put another host into
Via and From (a stranger claiming to be someone); --pad adds a header of
N bytes (a message too large).
Prints "METHOD CODE REASON" for the final response (or "METHOD timeout"),
then every header line of it, then "extra: N" for any request received
while waiting (a NOTIFY a stranger's REFER should never cause).
Exit status 0 when a final response came, 1 on timeout.
"""
import argparse
import random
import signal
import socket
import time


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("method")
    ap.add_argument("--contact", default=None)
    ap.add_argument("--wait", type=float, default=2.0)
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--body", default="")
    ap.add_argument("--ctype", default="application/sdp")
    ap.add_argument("--user", default="1000")
    ap.add_argument("--tcp", action="store_true")
    ap.add_argument("--via-host", default=None)
    ap.add_argument("--from-host", default=None)
    ap.add_argument("--pad", type=int, default=0)
    a = ap.parse_args()
    host, port = a.dst.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if a.tcp else socket.SOCK_DGRAM)
    s.bind((a.src, 0))
    lport = s.getsockname()[1]
    if a.tcp:
        s.connect((host, int(port)))
    branch = "z9hG4bK%08x" % random.getrandbits(32)
    tag = "%08x" % random.getrandbits(32)
    cid = "probe-%08x@%s" % (random.getrandbits(32), a.src)
    contact = a.contact or "sip:probe@%s:%d" % (a.src, lport)
    body = a.body.replace("\\n", "\r\n")
    lines = [
        "%s sip:%s@%s:%s SIP/2.0" % (a.method, a.user, host, port),
        "Via: SIP/2.0/%s %s:%d;branch=%s;rport" % ("TCP" if a.tcp else "UDP", a.via_host or a.src, lport,
                                                   branch),
        "Max-Forwards: 70",
        "From: <sip:probe@%s>;tag=%s" % (a.from_host or a.src, tag),
        "To: <sip:%s@%s>" % (a.user, host),
        "Call-ID: %s" % cid,
        "CSeq: 1 %s" % a.method,
        "Contact: <%s>" % contact,
    ]
    if a.method == "REFER":
        lines.append("Refer-To: <sip:victim@192.0.2.77>")
    if a.method in ("SUBSCRIBE", "PUBLISH", "NOTIFY"):
        lines.append("Event: presence")
    if a.method == "NOTIFY":
        lines.append("Subscription-State: active")
    lines += a.header
    if a.pad:
        lines.append("X-Pad: " + "x" * a.pad)
    if body:
        lines.append("Content-Type: %s" % a.ctype)
    lines.append("Content-Length: %d" % len(body.encode()))
    msg = "\r\n".join(lines) + "\r\n\r\n" + body
    if a.tcp:
        s.sendall(msg.encode())
    else:
        s.sendto(msg.encode(), (host, int(port)))
    final = None
    extra = 0
    deadline = time.time() + a.wait
    pending = b""

    def take(text):
        nonlocal final, extra
        first = text.split("\r\n", 1)[0]
        if first.startswith("SIP/2.0 "):
            code = int(first.split()[1])
            if code >= 200 and final is None:
                final = text
            return     # provisional, or a retransmitted final
        extra += 1     # a request sent to us: NOTIFY, BYE ...

    while time.time() < deadline:
        s.settimeout(max(0.01, deadline - time.time()))
        try:
            data, _ = s.recvfrom(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not a.tcp:
            take(data.decode(errors="replace"))
            continue
        if not data:
            break
        # A stream carries several messages per read, or part of one:
        # every complete one (our answers have no body) is taken.
        pending += data
        while b"\r\n\r\n" in pending:
            one, pending = pending.split(b"\r\n\r\n", 1)
            take((one + b"\r\n\r\n").decode(errors="replace"))
    if final is None:
        print("%s timeout" % a.method)
    else:
        head = final.split("\r\n\r\n", 1)[0].split("\r\n")
        print("%s %s" % (a.method, head[0][8:]))
        for h in head[1:]:
            print(h)
    print("extra: %d" % extra)
    return 0 if final else 1


if __name__ == "__main__":
    raise SystemExit(main())
