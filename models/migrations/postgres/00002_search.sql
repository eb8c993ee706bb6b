-- +goose Up
-- Full-text search over the objects people look for by name or content.
-- Triggers keep one document per object current, whatever writes the row;
-- the weighted tsvector ranks title matches above body matches.
CREATE TABLE search_documents (
    node_type text NOT NULL,
    node_id   bigint NOT NULL,
    title     text NOT NULL,
    body      text NOT NULL,
    document  tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')) STORED,
    PRIMARY KEY (node_type, node_id)
);
CREATE INDEX search_documents_document_idx ON search_documents USING gin (document);

-- +goose StatementBegin
CREATE FUNCTION search_index_organizations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_documents WHERE node_type = 'Organization' AND node_id = OLD.id;
        RETURN OLD;
    END IF;
    INSERT INTO search_documents (node_type, node_id, title, body)
    VALUES ('Organization', NEW.id, NEW.name, concat_ws(' ', NEW.acronym, NEW.description))
    ON CONFLICT (node_type, node_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER organizations_search AFTER INSERT OR UPDATE OR DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION search_index_organizations();

-- +goose StatementBegin
CREATE FUNCTION search_index_people() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_documents WHERE node_type = 'Person' AND node_id = OLD.id;
        RETURN OLD;
    END IF;
    INSERT INTO search_documents (node_type, node_id, title, body)
    VALUES ('Person', NEW.id, NEW.name, concat_ws(' ', NEW.honorific, NEW.description))
    ON CONFLICT (node_type, node_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER people_search AFTER INSERT OR UPDATE OR DELETE ON people
    FOR EACH ROW EXECUTE FUNCTION search_index_people();

-- +goose StatementBegin
CREATE FUNCTION search_index_initiatives() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_documents WHERE node_type = 'Initiative' AND node_id = OLD.id;
        RETURN OLD;
    END IF;
    INSERT INTO search_documents (node_type, node_id, title, body)
    VALUES ('Initiative', NEW.id, NEW.title, concat_ws(' ', NEW.short_title, NEW.description, NEW.objective))
    ON CONFLICT (node_type, node_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER initiatives_search AFTER INSERT OR UPDATE OR DELETE ON initiatives
    FOR EACH ROW EXECUTE FUNCTION search_index_initiatives();

-- +goose StatementBegin
CREATE FUNCTION search_index_meetings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_documents WHERE node_type = 'Meeting' AND node_id = OLD.id;
        RETURN OLD;
    END IF;
    INSERT INTO search_documents (node_type, node_id, title, body)
    VALUES ('Meeting', NEW.id, NEW.title, concat_ws(' ', NEW.theme, NEW.summary, NEW.attendee_description))
    ON CONFLICT (node_type, node_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER meetings_search AFTER INSERT OR UPDATE OR DELETE ON meetings
    FOR EACH ROW EXECUTE FUNCTION search_index_meetings();

-- +goose StatementBegin
CREATE FUNCTION search_index_action_items() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_documents WHERE node_type = 'ActionItem' AND node_id = OLD.id;
        RETURN OLD;
    END IF;
    INSERT INTO search_documents (node_type, node_id, title, body)
    VALUES ('ActionItem', NEW.id, NEW.title, NEW.description)
    ON CONFLICT (node_type, node_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER action_items_search AFTER INSERT OR UPDATE OR DELETE ON action_items
    FOR EACH ROW EXECUTE FUNCTION search_index_action_items();

-- +goose StatementBegin
CREATE FUNCTION search_index_sources() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_documents WHERE node_type = 'Source' AND node_id = OLD.id;
        RETURN OLD;
    END IF;
    INSERT INTO search_documents (node_type, node_id, title, body)
    VALUES ('Source', NEW.id, NEW.title, concat_ws(' ', NEW.publication, NEW.author, NEW.dateline, NEW.body))
    ON CONFLICT (node_type, node_id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER sources_search AFTER INSERT OR UPDATE OR DELETE ON sources
    FOR EACH ROW EXECUTE FUNCTION search_index_sources();
