package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/lmittmann/tint"
)

// usage is what tracker --help prints.
const usage = `Usage: tracker [command] [flags]

Commands:
  serve                  migrate, seed an empty database, and serve HTTP (the default)
  migrate                apply pending migrations and exit
  seed                   load the seed data set (idempotent) and exit
  seed --synthetic N     also grow the synthetic data set to N initiatives
  token create --name NAME [--role viewer|officer|admin] [--org SLUG]... [--expires DURATION]
                         issue an API token and print its secret, once
  token list             list the API tokens
  token revoke --id ID   revoke an API token at once
  healthcheck            exit 0 if the server on PORT is ready (for containers)
  help                   print this help

"tracker COMMAND --help" describes a command's flags. The configuration comes
from the environment (DATABASE_URL, SQLITE_PATH, PORT, ...): see the README.
`

// command is what the arguments ask for. They are read whole before the
// configuration or the database is touched, so that a mistake or a request
// for help is answered at once, and with no side effect.
type command struct {
	name      string      // serve, migrate, seed, token or healthcheck
	synthetic int         // seed: grow the synthetic data set to this many initiatives
	token     tokenAction // token: what to do
}

// errHelped reports that help was asked for, and printed.
var errHelped = errors.New("help printed")

// parseCommand reads the arguments. When they ask for help it prints it on
// stdout and returns a nil command.
func parseCommand(args []string, stdout io.Writer) (*command, error) {
	c := &command{name: "serve"}
	if len(args) > 0 {
		c.name, args = args[0], args[1:]
	}
	var err error
	switch c.name {
	case "help", "-h", "-help", "--help":
		_, err = io.WriteString(stdout, usage)
		return nil, err
	case "serve", "migrate", "healthcheck":
		err = parseFlags(flag.NewFlagSet(c.name, flag.ContinueOnError), "tracker "+c.name, args, stdout)
	case "seed":
		flags := flag.NewFlagSet("seed", flag.ContinueOnError)
		n := flags.Int("synthetic", 0, "grow the synthetic data set to `N` initiatives")
		err = parseFlags(flags, "tracker seed [--synthetic N]", args, stdout)
		c.synthetic = *n
	case "token":
		c.token, err = parseToken(args, stdout)
	default:
		return nil, fmt.Errorf("unknown command %q: want serve, migrate, seed, token or healthcheck (tracker --help tells more)", c.name)
	}
	if errors.Is(err, errHelped) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// parseFlags parses the flags of a command whose synopsis is synopsis,
// which takes no other arguments. Asked for help, it prints the synopsis
// and the flags on stdout and returns errHelped.
func parseFlags(flags *flag.FlagSet, synopsis string, args []string, stdout io.Writer) error {
	flags.SetOutput(io.Discard) // the flag package's own messages: the errors below say it
	err := flags.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp) || flags.Arg(0) == "help":
		fmt.Fprintf(stdout, "usage: %s\n", synopsis)
		flags.SetOutput(stdout)
		flags.PrintDefaults()
		return errHelped
	case err != nil:
		return fmt.Errorf("%w (usage: %s)", err, synopsis)
	case flags.NArg() > 0:
		return fmt.Errorf("unexpected argument %q (usage: %s)", flags.Arg(0), synopsis)
	}
	return nil
}

// newLogger returns the server's logger, JSON lines for log collectors, or
// for the other commands, whose answer is their output, a logger that
// prints only warnings and errors, as text for people.
func newLogger(cmd string, stderr io.Writer, level slog.Level) *slog.Logger {
	if cmd == "serve" {
		return slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	}
	return slog.New(tint.NewTextHandler(stderr, &tint.Options{Level: max(level, slog.LevelWarn), NoColor: true,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // a person at a terminal knows when
			}
			return a
		}}))
}
