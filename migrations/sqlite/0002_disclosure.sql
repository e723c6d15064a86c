-- Proactive disclosure: catalogues, 标准目录, items and their versions, workflow history,
-- screening findings, 索引号 counters, and the publication ledger with signed checkpoints.

CREATE TABLE standard_rows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    area TEXT NOT NULL DEFAULT '',
    item_l1 TEXT NOT NULL,
    item_l2 TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL DEFAULT '',
    basis TEXT NOT NULL DEFAULT '',
    time_limit TEXT NOT NULL DEFAULT '',
    time_limit_days BIGINT,
    subject TEXT NOT NULL DEFAULT '',
    channels TEXT NOT NULL DEFAULT '',
    audience TEXT NOT NULL DEFAULT '',
    method TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (area, item_l1, item_l2, level)
);

CREATE TABLE categories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    parent_id BIGINT REFERENCES categories(id),
    path TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    template_key TEXT NOT NULL DEFAULT '',
    standard_row_id BIGINT REFERENCES standard_rows(id),
    sort_order BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX categories_body ON categories(body_id, path);

CREATE TABLE items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    category_id BIGINT NOT NULL REFERENCES categories(id),
    status TEXT NOT NULL,
    index_no TEXT UNIQUE,
    published_version_id BIGINT,
    working_version_id BIGINT,
    scope TEXT NOT NULL DEFAULT 'public',
    validity TEXT NOT NULL DEFAULT 'valid',
    validity_date TEXT,
    replaced_by BIGINT REFERENCES items(id),
    withdrawn_reason TEXT NOT NULL DEFAULT '',
    withdrawn_at BIGINT,
    first_published_at BIGINT,
    published_at BIGINT,
    published_on TEXT,
    due_on TEXT,
    late BOOLEAN NOT NULL DEFAULT FALSE,
    normative_kind TEXT NOT NULL DEFAULT 'none',
    title TEXT NOT NULL,
    doc_no TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX items_body_status ON items(body_id, status, published_at);
CREATE INDEX items_category ON items(category_id, status, published_at);
CREATE INDEX items_doc_no ON items(doc_no);
CREATE INDEX items_dedupe ON items(body_id, published_on, title);

CREATE TABLE item_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES items(id),
    number BIGINT NOT NULL,
    state TEXT NOT NULL,
    title TEXT NOT NULL,
    doc_no TEXT NOT NULL DEFAULT '',
    written_on TEXT,
    formed_on TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    keywords TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    body_md TEXT NOT NULL DEFAULT '',
    scope TEXT NOT NULL DEFAULT 'public',
    open_method TEXT NOT NULL DEFAULT 'proactive',
    normative_kind TEXT NOT NULL DEFAULT 'none',
    related TEXT NOT NULL DEFAULT '[]',
    author_id BIGINT NOT NULL REFERENCES users(id),
    reviewer_id BIGINT REFERENCES users(id),
    approver_id BIGINT REFERENCES users(id),
    conclusion TEXT,
    legal_ground TEXT,
    scheduled_at BIGINT,
    published_at BIGINT,
    content_hash TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (item_id, number)
);
CREATE INDEX item_versions_state ON item_versions(state, scheduled_at);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id BIGINT NOT NULL REFERENCES item_versions(id),
    ord BIGINT NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    mime TEXT NOT NULL,
    text_content TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_version ON attachments(version_id, ord);
CREATE INDEX attachments_sha ON attachments(sha256);

CREATE TABLE item_links (
    item_id BIGINT NOT NULL REFERENCES items(id),
    related_item_id BIGINT NOT NULL REFERENCES items(id),
    PRIMARY KEY (item_id, related_item_id)
);
CREATE INDEX item_links_related ON item_links(related_item_id);

CREATE TABLE workflow_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id BIGINT NOT NULL REFERENCES item_versions(id),
    step TEXT NOT NULL,
    actor_id BIGINT,
    actor_name TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    at_ms BIGINT NOT NULL
);
CREATE INDEX workflow_steps_version ON workflow_steps(version_id, id);

CREATE TABLE findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id BIGINT NOT NULL REFERENCES item_versions(id),
    field TEXT NOT NULL,
    kind TEXT NOT NULL,
    start_pos BIGINT NOT NULL,
    end_pos BIGINT NOT NULL,
    matched TEXT NOT NULL,
    context TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    reason TEXT NOT NULL DEFAULT '',
    resolved_by BIGINT,
    resolved_at BIGINT
);
CREATE INDEX findings_version ON findings(version_id, status);

CREATE TABLE index_counters (
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    year BIGINT NOT NULL,
    next_serial BIGINT NOT NULL,
    PRIMARY KEY (body_id, year)
);

CREATE TABLE ledger (
    seq BIGINT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    body_id BIGINT NOT NULL,
    item_id BIGINT NOT NULL,
    version_id BIGINT NOT NULL,
    index_no TEXT NOT NULL,
    action TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX ledger_item ON ledger(item_id, seq);
CREATE INDEX ledger_content ON ledger(content_hash);

CREATE TABLE ledger_checkpoints (
    seq BIGINT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL
);
