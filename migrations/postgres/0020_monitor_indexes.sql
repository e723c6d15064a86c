-- 合规监测 (docs/design/supervision.md, stage 1): the monitor counts the few offending records of
-- a year out of millions. Each partial index holds only rows that may offend, and the monitor's
-- queries repeat its condition word for word so that both backends use it.

CREATE INDEX items_monitor ON items(body_id) WHERE late = TRUE OR status = 'unpublished';
CREATE INDEX applications_monitor ON applications(due_on, body_id) WHERE replied_on IS NULL OR replied_on > due_on;
CREATE INDEX letters_monitor ON letters(due_on, body_id) WHERE replied_on IS NULL OR replied_on > due_on;
