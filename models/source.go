package models

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
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

// FindSourceBySlug returns the source with the given slug.
func (s *Store) FindSourceBySlug(ctx context.Context, slug string) (*Source, error) {
	return findBy[Source](ctx, s, "slug", canonicalSlug(slug))
}

// CreateSource validates in and registers the source. Any officer may.
func (s *Store) CreateSource(ctx context.Context, in NewSource) (*Source, error) {
	src := &Source{Slug: in.Slug, Kind: in.Kind, Language: "en", PublishedAt: utc(in.PublishedAt)}
	var err error
	if src.Slug, err = slugKey("input.slug", in.Slug); err != nil {
		return nil, err
	}
	if !in.Kind.IsValid() {
		return nil, invalid("input.kind", "unknown kind %q", in.Kind)
	}
	if src.Title, err = checkText("input.title", in.Title, 1, maxName*2); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		in   *string
		out  *string
	}{{"input.publication", in.Publication, &src.Publication}, {"input.publisher", in.Publisher, &src.Publisher},
		{"input.author", in.Author, &src.Author}, {"input.dateline", in.Dateline, &src.Dateline}} {
		if *f.out, err = optText(f.name, f.in, maxName); err != nil {
			return nil, err
		}
	}
	if src.URL, err = optText("input.url", in.URL, 2000); err != nil {
		return nil, err
	}
	if err = checkURL("input.url", src.URL); err != nil {
		return nil, err
	}
	if src.Body, err = optText("input.body", in.Body, 1_000_000); err != nil {
		return nil, err
	}
	err = s.write(ctx, RoleOfficer, func(tx *gorm.DB, u *User) error {
		if err := insert(tx, src); err != nil {
			return err
		}
		return s.audit(ctx, tx, change{action: AuditActionCreate, entityType: "Source", entityID: src.ID, after: src})
	})
	if err != nil {
		return nil, err
	}
	return src, nil
}

// subjectEditable reports whether u may change the facts of the object id
// of GraphQL type typ, and so cite or uncite them.
func (s *Store) subjectEditable(ctx context.Context, tx *gorm.DB, u *User, typ string, id uint) (bool, error) {
	if u.Has(RoleAdmin) {
		var n int64
		err := tx.Table(entityByNode(typ).base).Where("id = ?", id).Count(&n).Error
		return n == 1, dbError(err, typ)
	}
	var orgs []uint
	var initiatives []uint
	var meeting *uint
	var err error
	switch typ {
	case "Organization":
		orgs = []uint{id}
	case "Initiative":
		initiatives = []uint{id}
	case "Partnership":
		err = tx.Raw("SELECT initiative_id FROM partnerships WHERE id = ?", id).Scan(&initiatives).Error
	case "ActionItem":
		err = tx.Raw("SELECT owner_organization_id FROM action_items WHERE id = ?", id).Scan(&orgs).Error
	case "Statistic":
		err = tx.Raw("SELECT scope_organization_id FROM statistics WHERE id = ? AND scope_organization_id IS NOT NULL", id).Scan(&orgs).Error
	case "Meeting":
		meeting = &id
	case "Participant", "Outcome", "Statement":
		var ids []uint
		err = tx.Raw("SELECT meeting_id FROM "+entityByNode(typ).base+" WHERE id = ? AND meeting_id IS NOT NULL", id).Scan(&ids).Error
		if len(ids) == 1 {
			meeting = &ids[0]
		}
	default:
		return false, nil // shared reference data: admins only
	}
	if err != nil {
		return false, dbError(err, typ)
	}
	if meeting != nil {
		var m Meeting
		if err := tx.Where("id = ?", *meeting).Take(&m).Error; err != nil {
			return false, nil
		}
		return s.meetingEditable(ctx, tx, u, &m)
	}
	if len(orgs) > 0 {
		return s.inScope(ctx, tx, u, orgs...)
	}
	return s.anyInitiativeEditable(ctx, tx, u, initiatives)
}

// AddCitation cites an excerpt of a source for a fact of an object the
// caller may change. When the source has a text, the excerpt must appear in
// it.
func (s *Store) AddCitation(ctx context.Context, in NewCitation) (*Citation, error) {
	c := &Citation{SubjectType: in.SubjectID.Type, SubjectID: in.SubjectID.ID}
	srcID, err := idAs("input.sourceId", &in.SourceID, "Source")
	if err != nil {
		return nil, err
	}
	c.SourceID = *srcID
	if entityByNode(c.SubjectType) == nil || c.SubjectType == "Citation" || c.SubjectType == "AuditEntry" || c.SubjectType == "ApiToken" {
		return nil, invalid("input.subjectId", "%s objects are not cited", c.SubjectType)
	}
	if c.Excerpt, err = checkText("input.excerpt", in.Excerpt, 1, 5000); err != nil {
		return nil, err
	}
	if in.Field != nil {
		f, err := checkText("input.field", *in.Field, 1, 100)
		if err != nil {
			return nil, err
		}
		c.Field = &f
	}
	err = s.write(ctx, RoleOfficer, func(tx *gorm.DB, u *User) error {
		var src Source
		if err := tx.Where("id = ?", c.SourceID).Take(&src).Error; err != nil {
			if ErrorCode(dbError(err, "source")) == CodeNotFound {
				return invalid("input.sourceId", "input.sourceId refers to something that does not exist")
			}
			return dbError(err, "source")
		}
		if src.Body != "" && !strings.Contains(normalizeSpace(src.Body), normalizeSpace(c.Excerpt)) {
			return invalid("input.excerpt", "the excerpt does not appear in the source's text")
		}
		ok, err := s.subjectEditable(ctx, tx, u, c.SubjectType, c.SubjectID)
		if err != nil {
			return err
		}
		if !ok {
			return forbidden(c.SubjectType)
		}
		if err := insert(tx, c); err != nil {
			return err
		}
		return s.audit(ctx, tx, change{action: AuditActionCreate, entityType: "Citation", entityID: c.ID, after: c})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// RemoveCitation removes a citation, at version expected, of an object the
// caller may change.
func (s *Store) RemoveCitation(ctx context.Context, id GlobalID, expected int) error {
	return remove(ctx, s, id, expected, func(tx *gorm.DB, u *User, c *Citation) (bool, error) {
		return s.subjectEditable(ctx, tx, u, c.SubjectType, c.SubjectID)
	})
}
