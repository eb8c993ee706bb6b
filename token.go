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

// tokenAction is a token command, its arguments read, ready to run on the
// database.
type tokenAction func(ctx context.Context, store *models.Store, stdout io.Writer) error

const tokenUsage = `usage: tracker token create --name NAME [--role viewer|officer|admin] [--org SLUG]... [--expires DURATION]
       tracker token list
       tracker token revoke --id ID`

// parseToken reads the arguments of the token command, which issues, lists
// and revokes API tokens. Asked for help, it prints it on stdout and returns
// errHelped.
func parseToken(args []string, stdout io.Writer) (tokenAction, error) {
	if len(args) == 0 {
		return nil, errors.New("token: want create, list or revoke\n" + tokenUsage)
	}
	var action tokenAction
	var err error
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if _, err := fmt.Fprintln(stdout, tokenUsage); err != nil {
			return nil, err
		}
		return nil, errHelped
	case "create":
		action, err = parseCreateToken(args[1:], stdout)
	case "list":
		action, err = listTokens, parseFlags(flag.NewFlagSet("token list", flag.ContinueOnError), "tracker token list", args[1:], stdout)
	case "revoke":
		action, err = parseRevokeToken(args[1:], stdout)
	default:
		return nil, fmt.Errorf("unknown token command %q: want create, list or revoke\n%s", args[0], tokenUsage)
	}
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, store *models.Store, stdout io.Writer) error {
		return action(models.WithRequestID(models.WithUser(ctx, operator), "cli"), store, stdout)
	}, nil
}

func parseRevokeToken(args []string, stdout io.Writer) (tokenAction, error) {
	flags := flag.NewFlagSet("token revoke", flag.ContinueOnError)
	id := flags.String("id", "", "the token's `ID`: a number or a global ID")
	if err := parseFlags(flags, "tracker token revoke --id ID", args, stdout); err != nil {
		return nil, err
	}
	if *id == "" {
		return nil, errors.New("token revoke: --id is required (usage: tracker token revoke --id ID)")
	}
	gid, err := tokenID(*id)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, store *models.Store, stdout io.Writer) error {
		t, err := store.RevokeAPIToken(ctx, gid)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "revoked token %d (%s)\n", t.ID, t.Name)
		return err
	}, nil
}

// orgList collects repeated --org flags.
type orgList []string

func (o *orgList) String() string     { return strings.Join(*o, ",") }
func (o *orgList) Set(v string) error { *o = append(*o, v); return nil }

func parseCreateToken(args []string, stdout io.Writer) (tokenAction, error) {
	flags := flag.NewFlagSet("token create", flag.ContinueOnError)
	name := flags.String("name", "", "what the token is for (required)")
	role := flags.String("role", "viewer", "its `role`: viewer, officer or admin")
	expires := flags.Duration("expires", 0, "how long it lasts (e.g. 720h); 0 for ever")
	var orgs orgList
	flags.Var(&orgs, "org", "an organization `slug` an officer token may change (repeatable)")
	synopsis := "tracker token create --name NAME [--role viewer|officer|admin] [--org SLUG]... [--expires DURATION]"
	if err := parseFlags(flags, synopsis, args, stdout); err != nil {
		return nil, err
	}
	if *name == "" {
		return nil, fmt.Errorf("token create: --name is required (usage: %s)", synopsis)
	}
	spec := models.NewTokenSpec{Name: *name, Role: models.Role(strings.ToUpper(*role))}
	if !spec.Role.IsValid() {
		return nil, fmt.Errorf("token create: --role %q: want viewer, officer or admin", *role)
	}
	return func(ctx context.Context, store *models.Store, stdout io.Writer) error {
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
	}, nil
}

// listTokens prints the API tokens as a table.
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
