-- 003_reason.sql - migration 3: why a call ended, as the network said it
-- (issue 10). Applied by db_migrate() or `sqlite3 DB < this file`.
--
-- q850_cause: the ITU-T Q.850 cause of the Reason header (RFC 3326) of
-- the BYE or CANCEL that ended the call, or of the failure response
-- (RFC 6432) that did; NULL when none came (16 normal clearing, 17 user
-- busy, 19 no answer, 21 call rejected, 34 no circuit ...).
ALTER TABLE cdrs ADD COLUMN q850_cause INTEGER;
PRAGMA user_version = 3;
