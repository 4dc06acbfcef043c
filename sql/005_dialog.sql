-- 005_dialog.sql - migration 5: per-trunk dialog features (issue 10).
-- Applied by db_migrate() or `sqlite3 DB < this file`.
--
-- trunks.rel100: reliable provisional responses (RFC 3262) on the leg
-- toward this trunk, each leg on its own.
--   'supported' (default): offered (Supported: 100rel); used when the
--   peer requires it, and for a 183 when it supports it.
--   'required': our INVITE requires it (Require: 100rel); a caller on
--   this trunk that does not support it gets 421, and gets every 18x
--   reliably when it does.
--   'off': never offered; a caller that requires it gets 420.
-- trunks.session_expires: the RFC 4028 session interval on legs toward
-- this trunk, in seconds (at least [call] min_se); NULL = [call]
-- session_expires; 0 = no session timer on its legs.
-- trunks.redirect: what a 3xx from this trunk does (it never reaches
-- the caller).
--   'next' (default): the next route is tried.
--   'follow': its first Contact is followed when it names a known,
--   enabled trunk (by host and port, or by a trunk_sources address):
--   that trunk is tried first with the Contact's number, at most 3
--   redirects per call; otherwise the next route.
-- trunks.avpf: whether offers toward this trunk may keep a feedback
-- profile (RTP/AVPF, RTP/SAVPF: RFC 4585, 5124, as WebRTC gateways and
-- linphone with ICE offer).
--   'off' (default): an offer toward it is RTP/AVP (or RTP/SAVP) and
--   loses its a=rtcp-fb lines; an answer to its own offer keeps what
--   it offered.
--   'keep': a feedback profile offered by the other side reaches it.
-- trunks.trust_reason: whether the Reason header (RFC 3326) of this
-- trunk's BYE and CANCEL is passed to the other leg: 1 yes, 0 no, NULL
-- (default) as trunks.trusted says. Its Q.850 cause is recorded either
-- way.
ALTER TABLE trunks ADD COLUMN trust_reason INTEGER;
ALTER TABLE trunks ADD COLUMN avpf TEXT NOT NULL DEFAULT 'off';
ALTER TABLE trunks ADD COLUMN redirect TEXT NOT NULL DEFAULT 'next';
ALTER TABLE trunks ADD COLUMN rel100 TEXT NOT NULL DEFAULT 'supported';
ALTER TABLE trunks ADD COLUMN session_expires INTEGER;
PRAGMA user_version = 5;
