-- +goose Up
-- The same schema as migrations/postgres/00001_domain.sql, in SQLite's types:
-- timestamps are UTC text in the form the Go driver writes, so that they
-- compare correctly as text.
-- The domain: who works with whom, on what, decided where, with which results,
-- and the sources every fact comes from. Enumerations are stored as their
-- GraphQL names and checked here, so the database refuses what the API would.

CREATE TABLE places (
    id           INTEGER PRIMARY KEY,
    slug         text NOT NULL UNIQUE,
    name         text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('CONTINENT', 'REGION', 'SUBREGION', 'COUNTRY', 'CITY', 'VENUE')),
    parent_id    INTEGER REFERENCES places (id),
    country_code text CHECK (country_code GLOB '[A-Z][A-Z]'),
    description  text NOT NULL DEFAULT '',
    version      integer NOT NULL DEFAULT 1,
    created_at   DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at   DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now'))
);
CREATE INDEX places_parent_id_idx ON places (parent_id);

CREATE TABLE topics (
    id          INTEGER PRIMARY KEY,
    slug        text NOT NULL UNIQUE,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    version     integer NOT NULL DEFAULT 1,
    created_at  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now'))
);

-- How a place figures in a topic: West Africa is the transit region of the
-- narcotics route from Latin America to Europe.
CREATE TABLE topic_places (
    id          INTEGER PRIMARY KEY,
    topic_id    INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    place_id    INTEGER NOT NULL REFERENCES places (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('AFFECTED', 'ORIGIN', 'TRANSIT', 'DESTINATION')),
    description text NOT NULL DEFAULT '',
    version     integer NOT NULL DEFAULT 1,
    created_at  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    UNIQUE (topic_id, place_id, role)
);
CREATE INDEX topic_places_place_id_idx ON topic_places (place_id);

CREATE TABLE organizations (
    id                    INTEGER PRIMARY KEY,
    slug                  text NOT NULL UNIQUE,
    acronym               text UNIQUE,
    name                  text NOT NULL,
    kind                  text NOT NULL CHECK (kind IN ('INTERGOVERNMENTAL_ORGANIZATION', 'REGIONAL_ORGANIZATION',
                              'PRINCIPAL_ORGAN', 'DEPARTMENT', 'DIVISION', 'OFFICE', 'PEACE_OPERATION', 'GROUP',
                              'GOVERNMENT', 'NON_GOVERNMENTAL_ORGANIZATION', 'OTHER')),
    parent_id             INTEGER REFERENCES organizations (id),
    founded_year          integer CHECK (founded_year BETWEEN 1000 AND 3000),
    headquarters_place_id INTEGER REFERENCES places (id),
    description           text NOT NULL DEFAULT '',
    version               integer NOT NULL DEFAULT 1,
    created_at            DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at            DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now'))
);
CREATE INDEX organizations_parent_id_idx ON organizations (parent_id);
CREATE INDEX organizations_headquarters_place_id_idx ON organizations (headquarters_place_id);

CREATE TABLE people (
    id              INTEGER PRIMARY KEY,
    slug            text NOT NULL UNIQUE,
    name            text NOT NULL,
    honorific       text NOT NULL DEFAULT '',
    given_name      text NOT NULL DEFAULT '',
    family_name     text NOT NULL DEFAULT '',
    description     text NOT NULL DEFAULT '',
    version         integer NOT NULL DEFAULT 1,
    created_at      DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at      DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now'))
);

CREATE TABLE positions (
    id              INTEGER PRIMARY KEY,
    person_id       INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    title           text NOT NULL,
    is_head         BOOLEAN NOT NULL DEFAULT false,
    as_of           DATE,
    version         integer NOT NULL DEFAULT 1,
    created_at      DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at      DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    UNIQUE (person_id, organization_id, title)
);
CREATE INDEX positions_organization_id_idx ON positions (organization_id);

-- Initiatives are IATI activities: programmes, action plans, frameworks.
CREATE TABLE initiatives (
    id                      INTEGER PRIMARY KEY,
    slug                    text NOT NULL UNIQUE,
    title                   text NOT NULL,
    short_title             text NOT NULL DEFAULT '',
    kind                    text NOT NULL CHECK (kind IN ('INITIATIVE', 'ACTION_PLAN', 'FRAMEWORK', 'PROGRAMME', 'PROJECT')),
    status                  text NOT NULL CHECK (status IN ('PIPELINE', 'IMPLEMENTATION', 'FINALISATION', 'CLOSED', 'CANCELLED', 'SUSPENDED')),
    description             text NOT NULL DEFAULT '',
    objective               text NOT NULL DEFAULT '',
    planned_start_on        DATE,
    planned_start_precision text CHECK (planned_start_precision IN ('DAY', 'MONTH', 'YEAR')),
    actual_start_on         DATE,
    actual_start_precision  text CHECK (actual_start_precision IN ('DAY', 'MONTH', 'YEAR')),
    planned_end_on          DATE,
    planned_end_precision   text CHECK (planned_end_precision IN ('DAY', 'MONTH', 'YEAR')),
    actual_end_on           DATE,
    actual_end_precision    text CHECK (actual_end_precision IN ('DAY', 'MONTH', 'YEAR')),
    version                 integer NOT NULL DEFAULT 1,
    created_at              DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at              DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    CHECK ((planned_start_on IS NULL) = (planned_start_precision IS NULL)),
    CHECK ((actual_start_on IS NULL) = (actual_start_precision IS NULL)),
    CHECK ((planned_end_on IS NULL) = (planned_end_precision IS NULL)),
    CHECK ((actual_end_on IS NULL) = (actual_end_precision IS NULL))
);

CREATE TABLE initiative_topics (
    initiative_id INTEGER NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    topic_id      INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    PRIMARY KEY (initiative_id, topic_id)
);
CREATE INDEX initiative_topics_topic_id_idx ON initiative_topics (topic_id);

CREATE TABLE initiative_places (
    initiative_id INTEGER NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    place_id      INTEGER NOT NULL REFERENCES places (id) ON DELETE CASCADE,
    PRIMARY KEY (initiative_id, place_id)
);
CREATE INDEX initiative_places_place_id_idx ON initiative_places (place_id);

-- A related-activity link, stated from initiative_id's side: type PARENT means
-- related_initiative_id is the parent of initiative_id (IATI RelatedActivityType).
CREATE TABLE initiative_relations (
    id                    INTEGER PRIMARY KEY,
    initiative_id         INTEGER NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    related_initiative_id INTEGER NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    type                  text NOT NULL CHECK (type IN ('PARENT', 'CHILD', 'SIBLING', 'CO_FUNDED', 'THIRD_PARTY')),
    description           text NOT NULL DEFAULT '',
    version               integer NOT NULL DEFAULT 1,
    created_at            DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at            DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    UNIQUE (initiative_id, related_initiative_id, type),
    CHECK (initiative_id <> related_initiative_id)
);
CREATE INDEX initiative_relations_related_initiative_id_idx ON initiative_relations (related_initiative_id);

-- A partnership is an IATI participating organisation: one row per role, so
-- an organization can be both accountable for and implementing an initiative.
CREATE TABLE partnerships (
    id              INTEGER PRIMARY KEY,
    initiative_id   INTEGER NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    role            text NOT NULL CHECK (role IN ('FUNDING', 'ACCOUNTABLE', 'EXTENDING', 'IMPLEMENTING')),
    status          text NOT NULL CHECK (status IN ('ACTIVE', 'DESIRED', 'PROPOSED', 'ENDED')),
    description     text NOT NULL DEFAULT '',
    version         integer NOT NULL DEFAULT 1,
    created_at      DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at      DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    UNIQUE (initiative_id, organization_id, role)
);
CREATE INDEX partnerships_organization_id_idx ON partnerships (organization_id);

CREATE TABLE meetings (
    id                        INTEGER PRIMARY KEY,
    slug                      text NOT NULL UNIQUE,
    title                     text NOT NULL,
    kind                      text NOT NULL CHECK (kind IN ('BILATERAL_MEETING', 'BRIEFING', 'TALKS', 'CONFERENCE',
                                  'GENERAL_ASSEMBLY', 'MINISTERIAL_MEETING', 'WORKING_LEVEL_DISCUSSIONS', 'OTHER')),
    status                    text NOT NULL CHECK (status IN ('PLANNED', 'HELD', 'CANCELLED')),
    starts_on                 DATE,
    date_precision            text CHECK (date_precision IN ('DAY', 'MONTH', 'YEAR')),
    place_id                  INTEGER REFERENCES places (id),
    organizer_organization_id INTEGER REFERENCES organizations (id),
    attendee_count            integer CHECK (attendee_count >= 0),
    attendee_description      text NOT NULL DEFAULT '',
    theme                     text NOT NULL DEFAULT '',
    summary                   text NOT NULL DEFAULT '',
    version                   integer NOT NULL DEFAULT 1,
    created_at                DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at                DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    CHECK ((starts_on IS NULL) = (date_precision IS NULL))
);
CREATE INDEX meetings_starts_on_idx ON meetings (starts_on, id);
CREATE INDEX meetings_place_id_idx ON meetings (place_id);
CREATE INDEX meetings_organizer_organization_id_idx ON meetings (organizer_organization_id);

CREATE TABLE meeting_initiatives (
    meeting_id    INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    initiative_id INTEGER NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    PRIMARY KEY (meeting_id, initiative_id)
);
CREATE INDEX meeting_initiatives_initiative_id_idx ON meeting_initiatives (initiative_id, meeting_id);

CREATE TABLE meeting_topics (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    topic_id   INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    PRIMARY KEY (meeting_id, topic_id)
);
CREATE INDEX meeting_topics_topic_id_idx ON meeting_topics (topic_id);

-- A participant is a person (with the organization they represented) or an
-- organization taking part as a whole.
CREATE TABLE participants (
    id              INTEGER PRIMARY KEY,
    meeting_id      INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    person_id       INTEGER REFERENCES people (id),
    organization_id INTEGER REFERENCES organizations (id),
    role            text NOT NULL CHECK (role IN ('HOST', 'GUEST', 'CHAIR', 'BRIEFER', 'SPEAKER', 'ORGANIZER', 'ATTENDEE')),
    description     text NOT NULL DEFAULT '',
    version         integer NOT NULL DEFAULT 1,
    created_at      DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at      DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    CHECK (person_id IS NOT NULL OR organization_id IS NOT NULL)
);
CREATE INDEX participants_meeting_id_idx ON participants (meeting_id);
CREATE INDEX participants_person_id_idx ON participants (person_id);
CREATE INDEX participants_organization_id_idx ON participants (organization_id);

CREATE TABLE outcomes (
    id            INTEGER PRIMARY KEY,
    meeting_id    INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('DECLARATION', 'PLAN_ADOPTED', 'ENDORSEMENT', 'AGREEMENT',
                      'DECISION', 'RECOMMENDATION', 'DISCUSSION')),
    status        text NOT NULL CHECK (status IN ('EXPECTED', 'ACHIEVED')),
    title         text NOT NULL,
    description   text NOT NULL DEFAULT '',
    initiative_id INTEGER REFERENCES initiatives (id) ON DELETE SET NULL,
    version       integer NOT NULL DEFAULT 1,
    created_at    DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at    DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now'))
);
CREATE INDEX outcomes_meeting_id_idx ON outcomes (meeting_id);
CREATE INDEX outcomes_initiative_id_idx ON outcomes (initiative_id);

CREATE TABLE statements (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    meeting_id  INTEGER REFERENCES meetings (id) ON DELETE SET NULL,
    kind        text NOT NULL CHECK (kind IN ('QUOTE', 'PARAPHRASE')),
    text        text NOT NULL,
    version     integer NOT NULL DEFAULT 1,
    created_at  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now'))
);
CREATE INDEX statements_person_id_idx ON statements (person_id);
CREATE INDEX statements_meeting_id_idx ON statements (meeting_id);

CREATE TABLE action_items (
    id                    INTEGER PRIMARY KEY,
    slug                  text NOT NULL UNIQUE,
    title                 text NOT NULL,
    description           text NOT NULL DEFAULT '',
    status                text NOT NULL CHECK (status IN ('NOT_STARTED', 'IN_PROGRESS', 'BLOCKED', 'DONE', 'CANCELLED')),
    initiative_id         INTEGER REFERENCES initiatives (id) ON DELETE SET NULL,
    owner_organization_id INTEGER NOT NULL REFERENCES organizations (id),
    meeting_id            INTEGER REFERENCES meetings (id) ON DELETE SET NULL,
    due_on                DATE,
    due_precision         text CHECK (due_precision IN ('DAY', 'MONTH', 'YEAR')),
    version               integer NOT NULL DEFAULT 1,
    created_at            DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at            DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    CHECK ((due_on IS NULL) = (due_precision IS NULL))
);
CREATE INDEX action_items_initiative_id_idx ON action_items (initiative_id);
CREATE INDEX action_items_owner_organization_id_idx ON action_items (owner_organization_id);
CREATE INDEX action_items_meeting_id_idx ON action_items (meeting_id);
CREATE INDEX action_items_status_idx ON action_items (status, id);

-- The organizations through which an action item is carried out.
CREATE TABLE action_item_contributors (
    action_item_id  INTEGER NOT NULL REFERENCES action_items (id) ON DELETE CASCADE,
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (action_item_id, organization_id)
);
CREATE INDEX action_item_contributors_organization_id_idx ON action_item_contributors (organization_id);

CREATE TABLE sources (
    id               INTEGER PRIMARY KEY,
    slug             text NOT NULL UNIQUE,
    kind             text NOT NULL CHECK (kind IN ('NEWS_ARTICLE', 'PHOTO', 'PRESS_RELEASE', 'REPORT', 'WEB_PAGE', 'OTHER')),
    title            text NOT NULL,
    publication      text NOT NULL DEFAULT '',
    publisher        text NOT NULL DEFAULT '',
    author           text NOT NULL DEFAULT '',
    dateline         text NOT NULL DEFAULT '',
    published_at     DATETIME,
    url              text NOT NULL DEFAULT '',
    identifier       text NOT NULL DEFAULT '',
    language         text NOT NULL DEFAULT 'en',
    body             text NOT NULL DEFAULT '',
    parent_source_id INTEGER REFERENCES sources (id),
    version          integer NOT NULL DEFAULT 1,
    created_at       DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at       DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now'))
);
CREATE INDEX sources_parent_source_id_idx ON sources (parent_source_id);

CREATE TABLE metrics (
    id          INTEGER PRIMARY KEY,
    key         text NOT NULL UNIQUE,
    name        text NOT NULL,
    unit        text NOT NULL,
    description text NOT NULL DEFAULT '',
    version     integer NOT NULL DEFAULT 1,
    created_at  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at  DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now'))
);

CREATE TABLE statistics (
    id                    INTEGER PRIMARY KEY,
    metric_id             INTEGER NOT NULL REFERENCES metrics (id),
    value                 REAL NOT NULL,
    as_of                 DATE NOT NULL,
    as_of_precision       text NOT NULL CHECK (as_of_precision IN ('DAY', 'MONTH', 'YEAR')),
    scope                 text NOT NULL DEFAULT '',
    scope_organization_id INTEGER REFERENCES organizations (id),
    scope_place_id        INTEGER REFERENCES places (id),
    source_id             INTEGER REFERENCES sources (id),
    note                  text NOT NULL DEFAULT '',
    version               integer NOT NULL DEFAULT 1,
    created_at            DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at            DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now'))
);
CREATE INDEX statistics_metric_id_as_of_idx ON statistics (metric_id, as_of, id);
CREATE INDEX statistics_scope_organization_id_idx ON statistics (scope_organization_id);
CREATE INDEX statistics_scope_place_id_idx ON statistics (scope_place_id);
CREATE INDEX statistics_source_id_idx ON statistics (source_id);

-- Results, indicators, baselines, targets and actuals, as in IATI's results
-- framework; the measured figures themselves are statistics.
CREATE TABLE results (
    id              INTEGER PRIMARY KEY,
    slug            text NOT NULL UNIQUE,
    type            text NOT NULL CHECK (type IN ('OUTPUT', 'OUTCOME', 'IMPACT', 'OTHER')),
    title           text NOT NULL,
    description     text NOT NULL DEFAULT '',
    initiative_id   INTEGER REFERENCES initiatives (id) ON DELETE CASCADE,
    organization_id INTEGER REFERENCES organizations (id),
    version         integer NOT NULL DEFAULT 1,
    created_at      DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at      DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now'))
);
CREATE INDEX results_initiative_id_idx ON results (initiative_id);
CREATE INDEX results_organization_id_idx ON results (organization_id);

CREATE TABLE indicators (
    id                    INTEGER PRIMARY KEY,
    result_id             INTEGER NOT NULL REFERENCES results (id) ON DELETE CASCADE,
    metric_id             INTEGER NOT NULL REFERENCES metrics (id),
    title                 text NOT NULL,
    description           text NOT NULL DEFAULT '',
    measure               text NOT NULL CHECK (measure IN ('UNIT', 'PERCENTAGE', 'NOMINAL', 'ORDINAL', 'QUALITATIVE')),
    ascending             BOOLEAN NOT NULL DEFAULT true,
    baseline_statistic_id INTEGER REFERENCES statistics (id),
    target_statistic_id   INTEGER REFERENCES statistics (id),
    actual_statistic_id   INTEGER REFERENCES statistics (id),
    version               integer NOT NULL DEFAULT 1,
    created_at            DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at            DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now'))
);
CREATE INDEX indicators_result_id_idx ON indicators (result_id);
CREATE INDEX indicators_metric_id_idx ON indicators (metric_id);

-- A citation ties one fact about one entity (subject_type, subject_id; field
-- names the attribute or relation, NULL for the entity as a whole) to the verbatim
-- excerpt of a source that supports it.
CREATE TABLE citations (
    id           INTEGER PRIMARY KEY,
    source_id    INTEGER NOT NULL REFERENCES sources (id),
    subject_type text NOT NULL,
    subject_id   INTEGER NOT NULL,
    field        text CHECK (field <> ''),
    excerpt      text NOT NULL CHECK (excerpt <> ''),
    version      integer NOT NULL DEFAULT 1,
    created_at   DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now')),
    updated_at   DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S+00:00', 'now'))
);
CREATE INDEX citations_subject_idx ON citations (subject_type, subject_id);
CREATE INDEX citations_source_id_idx ON citations (source_id);
