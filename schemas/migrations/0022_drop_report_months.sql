-- report_months (0020) dropped with its view: measured at a million people it saved the
-- lifecycle report about a tenth of its CPU over a year and the overview nothing (their time
-- goes to merging a million keys into profiles, not to reading the keys' days), while its view
-- made every insert into `events` slower by about as much as each other report view (200,000
-- events in inserts of 10,000: 8.5–8.7 s with it, 6.1–6.5 s without). The reports read
-- report_daily again.
DROP TABLE IF EXISTS report_months_from_events;
DROP TABLE IF EXISTS report_months;
