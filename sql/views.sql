-- views.sql - reports over cdrs for support staff (plain sqlite3 works):
--   sqlite3 var/b2bua.db 'SELECT * FROM v_trunk_stats'
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
