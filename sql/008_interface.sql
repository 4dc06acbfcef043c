-- 008_interface.sql - migration 8: named interfaces (issue 11).
-- Applied by db_migrate() or `sqlite3 DB < this file`.
--
-- trunks.interface: the name of the interface the trunk is reached on
-- ([sip] listen = udp:ADDR:PORT/NAME in b2bua.conf, and the relay's
-- [relay] interface = NAME/ADDR in media-relay.conf). Our INVITE to it
-- leaves from a SIP address of that name, and the relay anchors its
-- media on the relay interface of that name (ng direction). A caller
-- on it is placed on the interface its INVITE arrived on. NULL (the
-- default): the first listen address's interface. A name the b2bua's
-- config does not have refuses the policy load.
ALTER TABLE trunks ADD COLUMN interface TEXT;
PRAGMA user_version = 8;
