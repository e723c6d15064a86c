-- 双公示, second part (docs/design/services.md): how a decision was entered, voiding an entry
-- error with its reason (a voided 文书号 may be entered again), and when a public record's
-- display period ended (the tick pass writes the change log once, so search and feeds follow).

ALTER TABLE credit_decisions ADD COLUMN entered_via TEXT NOT NULL DEFAULT 'form';
ALTER TABLE credit_decisions ADD COLUMN void_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE credit_decisions ADD COLUMN created_by BIGINT;
ALTER TABLE credit_public ADD COLUMN expired_at BIGINT;
DROP INDEX credit_decisions_doc;
CREATE UNIQUE INDEX credit_decisions_doc ON credit_decisions(body_id, kind, doc_no) WHERE status <> 'void';
CREATE INDEX credit_public_body ON credit_public(body_id, kind, published_at, id);
