-- API tokens for office systems (the staff API, /api/v1/admin). A token is bound to one body and
-- a set of roles, and acts as a real account (a service account) so that author, reviewer and
-- approver ids and the separation of duties work exactly as for people. Only the SHA-256 of the
-- token is stored; `prefix` is its first characters, for recognising it in lists.

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    -- JSON array of role names, e.g. ["editor"].
    roles TEXT NOT NULL DEFAULT '[]',
    acts_as_user_id BIGINT NOT NULL REFERENCES users(id),
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_body ON api_tokens(body_id);
CREATE INDEX api_tokens_user ON api_tokens(acts_as_user_id);
