-- 002_security.sql - migration 2: per-trunk media latching and identity
-- trust (issue 9). Applied by db_migrate() or `sqlite3 DB < this file`.
--
-- media_latch: where the relay may take a side's media from.
--   sdp    only the address and port the SDP names;
--   learn  the SDP address, or any port of the address the SIP came from
--          (NAT); anything else only after a learning window in which
--          neither sent a packet;
--   first  the first valid packet from anywhere (the old, hijackable way).
-- trusted: the trunk is in our trust domain (RFC 3325): its
-- P-Asserted-Identity is believed, and ours is sent to it; an untrusted
-- trunk neither gives nor gets one.
-- sdp_keep: what of the other side's SDP this trunk may see (topology
-- hiding strips it otherwise): a list of i, u, e, p, tool, ssrc, msid, x
-- (a=x-...); NULL keeps nothing.
ALTER TABLE trunks ADD COLUMN media_latch TEXT NOT NULL DEFAULT 'learn';
ALTER TABLE trunks ADD COLUMN trusted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trunks ADD COLUMN sdp_keep TEXT;
PRAGMA user_version = 2;
