#!/usr/bin/env python3
"""smoke.py NG_ADDR SRTP_PEER - the checks behind relay_smoke.sh.

Each check prints PASS/FAIL NAME (relay_smoke.sh counts them); exit
status 1 when any failed.
"""
import base64
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ng import ng_request, rtp_packet, sdp, sdp_crypto, sdp_port  # noqa: E402

NG = sys.argv[1]
PEER = sys.argv[2]
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print("%s %s%s" % ("PASS" if ok else "FAIL", name, "" if ok or not detail else " (%s)" % detail))
    sys.stdout.flush()


def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.5)
    return s


def free_port():
    s = udp()
    p = s.getsockname()[1]
    s.close()
    return p


def key():
    return base64.b64encode(os.urandom(30)).decode()


def stats(reply, tag):
    """Sum of RTP stats for one tag of a query/delete reply."""
    tot = {}
    for m in reply.get("tags", {}).get(tag, {}).get("medias", []):
        for s in m["streams"]:
            if b"RTP" in s["flags"]:
                for k, v in s["stats"].items():
                    tot[k] = tot.get(k, 0) + v
    return tot


def recv_n(sock, n, timeout=2.0):
    got = []
    end = time.time() + timeout
    while len(got) < n and time.time() < end:
        try:
            got.append(sock.recvfrom(4096))
        except socket.timeout:
            pass
    return got


def run():
    # --- ping and cookies ---
    r = ng_request(NG, {"command": "ping"})
    check("ng_ping", r.get("result") == b"pong", r)
    r1 = ng_request(NG, {"command": "list"}, cookie="fixedcookie1")
    r2 = ng_request(NG, {"command": "list"}, cookie="fixedcookie1")
    check("ng_retransmit_cached", r1 == r2)
    r = ng_request(NG, None, raw=b"junk1 d7:command")
    check("ng_malformed_error", r.get("result") == b"error", r)

    # --- plain RTP both ways ---
    a, b = udp(), udp()
    pa, pb = a.getsockname()[1], b.getsockname()[1]
    r = ng_request(NG, {"command": "offer", "call-id": "smoke1", "from-tag": "a",
                        "sdp": sdp("127.0.0.1", pa), "replace": ["origin", "session-connection"],
                        "ICE": "remove"})
    check("offer_ok", r.get("result") == b"ok", r)
    to_b = sdp_port(r["sdp"].decode())
    r = ng_request(NG, {"command": "answer", "call-id": "smoke1", "from-tag": "a", "to-tag": "b",
                        "sdp": sdp("127.0.0.1", pb)})
    check("answer_ok", r.get("result") == b"ok", r)
    to_a = sdp_port(r["sdp"].decode())
    for i in range(20):
        a.sendto(rtp_packet(i, i * 160, 0x1111), ("127.0.0.1", to_a))
    got = recv_n(b, 20)
    check("rtp_a_to_b", len(got) == 20 and all(src == ("127.0.0.1", to_b) for _, src in got),
          "%d of 20" % len(got))
    for i in range(20):
        b.sendto(rtp_packet(i, i * 160, 0x2222), ("127.0.0.1", to_b))
    got = recv_n(a, 20)
    check("rtp_b_to_a", len(got) == 20, "%d of 20" % len(got))
    # A stranger on A's relay port after latching: not forwarded (no RTP bleed).
    x = udp()
    for i in range(5):
        x.sendto(rtp_packet(100 + i, 0, 0x3333), ("127.0.0.1", to_a))
    got = recv_n(b, 1, 0.5)
    check("no_rtp_bleed", not got, "stranger's packet forwarded")
    # Sequence gap: 3 lost.
    for seq in (20, 21, 25):
        a.sendto(rtp_packet(seq, seq * 160, 0x1111), ("127.0.0.1", to_a))
    recv_n(b, 3)
    time.sleep(0.1)
    q = ng_request(NG, {"command": "query", "call-id": "smoke1", "from-tag": "a"})
    sa, sb = stats(q, "a"), stats(q, "b")
    check("query_counters", sa.get("packets") == 23 and sb.get("packets") == 20
          and sa.get("lost") == 3 and sa.get("foreign") == 5, (sa, sb))
    check("query_media_timeout_key", q.get("media-timeout") == 0, q.get("media-timeout"))
    d = ng_request(NG, {"command": "delete", "call-id": "smoke1", "from-tag": "a"})
    check("delete_ok", d.get("result") == b"ok" and stats(d, "a").get("packets") == 23, d.get("result"))
    q = ng_request(NG, {"command": "query", "call-id": "smoke1"})
    check("deleted_call_unknown", q.get("result") == b"error")

    # --- SRTP (A, srtp_peer) <-> RTP (B, python) ---
    pa = free_port()
    ka = key()
    r = ng_request(NG, {"command": "offer", "call-id": "smoke2", "from-tag": "a",
                        "sdp": sdp("127.0.0.1", pa, "RTP/SAVP", "1 AES_CM_128_HMAC_SHA1_80 inline:" + ka),
                        "transport-protocol": "RTP/AVP"})
    off = r.get("sdp", b"").decode()
    check("srtp_offer_to_plain", r.get("result") == b"ok" and " RTP/AVP " in off and not sdp_crypto(off), r)
    to_b = sdp_port(off)
    b = udp()
    pb = b.getsockname()[1]
    r = ng_request(NG, {"command": "answer", "call-id": "smoke2", "from-tag": "a", "to-tag": "b",
                        "sdp": sdp("127.0.0.1", pb)})
    ans = r.get("sdp", b"").decode()
    cr = sdp_crypto(ans)
    check("plain_answer_to_srtp", r.get("result") == b"ok" and " RTP/SAVP " in ans and len(cr) == 1
          and cr[0].startswith("1 AES_CM_128_HMAC_SHA1_80 inline:"), ans)
    to_a = sdp_port(ans)
    kr = cr[0].split("inline:")[1].split("|")[0] if cr else key()

    # B echoes: whatever plain RTP it gets, it sends a fresh plain packet back.
    plain_ok = []

    def echo(sock, n, seconds):
        end = time.time() + seconds
        seq = 0
        while time.time() < end and seq < n:
            try:
                data, _ = sock.recvfrom(4096)
            except socket.timeout:
                continue
            plain_ok.append(len(data) == 172 and data[0] == 0x80 and data[12:] == b"\xd5" * 160)
            sock.sendto(rtp_packet(seq, seq * 160, 0x4444), ("127.0.0.1", to_b))
            seq += 1

    t = threading.Thread(target=echo, args=(b, 30, 5))
    t.start()
    p = subprocess.run([PEER, "--local", "127.0.0.1:%d" % pa, "--remote", "127.0.0.1:%d" % to_a,
                        "--send-key", ka, "--recv-key", kr, "--send", "30", "--expect", "25",
                        "--timeout", "5"], capture_output=True, text=True)
    t.join()
    check("srtp_to_rtp_decrypted", len(plain_ok) >= 25 and all(plain_ok),
          "%d plain packets, %d right" % (len(plain_ok), sum(plain_ok)))
    check("rtp_to_srtp_encrypted", p.returncode == 0, p.stdout.strip() + p.stderr.strip())

    # Tampered SRTP from A: dropped, counted, never forwarded.
    p = subprocess.run([PEER, "--local", "127.0.0.1:%d" % pa, "--remote", "127.0.0.1:%d" % to_a,
                        "--send-key", ka, "--recv-key", kr, "--send", "10", "--expect", "0",
                        "--timeout", "0.5", "--tamper"], capture_output=True, text=True)
    got = recv_n(b, 1, 0.5)
    q = ng_request(NG, {"command": "query", "call-id": "smoke2"})
    sa = stats(q, "a")
    check("tampered_srtp_dropped", not got and sa.get("auth-failures", 0) >= 10, sa)
    ng_request(NG, {"command": "delete", "call-id": "smoke2", "from-tag": "a"})

    # --- SRTP <-> SRTP, separate keys per leg ---
    pa, pb = free_port(), free_port()
    ka, kb = key(), key()
    r = ng_request(NG, {"command": "offer", "call-id": "smoke3", "from-tag": "a",
                        "sdp": sdp("127.0.0.1", pa, "RTP/SAVP", "1 AES_CM_128_HMAC_SHA1_32 inline:" + ka),
                        "transport-protocol": "RTP/SAVP"})
    off = r.get("sdp", b"").decode()
    cr = sdp_crypto(off)
    check("srtp_offer_has_both_suites", len(cr) == 2 and "AES_CM_128_HMAC_SHA1_80" in cr[0]
          and "AES_CM_128_HMAC_SHA1_32" in cr[1] and ka not in off, cr)
    to_b = sdp_port(off)
    krb = cr[0].split("inline:")[1] if cr else key()
    r = ng_request(NG, {"command": "answer", "call-id": "smoke3", "from-tag": "a", "to-tag": "b",
                        "sdp": sdp("127.0.0.1", pb, "RTP/SAVP", "1 AES_CM_128_HMAC_SHA1_80 inline:" + kb)})
    ans = r.get("sdp", b"").decode()
    cr = sdp_crypto(ans)
    check("srtp_answer_keeps_suite", len(cr) == 1 and cr[0].startswith("1 AES_CM_128_HMAC_SHA1_32")
          and kb not in ans, cr)
    to_a = sdp_port(ans)
    kra = cr[0].split("inline:")[1] if cr else key()
    pb_proc = subprocess.Popen([PEER, "--local", "127.0.0.1:%d" % pb, "--remote", "127.0.0.1:%d" % to_b,
                                "--send-key", kb, "--recv-key", krb, "--send", "40", "--expect", "30",
                                "--timeout", "5"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    pa_proc = subprocess.run([PEER, "--local", "127.0.0.1:%d" % pa, "--remote", "127.0.0.1:%d" % to_a,
                              "--suite", "AES_CM_128_HMAC_SHA1_32", "--send-key", ka, "--recv-key", kra,
                              "--send", "40", "--expect", "30", "--timeout", "5"],
                             capture_output=True, text=True)
    out_b, _ = pb_proc.communicate(timeout=10)
    check("srtp_to_srtp_a_receives", pa_proc.returncode == 0, pa_proc.stdout.strip())
    check("srtp_to_srtp_b_receives", pb_proc.returncode == 0, out_b.strip())
    ng_request(NG, {"command": "delete", "call-id": "smoke3", "from-tag": "a"})


try:
    run()
except Exception as e:  # a crash of the harness or of the relay
    check("harness", False, repr(e))
sys.exit(0 if all(results) else 1)
