-- +goose Up
-- API tokens for services and scripts: only a hash of the secret is kept.
CREATE TABLE api_tokens (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (name <> ''),
    token_hash  text NOT NULL UNIQUE,
    role        text NOT NULL CHECK (role IN ('VIEWER', 'OFFICER', 'ADMIN')),
    created_by  text NOT NULL,
    expires_at  timestamptz,
    revoked_at  timestamptz,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The organizations an OFFICER token may change (with their sub-organizations).
CREATE TABLE api_token_organizations (
    api_token_id    bigint NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    organization_id bigint NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (api_token_id, organization_id)
);

-- Every change made through the API, written in the transaction that makes
-- it: who, what (the fields before and after, as JSON), when, in which
-- request. Rows are only ever added.
CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    occurred_at    timestamptz NOT NULL,
    request_id     text NOT NULL,
    actor_subject  text NOT NULL,
    actor_name     text NOT NULL DEFAULT '',
    actor_role     text NOT NULL CHECK (actor_role IN ('VIEWER', 'OFFICER', 'ADMIN')),
    actor_token_id bigint REFERENCES api_tokens (id),
    action         text NOT NULL CHECK (action IN ('CREATE', 'UPDATE', 'STATUS_CHANGE', 'DELETE', 'REVOKE')),
    entity_type    text NOT NULL,
    entity_id      bigint NOT NULL,
    changes        text NOT NULL DEFAULT '[]',
    note           text,
    from_status    text,
    to_status      text
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, id);
CREATE INDEX audit_log_occurred_at_idx ON audit_log (occurred_at, id);
CREATE INDEX audit_log_actor_subject_idx ON audit_log (actor_subject, id);
