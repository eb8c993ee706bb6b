package models

import (
	"bytes"
	"encoding/base64"
	"reflect"
	"testing"
	"time"
)

func TestCursorRoundTrip(t *testing.T) {
	e := initiatives
	keys, err := e.orderKeys([]*InitiativeOrder{
		{Field: InitiativeOrderFieldActualStart, Direction: OrderDirectionDesc},
		{Field: InitiativeOrderFieldTitle},
		{Field: InitiativeOrderFieldCreatedAt},
	})
	if err != nil {
		t.Fatal(err)
	}
	sig := signature(e.node, keys)
	d := NewDate(2008, time.October, 1)
	created := time.Date(2026, 11, 27, 8, 0, 0, 123456000, time.UTC)
	for _, row := range []Initiative{
		{ID: 7, Title: "West Africa Coast Initiative", ActualStartOn: &d, CreatedAt: created},
		{ID: 8, Title: "Ünïcode \"quoted\"", CreatedAt: created}, // no start date: a NULL key
	} {
		cur := encodeCursor(sig, keys, reflect.ValueOf(row))
		vals, err := decodeCursor(cur, sig, keys)
		if err != nil {
			t.Fatalf("decode %q: %v", cur, err)
		}
		var start any
		if row.ActualStartOn != nil {
			start = *row.ActualStartOn
		}
		want := []any{start, row.Title, row.CreatedAt, int64(row.ID)}
		if !reflect.DeepEqual(vals, want) {
			t.Errorf("cursor values = %#v, want %#v", vals, want)
		}
		if _, err := decodeCursor(cur, signature("Organization", keys), keys); err == nil {
			t.Errorf("cursor accepted under another ordering")
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	keys, err := organizations.orderKeys([]*OrganizationOrder{{Field: OrganizationOrderFieldFoundedYear}})
	if err != nil {
		f.Fatal(err)
	}
	sig := signature(organizations.node, keys)
	year := 1923
	f.Add(encodeCursor(sig, keys, reflect.ValueOf(Organization{ID: 1, FoundedYear: &year})))
	f.Add("")
	f.Add("W10")
	f.Fuzz(func(t *testing.T, s string) {
		vals, err := decodeCursor(s, sig, keys)
		if err != nil {
			if ErrorCode(err) != CodeInvalid {
				t.Fatalf("error %v has code %s, want %s", err, ErrorCode(err), CodeInvalid)
			}
			return
		}
		if len(vals) != len(keys) {
			t.Fatalf("decoded %d values for %d keys", len(vals), len(keys))
		}
	})
}

func FuzzParseGlobalID(f *testing.F) {
	f.Add(NewGlobalID("Organization", 42).String())
	f.Add("T3JnYW5pemF0aW9uOjA")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseGlobalID(s)
		if err != nil {
			if ErrorCode(err) != CodeInvalid {
				t.Fatalf("error %v has code %s", err, ErrorCode(err))
			}
			return
		}
		if id.ID == 0 || !nodeTypes[id.Type] {
			t.Fatalf("accepted invalid ID %+v", id)
		}
		if again, err := ParseGlobalID(id.String()); err != nil || again != id {
			t.Fatalf("round trip of %+v: %+v, %v", id, again, err)
		}
	})
}

// TestDecodeBase64Spellings decodes the spellings of the same bytes that
// base64 tools print, and refuses padding that completes no group.
func TestDecodeBase64Spellings(t *testing.T) {
	raw := []byte{0xfb, 0xff, 0xbf, 0x3e, 0x10}
	for _, s := range []string{
		base64.RawURLEncoding.EncodeToString(raw), base64.URLEncoding.EncodeToString(raw),
		base64.RawStdEncoding.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw),
	} {
		got, err := decodeBase64(s)
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("decodeBase64(%q) = %x, %v; want %x", s, got, err, raw)
		}
	}
	for _, s := range []string{"-_-_-w=", "-_-_-w===", "=", "-_-_-x"} {
		if got, err := decodeBase64(s); err == nil {
			t.Errorf("decodeBase64(%q) = %x, want an error", s, got)
		}
	}
}
