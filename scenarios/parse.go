package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/authbench/authbench/backends"
)

// Parse reads, checks and validates the scenario file at path. Every error
// is an *Error.
func Parse(path string) (*Scenario, error) {
	// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	// writer forever, before the check below could refuse it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read: " + plainPathError(err)}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read: " + plainPathError(err)}
	}
	if msg := notAFile(st); msg != "" {
		return nil, &Error{File: path, Msg: msg}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read: " + plainPathError(err)}
	}
	return ParseBytes(path, data)
}

// notAFile says why st is not a scenario file: only a regular file is
// read (a FIFO or a device could block or never end).
func notAFile(st os.FileInfo) string {
	switch m := st.Mode(); {
	case m.IsDir():
		return "is a directory, not a scenario file"
	case m&os.ModeNamedPipe != 0:
		return "is a named pipe (FIFO), not a scenario file"
	case !m.IsRegular():
		return "is a device or a socket, not a scenario file"
	}
	return ""
}

// plainPathError drops the operation and path that *PathError repeats.
func plainPathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ParseBytes parses a scenario held in memory; name is the file name used
// in errors and stored in Scenario.File. It fills defaults, validates every
// field and every sweep point. Every error is an *Error.
func ParseBytes(name string, data []byte) (*Scenario, error) {
	top := origin{File: name, Line: 1, Col: 1}
	// Editors on Windows start UTF-8 files with a byte order mark; it is
	// not part of the first key.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	body, err := parseYAML(name, data, top)
	if err != nil {
		return nil, err
	}
	s := NewDefault()
	s.File = name
	if body == nil {
		return nil, top.errorf("empty scenario: name and backends are required")
	}
	d := &decoder{file: name, origins: s.origins}
	root := d.at(body, top)
	s.origins[""] = root
	var sweep, extra *ast.MappingValueNode
	var sweepAt, extraAt origin
	hook := func(key string, mv *ast.MappingValueNode, ko origin) (bool, error) {
		switch key {
		case "options":
			return true, d.decodeOptions(s, mv.Value, ko)
		case "sweep":
			// Sweep values are checked against the finished base scenario,
			// whatever the order of the keys in the file.
			sweep, sweepAt = mv, ko
			return true, nil
		case "extra":
			// So are extra points, against the backends list too.
			extra, extraAt = mv, ko
			return true, nil
		}
		return false, nil
	}
	if err := d.decodeStruct(body, reflect.ValueOf(s).Elem(), "", root, hook); err != nil {
		return nil, err
	}
	if err := s.checkOptionsUsed(); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if sweep != nil {
		if err := d.decodeSweep(s, sweep.Value, sweepAt); err != nil {
			return nil, err
		}
	}
	if extra != nil {
		if err := d.decodeExtra(s, extra.Value, extraAt); err != nil {
			return nil, err
		}
	}
	if err := s.validatePoints(); err != nil {
		return nil, err
	}
	return s, nil
}

// parseYAML turns bytes into the body node of the single document, after
// the checks that keep the YAML library's work bounded: size, encoding,
// nesting depth, and no anchors or aliases (so no alias bombs). A nil
// body means an empty document.
func parseYAML(name string, data []byte, top origin) (body ast.Node, err error) {
	if len(data) > MaxFileSize {
		return nil, top.errorf("file is larger than %d KiB; a scenario is a few dozen lines", MaxFileSize>>10)
	}
	if err := checkText(name, data); err != nil {
		return nil, err
	}
	defer func() {
		// The YAML library is third-party code fed with untrusted input:
		// a failure inside it must be an error, not a crash of authbench.
		if r := recover(); r != nil {
			body, err = nil, top.errorf("cannot parse YAML (%v)", r)
		}
	}()
	tokens := lexer.Tokenize(string(data))
	if err := checkTokens(name, tokens); err != nil {
		return nil, err
	}
	// Duplicate keys are reported by the decoder, in authbench's words.
	f, perr := parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
	if perr != nil {
		return nil, yamlError(name, perr, top)
	}
	var docs []*ast.DocumentNode
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, doc)
		}
	}
	if len(docs) == 0 {
		return nil, nil
	}
	if len(docs) > 1 {
		o := top
		if tk := docs[1].GetToken(); tk != nil && tk.Position != nil {
			o = origin{File: name, Line: tk.Position.Line, Col: tk.Position.Column}
		}
		return nil, o.errorf("a scenario file holds one YAML document; found a second one")
	}
	return docs[0].Body, nil
}

// yamlError converts the library's syntax errors to *Error.
func yamlError(name string, err error, top origin) *Error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		o := top
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			o = origin{File: name, Line: tk.Position.Line, Col: tk.Position.Column}
		}
		return o.errorf("%s", ye.GetMessage())
	}
	return top.errorf("%v", err)
}

// checkText refuses what is not YAML text: invalid UTF-8, control
// characters, and tabs used for indentation (which YAML forbids and which
// silently change the structure in some parsers).
func checkText(name string, data []byte) error {
	line, col := 1, 1
	atIndent := true
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		o := origin{File: name, Line: line, Col: col}
		switch {
		case r == utf8.RuneError && size <= 1:
			return o.errorf("not a text file: invalid UTF-8 (byte 0x%02x)", data[i])
		case r == '\n':
			line, col, atIndent = line+1, 0, true
		case r == '\t' && atIndent:
			return o.errorf("tab used for indentation; YAML allows only spaces")
		case r == '\r' || r == '\t':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfeff && i > 0:
			return o.errorf("not a text file: control character %U", r)
		case r != ' ':
			atIndent = false
		}
		i += size
		col++
	}
	return nil
}

// checkTokens refuses lexer errors, YAML features a scenario does not
// need, and nesting deeper than MaxDepth (the parser recurses per level).
func checkTokens(name string, tokens token.Tokens) error {
	pos := func(tk *token.Token) origin {
		if tk.Position == nil {
			return origin{File: name, Line: 1, Col: 1}
		}
		return origin{File: name, Line: tk.Position.Line, Col: tk.Position.Column}
	}
	if len(tokens) > MaxTokens {
		// The YAML library's parser is quadratic in the entries of a
		// mapping: bound the work long before that matters.
		return pos(tokens[MaxTokens]).errorf("too many YAML tokens (more than %d); a scenario is a few dozen lines", MaxTokens)
	}
	flow := 0
	var indents []int
	lastLine := 0
	docs, content := 0, false
	for _, tk := range tokens {
		switch tk.Type {
		case token.InvalidType:
			msg := tk.Error
			if msg == "" {
				msg = "invalid token " + quoteClip(tk.Value)
			}
			return pos(tk).errorf("%s", msg)
		case token.AnchorType, token.AliasType:
			return pos(tk).errorf("anchors and aliases (&name, *name) are not supported in scenario files")
		case token.TagType:
			return pos(tk).errorf("YAML tags (%s) are not supported in scenario files", quoteClip(tk.Value))
		case token.MergeKeyType:
			return pos(tk).errorf("merge keys (<<) are not supported in scenario files")
		case token.CommentType:
			continue
		case token.DocumentHeaderType:
			// A "---" after content starts a second document.
			if docs++; docs > 1 || content {
				return pos(tk).errorf("a scenario file holds one YAML document; found a second one")
			}
			continue
		case token.SequenceStartType, token.MappingStartType:
			flow++
		case token.SequenceEndType, token.MappingEndType:
			if flow > 0 {
				flow--
			}
		}
		if tk.Type != token.DocumentEndType {
			content = true
		}
		if tk.Position != nil && tk.Position.Line != lastLine {
			lastLine = tk.Position.Line
			if flow == 0 || tk.Type == token.SequenceStartType || tk.Type == token.MappingStartType {
				col := tk.Position.Column
				for len(indents) > 0 && indents[len(indents)-1] >= col {
					indents = indents[:len(indents)-1]
				}
				indents = append(indents, col)
			}
		}
		if flow+len(indents) > MaxDepth {
			return pos(tk).errorf("nested deeper than %d levels", MaxDepth)
		}
	}
	return nil
}

// decodeOptions reads `options:`: a mapping from backend name to the
// backend's own option struct.
func (d *decoder) decodeOptions(s *Scenario, n ast.Node, at origin) error {
	d.origins["options"] = at
	if _, null := n.(*ast.NullNode); null {
		return nil
	}
	entries, ok := mappingEntries(n)
	if !ok {
		return d.at(n, at).errorf("options: must be a mapping from backend name to its options, got %s", kindOf(n))
	}
	seen := map[string]bool{}
	for _, mv := range entries {
		ko := d.at(mv.Key, at)
		name, ok := keyName(mv.Key)
		if !ok {
			return ko.errorf("options: keys must be backend names, got %s", kindOf(mv.Key))
		}
		if seen[name] {
			return ko.errorf("duplicate key %s in options", quoteClip(name))
		}
		seen[name] = true
		v, msg := optionsValue(s, name)
		if msg != "" {
			return ko.errorf("options: %s", msg)
		}
		if err := d.decode(mv.Value, v, "options."+name, ko); err != nil {
			return err
		}
		// Blame Check() failures on the backend's key, which always has a
		// position (an empty value does not).
		d.origins["options."+name] = ko
	}
	return nil
}

// checkOptionsUsed refuses options written for a backend the file does
// not run: they would be ignored without a word, and are most likely a
// typo in the backend list or a left-over. (`--backends` may narrow the
// list afterwards: the file is still consistent.)
func (s *Scenario) checkOptionsUsed() error {
	var unused []string
	for p, o := range s.origins {
		name, ok := strings.CutPrefix(p, "options.")
		if ok && !o.Override && !strings.Contains(name, ".") && !slices.Contains(s.Backends, name) {
			unused = append(unused, p)
		}
	}
	if len(unused) == 0 {
		return nil
	}
	slices.Sort(unused)
	name := strings.TrimPrefix(unused[0], "options.")
	return s.origins[unused[0]].errorf("options.%s: %s is not in backends, so these options would be ignored (add it to backends or remove them)", name, name)
}

// optionsValue returns the settable option struct of backend name in s, or
// a message saying why there is none.
func optionsValue(s *Scenario, name string) (reflect.Value, string) {
	e, ok := backends.Lookup(name)
	if !ok {
		return reflect.Value{}, fmt.Sprintf("unknown backend %s%s", quoteClip(name), didYouMean(name, backends.Names()))
	}
	if e.Options == nil || s.Options[name] == nil {
		// An empty struct: any key is then an unknown field, refused with
		// the same message as an unknown key of a backend with options.
		return reflect.ValueOf(&struct{}{}).Elem(), ""
	}
	v := reflect.ValueOf(s.Options[name])
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return reflect.Value{}, fmt.Sprintf("backend %q registers options that cannot be set (not a pointer)", name)
	}
	return v.Elem(), ""
}
