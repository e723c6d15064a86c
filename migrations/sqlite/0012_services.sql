-- 权责清单 / 政务服务事项 and 收费目录 (docs/design/services.md, stage 2). An item's versions
-- are full snapshots, each a change (设立 / 调整 / 取消) decided by a document on a date; fee
-- items carry their legal basis, and the amounts collected per year feed the annual report.

CREATE TABLE service_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    code TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    current_version_id BIGINT,
    established_on TEXT NOT NULL DEFAULT '',
    cancelled_on TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX service_items_code ON service_items(body_id, code) WHERE status <> 'cancelled';
CREATE INDEX service_items_list ON service_items(status, kind, body_id);

CREATE TABLE service_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES service_items(id),
    number BIGINT NOT NULL,
    change TEXT NOT NULL,
    cancel_mode TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'draft',
    effective_on TEXT NOT NULL,
    doc_title TEXT NOT NULL,
    doc_no TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    applied BOOLEAN NOT NULL DEFAULT FALSE,
    author_id BIGINT,
    author_name TEXT NOT NULL DEFAULT '',
    approver_name TEXT NOT NULL DEFAULT '',
    published_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX service_versions_number ON service_versions(item_id, number);
CREATE INDEX service_versions_due ON service_versions(state, applied, effective_on);

CREATE TABLE fee_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    basis_title TEXT NOT NULL,
    basis_doc_no TEXT NOT NULL,
    standard_text TEXT NOT NULL,
    payer TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'in_force',
    cancelled_on TEXT NOT NULL DEFAULT '',
    cancel_reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX fee_items_code ON fee_items(body_id, code);

CREATE TABLE fee_collections (
    fee_item_id BIGINT NOT NULL REFERENCES fee_items(id),
    year BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    source TEXT NOT NULL DEFAULT 'entered',
    updated_by_name TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (fee_item_id, year)
);
