-- The statutory annual report (docs/design/annual-report.md). A computed report keeps only the
-- staff's texts (its tables are counted from the records while it is a draft); an imported one
-- (a year before the system) keeps its tables as given. Each item version submitted for review
-- freezes the whole report, which is what the public page shows once that version is published.

CREATE TABLE annual_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    year BIGINT NOT NULL,
    format TEXT NOT NULL,
    source TEXT NOT NULL,
    sections TEXT NOT NULL DEFAULT '{}',
    imported TEXT,
    item_id BIGINT REFERENCES items(id),
    version BIGINT NOT NULL DEFAULT 1,
    updated_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (body_id, year)
);

CREATE TABLE annual_report_versions (
    version_id BIGINT PRIMARY KEY REFERENCES item_versions(id),
    report_id BIGINT NOT NULL REFERENCES annual_reports(id),
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX annual_report_versions_report ON annual_report_versions(report_id);
