-- The public page of an item kept as one row beside it (docs/design/speed.md): its lists
-- (versions, files, related items, ledger, notice and comment periods) as JSON, rewritten in the
-- transaction of every change that shows on the page. `fmt` names the shape of `data`;
-- `item_version` and `version_id` are the item's when the row was written, so a row that missed
-- a change is never shown.
CREATE TABLE item_pages (
    item_id BIGINT PRIMARY KEY REFERENCES items(id),
    fmt INTEGER NOT NULL,
    item_version BIGINT NOT NULL,
    version_id BIGINT,
    data TEXT NOT NULL
);

-- Pages naming an item as their replacement are rewritten with it.
CREATE INDEX items_replaced_by ON items(replaced_by) WHERE replaced_by IS NOT NULL;
