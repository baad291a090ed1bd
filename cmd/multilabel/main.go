// Command multilabel is the command line of the project: one subcommand
// per file, dispatched by name. docs/cli.md lists every flag; it is
// generated from the flag definitions (multilabel help -markdown).
//
//	multilabel train -data PATH [recipe flags]          train, write a run folder (train.go)
//	multilabel eval -run RUN -data PATH [-split test]   the paper's metrics table (eval.go)
//	multilabel thresholds -run RUN -data PATH           tune per-class thresholds (thresholds.go)
//	multilabel predict -run RUN [-json] images...       classify files or folders (predict.go)
//	multilabel lrsearch -data PATH [-mode range|grid]   learning-rate search with its plot (lrsearch.go)
//	multilabel info -model NAME -size S [-json]         parameters, GMACs, feature shape (info.go)
//	multilabel info -model NAME -head H -classes N      the head's parameters and MACs, the deployed cost
//	multilabel verify -model NAME -weights REF          check a model against a PyTorch reference (verify.go)
//	multilabel export -run RUN [-o FILE] [-format F]    the classifier as ONNX or safetensors (export.go)
//	multilabel quantize -run RUN [-images N]            int8 calibration (int8.json) and its mAP cost (quantize.go)
//
// Usage errors (unknown subcommand, bad flags, unknown model) print one
// line to stderr and exit with status 2; failures while running exit 1.
package main

//go:generate go run ../../tools/gencli -o ../../docs/cli.md

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/seed477ab429/multilabel/recipe"
)

// command is one subcommand: run parses args (without the subcommand
// name) and writes its results to stdout.
type command struct {
	summary string
	args    string // positional arguments after the flags, for the usage line ("" for none)
	run     func(args []string, stdout io.Writer) error
}

// commands maps names to subcommands. Each subcommand's file adds itself
// from an init function, so adding one touches no other file.
var commands = map[string]command{}

// usageError marks an error as the user's (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 2 && args[0] == "help" && args[1] == "-markdown" {
		markdown(stdout)
		return 0
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "multilabel: unknown command %q (commands: %s)\n", args[0], strings.Join(commandNames(), ", "))
		return 2
	}
	err := cmd.run(args[1:], stdout)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "multilabel %s: %v\n", args[0], err)
		return 2
	}
	fmt.Fprintf(stderr, "multilabel %s: %v\n", args[0], err)
	return 1
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: multilabel <command> [flags]   (multilabel <command> -h for its flags)")
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}

// markdown writes every command's flags as Markdown sections (docs/cli.md
// is made of them: go generate ./cmd/multilabel).
func markdown(w io.Writer) {
	defer func() { captureFlags = nil }()
	for _, n := range commandNames() {
		c := commands[n]
		var fs *flag.FlagSet
		captureFlags = func(f *flag.FlagSet) { fs = f }
		c.run([]string{"-h"}, io.Discard)
		if fs == nil {
			continue
		}
		use := "multilabel " + n + " [flags]"
		if c.args != "" {
			use += " " + c.args
		}
		recipe.FlagsMarkdown(w, "multilabel "+n, c.summary, use, fs)
	}
}

// newFlags makes a flag set for a subcommand that reports errors as
// values (never exits) and prints its usage only on -h.
func newFlags(name string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("multilabel "+name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	return fs
}

// captureFlags, when set, receives the flag set of a command run with -h
// instead of its usage text being printed (help -markdown).
var captureFlags func(*flag.FlagSet)

// help handles -h, -help and --help in args: it prints fs's usage (or
// hands fs to captureFlags) and reports true.
func help(fs *flag.FlagSet, args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			if captureFlags != nil {
				captureFlags(fs)
				return true
			}
			out := fs.Output()
			fs.SetOutput(out)
			fs.Usage()
			fs.SetOutput(io.Discard)
			return true
		}
	}
	return false
}

// parseFlags parses args, turning flag errors into usage errors (the flag
// package has already printed nothing, since output goes to io.Discard
// except for -h).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if help(fs, args) {
		return flag.ErrHelp
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
