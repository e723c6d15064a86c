-- 监督检查 and 考核, 整改 and 责任追究 (docs/design/supervision.md, stages 2 and 3): sets of
-- 考核细则 (criteria with points in tenths and their deduction rules), inspections of chosen bodies
-- under one set with the points deducted per body and criterion, findings with evidence, the
-- rectification each finding becomes, and accountability decisions (internal).

CREATE TABLE assessment_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    name TEXT NOT NULL,
    year BIGINT NOT NULL,
    copied_from BIGINT REFERENCES assessment_rules(id),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX assessment_rules_body ON assessment_rules(body_id, year);

CREATE TABLE assessment_criteria (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rules_id BIGINT NOT NULL REFERENCES assessment_rules(id),
    position BIGINT NOT NULL,
    area TEXT NOT NULL,
    text TEXT NOT NULL,
    points BIGINT NOT NULL,
    deduction TEXT NOT NULL DEFAULT '',
    monitor_rule TEXT
);
CREATE INDEX assessment_criteria_rules ON assessment_criteria(rules_id, position);

CREATE TABLE inspections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    rules_id BIGINT NOT NULL REFERENCES assessment_rules(id),
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    supervision TEXT NOT NULL,
    from_on TEXT NOT NULL,
    to_on TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'running',
    closed_on TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX inspections_body ON inspections(body_id, id);

CREATE TABLE inspection_bodies (
    inspection_id BIGINT NOT NULL REFERENCES inspections(id),
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    PRIMARY KEY (inspection_id, body_id)
);

CREATE TABLE inspection_scores (
    inspection_id BIGINT NOT NULL REFERENCES inspections(id),
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    criterion_id BIGINT NOT NULL REFERENCES assessment_criteria(id),
    deducted BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    from_monitor BOOLEAN NOT NULL DEFAULT FALSE,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (inspection_id, body_id, criterion_id)
);

CREATE TABLE inspection_findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    inspection_id BIGINT NOT NULL REFERENCES inspections(id),
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    criterion_id BIGINT REFERENCES assessment_criteria(id),
    text TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX inspection_findings_inspection ON inspection_findings(inspection_id, body_id, id);

CREATE TABLE rectifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    finding_id BIGINT NOT NULL UNIQUE REFERENCES inspection_findings(id),
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    owner_id BIGINT NOT NULL REFERENCES users(id),
    owner_name TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    evidence TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    submitted_on TEXT,
    accepted_on TEXT,
    escalated_on TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX rectifications_body ON rectifications(body_id, status, due_on);
CREATE INDEX rectifications_owner ON rectifications(owner_id, status);

CREATE TABLE accountability (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    person TEXT NOT NULL,
    what TEXT NOT NULL,
    basis TEXT NOT NULL,
    decision TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX accountability_body ON accountability(body_id, decided_on);
