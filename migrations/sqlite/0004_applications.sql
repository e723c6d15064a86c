-- 依申请公开: applications and their events (the statutory clock's input and the case history).

CREATE TABLE applications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    routed BOOLEAN NOT NULL DEFAULT TRUE,
    channel TEXT NOT NULL,
    submitted_on TEXT NOT NULL,
    signed_on TEXT,
    confirmed_on TEXT,
    received_on TEXT,
    applicant_type TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    id_type TEXT NOT NULL,
    id_sealed TEXT NOT NULL,
    contact_sealed TEXT NOT NULL,
    description TEXT NOT NULL,
    doc_no_hint TEXT NOT NULL DEFAULT '',
    form_wanted TEXT NOT NULL DEFAULT '',
    delivery TEXT NOT NULL,
    status TEXT NOT NULL,
    handler_id BIGINT REFERENCES users(id),
    due_on TEXT,
    reply_type TEXT,
    reply_row TEXT,
    reply_text TEXT NOT NULL DEFAULT '',
    replied_on TEXT,
    closed_at BIGINT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX applications_body_due ON applications(body_id, status, due_on);
CREATE INDEX applications_received ON applications(body_id, received_on);

CREATE TABLE application_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id BIGINT NOT NULL REFERENCES applications(id),
    kind TEXT NOT NULL,
    on_date TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    actor_id BIGINT,
    actor_name TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX application_events_app ON application_events(application_id, id);
