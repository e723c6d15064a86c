-- 双公示: 行政许可 and 行政处罚 decisions (docs/design/services.md). The staff record keeps
-- personal values sealed; credit_public holds the masked copy, the only one public pages read.

CREATE TABLE credit_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'recorded',
    party_name TEXT NOT NULL,
    party_type TEXT NOT NULL,
    uscc TEXT NOT NULL DEFAULT '',
    legal_rep TEXT NOT NULL DEFAULT '',
    personal_sealed TEXT NOT NULL DEFAULT '',
    involves_minor BOOLEAN NOT NULL DEFAULT FALSE,
    adult_confirmed BOOLEAN NOT NULL DEFAULT FALSE,
    doc_title TEXT NOT NULL,
    doc_no TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    basis TEXT NOT NULL DEFAULT '',
    fine_fen BIGINT,
    decided_on TEXT NOT NULL,
    valid_until TEXT NOT NULL DEFAULT '',
    publish_due_on TEXT NOT NULL DEFAULT '',
    display_months BIGINT NOT NULL,
    published_on TEXT NOT NULL DEFAULT '',
    late_publish BOOLEAN NOT NULL DEFAULT FALSE,
    withheld_reason TEXT NOT NULL DEFAULT '',
    revoked_on TEXT NOT NULL DEFAULT '',
    withdraw_reason TEXT NOT NULL DEFAULT '',
    withdraw_due_on TEXT NOT NULL DEFAULT '',
    withdrawn_on TEXT NOT NULL DEFAULT '',
    late_withdraw BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX credit_decisions_doc ON credit_decisions(body_id, kind, doc_no);
CREATE INDEX credit_decisions_due ON credit_decisions(body_id, status, publish_due_on);
CREATE INDEX credit_decisions_year ON credit_decisions(body_id, kind, decided_on);

CREATE TABLE credit_public (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    decision_id BIGINT NOT NULL UNIQUE REFERENCES credit_decisions(id),
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    party_name TEXT NOT NULL,
    party_type TEXT NOT NULL,
    uscc TEXT NOT NULL DEFAULT '',
    legal_rep TEXT NOT NULL DEFAULT '',
    doc_title TEXT NOT NULL,
    doc_no TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    basis TEXT NOT NULL DEFAULT '',
    fine_fen BIGINT,
    decided_on TEXT NOT NULL,
    valid_until TEXT NOT NULL DEFAULT '',
    published_on TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    display_until TEXT NOT NULL,
    withdrawn_on TEXT NOT NULL DEFAULT '',
    withdraw_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX credit_public_list ON credit_public(kind, display_until, published_at, id);
