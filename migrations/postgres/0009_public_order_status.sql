-- The public order indexes carry the status too, so a list's count and its pages are read from
-- the index alone (a body's count was a table lookup per item: 10 ms for 5,000 items).
DROP INDEX items_public_order;
DROP INDEX items_body_public_order;
CREATE INDEX items_public_order ON items(scope, published_at, id, status);
CREATE INDEX items_body_public_order ON items(body_id, scope, published_at, id, status);
