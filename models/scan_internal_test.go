package models

import "testing"

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
