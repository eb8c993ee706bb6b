-- +goose Up
-- Indexes for the lists and filters dashboards use at scale. Text sorts use
-- the "C" collation, as the list engine does on every database, so that an
-- ordered page reads the index instead of sorting the table.
CREATE INDEX initiatives_title_idx ON initiatives (title COLLATE "C", id);
CREATE INDEX initiatives_status_idx ON initiatives (status, id);
CREATE INDEX organizations_name_idx ON organizations (name COLLATE "C", id);
CREATE INDEX people_name_idx ON people (name COLLATE "C", id);
CREATE INDEX action_items_due_on_idx ON action_items (due_on, id);
CREATE INDEX action_items_owner_due_on_idx ON action_items (owner_organization_id, due_on, id);
CREATE INDEX action_items_status_due_on_idx ON action_items (status, due_on, id);
-- Counting each organization's initiatives and meetings (topPartners) from
-- the indexes alone.
CREATE INDEX partnerships_organization_initiative_idx ON partnerships (organization_id, initiative_id);
CREATE INDEX participants_organization_meeting_idx ON participants (organization_id, meeting_id);
