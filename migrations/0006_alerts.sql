-- One delivery chain per alert (issue 25): the claim a delivery attempt holds on its alert, and when its delivery was given up.
-- The Worker adds these columns itself where they are missing (store.ready): apply the migrations before deploying, or see docs/worker.md ("Alerts").
ALTER TABLE alerts ADD COLUMN claimed_until TEXT;
ALTER TABLE alerts ADD COLUMN given_up_at TEXT;
