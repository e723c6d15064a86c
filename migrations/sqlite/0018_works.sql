-- 重点工作 and 承诺事项 (docs/design/participation.md, stage 5): a piece of work with its steps
-- (stage, owner, body, deadline, status, progress), the dated updates of its timeline and its
-- result; a commitment is public once published.

CREATE TABLE works (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    result TEXT NOT NULL DEFAULT '',
    completed_on TEXT,
    published_at BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX works_body ON works(body_id, id);

CREATE TABLE work_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    work_id BIGINT NOT NULL REFERENCES works(id),
    stage BIGINT NOT NULL,
    title TEXT NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES users(id),
    owner_name TEXT NOT NULL,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    due_on TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'not_started',
    progress BIGINT NOT NULL DEFAULT 0,
    done_on TEXT,
    escalated_on TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX work_steps_work ON work_steps(work_id, stage, id);
CREATE INDEX work_steps_owner ON work_steps(owner_id, status);

CREATE TABLE work_updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    work_id BIGINT NOT NULL REFERENCES works(id),
    step_id BIGINT REFERENCES work_steps(id),
    on_date TEXT NOT NULL,
    status TEXT NOT NULL,
    progress BIGINT NOT NULL,
    note TEXT NOT NULL,
    by_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX work_updates_work ON work_updates(work_id, id);
