package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"tracker/models"
)

// operator is the caller of command-line changes: whoever can run the
// binary against the database administers it.
var operator = &models.User{Subject: "cli", Name: "command line", Role: models.RoleAdmin}

// tokenCommand issues, lists and revokes API tokens.
func tokenCommand(ctx context.Context, store *models.Store, args []string, stdout io.Writer) error {
	ctx = models.WithRequestID(models.WithUser(ctx, operator), "cli")
	if len(args) == 0 {
		return errors.New("usage: tracker token create|list|revoke")
	}
	switch args[0] {
	case "create":
		return createToken(ctx, store, args[1:], stdout)
	case "list":
		return listTokens(ctx, store, stdout)
	case "revoke":
		flags := flag.NewFlagSet("token revoke", flag.ContinueOnError)
		id := flags.String("id", "", "the token's `ID`: a number or a global ID")
		if err := flags.Parse(args[1:]); err != nil {
			return err
		}
		gid, err := tokenID(*id)
		if err != nil {
			return err
		}
		t, err := store.RevokeAPIToken(ctx, gid)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "revoked token %d (%s)\n", t.ID, t.Name)
		return err
	}
	return fmt.Errorf("unknown token command %q: want create, list or revoke", args[0])
}

// orgList collects repeated --org flags.
type orgList []string

func (o *orgList) String() string     { return strings.Join(*o, ",") }
func (o *orgList) Set(v string) error { *o = append(*o, v); return nil }

func createToken(ctx context.Context, store *models.Store, args []string, stdout io.Writer) error {
	flags := flag.NewFlagSet("token create", flag.ContinueOnError)
	name := flags.String("name", "", "what the token is for")
	role := flags.String("role", "viewer", "its `role`: viewer, officer or admin")
	expires := flags.Duration("expires", 0, "how long it lasts (e.g. 720h); 0 for ever")
	var orgs orgList
	flags.Var(&orgs, "org", "an organization `slug` an officer token may change (repeatable)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	spec := models.NewTokenSpec{Name: *name, Role: models.Role(strings.ToUpper(*role))}
	if *expires > 0 {
		at := time.Now().Add(*expires)
		spec.ExpiresAt = &at
	}
	var err error
	if spec.Organizations, err = store.OrganizationIDsBySlug(ctx, orgs); err != nil {
		return err
	}
	if len(spec.Organizations) != len(orgs) {
		return fmt.Errorf("unknown organization among %v", []string(orgs))
	}
	token, t, err := store.CreateAPIToken(ctx, spec)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "token %d (%s, %s) — shown once, keep it secret:\n%s\n", t.ID, t.Name, t.Role, token)
	return err
}

func listTokens(ctx context.Context, store *models.Store, stdout io.Writer) error {
	page, err := store.APITokens(ctx, models.Page{}, nil, nil)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tROLE\tCREATED\tEXPIRES\tACTIVE")
	for _, t := range page.Nodes {
		expires := "never"
		if t.ExpiresAt != nil {
			expires = t.ExpiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%v\n", t.ID, t.Name, t.Role, t.CreatedAt.Format(time.RFC3339), expires, t.IsActive())
	}
	return w.Flush()
}

// tokenID reads a token ID given as a number or a global ID.
func tokenID(s string) (models.GlobalID, error) {
	if n, err := strconv.ParseUint(s, 10, 63); err == nil && n > 0 {
		return models.NewGlobalID("ApiToken", uint(n)), nil
	}
	return models.ParseGlobalID(s)
}
