-- Public browsing reads items newest first (or oldest first) by (published_at, id), for the
-- whole site or one body, with keyset pagination.
CREATE INDEX items_public_order ON items(scope, published_at, id);
CREATE INDEX items_body_public_order ON items(body_id, scope, published_at, id);
