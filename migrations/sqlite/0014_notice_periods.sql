-- 公示 (docs/design/participation.md): a published item's notice period and the objections
-- received in it. Names and contacts of objectors are sealed; the result is recorded once, with
-- its ledger entry.

CREATE TABLE notice_periods (
    item_id BIGINT PRIMARY KEY REFERENCES items(id),
    kind TEXT NOT NULL,
    start_on TEXT NOT NULL,
    end_on TEXT NOT NULL,
    days BIGINT NOT NULL,
    unit TEXT NOT NULL,
    policy TEXT NOT NULL,
    result TEXT,
    effective_on TEXT,
    result_seq BIGINT,
    created_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX notice_periods_open ON notice_periods(end_on, result);

CREATE TABLE notice_objections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES items(id),
    number TEXT NOT NULL UNIQUE,
    name_sealed TEXT NOT NULL,
    contact_sealed TEXT NOT NULL,
    text TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    received_on TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'received',
    handling TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL DEFAULT '',
    handled_by TEXT NOT NULL DEFAULT '',
    handled_on TEXT
);
CREATE INDEX notice_objections_item ON notice_objections(item_id, id);
