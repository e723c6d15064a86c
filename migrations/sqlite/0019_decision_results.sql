-- 实施结果公开 (docs/design/participation.md, village flow): the published item that reports how a
-- collective decision was carried out, recorded on the decision once its 公示 has taken effect.

ALTER TABLE collective_decisions ADD COLUMN result_item_id BIGINT REFERENCES items(id);
ALTER TABLE collective_decisions ADD COLUMN result_at BIGINT;
