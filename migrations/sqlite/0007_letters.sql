-- 信箱、投诉、举报: mailboxes, letters, their history and attachments (docs/design/letters.md).

CREATE TABLE mailboxes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    limit_mode TEXT NOT NULL DEFAULT 'working',
    limit_days BIGINT NOT NULL DEFAULT 15,
    ack_days BIGINT NOT NULL DEFAULT 0,
    extend_days BIGINT NOT NULL DEFAULT 0,
    anonymous_allowed BOOLEAN NOT NULL DEFAULT FALSE,
    publish_allowed BOOLEAN NOT NULL DEFAULT TRUE,
    approval_required BOOLEAN NOT NULL DEFAULT FALSE,
    intro TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX mailboxes_body ON mailboxes(body_id);

CREATE TABLE letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    mailbox_id BIGINT NOT NULL REFERENCES mailboxes(id),
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    content TEXT NOT NULL,
    anonymous BOOLEAN NOT NULL DEFAULT FALSE,
    writer_name TEXT NOT NULL DEFAULT '',
    writer_sealed TEXT NOT NULL DEFAULT '',
    writer_tag TEXT NOT NULL DEFAULT '',
    envelope_key TEXT NOT NULL DEFAULT '',
    envelope_key_id TEXT NOT NULL DEFAULT '',
    consent_publish BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL,
    owner_id BIGINT REFERENCES users(id),
    owner_name TEXT NOT NULL DEFAULT '',
    received_on TEXT NOT NULL,
    -- The mailbox's limit as it was when the letter arrived (a later edit of the mailbox does
    -- not move the deadline of letters already received), and the day the limit runs from
    -- (receipt, or the writer's request to reopen).
    limit_mode TEXT NOT NULL DEFAULT 'working',
    limit_days BIGINT NOT NULL DEFAULT 15,
    ack_days BIGINT NOT NULL DEFAULT 0,
    extend_days BIGINT NOT NULL DEFAULT 0,
    clock_from TEXT NOT NULL DEFAULT '',
    due_on TEXT NOT NULL,
    extended BIGINT NOT NULL DEFAULT 0,
    replied_on TEXT,
    reply_draft TEXT NOT NULL DEFAULT '',
    reply_text TEXT NOT NULL DEFAULT '',
    rating TEXT,
    rated_on TEXT,
    reopened BOOLEAN NOT NULL DEFAULT FALSE,
    published BOOLEAN NOT NULL DEFAULT FALSE,
    pub_subject TEXT NOT NULL DEFAULT '',
    pub_content TEXT NOT NULL DEFAULT '',
    pub_reply TEXT NOT NULL DEFAULT '',
    published_at BIGINT,
    escalated_on TEXT,
    duplicate_of BIGINT,
    application_id BIGINT,
    notified_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX letters_body_due ON letters(body_id, status, due_on);
CREATE INDEX letters_mailbox ON letters(mailbox_id, received_on);
CREATE INDEX letters_tag ON letters(writer_tag, received_on);
CREATE INDEX letters_published ON letters(published, published_at);

CREATE TABLE letter_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    letter_id BIGINT NOT NULL REFERENCES letters(id),
    kind TEXT NOT NULL,
    on_date TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    actor_id BIGINT,
    actor_name TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX letter_events_letter ON letter_events(letter_id, id);

CREATE TABLE letter_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    letter_id BIGINT NOT NULL REFERENCES letters(id),
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    sealed BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE INDEX letter_files_letter ON letter_files(letter_id);

-- An application that was really a complaint points at the letter it became (and back).
ALTER TABLE applications ADD COLUMN letter_id BIGINT;
