package models

import (
	"context"
	"time"
)

// Source is a document facts are taken from: an article, a photo with its
// caption, a report.
type Source struct {
	ID             uint
	Slug           string
	Kind           SourceKind
	Title          string
	Publication    string
	Publisher      string
	Author         string
	Dateline       string
	PublishedAt    *time.Time
	URL            string
	Identifier     string
	Language       string
	Body           string
	ParentSourceID *uint
	Version        int
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// IsNode marks Source as a GraphQL Node.
func (Source) IsNode() {}

// IsCited marks Source as backed by citations.
func (Source) IsCited() {}

var sources = define[Source]("Source", "sources", map[string]string{
	"id": "ID", "slug": "Slug", "kind": "Kind", "title": "Title", "publisher": "Publisher", "author": "Author",
	"publishedAt": "PublishedAt",
}, "-publishedAt")

// SourceConnection is a page of sources.
type SourceConnection = Connection[Source]

// SourceEdge is a source in a page.
type SourceEdge = Edge[Source]

// Citation ties one fact about one object to the verbatim excerpt of a
// source that supports it. SubjectType is the object's GraphQL type and
// Field the attribute or relation supported, nil for the object as a whole.
type Citation struct {
	ID          uint
	SourceID    uint
	SubjectType string
	SubjectID   uint
	Field       *string
	Excerpt     string
	Version     int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// IsNode marks Citation as a GraphQL Node.
func (Citation) IsNode() {}

// Subject returns the global ID of the object the citation supports.
func (c *Citation) SubjectGlobalID() GlobalID { return NewGlobalID(c.SubjectType, c.SubjectID) }

var citations = define[Citation]("Citation", "citations", map[string]string{
	"id": "ID", "field": "Field", "excerpt": "Excerpt", "subjectType": "SubjectType",
}, "id")

// CitationConnection is a page of citations.
type CitationConnection = Connection[Citation]

// CitationEdge is a citation in a page.
type CitationEdge = Edge[Citation]

// Relations listed under a source.
var (
	SourceParts    = &Relation[Source]{relation{name: "Source.parts", parent: "a.parent_source_id"}}
	SourceExcerpts = &Relation[Citation]{relation{name: "Source.excerpts", parent: "a.source_id"}}
)

// citationRelations holds, for each cited type, the relation listing the
// citations of its objects; it is filled at start-up and only read after.
var citationRelations = map[string]*Relation[Citation]{}

// CitationsOf returns the relation listing the citations of objects of the
// GraphQL type typ, such as "Organization".
func CitationsOf(typ string) *Relation[Citation] {
	r, ok := citationRelations[typ]
	if !ok {
		panic("CitationsOf: " + typ + " is not a cited type")
	}
	return r
}

// FindSourceBySlug returns the source with the given slug.
func (s *Store) FindSourceBySlug(ctx context.Context, slug string) (*Source, error) {
	return findBy[Source](ctx, s, "slug", slug)
}
