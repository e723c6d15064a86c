-- 会议纪要 and 内部通知 with read receipts (docs/design/participation.md, stage 4): an internal
-- document a body sends to chosen offices and people, one receipt per recipient account
-- (expanded when sent), read once and reminded while unread.

CREATE TABLE circulars (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    meeting_on TEXT,
    target_bodies TEXT NOT NULL,
    file_sha256 TEXT,
    file_name TEXT,
    file_mime TEXT,
    file_size BIGINT,
    sent_by BIGINT NOT NULL REFERENCES users(id),
    sent_by_name TEXT NOT NULL,
    sent_on TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX circulars_body ON circulars(body_id, id);
CREATE INDEX circulars_sender ON circulars(sent_by, id);

CREATE TABLE circular_receipts (
    circular_id BIGINT NOT NULL REFERENCES circulars(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    read_at BIGINT,
    reminders BIGINT NOT NULL DEFAULT 0,
    reminded_on TEXT,
    PRIMARY KEY (circular_id, user_id)
);
CREATE INDEX circular_receipts_user ON circular_receipts(user_id, read_at);
