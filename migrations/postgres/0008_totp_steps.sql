-- Second factors: the time step of the last TOTP code accepted for each account, so a code is
-- accepted once (RFC 6238 §5.2), in every process at once. The secret itself is sealed by the
-- application (`secrets.key`) from this version on; plain rows are sealed at start.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
