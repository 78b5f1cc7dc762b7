package scenarios

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// decoder fills Go values from YAML nodes by reflection, driven by the
// destination's type. Walking the schema rather than the document keeps
// the work bounded by the size of the scenario types, whatever the input,
// and lets every refusal name the dotted path and the node's position.
type decoder struct {
	file string
	// set, when non-nil, is the --set flag every value comes from; errors
	// cite it instead of a file position.
	set *origin
	// override marks recorded origins as overrides (sweep points).
	override bool
	// origins receives the origin of every decoded path.
	origins map[string]origin
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// at returns the origin of node n, or fb when n carries no position.
func (d *decoder) at(n ast.Node, fb origin) origin {
	if d.set != nil {
		return *d.set
	}
	if n == nil {
		return fb
	}
	if _, null := n.(*ast.NullNode); null {
		// An empty value has no useful position of its own: point at its key.
		return fb
	}
	tk := n.GetToken()
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 {
		tk = m.Values[0].Key.GetToken()
	}
	if tk == nil || tk.Position == nil {
		return fb
	}
	return origin{File: d.file, Line: tk.Position.Line, Col: tk.Position.Column, Override: d.override}
}

// label is the name of a path in messages.
func label(path string) string {
	if path == "" {
		return "scenario"
	}
	return path
}

func joinPath(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}

// kindOf names a node's kind, with its article, for "got …" messages.
func kindOf(n ast.Node) string {
	switch n := n.(type) {
	case *ast.NullNode:
		return "an empty value"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.SequenceNode:
		return "a list"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case nil:
		return "nothing"
	default:
		k := strings.ToLower(n.Type().String())
		if strings.ContainsRune("aeiou", rune(k[0])) {
			return "an " + k
		}
		return "a " + k
	}
}

// scalarText is how a scalar is written in the file, for messages and
// sweep labels.
func scalarText(n ast.Node) string {
	switch n := n.(type) {
	case *ast.StringNode:
		return n.Value
	case *ast.LiteralNode:
		return n.Value.Value
	case nil:
		return ""
	}
	if tk := n.GetToken(); tk != nil {
		if _, scalar := n.(ast.ScalarNode); scalar {
			return tk.Value
		}
	}
	return n.String()
}

// mappingEntries returns the key/value pairs of a mapping node.
func mappingEntries(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	}
	return nil, false
}

// keyName returns the text of a mapping key; only plain scalar keys name
// fields.
func keyName(k ast.MapKeyNode) (string, bool) {
	switch k := k.(type) {
	case *ast.StringNode:
		return k.Value, true
	case ast.ScalarNode:
		if tk := k.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// decode stores node n into v (settable), naming it path; fb is the
// origin to blame when n has no position (its key's origin).
func (d *decoder) decode(n ast.Node, v reflect.Value, path string, fb origin) error {
	o := d.at(n, fb)
	block := false
	if lit, ok := n.(*ast.LiteralNode); ok {
		n, block = lit.Value, true
	}
	d.origins[path] = o
	switch n.(type) {
	case *ast.AnchorNode, *ast.AliasNode, *ast.TagNode, *ast.MergeKeyNode:
		// Refused earlier from the tokens; kept for ASTs built otherwise.
		return o.errorf("%s: anchors, aliases, tags and merge keys are not supported", label(path))
	}
	_, isNull := n.(*ast.NullNode)
	t := v.Type()

	switch {
	case t == durationType:
		return d.decodeDuration(n, v, path, o)
	case t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textUnmarshalerType):
		s, ok := n.(*ast.StringNode)
		if !ok {
			return o.errorf("%s: must be a string, got %s", label(path), kindOf(n))
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s.Value)); err != nil {
			return o.errorf("%s: %v", label(path), err)
		}
		return nil
	}

	switch t.Kind() {
	case reflect.Pointer:
		if isNull {
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return d.decode(n, v.Elem(), path, fb)
	case reflect.Struct:
		if isNull {
			return nil // an empty section keeps its defaults
		}
		return d.decodeStruct(n, v, path, o, nil)
	case reflect.String:
		switch n := n.(type) {
		case *ast.StringNode:
			s := n.Value
			if block {
				s = strings.TrimSuffix(s, "\n") // the line break a block scalar ends with
			}
			if i := strings.IndexFunc(s, isControl); i >= 0 {
				r, _ := utf8.DecodeRuneInString(s[i:])
				if r == '\n' {
					return o.errorf("%s: must be one line", label(path))
				}
				return o.errorf("%s: control character %U is not allowed (it would reach the report and the terminal as it is)", label(path), r)
			}
			v.SetString(s)
			return nil
		case *ast.NullNode:
			if d.set != nil {
				v.SetString("") // --set redis.url=
				return nil
			}
			return o.errorf("%s: missing value (write \"\" for an empty string)", label(path))
		}
		return o.errorf("%s: must be a string, got %s (%s); quote it", label(path), kindOf(n), quoteClip(scalarText(n)))
	case reflect.Bool:
		b, ok := n.(*ast.BoolNode)
		if !ok {
			return o.errorf("%s: must be true or false, got %s", label(path), kindOf(n))
		}
		v.SetBool(b.Value)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := intValue(n)
		if err != nil {
			return o.errorf("%s: %v", label(path), err)
		}
		if v.OverflowInt(i) {
			return o.errorf("%s: %d is too large", label(path), i)
		}
		v.SetInt(i)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := uintValue(n)
		if err != nil {
			return o.errorf("%s: %v", label(path), err)
		}
		if v.OverflowUint(u) {
			return o.errorf("%s: %d is too large", label(path), u)
		}
		v.SetUint(u)
		return nil
	case reflect.Float32, reflect.Float64:
		f, err := floatValue(n)
		if err != nil {
			return o.errorf("%s: %v", label(path), err)
		}
		if v.OverflowFloat(f) {
			return o.errorf("%s: %s is too large", label(path), scalarText(n))
		}
		v.SetFloat(f)
		return nil
	case reflect.Slice:
		return d.decodeSlice(n, v, path, o)
	}
	// Anything else (maps, interfaces, custom types) goes through the YAML
	// library's own strict decoder. The input has already passed the size,
	// depth and anchor checks, so this stays bounded too.
	if err := yaml.NodeToValue(n, v.Addr().Interface(), yaml.Strict()); err != nil {
		return d.libraryError(err, path, o)
	}
	return nil
}

// libraryError positions an error from the YAML library.
func (d *decoder) libraryError(err error, path string, fb origin) *Error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		o := fb
		if tk := ye.GetToken(); tk != nil && tk.Position != nil && d.set == nil {
			o = origin{File: d.file, Line: tk.Position.Line, Col: tk.Position.Column}
		}
		return o.errorf("%s: %s", label(path), ye.GetMessage())
	}
	return fb.errorf("%s: %v", label(path), err)
}

func (d *decoder) decodeDuration(n ast.Node, v reflect.Value, path string, o origin) error {
	switch n := n.(type) {
	case *ast.StringNode:
		dur, err := time.ParseDuration(n.Value)
		if err != nil {
			return o.errorf("%s: invalid duration %s (write it like \"10s\", \"1m30s\" or \"250ms\")", label(path), quoteClip(n.Value))
		}
		v.SetInt(int64(dur))
		return nil
	case *ast.IntegerNode, *ast.FloatNode:
		txt := scalarText(n)
		return o.errorf("%s: a duration needs a unit: write \"%ss\" or \"%sms\", not the bare number %s", label(path), txt, txt, txt)
	}
	return o.errorf("%s: must be a duration like \"10s\" or \"250ms\", got %s", label(path), kindOf(n))
}

func (d *decoder) decodeSlice(n ast.Node, v reflect.Value, path string, o origin) error {
	var items []ast.Node
	switch n := n.(type) {
	case *ast.SequenceNode:
		items = n.Values
	case *ast.StringNode:
		if d.set == nil || v.Type().Elem().Kind() != reflect.String {
			return o.errorf("%s: must be a list, e.g. [a, b], got %s", label(path), kindOf(n))
		}
		// On the command line "a,b" is the natural way to write a list.
		for _, part := range strings.Split(n.Value, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				return o.errorf("%s: an empty item in the list %s", label(path), quoteClip(n.Value))
			}
			items = append(items, ast.String(stringToken(part)))
		}
	case *ast.NullNode:
		if d.set != nil {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return nil
		}
		return o.errorf("%s: missing value (write [] for an empty list)", label(path))
	default:
		return o.errorf("%s: must be a list, e.g. [a, b], got %s", label(path), kindOf(n))
	}
	if len(items) > MaxSweepValues {
		return o.errorf("%s: too many items (%d, at most %d)", label(path), len(items), MaxSweepValues)
	}
	out := reflect.MakeSlice(v.Type(), len(items), len(items))
	for i, item := range items {
		if err := d.decode(item, out.Index(i), fmt.Sprintf("%s[%d]", path, i), o); err != nil {
			return err
		}
	}
	v.Set(out)
	return nil
}

// fieldNames lists the YAML names of a struct's fields with their index.
func fieldNames(t reflect.Type) ([]string, map[string]int) {
	var names []string
	idx := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		names = append(names, name)
		idx[name] = i
	}
	return names, idx
}

// special lets the caller take over some keys of a mapping (the scenario's
// options and sweep); it reports whether it handled the key.
type special func(name string, mv *ast.MappingValueNode, keyAt origin) (bool, error)

func (d *decoder) decodeStruct(n ast.Node, v reflect.Value, path string, o origin, hook special) error {
	entries, ok := mappingEntries(n)
	if !ok {
		if path == "" {
			return o.errorf("a scenario must be a mapping of fields (name, backends, …), got %s", kindOf(n))
		}
		return o.errorf("%s: must be a mapping of fields, got %s", label(path), kindOf(n))
	}
	names, idx := fieldNames(v.Type())
	if hook != nil {
		names = append(names, "sweep", "extra")
	}
	seen := map[string]origin{}
	for _, mv := range entries {
		ko := d.at(mv.Key, o)
		name, ok := keyName(mv.Key)
		if !ok {
			return ko.errorf("%s: keys must be plain field names, got %s", label(path), kindOf(mv.Key))
		}
		if first, dup := seen[name]; dup {
			if path == "" {
				return ko.errorf("duplicate key %s (first at line %d)", quoteClip(name), first.Line)
			}
			return ko.errorf("duplicate key %s in %s (first at line %d)", quoteClip(name), path, first.Line)
		}
		seen[name] = ko
		if hook != nil {
			handled, err := hook(name, mv, ko)
			if err != nil {
				return err
			}
			if handled {
				continue
			}
		}
		i, known := idx[name]
		if !known {
			return ko.errorf("%s", unknownField(path, name, names))
		}
		if err := d.decode(mv.Value, v.Field(i), joinPath(path, name), ko); err != nil {
			return err
		}
	}
	return nil
}

// unknownField is the one message for a key that names no field, in a
// file or on the command line.
func unknownField(parent, name string, names []string) string {
	switch {
	case parent == "":
		return fmt.Sprintf("unknown field %s%s", quoteClip(name), didYouMean(name, names))
	case len(names) == 0 && strings.HasPrefix(parent, "options."):
		return fmt.Sprintf("unknown field %s in %s (%s takes no options)", quoteClip(name), parent, strings.TrimPrefix(parent, "options."))
	}
	return fmt.Sprintf("unknown field %s in %s%s", quoteClip(name), parent, didYouMean(name, names))
}

func intValue(n ast.Node) (int64, error) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		switch x := n.Value.(type) {
		case int64:
			return x, nil
		case uint64:
			if x > math.MaxInt64 {
				return 0, fmt.Errorf("%s is too large", scalarText(n))
			}
			return int64(x), nil
		}
		return 0, fmt.Errorf("%s is too large", clip(scalarText(n)))
	case *ast.FloatNode:
		return 0, fmt.Errorf("must be a whole number, got %s", scalarText(n))
	}
	if f, ok := exponentNumber(n); ok {
		if f != math.Trunc(f) {
			return 0, fmt.Errorf("must be a whole number, got %s", scalarText(n))
		}
		if math.Abs(f) >= 1<<63 {
			return 0, fmt.Errorf("%s is too large", clip(scalarText(n)))
		}
		return int64(f), nil
	}
	if tooLarge(n) {
		return 0, fmt.Errorf("%s is too large", clip(scalarText(n)))
	}
	return 0, fmt.Errorf("must be a whole number, got %s%s", kindOf(n), gotText(n))
}

func uintValue(n ast.Node) (uint64, error) {
	if in, ok := n.(*ast.IntegerNode); ok {
		switch x := in.Value.(type) {
		case int64:
			if x < 0 {
				return 0, fmt.Errorf("must be >= 0, got %d", x)
			}
			return uint64(x), nil
		case uint64:
			return x, nil
		}
		return 0, fmt.Errorf("%s is too large", clip(scalarText(n)))
	}
	return intValueAsUint(n)
}

func intValueAsUint(n ast.Node) (uint64, error) {
	_, err := intValue(n)
	return 0, err
}

func floatValue(n ast.Node) (float64, error) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		switch x := n.Value.(type) {
		case int64:
			return float64(x), nil
		case uint64:
			return float64(x), nil
		}
		return 0, fmt.Errorf("%s is too large", clip(scalarText(n)))
	case *ast.FloatNode:
		// The library reads an out-of-range float as 0: parse it again so
		// that 1e400 is refused instead of silently becoming zero.
		f, err := strconv.ParseFloat(strings.ReplaceAll(scalarText(n), "_", ""), 64)
		if err != nil || math.IsInf(f, 0) {
			return 0, fmt.Errorf("%s is too large", clip(scalarText(n)))
		}
		return f, nil
	case *ast.InfinityNode, *ast.NanNode:
		return 0, fmt.Errorf("must be a finite number, got %s", scalarText(n))
	}
	if f, ok := exponentNumber(n); ok {
		if math.IsInf(f, 0) {
			return 0, fmt.Errorf("%s is too large", clip(scalarText(n)))
		}
		return f, nil
	}
	if tooLarge(n) {
		return 0, fmt.Errorf("%s is too large", clip(scalarText(n)))
	}
	return 0, fmt.Errorf("must be a number, got %s%s", kindOf(n), gotText(n))
}

// isControl reports the characters no text field may hold: control
// characters (an escape such as "\e" or "\a" written in the YAML, a line
// break in a one-line field) and the bidirectional overrides that make
// text read differently from what it is.
func isControl(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)
}

// exponentRE is YAML 1.2's core-schema float written with an exponent and
// no dot (1e9, 2E+3), which the YAML library reads as a string.
var exponentRE = regexp.MustCompile(`^[-+]?[0-9]+[eE][-+]?[0-9]+$`)

// exponentNumber reads a plain (unquoted) scalar such as 1e9 as the number
// YAML 1.2 says it is.
func exponentNumber(n ast.Node) (float64, bool) {
	sn, ok := n.(*ast.StringNode)
	if !ok || sn.Token == nil || sn.Token.Type != token.StringType || !exponentRE.MatchString(sn.Value) {
		return 0, false
	}
	f, err := strconv.ParseFloat(sn.Value, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

// tooLarge reports whether n is a plain (unquoted) number out of the
// range the YAML library reads, which it then hands over as a string.
func tooLarge(n ast.Node) bool {
	sn, ok := n.(*ast.StringNode)
	if !ok || sn.Token == nil || sn.Token.Type != token.StringType {
		return false
	}
	_, err := strconv.ParseFloat(strings.ReplaceAll(sn.Value, "_", ""), 64)
	if errors.Is(err, strconv.ErrRange) {
		return true
	}
	_, err = strconv.ParseInt(strings.ReplaceAll(sn.Value, "_", ""), 0, 64)
	return errors.Is(err, strconv.ErrRange)
}

// gotText quotes a string value for a "got a string" message.
func gotText(n ast.Node) string {
	if s, ok := n.(*ast.StringNode); ok {
		return " " + quoteClip(s.Value)
	}
	return ""
}
