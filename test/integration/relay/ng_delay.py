#!/usr/bin/env python3
"""ng_delay.py - a UDP proxy in front of an ng relay that holds back the
replies to chosen commands, so a test can make "the relay's answer arrives
late" happen on purpose.

usage: ng_delay.py LISTEN_PORT RELAY_PORT COMMAND[,COMMAND] DELAY_MS
Requests from the b2bua go to the relay at once; a reply to a request
whose command is listed waits DELAY_MS. Loopback only. Runs until killed.
"""
import heapq
import re
import select
import socket
import sys
import time


def main():
    listen, relay, cmds, delay = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(","), int(sys.argv[4])
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", listen))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.connect(("127.0.0.1", relay))
    client = None
    slow = set()          # cookies whose reply waits
    queue = []            # (due, seq, datagram)
    seq = 0
    while True:
        timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else None
        ready, _, _ = select.select([front, back], [], [], timeout)
        for s in ready:
            data, addr = s.recvfrom(65536)
            cookie = data.split(b" ", 1)[0]
            if s is front:
                client = addr
                m = re.search(rb"7:command(\d+):", data)
                if m:
                    n = int(m.group(1))
                    start = m.end()
                    if data[start:start + n].decode(errors="replace") in cmds:
                        slow.add(cookie)
                back.send(data)
            elif client:
                if cookie in slow:
                    seq += 1
                    heapq.heappush(queue, (time.monotonic() + delay / 1000.0, seq, data))
                    print("held reply", cookie.decode(errors="replace"), flush=True)
                else:
                    front.sendto(data, client)
        while queue and queue[0][0] <= time.monotonic():
            front.sendto(heapq.heappop(queue)[2], client)


if __name__ == "__main__":
    main()
