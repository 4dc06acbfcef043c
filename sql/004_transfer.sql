-- 004_transfer.sql - migration 4: call transfer (RFC 3515 REFER, issue 10).
-- Applied by db_migrate() or `sqlite3 DB < this file`.
--
-- trunks.refer: what a REFER from this trunk's side of a call does.
--   'reject' (default): 403 "Transfer not allowed", the call goes on.
--   'local': the b2bua carries out the transfer itself: the Refer-To
--   number is routed with this trunk's policy and the other party is
--   bridged to the new leg; the REFER never reaches the other side.
-- cdrs.transfer_of: on the row of a call a transfer made, the A-leg
-- Call-ID (cdrs.call_id) of the call it came from; NULL otherwise.
ALTER TABLE trunks ADD COLUMN refer TEXT NOT NULL DEFAULT 'reject';
ALTER TABLE cdrs ADD COLUMN transfer_of TEXT;
CREATE INDEX IF NOT EXISTS cdrs_transfer_of ON cdrs(transfer_of);
PRAGMA user_version = 4;
