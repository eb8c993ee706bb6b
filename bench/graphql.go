package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// gqlClient sends GraphQL requests to the server.
type gqlClient struct {
	url   string
	token string // bearer token; empty: anonymous
	http  *http.Client
}

// gqlResponse is a GraphQL response, decoded.
type gqlResponse struct {
	Data       json.RawMessage
	Errors     []struct{ Message string }
	Extensions struct {
		SQLStatements *int `json:"sqlStatements"`
	}
}

// do sends query and decodes the whole response. An HTTP status other than
// 200 and GraphQL errors are errors.
func (c *gqlClient) do(ctx context.Context, query string, vars map[string]any) (*gqlResponse, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := c.post(ctx, body, &buf); err != nil {
		return nil, err
	}
	var resp gqlResponse
	if err := json.Unmarshal(buf.Bytes(), &resp); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	if len(resp.Errors) > 0 {
		return nil, fmt.Errorf("GraphQL error: %s", resp.Errors[0].Message)
	}
	return &resp, nil
}

// query sends query and decodes its data into out.
func (c *gqlClient) query(ctx context.Context, query string, vars map[string]any, out any) error {
	resp, err := c.do(ctx, query, vars)
	if err != nil {
		return err
	}
	return json.Unmarshal(resp.Data, out)
}

// post sends a request body and reads the response into buf; a status
// other than 200 is an error.
func (c *gqlClient) post(ctx context.Context, body []byte, buf *bytes.Buffer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, clip(buf.Bytes(), 200))
	}
	return nil
}

// task returns a task that posts body, a request encoded once. It does not
// decode the response, so that the load generator takes as little CPU as
// possible from the server on the same machine: a GraphQL response has
// errors when it holds the key "errors" (a string value cannot hold `"errors":`
// unescaped, and no query of the mix selects a field of that name), and its
// statement count is the last "sqlStatements" key. The start-up check decodes
// whole responses.
func (c *gqlClient) task(body []byte) task {
	var buf bytes.Buffer
	return func(ctx context.Context) outcome {
		if err := c.post(ctx, body, &buf); err != nil {
			return outcome{err: err}
		}
		b := buf.Bytes()
		if bytes.Contains(b, []byte(`"errors":`)) {
			return outcome{err: fmt.Errorf("GraphQL errors: %s", clip(b, 200))}
		}
		return outcome{statements: statementsIn(b), bytes: len(b)}
	}
}

// getTask returns a task that gets url and reads the response: the HTTP
// round trip alone, for comparison.
func (c *gqlClient) getTask(url string) task {
	var buf bytes.Buffer
	return func(ctx context.Context) outcome {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return outcome{err: err}
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return outcome{err: err}
		}
		defer resp.Body.Close()
		buf.Reset()
		if _, err := buf.ReadFrom(resp.Body); err != nil {
			return outcome{err: err}
		}
		if resp.StatusCode != http.StatusOK {
			return outcome{err: fmt.Errorf("HTTP %d", resp.StatusCode)}
		}
		return outcome{statements: -1, bytes: buf.Len()}
	}
}

// statementsIn returns the value of the last "sqlStatements" key of a
// response, or -1.
func statementsIn(b []byte) int {
	const key = `"sqlStatements":`
	i := bytes.LastIndex(b, []byte(key))
	if i < 0 {
		return -1
	}
	rest := b[i+len(key):]
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(string(rest[:end]))
	if err != nil {
		return -1
	}
	return n
}

// clip returns at most n bytes of b, for error messages.
func clip(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
