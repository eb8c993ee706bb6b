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

// ParseGlobalID decodes an opaque ID produced by GlobalID.String.
func ParseGlobalID(s string) (GlobalID, error) {
	bad := Errorf(CodeInvalid, "malformed ID %q", truncate(s, 64))
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return GlobalID{}, bad
	}
	typ, num, ok := strings.Cut(string(raw), ":")
	if !ok || !nodeTypes[typ] {
		return GlobalID{}, bad
	}
	id, err := strconv.ParseUint(num, 10, 63)
	if err != nil || id == 0 || strconv.FormatUint(id, 10) != num {
		return GlobalID{}, bad
	}
	return GlobalID{Type: typ, ID: uint(id)}, nil
}

// As returns the row ID of g if g names a typ, and a CodeInvalid error
// otherwise: an Organization's ID where an Initiative's is expected is the
// client's mistake.
func (g GlobalID) As(typ string) (uint, error) {
	if g.Type != typ {
		return 0, Errorf(CodeInvalid, "ID %s is a %s, not a %s", g, g.Type, typ)
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

// truncate shortens s to at most n bytes for use in error messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s…", s[:n])
}
