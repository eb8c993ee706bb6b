-- +goose Up
-- Actors live in one namespace per kind of credential: "jwt:<sub>" for a
-- user of the identity provider, "token:<id>" for an API token, "cli" for
-- the operator. Entries written before carried a JWT's subject bare, so a
-- JWT whose subject was "token:1" read as API token 1; an entry made with an
-- API token always has its actor_token_id, which tells them apart.
UPDATE audit_log SET actor_subject = 'jwt:' || actor_subject
    WHERE actor_token_id IS NULL AND actor_subject <> 'cli';
UPDATE api_tokens SET created_by = 'jwt:' || created_by
    WHERE created_by <> 'cli' AND created_by NOT LIKE 'token:%';

-- Unique keys compare case-insensitively: the application stores them
-- normalised (NFKC, no zero-width characters, trimmed), and these indexes
-- refuse a second key that differs only in case. A database that already
-- holds two such keys stops here: rename one, then migrate again.
CREATE UNIQUE INDEX organizations_acronym_folded_key ON organizations (lower(acronym));
CREATE UNIQUE INDEX organizations_slug_folded_key ON organizations (lower(slug));
CREATE UNIQUE INDEX places_slug_folded_key ON places (lower(slug));
CREATE UNIQUE INDEX topics_slug_folded_key ON topics (lower(slug));
CREATE UNIQUE INDEX people_slug_folded_key ON people (lower(slug));
CREATE UNIQUE INDEX initiatives_slug_folded_key ON initiatives (lower(slug));
CREATE UNIQUE INDEX meetings_slug_folded_key ON meetings (lower(slug));
CREATE UNIQUE INDEX action_items_slug_folded_key ON action_items (lower(slug));
CREATE UNIQUE INDEX sources_slug_folded_key ON sources (lower(slug));
CREATE UNIQUE INDEX results_slug_folded_key ON results (lower(slug));

-- One row that the readiness check rewrites, to learn whether the database
-- takes writes (it may answer reads and refuse writes: read-only, full).
CREATE TABLE write_probe (
    id        integer PRIMARY KEY CHECK (id = 1),
    probed_at DATETIME NOT NULL
);
INSERT INTO write_probe (id, probed_at) VALUES (1, strftime('%Y-%m-%d %H:%M:%S+00:00', 'now'));

-- +goose Down
DROP TABLE write_probe;
DROP INDEX results_slug_folded_key;
DROP INDEX sources_slug_folded_key;
DROP INDEX action_items_slug_folded_key;
DROP INDEX meetings_slug_folded_key;
DROP INDEX initiatives_slug_folded_key;
DROP INDEX people_slug_folded_key;
DROP INDEX topics_slug_folded_key;
DROP INDEX places_slug_folded_key;
DROP INDEX organizations_slug_folded_key;
DROP INDEX organizations_acronym_folded_key;
UPDATE api_tokens SET created_by = substr(created_by, 5) WHERE created_by LIKE 'jwt:%';
UPDATE audit_log SET actor_subject = substr(actor_subject, 5)
    WHERE actor_token_id IS NULL AND actor_subject LIKE 'jwt:%';
