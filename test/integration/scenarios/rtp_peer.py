#!/usr/bin/env python3
"""rtp_peer.py - a plain RTP endpoint (the RTP side of an SRTP<->RTP call).

rtp_peer.py --local ADDR:PORT --remote ADDR:PORT [--send N] [--expect N]
            [--timeout S] [--fill HEX] [--stay]

Sends N PCMA packets (payload type 8, 160 bytes of --fill, default d5)
20 ms apart from --local to --remote and counts the RTP that arrives.
A packet is "clear" when it is 12 + 160 bytes with payload type 8 and a
payload of --fill bytes only, i.e. what srtp_peer sent, decrypted.
Prints "sent=N received=M clear=K other=J" and exits 0 when K >= --expect.
"""
import argparse
import os
import socket
import struct
import sys
import time


def hostport(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--local", required=True, type=hostport)
    ap.add_argument("--remote", required=True, type=hostport)
    ap.add_argument("--send", type=int, default=50)
    ap.add_argument("--expect", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=5)
    ap.add_argument("--fill", default="d5")
    ap.add_argument("--stay", action="store_true", help="listen until --timeout, whatever arrived")
    a = ap.parse_args()
    fill = bytes([int(a.fill, 16)])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(a.local)
    s.setblocking(False)
    ssrc = os.getpid() * 2654435761 & 0xFFFFFFFF
    sent = received = clear = other = 0
    start = nxt = time.monotonic()
    while time.monotonic() - start < a.timeout:
        if sent >= a.send and clear >= a.expect and not a.stay:
            break
        now = time.monotonic()
        if sent < a.send and now >= nxt:
            hdr = struct.pack("!BBHII", 0x80, 8, sent & 0xFFFF, sent * 160 & 0xFFFFFFFF, ssrc)
            s.sendto(hdr + b"\x55" * 160, a.remote)
            sent += 1
            nxt += 0.02
        try:
            data, _ = s.recvfrom(4096)
        except BlockingIOError:
            time.sleep(0.002)
            continue
        if len(data) < 12 or data[0] >> 6 != 2:
            continue
        received += 1
        if len(data) == 172 and data[1] & 0x7F == 8 and data[12:] == fill * 160:
            clear += 1
        else:
            other += 1
    print("sent=%d received=%d clear=%d other=%d" % (sent, received, clear, other))
    return 0 if clear >= a.expect else 1


if __name__ == "__main__":
    sys.exit(main())
