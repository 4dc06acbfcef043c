-- 006_attempts.sql - migration 6: every route attempt of a call, and the
-- support views in every database (issue 12). Applied by db_migrate() or
-- `sqlite3 DB < this file`.
--
-- cdr_attempts: one row per trunk a call tried (or skipped), in order
-- (seq 1, 2, ...), linked to its cdrs row. sip_code and reason are the
-- trunk's answer (cause 'remote') or what we found instead: 'unreachable'
-- (ICMP unreachable, refused connection, trunk down by its OPTIONS
-- keepalive), 'timeout' (no reply within trunk_timeout, no answer in
-- time), 'tls', 'limits' (max_channels / max_cps), 'relay' (the media
-- relay refused or did not answer), 'media' (no codec or SDP in common),
-- 'internal' (anything else of ours). sip_code is NULL when no INVITE
-- went to that trunk.
CREATE TABLE IF NOT EXISTS cdr_attempts (
	id         INTEGER PRIMARY KEY,
	cdr_id     INTEGER NOT NULL REFERENCES cdrs(id),
	seq        INTEGER NOT NULL,
	trunk      TEXT,
	start_time TEXT,
	sip_code   INTEGER,
	reason     TEXT,
	cause      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cdr_attempts_cdr ON cdr_attempts(cdr_id, seq);
-- A carrier quotes its own Call-ID: b2bua-ctl cdr --call-id finds either leg.
CREATE INDEX IF NOT EXISTS cdrs_b_call_id ON cdrs(b_call_id);

-- The reports for support staff (`SELECT * FROM v_trunk_stats`), until now
-- only in the database `make run` made (sql/views.sql, gone):
-- ASR = answered / attempts; NER (network effectiveness) counts busy and
-- no-answer as the network having done its job; ACD = mean answered
-- duration in seconds. Calls still in progress are left out.
DROP VIEW IF EXISTS v_trunk_stats;
CREATE VIEW v_trunk_stats AS
SELECT to_trunk                                                        AS trunk,
       count(*)                                                        AS calls,
       sum(disposition = 'answered')                                   AS answered,
       round(100.0 * sum(disposition = 'answered') / count(*), 1)      AS asr_pct,
       round(avg(CASE WHEN disposition = 'answered' THEN duration_s END), 1) AS acd_s,
       round(100.0 * sum(disposition IN ('answered', 'busy', 'no_answer', 'cancelled'))
             / count(*), 1)                                            AS ner_pct,
       round(sum(duration_s) / 60.0, 2)                                AS minutes,
       round(coalesce(sum(cost), 0), 4)                                AS cost
FROM cdrs
WHERE disposition <> 'in_progress' AND to_trunk IS NOT NULL
GROUP BY to_trunk;

DROP VIEW IF EXISTS v_daily;
CREATE VIEW v_daily AS
SELECT substr(start_time, 1, 10)                                       AS day,
       to_trunk                                                        AS trunk,
       count(*)                                                        AS calls,
       sum(disposition = 'answered')                                   AS answered,
       round(sum(duration_s) / 60.0, 2)                                AS minutes,
       round(coalesce(sum(cost), 0), 4)                                AS cost
FROM cdrs
WHERE disposition <> 'in_progress'
GROUP BY day, to_trunk
ORDER BY day, to_trunk;
PRAGMA user_version = 6;
