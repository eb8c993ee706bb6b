package main

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"

	"tracker/models"
)

// tally is the writes of a load counted back from the database.
type tally struct {
	sent         map[string]int // by outcome
	conflicts    int            // moves refused with CONFLICT
	lost         []string       // acknowledged, not found
	duplicated   []string       // found more than once
	refusedFound []string       // refused, yet applied
	strangers    []string       // found with the run's prefix, never sent
	unknownFound int            // outcome unknown, applied
	unknownNot   int            // outcome unknown, not applied
	versionDrift []string       // items whose version moved by other than their recorded moves
}

// itemIDs returns the database keys of the workload's action items.
func itemIDs(w *workload) ([]uint, error) {
	ids := make([]uint, 0, len(w.items))
	for _, s := range w.items {
		g, err := models.ParseGlobalID(s)
		if err != nil {
			return nil, err
		}
		id, err := g.As("ActionItem")
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// versions returns the version of each action item.
func versions(ctx context.Context, dbURL string, ids []uint) (map[uint]int, error) {
	out := map[uint]int{}
	err := withConn(ctx, dbURL, func(conn *pgx.Conn) error {
		keys := make([]int64, len(ids))
		for i, id := range ids {
			keys[i] = int64(id)
		}
		rows, err := conn.Query(ctx, "SELECT id, version FROM action_items WHERE id = ANY($1)", keys)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id uint
			var v int
			if err := rows.Scan(&id, &v); err != nil {
				return err
			}
			out[id] = v
		}
		return rows.Err()
	})
	return out, err
}

// countBack looks for every write of the run in the database: statistics
// by their note, status moves by the note of their audit-log entry, which
// is written in the same transaction as the move. It also checks that
// each item's version moved by exactly the moves recorded for it.
func countBack(ctx context.Context, dbURL string, l *loadRun, before map[uint]int) (tally, error) {
	t := tally{sent: map[string]int{}}
	var found map[string]int
	movesOf := map[uint]int{}
	prefix := l.runID + "-"
	err := withConn(ctx, dbURL, func(conn *pgx.Conn) error {
		var err error
		if found, err = statisticNotes(ctx, conn, prefix); err != nil {
			return err
		}
		rows, err := conn.Query(ctx, `SELECT note, entity_id, count(*) FROM audit_log
			WHERE entity_type = 'ActionItem' AND action = 'STATUS_CHANGE' AND starts_with(note, $1) GROUP BY note, entity_id`, prefix)
		if err != nil {
			return err
		}
		for rows.Next() {
			var note string
			var id uint
			var n int
			if err := rows.Scan(&note, &id, &n); err != nil {
				return err
			}
			found[note] += n
			movesOf[id] += n
		}
		return rows.Err()
	})
	if err != nil {
		return t, fmt.Errorf("count back: %w", err)
	}
	sent := map[string]bool{}
	for _, w := range l.writes {
		sent[w.note] = true
		t.sent[w.outcome]++
		if w.code == "CONFLICT" {
			t.conflicts++
		}
		n := found[w.note]
		if n > 1 {
			t.duplicated = append(t.duplicated, w.note)
		}
		switch {
		case w.outcome == "acked" && n == 0:
			t.lost = append(t.lost, w.note)
		case w.outcome == "refused" && n > 0:
			t.refusedFound = append(t.refusedFound, w.note)
		case w.outcome == "unknown" && n > 0:
			t.unknownFound++
		case w.outcome == "unknown":
			t.unknownNot++
		}
	}
	for _, note := range slices.Sorted(maps.Keys(found)) {
		if !sent[note] {
			t.strangers = append(t.strangers, note)
		}
	}
	ids := slices.Collect(maps.Keys(before))
	after, err := versions(ctx, dbURL, ids)
	if err != nil {
		return t, err
	}
	for _, id := range ids {
		if after[id]-before[id] != movesOf[id] {
			t.versionDrift = append(t.versionDrift, fmt.Sprintf("item %d: version %d → %d, %d moves", id, before[id], after[id], movesOf[id]))
		}
	}
	return t, nil
}

// addTally adds the write figures and assertions to r.
func (r *report) addTally(t tally) {
	total := t.sent["acked"] + t.sent["refused"] + t.sent["unknown"]
	r.add("writes sent", "%d: %d acknowledged, %d refused (%d CONFLICT), %d outcome unknown",
		total, t.sent["acked"], t.sent["refused"], t.conflicts, t.sent["unknown"])
	r.add("writes counted back", "%d acknowledged found once; lost %d, duplicated %d, refused yet applied %d, unknown applied %d / not %d, strangers %d",
		t.sent["acked"]-len(t.lost), len(t.lost), len(t.duplicated), len(t.refusedFound), t.unknownFound, t.unknownNot, len(t.strangers))
	r.assert(total > 0 && t.sent["acked"] > 0, "writes were acknowledged (%d)", t.sent["acked"])
	r.assert(len(t.lost) == 0, "no acknowledged write lost (%d lost%s)", len(t.lost), sampleOf(t.lost))
	r.assert(len(t.duplicated) == 0, "no write applied twice (%d%s)", len(t.duplicated), sampleOf(t.duplicated))
	r.assert(len(t.refusedFound) == 0, "no refused write applied (%d%s)", len(t.refusedFound), sampleOf(t.refusedFound))
	r.assert(len(t.strangers) == 0, "nothing applied that was not sent (%d%s)", len(t.strangers), sampleOf(t.strangers))
	r.assert(len(t.versionDrift) == 0, "every action item's version moved by its recorded moves exactly (%d drifted%s)",
		len(t.versionDrift), sampleOf(t.versionDrift))
}

// sampleOf formats the first few of a list, for a failed assertion.
func sampleOf(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return fmt.Sprintf(": %v", list[:min(len(list), 5)])
}

// statisticNotes counts the statistics of each note that starts with
// prefix: the writes of a run that recorded figures, found back.
func statisticNotes(ctx context.Context, conn *pgx.Conn, prefix string) (map[string]int, error) {
	rows, err := conn.Query(ctx, `SELECT note, count(*) FROM statistics WHERE starts_with(note, $1) GROUP BY note`, prefix)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := map[string]int{}
	for rows.Next() {
		var note string
		var n int
		if err := rows.Scan(&note, &n); err != nil {
			return nil, err
		}
		found[note] = n
	}
	return found, rows.Err()
}
