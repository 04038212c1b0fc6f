-- Each output's revenue per territory (a JSON object: ISO country → micro-units), so that a territory's
-- output pool follows the outputs exploited there. Outputs stored before have none: they count in every
-- territory's pool, as they did.
ALTER TABLE report_outputs ADD COLUMN territories jsonb;
