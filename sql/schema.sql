-- schema.sql - migration 1: every table of the data contract (design.md).
--
-- Applied by `sqlite3 DB < sql/schema.sql` or, embedded, by db_migrate();
-- both end at PRAGMA user_version = 1. Later changes are new files
-- sql/NNN_name.sql (migration NNN), never edits of this one.
-- Enumerated text columns (srtp, direction, field, action) carry no CHECK:
-- policy_load() validates them and names the bad row, which a reload can
-- report without the edit having been refused half-way by SQLite.

CREATE TABLE IF NOT EXISTS trunks (
	id             INTEGER PRIMARY KEY,
	name           TEXT NOT NULL UNIQUE,
	host           TEXT NOT NULL DEFAULT '',
	port           INTEGER NOT NULL DEFAULT 0,        -- 0 = default for transport
	transport      TEXT NOT NULL DEFAULT 'udp',       -- udp | tcp | tls
	username       TEXT,
	password       TEXT,
	realm          TEXT,
	register       INTEGER NOT NULL DEFAULT 0,        -- 0/1
	max_channels   INTEGER NOT NULL DEFAULT 0,        -- 0 = unlimited
	max_cps        INTEGER NOT NULL DEFAULT 0,        -- 0 = unlimited
	codecs         TEXT,                              -- 'PCMA,PCMU,telephone-event'; NULL = any
	srtp           TEXT NOT NULL DEFAULT 'off',       -- off | optional | mandatory
	options_ping_s INTEGER NOT NULL DEFAULT 0,        -- 0 = no OPTIONS pings
	enabled        INTEGER NOT NULL DEFAULT 1
);

-- Source addresses that identify an inbound trunk; the most specific wins.
CREATE TABLE IF NOT EXISTS trunk_sources (
	id       INTEGER PRIMARY KEY,
	trunk_id INTEGER NOT NULL REFERENCES trunks(id),
	cidr     TEXT NOT NULL                           -- '192.0.2.0/24', '2001:db8::/32', bare = host
);
CREATE INDEX IF NOT EXISTS trunk_sources_trunk ON trunk_sources(trunk_id);

CREATE TABLE IF NOT EXISTS routes (
	id            INTEGER PRIMARY KEY,
	from_trunk_id INTEGER REFERENCES trunks(id),     -- NULL = any trunk
	prefix        TEXT NOT NULL DEFAULT '',          -- longest match on the dialled user; '' = default
	to_trunk_id   INTEGER NOT NULL REFERENCES trunks(id),
	priority      INTEGER NOT NULL DEFAULT 1,        -- lower first
	weight        INTEGER NOT NULL DEFAULT 100,      -- among equal priority
	enabled       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS routes_prefix ON routes(from_trunk_id, prefix);

CREATE TABLE IF NOT EXISTS number_rules (
	id        INTEGER PRIMARY KEY,
	trunk_id  INTEGER REFERENCES trunks(id),         -- NULL = all trunks
	direction TEXT NOT NULL,                         -- in | out
	field     TEXT NOT NULL,                         -- ruri | from | to | pai
	match     TEXT NOT NULL,                         -- PCRE2
	replace   TEXT NOT NULL DEFAULT '',              -- $1 style
	priority  INTEGER NOT NULL DEFAULT 100           -- lower first; the first match wins
);

CREATE TABLE IF NOT EXISTS header_rules (
	id        INTEGER PRIMARY KEY,
	trunk_id  INTEGER REFERENCES trunks(id),         -- NULL = all trunks
	direction TEXT NOT NULL,                         -- in | out
	action    TEXT NOT NULL,                         -- add | remove | replace
	header    TEXT NOT NULL,
	match     TEXT,                                  -- PCRE2 on the value, optional
	value     TEXT,
	priority  INTEGER NOT NULL DEFAULT 100           -- lower first; every rule applies
);

CREATE TABLE IF NOT EXISTS rates (
	id          INTEGER PRIMARY KEY,
	prefix      TEXT NOT NULL DEFAULT '',            -- longest match on the routed number
	trunk_id    INTEGER NOT NULL REFERENCES trunks(id),
	per_minute  REAL NOT NULL DEFAULT 0,
	increment_s INTEGER NOT NULL DEFAULT 1,          -- billing step
	min_s       INTEGER NOT NULL DEFAULT 0,          -- minimum billed seconds
	connect_fee REAL NOT NULL DEFAULT 0,
	UNIQUE (trunk_id, prefix)
);

-- One row per call attempt; times are UTC ISO-8601 with milliseconds.
CREATE TABLE IF NOT EXISTS cdrs (
	id          INTEGER PRIMARY KEY,
	call_id     TEXT NOT NULL,                       -- A leg
	b_call_id   TEXT,                                -- B leg
	from_trunk  TEXT,
	to_trunk    TEXT,
	caller      TEXT,
	callee      TEXT,                                -- as dialled
	routed_to   TEXT,                                -- after number rules
	start_time  TEXT,
	answer_time TEXT,
	end_time    TEXT,
	duration_s  REAL NOT NULL DEFAULT 0,             -- answer to end
	sip_code    INTEGER,
	reason      TEXT,
	disposition TEXT NOT NULL DEFAULT 'in_progress',
	hangup_by   TEXT,                                -- caller | callee | b2bua
	codec       TEXT,
	a_rtp_pkts  INTEGER NOT NULL DEFAULT 0,
	b_rtp_pkts  INTEGER NOT NULL DEFAULT 0,
	a_rtp_lost  INTEGER NOT NULL DEFAULT 0,
	b_rtp_lost  INTEGER NOT NULL DEFAULT 0,
	cost        REAL,                                -- NULL = no rate
	node        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS cdrs_start_time       ON cdrs(start_time);
CREATE INDEX IF NOT EXISTS cdrs_call_id          ON cdrs(call_id);
CREATE INDEX IF NOT EXISTS cdrs_caller           ON cdrs(caller);
CREATE INDEX IF NOT EXISTS cdrs_callee           ON cdrs(callee);
CREATE INDEX IF NOT EXISTS cdrs_routed_to        ON cdrs(routed_to);
CREATE INDEX IF NOT EXISTS cdrs_from_trunk_start ON cdrs(from_trunk, start_time);
CREATE INDEX IF NOT EXISTS cdrs_to_trunk_start   ON cdrs(to_trunk, start_time);
CREATE INDEX IF NOT EXISTS cdrs_disposition      ON cdrs(disposition);
CREATE INDEX IF NOT EXISTS cdrs_node_disposition ON cdrs(node, disposition);

PRAGMA user_version = 1;
