-- 征求意见 (docs/design/participation.md, stage 3): a published draft's comment window and
-- 起草说明, the public's comments (names and contacts sealed; moderated), the 意见采纳情况 as
-- themed groups with a disposition and reason, and the final version it led to.

CREATE TABLE consultations (
    item_id BIGINT PRIMARY KEY REFERENCES items(id),
    start_on TEXT NOT NULL,
    end_on TEXT NOT NULL,
    days BIGINT NOT NULL,
    unit TEXT NOT NULL,
    explanation TEXT NOT NULL DEFAULT '',
    final_item_id BIGINT REFERENCES items(id),
    feedback_at BIGINT,
    feedback_seq BIGINT,
    created_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX consultations_final ON consultations(final_item_id);

CREATE TABLE consultation_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES items(id),
    position BIGINT NOT NULL,
    theme TEXT NOT NULL,
    disposition TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX consultation_groups_item ON consultation_groups(item_id, position);

CREATE TABLE consultation_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES items(id),
    number TEXT NOT NULL UNIQUE,
    paragraph BIGINT NOT NULL DEFAULT 0,
    text TEXT NOT NULL,
    name_sealed TEXT NOT NULL,
    contact_sealed TEXT NOT NULL,
    public_name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    held_reason TEXT NOT NULL DEFAULT '',
    hidden_reason TEXT NOT NULL DEFAULT '',
    moderated_by TEXT NOT NULL DEFAULT '',
    moderated_at BIGINT,
    group_id BIGINT REFERENCES consultation_groups(id),
    received_at BIGINT NOT NULL,
    received_on TEXT NOT NULL
);
CREATE INDEX consultation_comments_item ON consultation_comments(item_id, id);
