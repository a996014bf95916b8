package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"text/tabwriter"
)

var schemasSpec = cmdSpec{
	name:     "schemas",
	synopsis: "[--format table|json]",
	about: `List the object types the Audit Logs API knows (the entity types of the
events) and their fields, with Slack's description of each field's type. A
type may appear more than once, with different fields. --format json prints
Slack's answer exactly as it came (--json is its old spelling). No token is
needed.`,
	examples: `  auditlogs schemas --demo
  auditlogs schemas --format json | jq '.schemas[].type'`,
}

var actionsSpec = cmdSpec{
	name:     "actions",
	synopsis: "[--format table|json]",
	about: `List the action names the Audit Logs API knows, by category, sorted: the
values --action accepts. --format json prints Slack's answer exactly as it
came (--json is its old spelling). No token is needed.`,
	examples: `  auditlogs actions --demo
  auditlogs actions | grep -i login
  auditlogs actions --format json | jq -r '.actions.user[]'`,
}

func runSchemas(ctx context.Context, e *env, args []string) int {
	return runCatalog(ctx, e, args, schemasSpec, func(ctx context.Context, ci *clientInfo, asJSON bool, w io.Writer) error {
		list, err := ci.Schemas(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			return writeRaw(w, list.Raw(), isTerminal(e.stdout))
		}
		schemas := slices.Clone(list.Schemas)
		sort.SliceStable(schemas, func(i, j int) bool { return schemas[i].Type < schemas[j].Type })
		bw := bufio.NewWriter(w)
		for i, s := range schemas {
			if i > 0 {
				bw.WriteString("\n")
			}
			fmt.Fprintf(bw, "%s (%d fields)\n", cell(s.Type), len(s.Fields))
			tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
			names := make([]string, 0, len(s.Fields))
			for name := range s.Fields {
				names = append(names, name)
			}
			slices.Sort(names)
			for _, name := range names {
				fmt.Fprintf(tw, "  %s\t%s\n", cell(name), cell(s.Fields[name]))
			}
			tw.Flush()
		}
		return bw.Flush()
	})
}

func runActions(ctx context.Context, e *env, args []string) int {
	return runCatalog(ctx, e, args, actionsSpec, func(ctx context.Context, ci *clientInfo, asJSON bool, w io.Writer) error {
		list, err := ci.Actions(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			return writeRaw(w, list.Raw(), isTerminal(e.stdout))
		}
		cats := make([]string, 0, len(list.Actions))
		for c := range list.Actions {
			cats = append(cats, c)
		}
		slices.Sort(cats)
		bw := bufio.NewWriter(w)
		for i, c := range cats {
			if i > 0 {
				bw.WriteString("\n")
			}
			names := slices.Clone(list.Actions[c])
			slices.Sort(names)
			fmt.Fprintf(bw, "%s (%d)\n", cell(c), len(names))
			for _, n := range names {
				fmt.Fprintf(bw, "  %s\n", cell(n))
			}
		}
		return bw.Flush()
	})
}

// runCatalog parses the flags of schemas or actions, builds a client (a
// token is used if there is one, but none is needed) and runs show.
func runCatalog(ctx context.Context, e *env, args []string, spec cmdSpec,
	show func(ctx context.Context, ci *clientInfo, asJSON bool, w io.Writer) error) int {
	var g globalFlags
	var format string
	fs := newFlagSet(spec, &g)
	formatVar(fs, &format, formatTable, []string{formatTable, formatJSON}, nil, "table, or json: the server's answer exactly as it came")
	asJSON := fs.Bool("json", false, "the old spelling of --format json")
	if ok, code := parseFlags(e, fs, spec, &g, args); !ok {
		return code
	}
	if *asJSON && g.set["format"] && format != formatJSON {
		return usageError(e, spec.name, "--json and --format %s disagree: give --format alone", format)
	}
	if *asJSON {
		format = formatJSON
	}
	ci, code := newClient(e, &g, false)
	if code != 0 {
		return code
	}
	defer ci.close()
	if err := show(ctx, ci, format == formatJSON, e.stdout); err != nil {
		return reportError(e, err, ci)
	}
	return exitOK
}

// writeRaw writes a body exactly as it came; on a terminal, it ends it with
// a line break if it has none.
func writeRaw(w io.Writer, raw []byte, terminal bool) error {
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if terminal && (len(raw) == 0 || raw[len(raw)-1] != '\n') {
		_, err := io.WriteString(w, "\n")
		return err
	}
	return nil
}
