-- 民主评议 (docs/design/supervision.md, stage 4): surveys of chosen bodies, and the answers,
-- one per person and body (voter_key is a keyed hash of the identity, never the identity).

CREATE TABLE surveys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    title TEXT NOT NULL,
    intro TEXT NOT NULL,
    audience TEXT NOT NULL,
    opens_on TEXT NOT NULL,
    closes_on TEXT NOT NULL,
    min_answers BIGINT NOT NULL,
    questions TEXT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE survey_bodies (
    survey_id BIGINT NOT NULL REFERENCES surveys(id),
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    PRIMARY KEY (survey_id, body_id)
);

CREATE TABLE survey_answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    survey_id BIGINT NOT NULL REFERENCES surveys(id),
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    voter_key TEXT NOT NULL,
    scores TEXT NOT NULL,
    text TEXT NOT NULL,
    text_status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (survey_id, body_id, voter_key)
);
CREATE INDEX survey_answers_survey ON survey_answers(survey_id, body_id);
