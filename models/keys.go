package models

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Unique keys — slugs and acronyms — are compared as people read them, not
// byte by byte: "INTERPOL\u200b" (a zero-width space), "ＩＮＴＥＲＰＯＬ"
// (full-width letters) and "Interpol" are all INTERPOL. Every key is
// normalised before it is validated, stored or looked up: Unicode NFKC
// (compatibility forms folded), invisible format characters (zero-width
// spaces and joiners, soft hyphens, byte-order marks) removed, and
// surrounding space trimmed. Keys then compare case-insensitively: slugs
// are lowercase by their pattern, acronyms keep the case they were written
// with and are unique by lower(acronym) in the database.
//
// Homoglyphs — the Cyrillic І of "ІNTERPOL" — survive NFKC. An acronym that
// mixes letters of two scripts is refused: hardly any real acronym does,
// and it is how a look-alike of a Latin acronym is made. An acronym written
// wholly in another script ("ОДКБ" in Cyrillic) is accepted, as it may be
// genuine; a whole-script look-alike ("АВС", Cyrillic, beside the Latin
// "ABC") is not caught: that would take Unicode's confusables table
// (UTS #39 skeletons), kept in the database beside each acronym.

// normalizeKey returns s in the normal form of unique keys.
func normalizeKey(s string) string {
	s = norm.NFKC.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// canonicalSlug returns the form a slug is stored and looked up in.
func canonicalSlug(s string) string { return strings.ToLower(normalizeKey(s)) }

// slugKey validates a slug and returns its canonical form.
func slugKey(field, s string) (string, error) {
	s = canonicalSlug(s)
	if len(s) > 100 || !slugPattern.MatchString(s) {
		return "", invalid(field, "%s must be 1 to 100 lowercase letters, digits and single hyphens, such as west-africa-coast-initiative", field)
	}
	return s, nil
}

// commonScripts are tried first when finding a letter's script.
var commonScripts = []string{"Latin", "Cyrillic", "Greek", "Arabic", "Hebrew", "Han"}

// scriptOf returns the name of the script of letter r, or "" if Unicode
// assigns it none.
func scriptOf(r rune) string {
	for _, name := range commonScripts {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	for name, table := range unicode.Scripts {
		if name != "Common" && name != "Inherited" && unicode.Is(table, r) {
			return name
		}
	}
	return ""
}

// acronymKey validates an acronym and returns its normal form; "" clears
// it.
func acronymKey(field, s string) (string, error) {
	s, err := checkText(field, normalizeKey(s), 0, 32)
	if err != nil || s == "" {
		return "", err
	}
	first := ""
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return "", invalid(field, "%s must not contain control characters", field)
		case !unicode.IsLetter(r):
			continue // digits, spaces and punctuation belong to every script
		}
		script := scriptOf(r)
		switch {
		case script == "":
			return "", invalid(field, "%s contains %q, a letter of no script", field, r)
		case first == "":
			first = script
		case script != first:
			return "", invalid(field, "%s mixes %s and %s letters (%q), as look-alikes of another acronym do; write it in one script",
				field, first, script, r)
		}
	}
	return s, nil
}
