package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Trusted documents: in this mode only operations registered ahead of time
// run — a client sends either a registered document's text or just its hash
// (as an automatic persisted query would) — so that nobody can send the
// server a query its own clients never make.

// LoadTrustedDocuments reads the operations that may run from a manifest:
// Apollo's persisted-query manifest ({"format":
// "apollo-persisted-query-manifest", "operations": [{"id", "body"}, …]},
// ids being SHA-256 hashes of the bodies) or a plain {"<sha256>": "<query>"}
// object. It refuses a manifest whose hashes do not match their documents.
func LoadTrustedDocuments(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var apollo struct {
		Format     string
		Operations []struct{ ID, Body string }
	}
	docs := map[string]string{}
	if json.Unmarshal(raw, &apollo) == nil && apollo.Format == "apollo-persisted-query-manifest" {
		for _, op := range apollo.Operations {
			docs[op.ID] = op.Body
		}
	} else if err := json.Unmarshal(raw, &docs); err != nil {
		return nil, fmt.Errorf("trusted documents %s: %w", path, err)
	}
	for id, body := range docs {
		if documentHash(body) != id {
			return nil, fmt.Errorf("trusted documents %s: %s is not the SHA-256 of its document", path, id)
		}
	}
	return docs, nil
}

func documentHash(query string) string {
	sum := sha256.Sum256([]byte(query))
	return hex.EncodeToString(sum[:])
}

// trustedDocuments enforces the trusted-documents mode.
type trustedDocuments map[string]string

var (
	_ graphql.HandlerExtension          = trustedDocuments(nil)
	_ graphql.OperationParameterMutator = trustedDocuments(nil)
)

func (trustedDocuments) ExtensionName() string                   { return "TrustedDocuments" }
func (trustedDocuments) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters lets through registered documents only.
func (t trustedDocuments) MutateOperationParameters(_ context.Context, raw *graphql.RawParams) *gqlerror.Error {
	hash := ""
	if pq, ok := raw.Extensions["persistedQuery"].(map[string]any); ok {
		hash, _ = pq["sha256Hash"].(string)
	}
	if raw.Query != "" {
		if hash != "" && documentHash(raw.Query) != hash {
			return &gqlerror.Error{Message: "the persisted query's hash does not match its text",
				Extensions: map[string]any{"code": "PERSISTED_QUERY_HASH_MISMATCH"}}
		}
		hash = documentHash(raw.Query)
	}
	body, ok := t[hash]
	if !ok {
		return &gqlerror.Error{Message: "this server runs only registered operations, and this is not one of them",
			Extensions: map[string]any{"code": "OPERATION_NOT_TRUSTED"}}
	}
	raw.Query = body
	return nil
}
