package models

import (
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// GlobalID is the opaque identifier of a Node, unique across all types
// (Relay Global Object Identification). It encodes the GraphQL type name and
// the row's primary key; clients must treat it as an opaque string.
type GlobalID struct {
	Type string
	ID   uint
}

// nodeTypes are the GraphQL type names a GlobalID may carry.
var nodeTypes = map[string]bool{}

// registerNodeType records typ as a valid GlobalID type; entity definitions
// call it so that only IDs of real types decode.
func registerNodeType(typ string) string {
	nodeTypes[typ] = true
	return typ
}

// NewGlobalID returns the GlobalID of the row id of GraphQL type typ.
func NewGlobalID(typ string, id uint) GlobalID {
	return GlobalID{Type: typ, ID: id}
}

// String returns the opaque encoding of g.
func (g GlobalID) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(g.Type + ":" + strconv.FormatUint(uint64(g.ID), 10)))
}

// ParseGlobalID decodes an opaque ID produced by GlobalID.String. The
// padded and standard-alphabet forms of the same bytes are accepted too:
// they are what most base64 tools print, and they decode to the same ID.
func ParseGlobalID(s string) (GlobalID, error) {
	raw, err := decodeBase64(s)
	if err != nil {
		return GlobalID{}, malformedID(s, "it is not base64")
	}
	typ, num, ok := strings.Cut(string(raw), ":")
	if !ok {
		return GlobalID{}, malformedID(s, "it is not an ID this API returned")
	}
	if !nodeTypes[typ] {
		return GlobalID{}, malformedID(s, fmt.Sprintf("no type %q has IDs", truncate(typ, 32)))
	}
	id, err := strconv.ParseUint(num, 10, 63)
	if err != nil || id == 0 || strconv.FormatUint(id, 10) != num {
		return GlobalID{}, malformedID(s, fmt.Sprintf("%q is not a positive number", truncate(num, 32)))
	}
	return GlobalID{Type: typ, ID: uint(id)}, nil
}

// malformedID is the error of an ID that does not decode, saying why, and
// what to send instead when the client sent a bare database key.
func malformedID(s, why string) error {
	if n, err := strconv.ParseUint(s, 10, 63); err == nil && n > 0 {
		why = "IDs are opaque strings, not numbers: pass the id field a query returned"
	}
	return Errorf(CodeInvalid, "malformed ID %q: %s", truncate(s, 64), why)
}

// decodeBase64 decodes the URL-safe unpadded base64 of IDs and cursors,
// and also its padded and standard-alphabet spellings: '+' and '/' stand
// for the same values as '-' and '_', and padding only completes a group
// of four, so no string decodes differently under another spelling.
func decodeBase64(s string) ([]byte, error) {
	if strings.HasSuffix(s, "=") {
		if len(s)%4 != 0 {
			return nil, base64.CorruptInputError(len(s))
		}
		s = strings.TrimSuffix(strings.TrimSuffix(s, "="), "=")
	}
	if strings.ContainsAny(s, "+/") {
		s = strings.NewReplacer("+", "-", "/", "_").Replace(s)
	}
	return base64.RawURLEncoding.Strict().DecodeString(s)
}

// As returns the row ID of g if g names a typ, and a CodeInvalid error
// otherwise: an Organization's ID where an Initiative's is expected is the
// client's mistake.
func (g GlobalID) As(typ string) (uint, error) {
	if g.Type != typ {
		return 0, Errorf(CodeInvalid, "ID %s is %s, not %s", g, WithArticle(g.Type), WithArticle(typ))
	}
	return g.ID, nil
}

// MarshalGQL writes g as a GraphQL ID string.
func (g GlobalID) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(g.String()))
}

// UnmarshalGQL decodes a GraphQL ID input.
func (g *GlobalID) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return Errorf(CodeInvalid, "ID must be a string, got %T", v)
	}
	id, err := ParseGlobalID(s)
	if err != nil {
		return err
	}
	*g = id
	return nil
}

// WithArticle returns word after its indefinite article, "a" or "an" by its
// first letter: "an Initiative", "a Person". The words it is given — type
// names and JSON kinds — have no silent or sounded-out initials.
func WithArticle(word string) string {
	if word != "" && strings.ContainsRune("AEIOUaeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// truncate shortens s to at most n bytes for use in error messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s…", s[:n])
}
