package models

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
	"strconv"
	"time"
)

// A cursor is the position of a row in an ordering: the values of its sort
// keys, so that the next page starts right after it whatever was inserted or
// deleted meanwhile (keyset pagination). It is opaque to clients:
// base64url(JSON [signature hash, key values...]).

// encodeCursor returns the cursor of row under keys.
func encodeCursor(sig string, keys []orderKey, row reflect.Value) string {
	vals := make([]any, 0, len(keys)+1)
	vals = append(vals, sigHash(sig))
	for _, k := range keys {
		v := StructField(row, k.goName)
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				vals = append(vals, nil)
				continue
			}
			v = v.Elem()
		}
		switch k.kind {
		case kindDate:
			vals = append(vals, v.Interface().(Date).String())
		case kindTime:
			vals = append(vals, v.Interface().(time.Time).UTC().Format(time.RFC3339Nano))
		case kindFloat:
			vals = append(vals, strconv.FormatFloat(v.Float(), 'g', -1, 64))
		default:
			vals = append(vals, v.Interface())
		}
	}
	b, err := json.Marshal(vals)
	if err != nil {
		panic(fmt.Sprintf("encode cursor: %v", err)) // only plain values above
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the key values of a cursor, typed for binding as SQL
// parameters, or a CodeInvalid error if it is malformed or was made for
// another ordering.
func decodeCursor(s, sig string, keys []orderKey) ([]any, error) {
	bad := Errorf(CodeInvalid, "invalid cursor %q: pass a cursor returned by this same list and ordering", truncate(s, 64))
	raw, err := decodeBase64(s)
	if err != nil {
		return nil, bad
	}
	var vals []json.RawMessage
	if json.Unmarshal(raw, &vals) != nil || len(vals) != len(keys)+1 {
		return nil, bad
	}
	var h string
	if json.Unmarshal(vals[0], &h) != nil || h != sigHash(sig) {
		return nil, bad
	}
	out := make([]any, len(keys))
	for i, k := range keys {
		v, err := decodeKey(vals[i+1], k)
		if err != nil {
			return nil, bad
		}
		out[i] = v
	}
	return out, nil
}

// decodeKey converts one JSON cursor value to the Go type of its key.
func decodeKey(raw json.RawMessage, k orderKey) (any, error) {
	if string(raw) == "null" {
		if !k.nullable {
			return nil, fmt.Errorf("null for non-null key %s", k.col)
		}
		return nil, nil
	}
	switch k.kind {
	case kindText:
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case kindInt, kindID:
		var n int64
		err := json.Unmarshal(raw, &n)
		return n, err
	case kindBool:
		var b bool
		err := json.Unmarshal(raw, &b)
		return b, err
	case kindFloat:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(s, 64)
		if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			err = fmt.Errorf("non-finite float")
		}
		return f, err
	case kindDate:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return ParseDate(s)
	case kindTime:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return time.Parse(time.RFC3339Nano, s)
	}
	return nil, fmt.Errorf("unknown kind %d", k.kind)
}

// sigHash shortens an ordering signature for use in cursors.
func sigHash(sig string) string {
	h := fnv.New32a()
	h.Write([]byte(sig))
	return strconv.FormatUint(uint64(h.Sum32()), 36)
}
