package models

import (
	"encoding/json"
	"io"
)

// JSON is a JSON value exchanged as itself: the GraphQL scalar JSON, which
// writes a value such as "DONE" or 2009 into the response as it is, so
// that clients need not decode JSON text held in a string. The zero JSON
// is null.
type JSON json.RawMessage

// MarshalGQL writes j into the response as it is.
func (j JSON) MarshalGQL(w io.Writer) {
	if len(j) == 0 {
		_, _ = io.WriteString(w, "null")
		return
	}
	_, _ = w.Write(j)
}

// UnmarshalGQL reads a JSON input value: whatever GraphQL decoded, encoded
// back as JSON.
func (j *JSON) UnmarshalGQL(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return Errorf(CodeInvalid, "JSON cannot represent this value: %v", err)
	}
	*j = b
	return nil
}
