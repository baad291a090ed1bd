package data

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A reader for the subset of YAML that YOLO data set files (Ultralytics'
// data.yaml, Roboflow's exports) are written in, so that reading them
// needs no YAML library:
//
//	# comment
//	path: ../datasets/coco8        # plain scalars, 'single' or "double" quoted
//	train: images/train
//	val: [images/val, extra/val]   # flow sequences (may span lines)
//	nc: 3
//	names: ['person', "car", bus]
//	names:                         # or a block mapping index: name
//	  0: person
//	  1: car
//	test:                          # or a block sequence
//	  - images/test
//	download: |                    # block scalars are read and kept as text
//	  ...
//
// Only the top level is a mapping; its values are scalars, sequences of
// scalars or mappings of scalars. Anchors, tags and deeper nesting are
// errors, each naming the line.

// yamlValue is one top-level value: exactly one of the fields is set
// (Scalar may be "" for an empty value).
type yamlValue struct {
	Scalar string
	List   []string
	Map    []yamlPair // in file order
	Kind   yamlKind
	Line   int
}

type yamlKind int

const (
	yamlScalar yamlKind = iota
	yamlList
	yamlMap
)

type yamlPair struct {
	Key, Value string
	Line       int
}

// yamlError is a syntax error at a line of the file.
type yamlError struct {
	Line int
	Msg  string
}

func (e *yamlError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// parseYAML reads the top-level mapping of src. Keys keep their first
// occurrence's line; a repeated key is an error. Each key's value is read
// by yamlValueAt, which may take the lines below the key.
func parseYAML(src []byte) (map[string]yamlValue, error) {
	lines := strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
	for i, raw := range lines {
		if lead := raw[:indent(raw)]; strings.ContainsRune(lead, '\t') && strings.TrimSpace(raw) != "" {
			return nil, &yamlError{i + 1, "tab in indentation (YAML indents with spaces)"}
		}
	}
	out := map[string]yamlValue{}
	for i := 0; i < len(lines); i++ {
		ln := i + 1
		text := stripComment(lines[i])
		if strings.TrimSpace(text) == "" || strings.TrimSpace(text) == "---" || strings.HasPrefix(text, "%") {
			continue
		}
		if text == "..." {
			break
		}
		if indent(text) > 0 {
			return nil, &yamlError{ln, "indented line outside a block (want key: value at the top level)"}
		}
		key, rest, err := splitKey(text, ln)
		if err != nil {
			return nil, err
		}
		if _, dup := out[key]; dup {
			return nil, &yamlError{ln, fmt.Sprintf("key %q given twice", key)}
		}
		var v yamlValue
		if v, i, err = yamlValueAt(lines, i, strings.TrimSpace(rest)); err != nil {
			return nil, err
		}
		out[key] = v
	}
	return out, nil
}

// yamlValueAt reads the value of the key on lines[i], rest being the text
// after its colon: a block scalar, a flow sequence or mapping (which may
// go on over the next lines), a block sequence or mapping on the indented
// lines below, or a plain scalar. It returns the value and the index of
// its last line.
func yamlValueAt(lines []string, i int, rest string) (yamlValue, int, error) {
	ln := i + 1
	v := yamlValue{Line: ln}
	var err error
	switch {
	case rest == "|" || rest == ">" || strings.HasPrefix(rest, "|") || strings.HasPrefix(rest, ">"):
		// A block scalar: the indented lines that follow, kept as text.
		var body []string
		for i+1 < len(lines) && (strings.TrimSpace(lines[i+1]) == "" || indent(lines[i+1]) > 0) {
			i++
			body = append(body, strings.TrimSpace(lines[i]))
		}
		v.Scalar = strings.TrimSpace(strings.Join(body, "\n"))
	case strings.HasPrefix(rest, "["):
		var flow string
		flow, i = yamlFlowText(lines, i, rest)
		err = v.setFlowList(flow, ln)
	case strings.HasPrefix(rest, "{"):
		var flow string
		flow, i = yamlFlowText(lines, i, rest)
		err = v.setFlowMap(flow, ln)
	case rest == "":
		// Empty, or a block sequence / mapping on the indented lines below.
		i, err = v.readBlock(lines, i)
	default:
		v.Scalar, err = yamlScalarText(rest, ln)
	}
	return v, i, err
}

// yamlFlowText joins a flow collection that starts with rest on lines[i]
// and goes on until it closes (or the file ends); it returns the text and
// the index of its last line.
func yamlFlowText(lines []string, i int, rest string) (string, int) {
	flow := rest
	for !flowClosed(flow) && i+1 < len(lines) {
		i++
		flow += " " + strings.TrimSpace(stripComment(lines[i]))
	}
	return flow, i
}

// setFlowList makes v the flow sequence flow ("[a, b]") that starts on line.
func (v *yamlValue) setFlowList(flow string, line int) error {
	items, err := parseFlow(flow, '[', ']', line)
	if err != nil {
		return err
	}
	v.Kind = yamlList
	for _, it := range items {
		s, err := yamlScalarText(it, line)
		if err != nil {
			return err
		}
		v.List = append(v.List, s)
	}
	return nil
}

// setFlowMap makes v the flow mapping flow ("{a: 1, b: 2}") that starts on
// line.
func (v *yamlValue) setFlowMap(flow string, line int) error {
	items, err := parseFlow(flow, '{', '}', line)
	if err != nil {
		return err
	}
	v.Kind = yamlMap
	for _, it := range items {
		k, val, err := splitKey(it, line)
		if err != nil {
			return err
		}
		s, err := yamlScalarText(strings.TrimSpace(val), line)
		if err != nil {
			return err
		}
		v.Map = append(v.Map, yamlPair{k, s, line})
	}
	return nil
}

// readBlock reads into v the block sequence ("- item" lines) or block
// mapping ("key: value" lines) below the key on lines[i]: the indented
// lines, and "- item" lines at the key's own indentation (a common style).
// Nothing below leaves v an empty scalar. It returns the index of the last
// line read.
func (v *yamlValue) readBlock(lines []string, i int) (int, error) {
	for i+1 < len(lines) {
		next := stripComment(lines[i+1])
		if strings.TrimSpace(next) == "" {
			i++
			continue
		}
		isItem := strings.HasPrefix(strings.TrimSpace(next), "- ") || strings.TrimSpace(next) == "-"
		if indent(next) == 0 && !(isItem && indent(next) == 0) {
			break
		}
		i++
		nl := i + 1
		item := strings.TrimSpace(next)
		switch {
		case isItem:
			if v.Kind == yamlMap {
				return i, &yamlError{nl, "a sequence item inside a mapping"}
			}
			v.Kind = yamlList
			s, err := yamlScalarText(strings.TrimSpace(strings.TrimPrefix(item, "-")), nl)
			if err != nil {
				return i, err
			}
			v.List = append(v.List, s)
		default:
			if v.Kind == yamlList {
				return i, &yamlError{nl, "a mapping entry inside a sequence"}
			}
			v.Kind = yamlMap
			k, val, err := splitKey(item, nl)
			if err != nil {
				return i, err
			}
			s, err := yamlScalarText(strings.TrimSpace(val), nl)
			if err != nil {
				return i, err
			}
			v.Map = append(v.Map, yamlPair{k, s, nl})
		}
	}
	return i, nil
}

func indent(s string) int { return len(s) - len(strings.TrimLeft(s, " \t")) }

// stripComment removes a # comment (at the start or after a space) that
// is not inside quotes, and trailing spaces.
func stripComment(s string) string {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				if quote == '\'' && i+1 < len(s) && s[i+1] == '\'' {
					i++ // '' inside single quotes
				} else {
					quote = 0
				}
			} else if c == '\\' && quote == '"' {
				i++
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return strings.TrimRight(s[:i], " \t")
		}
	}
	return strings.TrimRight(s, " \t")
}

// splitKey splits "key: rest" at the first ": " (or a final ":") outside
// quotes; the key may be quoted.
func splitKey(s string, line int) (key, rest string, err error) {
	s = strings.TrimSpace(s)
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == ':' && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\t'):
			k, err := yamlScalarText(strings.TrimSpace(s[:i]), line)
			if err != nil {
				return "", "", err
			}
			if k == "" {
				return "", "", &yamlError{line, "empty key"}
			}
			return k, s[i+1:], nil
		}
	}
	return "", "", &yamlError{line, fmt.Sprintf("want key: value, got %q", s)}
}

// flowClosed reports whether the brackets of a flow collection balance
// (outside quotes).
func flowClosed(s string) bool {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' {
				i++
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
		}
	}
	return depth <= 0
}

// parseFlow splits "[a, b, 'c, d']" into its items (unparsed scalars, or
// "k: v" for a mapping). Nested collections are errors.
func parseFlow(s string, open, close byte, line int) ([]string, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != open || s[len(s)-1] != close {
		return nil, &yamlError{line, fmt.Sprintf("unclosed %c", open)}
	}
	body := s[1 : len(s)-1]
	var items []string
	var quote byte
	start := 0
	for i := 0; i <= len(body); i++ {
		if i == len(body) {
			if it := strings.TrimSpace(body[start:]); it != "" {
				items = append(items, it)
			}
			break
		}
		c := body[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' {
				i++
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '[' || c == '{' || c == ']' || c == '}':
			return nil, &yamlError{line, "nested collections are not supported here"}
		case c == ',':
			items = append(items, strings.TrimSpace(body[start:i]))
			start = i + 1
		}
	}
	if quote != 0 {
		return nil, &yamlError{line, "unterminated quoted string"}
	}
	for _, it := range items {
		if it == "" {
			return nil, &yamlError{line, "empty item in a flow collection"}
		}
	}
	return items, nil
}

// yamlScalarText unquotes a scalar: 'single' (” is a quote), "double"
// (with \" \\ \n \t \/ escapes and \uXXXX), or plain; null and ~ are "".
func yamlScalarText(s string, line int) (string, error) {
	if s == "" || s == "~" || s == "null" || s == "Null" || s == "NULL" {
		return "", nil
	}
	switch s[0] {
	case '\'':
		if len(s) < 2 || s[len(s)-1] != '\'' {
			return "", &yamlError{line, fmt.Sprintf("unterminated quoted string %s", s)}
		}
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), nil
	case '"':
		if len(s) < 2 || s[len(s)-1] != '"' {
			return "", &yamlError{line, fmt.Sprintf("unterminated quoted string %s", s)}
		}
		u, err := strconv.Unquote(s)
		if err != nil {
			return "", &yamlError{line, fmt.Sprintf("bad escape in %s", s)}
		}
		return u, nil
	case '&', '*', '!', '|', '>', '[', '{', '@', '`':
		return "", &yamlError{line, fmt.Sprintf("%q: anchors, aliases, tags and nested collections are not supported", s)}
	}
	return s, nil
}

// errNotYAMLList is returned by yamlStrings for a mapping value.
var errNotYAMLList = errors.New("want a path or a list of paths")

// yamlStrings is a scalar or a list as a list ("" gives none).
func (v yamlValue) strings() ([]string, error) {
	switch v.Kind {
	case yamlList:
		return v.List, nil
	case yamlMap:
		return nil, errNotYAMLList
	}
	if v.Scalar == "" {
		return nil, nil
	}
	return []string{v.Scalar}, nil
}
