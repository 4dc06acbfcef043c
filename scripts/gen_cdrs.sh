#!/bin/sh
# gen_cdrs.sh DB [ROWS] - fills DB's cdrs with ROWS (default 1000000)
# realistic random call attempts over 30 days ending two hours ago, for trying
# b2bua-ctl cdr and the reports on a production-sized table.
#
# Creates the schema from sql/schema.sql (the cdrs table alone if that file
# is missing) and inserts everything with one recursive CTE in one
# transaction, rows in start_time order as the b2bua writes them. A million
# rows take about 15 s. Meant for a scratch database: it fills without a
# rollback journal.
# Numbers: callers +4930 + 7 digits (50k of them), callees +4917 + 8 or
# +4940 + 7 digits (200k), so `b2bua-ctl cdr --number` finds a handful of calls per number.
set -eu
DB=${1:?usage: gen_cdrs.sh DB [ROWS]}
ROWS=${2:-1000000}
case $ROWS in *[!0-9]* | '' | 0) echo "gen_cdrs.sh: ROWS must be a positive number" >&2; exit 2 ;; esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)

if [ -f "$ROOT/sql/schema.sql" ]; then
	sqlite3 "$DB" < "$ROOT/sql/schema.sql"
else
	sqlite3 "$DB" <<'EOF'
CREATE TABLE IF NOT EXISTS cdrs (
	id INTEGER PRIMARY KEY, call_id TEXT NOT NULL, b_call_id TEXT, from_trunk TEXT,
	to_trunk TEXT, caller TEXT, callee TEXT, routed_to TEXT, start_time TEXT,
	answer_time TEXT, end_time TEXT, duration_s REAL NOT NULL DEFAULT 0, sip_code INTEGER,
	reason TEXT, disposition TEXT NOT NULL DEFAULT 'in_progress', hangup_by TEXT, codec TEXT,
	a_rtp_pkts INTEGER NOT NULL DEFAULT 0, b_rtp_pkts INTEGER NOT NULL DEFAULT 0,
	a_rtp_lost INTEGER NOT NULL DEFAULT 0, b_rtp_lost INTEGER NOT NULL DEFAULT 0,
	cost REAL, node TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS cdrs_start_time ON cdrs(start_time);
CREATE INDEX IF NOT EXISTS cdrs_call_id ON cdrs(call_id);
CREATE INDEX IF NOT EXISTS cdrs_caller ON cdrs(caller);
CREATE INDEX IF NOT EXISTS cdrs_callee ON cdrs(callee);
CREATE INDEX IF NOT EXISTS cdrs_routed_to ON cdrs(routed_to);
CREATE INDEX IF NOT EXISTS cdrs_from_trunk_start ON cdrs(from_trunk, start_time);
CREATE INDEX IF NOT EXISTS cdrs_to_trunk_start ON cdrs(to_trunk, start_time);
CREATE INDEX IF NOT EXISTS cdrs_disposition ON cdrs(disposition);
EOF
fi

# r0..r3: independent random draws per row. d: disposition bucket (0-99):
# 0-57 answered, 58-71 no_answer, 72-81 busy, 82-89 cancelled, 90-98
# failed, 99 interrupted. ring: seconds to answer or give up.
# Building an index once at the end (a sort) is several times faster than
# growing it row by row at random places: drop cdrs' indexes, fill, and
# recreate them from their own definitions.
IDX=$(sqlite3 "$DB" "SELECT sql || ';' FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cdrs' AND sql IS NOT NULL")
DROP=$(sqlite3 "$DB" "SELECT 'DROP INDEX ' || quote(name) || ';' FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cdrs' AND sql IS NOT NULL")

# No journal while filling (a WAL would hold a second copy of every page);
# the database ends in WAL mode, as the b2bua keeps it.
sqlite3 "$DB" >/dev/null <<EOF
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
BEGIN;
$DROP
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $ROWS),
base AS (SELECT (CAST(strftime('%s', 'now') AS INTEGER) - 30 * 86400 - 7200) * 1000 AS t0,
                30 * 86400 * 1000.0 / $ROWS AS step),
r AS MATERIALIZED (
  SELECT i,
         CAST(t0 + i * step + abs(random()) % (CAST(step AS INTEGER) + 1) AS INTEGER) AS st,
         abs(random()) % 100 AS d,
         abs(random()) AS r1, abs(random()) AS r2, abs(random()) AS r3,
         1 + abs(random()) % 25 AS ring
  FROM n, base),
c AS (
  SELECT i, st, ring, r1, r2, r3,
         CASE WHEN d < 58 THEN 'answered' WHEN d < 72 THEN 'no_answer' WHEN d < 82 THEN 'busy'
              WHEN d < 90 THEN 'cancelled' WHEN d < 99 THEN 'failed' ELSE 'interrupted' END AS disp,
         -- answered: mostly short calls, a long tail up to about an hour
         CASE WHEN d < 58 THEN (r1 % 120000) / 1000.0 + (CASE WHEN (r3 / 7) % 5 = 0 THEN r2 % 3600 ELSE 0 END)
              ELSE 0 END AS dur,
         printf('+4930%07d', r1 % 50000 * 137 % 10000000) AS caller,
         CASE WHEN r2 % 3 = 0 THEN printf('+4917%08d', r2 % 100000 * 997 % 100000000)
              ELSE printf('+4940%07d', r2 % 100000 * 73 % 10000000) END AS callee,
         CASE r3 % 4 WHEN 0 THEN 'pbx-berlin' WHEN 1 THEN 'pbx-hamburg' WHEN 2 THEN 'pbx-munich' ELSE 'carrier-in' END AS from_trunk,
         CASE WHEN d BETWEEN 90 AND 93 THEN NULL
              ELSE CASE r2 % 10 WHEN 0 THEN 'carrier-c' WHEN 1 THEN 'carrier-c' WHEN 2 THEN 'carrier-b'
                   WHEN 3 THEN 'carrier-b' WHEN 4 THEN 'carrier-b' ELSE 'carrier-a' END END AS to_trunk
  FROM r),
t AS (
  SELECT *, strftime('%Y-%m-%dT%H:%M:%fZ', st / 1000.0, 'unixepoch') AS start_time,
         CASE WHEN disp IN ('answered', 'interrupted') THEN st + ring * 1000 END AS ans_ms,
         CASE WHEN disp = 'interrupted' THEN NULL
              WHEN disp = 'answered' THEN st + ring * 1000 + CAST(dur * 1000 AS INTEGER)
              ELSE st + ring * 1000 END AS end_ms
  FROM c)
INSERT INTO cdrs (call_id, b_call_id, from_trunk, to_trunk, caller, callee, routed_to,
                  start_time, answer_time, end_time, duration_s, sip_code, reason, disposition,
                  hangup_by, codec, a_rtp_pkts, b_rtp_pkts, a_rtp_lost, b_rtp_lost, cost, node)
SELECT printf('%08x-%04x@10.0.0.%d', r1, i % 65536, 1 + r3 % 250),
       CASE WHEN to_trunk IS NULL THEN NULL ELSE printf('b2b-%d-%08x', i, r2) END,
       from_trunk, to_trunk, caller, callee,
       CASE WHEN to_trunk IS NULL THEN NULL ELSE '00' || substr(callee, 2) END,
       start_time,
       CASE WHEN ans_ms IS NOT NULL THEN strftime('%Y-%m-%dT%H:%M:%fZ', ans_ms / 1000.0, 'unixepoch') END,
       CASE WHEN end_ms IS NOT NULL THEN strftime('%Y-%m-%dT%H:%M:%fZ', end_ms / 1000.0, 'unixepoch') END,
       dur,
       CASE disp WHEN 'answered' THEN 200 WHEN 'no_answer' THEN 480 WHEN 'busy' THEN 486
                 WHEN 'cancelled' THEN 487 WHEN 'failed' THEN (CASE WHEN to_trunk IS NULL THEN 404 ELSE 503 END)
                 ELSE 200 END,
       CASE disp WHEN 'answered' THEN 'OK' WHEN 'no_answer' THEN 'Temporarily Unavailable'
                 WHEN 'busy' THEN 'Busy Here' WHEN 'cancelled' THEN 'Request Terminated'
                 WHEN 'failed' THEN (CASE WHEN to_trunk IS NULL THEN 'No Route' ELSE 'Service Unavailable' END)
                 ELSE 'interrupted' END,
       disp,
       CASE WHEN disp = 'answered' THEN (CASE r3 % 2 WHEN 0 THEN 'caller' ELSE 'callee' END)
            WHEN disp = 'cancelled' THEN 'caller' WHEN disp = 'interrupted' THEN NULL ELSE 'callee' END,
       CASE WHEN ans_ms IS NULL THEN NULL WHEN r1 % 3 = 0 THEN 'PCMU' ELSE 'PCMA' END,
       CAST(dur * 50 AS INTEGER), CAST(dur * 50 AS INTEGER),
       CASE WHEN r1 % 10 = 0 THEN r2 % 40 ELSE 0 END, CASE WHEN r2 % 10 = 0 THEN r3 % 40 ELSE 0 END,
       CASE WHEN disp = 'answered' THEN round((CAST(dur + 59 AS INTEGER) / 60) *
            (CASE to_trunk WHEN 'carrier-a' THEN 0.0095 WHEN 'carrier-b' THEN 0.011 ELSE 0.0125 END), 4) END,
       CASE WHEN r3 % 2 = 0 THEN 'node1' ELSE 'node2' END
FROM t;
$IDX
COMMIT;
PRAGMA journal_mode = WAL;
PRAGMA optimize;
EOF
echo "gen_cdrs.sh: $DB: $(sqlite3 "$DB" 'SELECT count(*) FROM cdrs') rows in cdrs"
