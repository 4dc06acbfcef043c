#!/usr/bin/env python3
"""media_setup.py NG_ADDR N MODE A_ADDR:PORT B_ADDR:PORT PREFIX PLAN

Sets up N calls on a relay (ours or rtpengine) over the ng protocol, offer
from side A and answer from side B, and writes the plan rtp_load reads:
one line per call, "RELAY_PORT_FOR_A RELAY_PORT_FOR_B KEY_A KEY_R".
MODE rtp: plain RTP/AVP both sides. MODE srtp: side A offers RTP/SAVP with
an SDES key (AES_CM_128_HMAC_SHA1_80), side B is asked for plain RTP/AVP
("transport-protocol"), the answer to A carries the relay's key (KEY_R).
All calls advertise the same A and B address (one socket each in rtp_load).
"""
import base64
import os
import random
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "test", "integration", "relay"))
from ng import bencode, bdecode, sdp, sdp_crypto, sdp_port  # noqa: E402


def main():
    ng, n, mode, a, b, prefix, plan = sys.argv[1:8]
    n = int(n)
    host, port = ng.rsplit(":", 1)
    ng = (host, int(port))
    a_ip, a_port = a.rsplit(":", 1)
    b_ip, b_port = b.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)

    def req(d):
        for _ in range(5):
            cookie = "%08x" % random.getrandbits(32)
            s.sendto(cookie.encode() + b" " + bencode(d), ng)
            try:
                while True:
                    data, _ = s.recvfrom(65536)
                    c, _, body = data.partition(b" ")
                    if c.decode() == cookie:
                        return bdecode(body)[0]
            except socket.timeout:
                continue
        raise RuntimeError("no reply from relay for %s" % d.get("command"))

    common = {"replace": ["origin", "session-connection"], "ICE": "remove"}
    out = []
    for i in range(n):
        cid = "%s-%d" % (prefix, i)
        if mode == "srtp":
            ka = base64.b64encode(os.urandom(30)).decode()
            r = req(dict(common, command="offer", **{"call-id": cid, "from-tag": "a",
                         "sdp": sdp(a_ip, int(a_port), "RTP/SAVP", "1 AES_CM_128_HMAC_SHA1_80 inline:" + ka),
                         "transport-protocol": "RTP/AVP"}))
        else:
            ka = "-"
            r = req(dict(common, command="offer", **{"call-id": cid, "from-tag": "a",
                         "sdp": sdp(a_ip, int(a_port))}))
        if r.get("result") != b"ok":
            sys.exit("offer %d failed: %s" % (i, r))
        off = r["sdp"].decode()
        to_b = sdp_port(off)   # B sends to the port of the SDP B was offered
        r = req(dict(common, command="answer", **{"call-id": cid, "from-tag": "a", "to-tag": "b",
                     "sdp": sdp(b_ip, int(b_port))}))
        if r.get("result") != b"ok":
            sys.exit("answer %d failed: %s" % (i, r))
        ans = r["sdp"].decode()
        to_a = sdp_port(ans)   # A sends to the port of the answer A got
        kr = "-"
        if mode == "srtp":
            cr = sdp_crypto(ans)
            if not cr:
                sys.exit("answer %d has no a=crypto: %s" % (i, ans))
            kr = cr[0].split("inline:")[1].split("|")[0]
        out.append("%d %d %s %s\n" % (to_a, to_b, ka, kr))
    with open(plan, "w") as f:
        f.writelines(out)


if __name__ == "__main__":
    main()
