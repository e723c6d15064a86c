-- 年度评比表彰 (docs/design/supervision.md, stage 5): the commendation list of a year that a
-- supervising body's group confirmed, with the scores it was confirmed on (audited).

CREATE TABLE commendations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    year BIGINT NOT NULL,
    list TEXT NOT NULL,
    confirmed_by TEXT NOT NULL,
    confirmed_at BIGINT NOT NULL,
    UNIQUE (body_id, year)
);
