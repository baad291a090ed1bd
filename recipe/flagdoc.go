package recipe

// The command-line reference (docs/cli.md) is generated from the flag
// definitions themselves: the example and each multilabel subcommand print
// their flags as Markdown with FlagsMarkdown, and tools/gencli puts the
// sections together (go generate ./cmd/multilabel), so the reference
// cannot drift from the programs.

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// FlagsMarkdown writes one command's section: a heading, its summary, a usage
// line and a table of its flags (name, type, default, description), then
// the deprecated aliases (flags whose usage starts with "deprecated:") in
// one line.
func FlagsMarkdown(w io.Writer, heading, summary, usage string, fs *flag.FlagSet) {
	fmt.Fprintf(w, "## %s\n\n", heading)
	if summary != "" {
		fmt.Fprintf(w, "%s\n\n", sentence(summary))
	}
	fmt.Fprintf(w, "```\n%s\n```\n\n", usage)
	var deprecated []string
	rows := 0
	fs.VisitAll(func(f *flag.Flag) {
		if rest, ok := strings.CutPrefix(f.Usage, "deprecated: "); ok {
			deprecated = append(deprecated, fmt.Sprintf("`-%s` (%s)", f.Name, rest))
			return
		}
		if rows == 0 {
			fmt.Fprintln(w, "| flag | default | meaning |")
			fmt.Fprintln(w, "|---|---|---|")
		}
		rows++
		kind, text := flag.UnquoteUsage(f)
		name := "`-" + f.Name
		if kind != "" {
			name += " " + kind
		}
		name += "`"
		fmt.Fprintf(w, "| %s | %s | %s |\n", name, defaultText(f, kind), cell(text))
	})
	if rows == 0 {
		fmt.Fprintln(w, "No flags.")
	}
	if len(deprecated) > 0 {
		fmt.Fprintf(w, "\nDeprecated aliases, still accepted: %s.\n", strings.Join(deprecated, ", "))
	}
	fmt.Fprintln(w)
}

// defaultText shows a flag's default as the command line would take it;
// empty strings and zero numbers (meaning "see the description") show as
// a dash, false booleans as nothing to pass.
func defaultText(f *flag.Flag, kind string) string {
	switch {
	case kind == "" && (f.DefValue == "false" || f.DefValue == ""):
		return "false"
	case f.DefValue == "" || ((kind == "int" || kind == "float" || kind == "uint") && f.DefValue == "0"):
		return "–"
	}
	return "`" + f.DefValue + "`"
}

// cell escapes a description for a table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// sentence capitalises s and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
