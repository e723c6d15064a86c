-- 重大事项民主决策 (docs/design/participation.md, stage 2): the record of a collective decision
-- (meeting, date, attendees, motion, vote, minutes file in the attachment store), which may follow
-- an earlier one and which a 公示 may cite.

CREATE TABLE collective_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body_id BIGINT NOT NULL REFERENCES bodies(id),
    meeting_kind TEXT NOT NULL,
    meeting_on TEXT NOT NULL,
    motion TEXT NOT NULL,
    attendees TEXT NOT NULL,
    votes_for BIGINT NOT NULL,
    votes_against BIGINT NOT NULL,
    votes_abstain BIGINT NOT NULL,
    passed BOOLEAN NOT NULL,
    follows_id BIGINT REFERENCES collective_decisions(id),
    minutes_sha256 TEXT,
    minutes_name TEXT,
    minutes_mime TEXT,
    minutes_size BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX collective_decisions_body ON collective_decisions(body_id, meeting_on);

ALTER TABLE notice_periods ADD COLUMN decision_id BIGINT REFERENCES collective_decisions(id);
