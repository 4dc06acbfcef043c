-- 007_tls.sql - migration 7: TLS toward trunks (issue 11).
-- Applied by db_migrate() or `sqlite3 DB < this file`.
--
-- trunks.tls_verify: for a trunk with transport 'tls', whether its
-- certificate must verify against [tls] ca and name its host (the
-- trunks.host we connect to, as the certificate's CN or a DNS
-- subjectAltName): 1 (default) yes, 0 no (encrypted but not
-- authenticated: a lab or a carrier with a self-signed certificate).
-- [tls] verify = no in b2bua.conf turns it off for every trunk.
-- Ignored for udp and tcp trunks.
ALTER TABLE trunks ADD COLUMN tls_verify INTEGER NOT NULL DEFAULT 1;
PRAGMA user_version = 7;
