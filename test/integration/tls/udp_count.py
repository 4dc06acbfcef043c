#!/usr/bin/env python3
"""udp_count.py ADDR:PORT FILE - binds a UDP socket at ADDR:PORT and, until
SIGTERM, counts the datagrams it receives; FILE always holds the count
(written at start and after each datagram). tls_kamailio.sh puts one where
a TLS trunk's address is, to prove nothing falls back to UDP."""
import signal
import socket
import sys

host, port = sys.argv[1].rsplit(":", 1)
out = sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((host, int(port)))
n = 0


def write():
    with open(out, "w") as f:
        f.write("%d\n" % n)


signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
write()
while True:
    s.recv(65535)
    n += 1
    write()
