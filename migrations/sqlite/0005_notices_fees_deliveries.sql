-- 依申请公开: per-body notice templates, fees as structured data, delivery records.

-- A body's own text of a notice kind (receipt, correction, consultation, extension, fee,
-- reply.{reply type}); a body without a row uses the built-in default.
CREATE TABLE notice_templates (
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (body_id, kind)
);

-- 收费通知 (国办函〔2020〕109号) and its payment. Amounts in fen (0.01 元).
CREATE TABLE application_fees (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id BIGINT NOT NULL REFERENCES applications(id),
    noticed_on TEXT NOT NULL,
    method TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    standard_fen BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    adjust_reason TEXT NOT NULL DEFAULT '',
    due_on TEXT NOT NULL,
    paid_on TEXT,
    paid_fen BIGINT,
    receipt_no TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX application_fees_app ON application_fees(application_id, id);

-- Delivery (送达) of a notice: how, when, and an optional proof file in the attachment store.
CREATE TABLE application_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id BIGINT NOT NULL REFERENCES applications(id),
    notice TEXT NOT NULL,
    method TEXT NOT NULL,
    delivered_on TEXT NOT NULL,
    tracking_no TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    proof_sha256 TEXT,
    proof_name TEXT,
    proof_mime TEXT,
    proof_size BIGINT,
    actor_id BIGINT,
    actor_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX application_deliveries_app ON application_deliveries(application_id, id);
