// Package scalar holds the GraphQL built-in scalars as the API reads them:
// to the letter of the specification, so that every value a client sends
// either fits the database or is refused up front as BAD_USER_INPUT.
// gqlgen binds Int, String and DateTime to these functions (gqlgen.yml).
package scalar

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"tracker/models"
)

// MarshalInt writes an Int.
func MarshalInt(i int) graphql.Marshaler { return graphql.MarshalInt(i) }

// UnmarshalInt reads an Int: a whole number within 32 bits, as the
// specification defines it. Strings are not numbers.
func UnmarshalInt(v any) (int, error) {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case json.Number:
		i, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(string(x), 64)
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32+1 {
				return 0, notInt(string(x))
			}
			i = int64(f)
		}
		n = i
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > math.MaxInt32+1 {
			return 0, notInt(strconv.FormatFloat(x, 'g', -1, 64))
		}
		n = int64(x)
	default:
		return 0, models.Errorf(models.CodeInvalid, "Int cannot represent %s", models.WithArticle(kind(v)))
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, models.Errorf(models.CodeInvalid, "Int cannot represent %d: Int is a 32-bit signed integer", n)
	}
	return int(n), nil
}

func notInt(s string) error {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return models.Errorf(models.CodeInvalid, "Int cannot represent %s: Int is a 32-bit signed integer", s)
}

// MarshalString writes a String.
func MarshalString(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalString reads a String: a JSON string, with no NUL character
// (text columns cannot hold one). Numbers and booleans are not strings.
func UnmarshalString(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", models.Errorf(models.CodeInvalid, "String cannot represent %s", models.WithArticle(kind(v)))
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "", models.Errorf(models.CodeInvalid, "String cannot contain the NUL character")
	}
	return s, nil
}

// MarshalDateTime writes a DateTime in RFC 3339 with its fraction of a
// second.
func MarshalDateTime(t time.Time) graphql.Marshaler { return graphql.MarshalTime(t) }

// UnmarshalDateTime reads a DateTime: an RFC 3339 date-time with its
// offset, such as 2009-03-24T15:00:00Z, in years 0001 to 9999.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, models.Errorf(models.CodeInvalid, "DateTime cannot represent %s: want an RFC 3339 date-time such as 2009-03-24T15:00:00Z", models.WithArticle(kind(v)))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err == nil && t.Year() >= 1 {
		return t, nil
	}
	// A value of the right form names the part out of range ("month out
	// of range"), as Go's parser reports it; any other gets the form.
	why := "want an RFC 3339 date-time such as 2009-03-24T15:00:00Z"
	var perr *time.ParseError
	switch {
	case err == nil:
		why = "years start at 0001"
	case errors.As(err, &perr) && perr.Message != "":
		why = strings.TrimPrefix(perr.Message, ": ")
	}
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return time.Time{}, models.Errorf(models.CodeInvalid, "DateTime cannot represent %q: %s", s, why)
}

// kind names the JSON kind of a value that has the wrong one.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case int, int32, int64, float64, json.Number:
		return "number"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	}
	return "value of this kind"
}
