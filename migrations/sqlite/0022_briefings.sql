-- 季度简报 (docs/design/supervision.md, stage 5): a body's briefing for a quarter, drafted from
-- the figures of its subtree (kept as they were when drafted), edited by staff, and published
-- or kept internal as an item of the body's 工作动态 column through the ordinary workflow.

CREATE TABLE briefings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    year BIGINT NOT NULL,
    quarter BIGINT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    figures TEXT NOT NULL,
    item_id BIGINT REFERENCES items(id),
    version BIGINT NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (body_id, year, quarter)
);
