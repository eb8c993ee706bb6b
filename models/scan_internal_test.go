package models

import (
	"strings"
	"testing"
)

func TestDollarPlaceholders(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "",
		"SELECT 1":                    "SELECT 1",
		"?":                           "$1",
		"a = ? AND b IN (?, ?)":       "a = $1 AND b IN ($2, $3)",
		"x = '?' AND y = ?":           "x = '?' AND y = $1",
		"x = 'it''s ?' AND y = ? ?":   "x = 'it''s ?' AND y = $1 $2",
		"? 'a' ? '' ? 'b?c":           "$1 'a' $2 '' $3 'b?c",
		"json_build_object('k?', ?)?": "json_build_object('k?', $1)$2",
	} {
		if got := dollarPlaceholders(in); got != want {
			t.Errorf("dollarPlaceholders(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkDollarPlaceholders(b *testing.B) {
	text := "SELECT json_build_object("
	for i := range 200 {
		text += "'key" + string(rune('a'+i%26)) + "', t.c, "
	}
	text += "'last', ?) FROM t WHERE a = ? AND b = 'x?'"
	for b.Loop() {
		dollarPlaceholders(text)
	}
}

func TestPlaceholderCache(t *testing.T) {
	c := &placeholderCache{}
	long := strings.Repeat("x", placeholderCacheBytes/64/2-8) // two of its size fill a slot
	for range 3 {
		for _, text := range []string{"a = ? AND b = '?'", "?", long + "?", long + long} {
			if got, want := c.rewrite(text), dollarPlaceholders(text); got != want {
				t.Errorf("rewrite(%.20q) = %.20q, want %.20q", text, got, want)
			}
		}
	}
	if _, ok := c.texts[long+long]; ok {
		t.Error("a text too long to keep was kept")
	}
	if c.bytes > placeholderCacheBytes {
		t.Errorf("%d bytes kept, more than %d", c.bytes, placeholderCacheBytes)
	}
	for i := range 2000 {
		c.rewrite(long[:i] + "?")
	}
	if c.bytes > placeholderCacheBytes {
		t.Errorf("%d bytes kept, more than %d", c.bytes, placeholderCacheBytes)
	}
	var none *placeholderCache
	if got := none.rewrite("?"); got != "$1" {
		t.Errorf("nil cache: %q", got)
	}
}
