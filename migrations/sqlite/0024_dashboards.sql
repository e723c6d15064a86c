-- Dashboards (docs/design/supervision.md, stage 5): which of its charts a body publishes on
-- /bodies/{id}/dashboard. A chart without a row is not public.

CREATE TABLE dashboard_charts (
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    chart TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (body_id, chart)
);
