-- +goose Up
-- Full-text search over the objects people look for by name or content, in
-- an FTS5 table kept current by triggers. Each object's document has the
-- rowid id * 8 + a code for its type, so that updates find it directly.
CREATE VIRTUAL TABLE search_documents USING fts5(
    node_type UNINDEXED,
    node_id UNINDEXED,
    title,
    body,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- +goose StatementBegin
CREATE TRIGGER organizations_search_insert AFTER INSERT ON organizations BEGIN
    INSERT INTO search_documents (rowid, node_type, node_id, title, body)
        VALUES (NEW.id * 8 + 1, 'Organization', NEW.id, NEW.name, concat_ws(' ', NEW.acronym, NEW.description));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER organizations_search_update AFTER UPDATE ON organizations BEGIN
    DELETE FROM search_documents WHERE rowid = OLD.id * 8 + 1;
    INSERT INTO search_documents (rowid, node_type, node_id, title, body)
        VALUES (NEW.id * 8 + 1, 'Organization', NEW.id, NEW.name, concat_ws(' ', NEW.acronym, NEW.description));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER organizations_search_delete AFTER DELETE ON organizations BEGIN
    DELETE FROM search_documents WHERE rowid = OLD.id * 8 + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER people_search_insert AFTER INSERT ON people BEGIN
    INSERT INTO search_documents (rowid, node_type, node_id, title, body)
        VALUES (NEW.id * 8 + 2, 'Person', NEW.id, NEW.name, concat_ws(' ', NEW.honorific, NEW.description));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER people_search_update AFTER UPDATE ON people BEGIN
    DELETE FROM search_documents WHERE rowid = OLD.id * 8 + 2;
    INSERT INTO search_documents (rowid, node_type, node_id, title, body)
        VALUES (NEW.id * 8 + 2, 'Person', NEW.id, NEW.name, concat_ws(' ', NEW.honorific, NEW.description));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER people_search_delete AFTER DELETE ON people BEGIN
    DELETE FROM search_documents WHERE rowid = OLD.id * 8 + 2;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER initiatives_search_insert AFTER INSERT ON initiatives BEGIN
    INSERT INTO search_documents (rowid, node_type, node_id, title, body)
        VALUES (NEW.id * 8 + 3, 'Initiative', NEW.id, NEW.title, concat_ws(' ', NEW.short_title, NEW.description, NEW.objective));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER initiatives_search_update AFTER UPDATE ON initiatives BEGIN
    DELETE FROM search_documents WHERE rowid = OLD.id * 8 + 3;
    INSERT INTO search_documents (rowid, node_type, node_id, title, body)
        VALUES (NEW.id * 8 + 3, 'Initiative', NEW.id, NEW.title, concat_ws(' ', NEW.short_title, NEW.description, NEW.objective));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER initiatives_search_delete AFTER DELETE ON initiatives BEGIN
    DELETE FROM search_documents WHERE rowid = OLD.id * 8 + 3;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER meetings_search_insert AFTER INSERT ON meetings BEGIN
    INSERT INTO search_documents (rowid, node_type, node_id, title, body)
        VALUES (NEW.id * 8 + 4, 'Meeting', NEW.id, NEW.title, concat_ws(' ', NEW.theme, NEW.summary, NEW.attendee_description));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER meetings_search_update AFTER UPDATE ON meetings BEGIN
    DELETE FROM search_documents WHERE rowid = OLD.id * 8 + 4;
    INSERT INTO search_documents (rowid, node_type, node_id, title, body)
        VALUES (NEW.id * 8 + 4, 'Meeting', NEW.id, NEW.title, concat_ws(' ', NEW.theme, NEW.summary, NEW.attendee_description));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER meetings_search_delete AFTER DELETE ON meetings BEGIN
    DELETE FROM search_documents WHERE rowid = OLD.id * 8 + 4;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER action_items_search_insert AFTER INSERT ON action_items BEGIN
    INSERT INTO search_documents (rowid, node_type, node_id, title, body)
        VALUES (NEW.id * 8 + 5, 'ActionItem', NEW.id, NEW.title, NEW.description);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER action_items_search_update AFTER UPDATE ON action_items BEGIN
    DELETE FROM search_documents WHERE rowid = OLD.id * 8 + 5;
    INSERT INTO search_documents (rowid, node_type, node_id, title, body)
        VALUES (NEW.id * 8 + 5, 'ActionItem', NEW.id, NEW.title, NEW.description);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER action_items_search_delete AFTER DELETE ON action_items BEGIN
    DELETE FROM search_documents WHERE rowid = OLD.id * 8 + 5;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER sources_search_insert AFTER INSERT ON sources BEGIN
    INSERT INTO search_documents (rowid, node_type, node_id, title, body)
        VALUES (NEW.id * 8 + 6, 'Source', NEW.id, NEW.title, concat_ws(' ', NEW.publication, NEW.author, NEW.dateline, NEW.body));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER sources_search_update AFTER UPDATE ON sources BEGIN
    DELETE FROM search_documents WHERE rowid = OLD.id * 8 + 6;
    INSERT INTO search_documents (rowid, node_type, node_id, title, body)
        VALUES (NEW.id * 8 + 6, 'Source', NEW.id, NEW.title, concat_ws(' ', NEW.publication, NEW.author, NEW.dateline, NEW.body));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER sources_search_delete AFTER DELETE ON sources BEGIN
    DELETE FROM search_documents WHERE rowid = OLD.id * 8 + 6;
END;
-- +goose StatementEnd
