package scenarios

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// Override is one change of a scenario field made on the command line.
type Override struct {
	// Flag is what the user typed, cited in errors ("--duration 0",
	// "--option bits=1024"); empty means "--set Path=Value".
	Flag  string
	Path  string
	Value string
}

// flag is the text errors cite, shortened: a value may be as long as the
// command line allows, and a message that echoes it whole buries itself.
func (ov Override) flag() string {
	if ov.Flag != "" {
		return clip(ov.Flag)
	}
	return clip("--set " + ov.Path + "=" + ov.Value)
}

// set overrides the field at the dotted path ov.Path (e.g. "load.clients",
// "options.sleep.delay", "backends") with ov.Value, read as a YAML scalar or
// flow value ("64", "2ms", "[noop, jwt-hs256]"; "a,b" also works for a
// list of names). A path under "sweep." replaces or adds that sweep axis
// ("sweep.load.clients=[1,4]"). Setting a swept path removes its sweep:
// the command line wins. "extra=[]" (or "extra=") drops the extra points. set does not validate the result, so that
// several related fields can be changed one at a time; ApplySets does.
func set(s *Scenario, ov Override) error {
	path, value := ov.Path, ov.Value
	o := origin{File: ov.flag(), Override: true}
	node, err := parseValue(value, o)
	if err != nil {
		return err
	}
	if s.origins == nil {
		s.origins = map[string]origin{}
	}
	if axis, ok := strings.CutPrefix(path, "sweep."); ok {
		d := &decoder{file: o.File, set: &o, override: true, origins: s.origins}
		return d.decodeAxis(s, axis, node, o)
	}
	if path == "sweep" {
		return o.errorf("set one axis at a time, e.g. --set sweep.load.clients=[1,4,16]")
	}
	if path == "extra" || strings.HasPrefix(path, "extra.") {
		// Extra points are written in the file; the command line can only
		// drop them (a quick run of the grid alone).
		if seq, ok := node.(*ast.SequenceNode); path == "extra" && (ok && len(seq.Values) == 0 || isNullNode(node)) {
			s.Extra = nil
			return nil
		}
		return o.errorf("extra points are written in the scenario file; --set extra=[] removes them")
	}
	if err := applyNode(s, path, node, o, &value); err != nil {
		return err
	}
	kept := s.Sweep[:0]
	for _, a := range s.Sweep {
		if a.Path != path && !strings.HasPrefix(a.Path, path+".") {
			kept = append(kept, a)
		}
	}
	s.Sweep = kept
	return nil
}

// ApplySets applies --set flags ("path=value", in order) and then
// validates the whole scenario and every sweep point again. Errors cite
// the flag: "--set load.clinets=4: no field …".
func ApplySets(s *Scenario, sets []string) error {
	ovs, err := SetOverrides(sets)
	if err != nil {
		return err
	}
	return ApplyOverrides(s, ovs)
}

// SetOverrides reads --set flags ("path=value").
func SetOverrides(sets []string) ([]Override, error) {
	var ovs []Override
	for _, kv := range sets {
		path, value, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(path) == "" {
			return nil, &Error{File: clip("--set " + kv), Msg: "want path=value, e.g. --set load.clients=64"}
		}
		ovs = append(ovs, Override{Path: strings.TrimSpace(path), Value: value})
	}
	return ovs, nil
}

// ApplyOverrides applies command-line changes in order, then validates the
// whole scenario and every sweep point again. An error caused by an
// override cites its Flag.
func ApplyOverrides(s *Scenario, ovs []Override) error {
	for _, ov := range ovs {
		if err := set(s, ov); err != nil {
			return err
		}
	}
	if err := s.Validate(); err != nil {
		return err
	}
	return s.validatePoints()
}

// parseValue reads a command-line value as YAML, with the same bounds as
// a file; an empty value is an empty (null) node.
func parseValue(value string, o origin) (ast.Node, error) {
	body, err := parseYAML(o.File, []byte(value), o)
	if err != nil {
		e := err.(*Error)
		return nil, o.errorf("invalid value: %s", e.Msg)
	}
	if body == nil {
		return ast.Null(token.New("null", "", &token.Position{})), nil
	}
	return body, nil
}

func isNullNode(n ast.Node) bool {
	_, null := n.(*ast.NullNode)
	return null
}

func stringToken(s string) *token.Token {
	return token.New(s, s, &token.Position{})
}

// applyNode decodes node into the field at path. raw is the text of a
// --set value (nil otherwise): its errors cite the flag, not a position.
func applyNode(s *Scenario, path string, node ast.Node, o origin, raw *string) error {
	v, msg := resolve(s, path)
	if msg != "" {
		return o.errorf("%s", msg)
	}
	d := &decoder{file: o.File, override: true, origins: s.origins}
	if raw != nil {
		d.set = &o
		// "--set description=a: b" means that text, not a mapping.
		if v.Kind() == reflect.String {
			switch node.(type) {
			case *ast.StringNode, *ast.NullNode:
			default:
				node = ast.String(stringToken(*raw))
			}
		}
	}
	return d.decode(node, v, path, o)
}

// resolve finds the settable field at a dotted path, or says why there is
// none.
func resolve(s *Scenario, path string) (reflect.Value, string) {
	segs := strings.Split(path, ".")
	for _, seg := range segs {
		if seg == "" {
			return reflect.Value{}, fmt.Sprintf("invalid path %s (fields are separated by single dots, e.g. load.clients)", quoteClip(path))
		}
	}
	v := reflect.ValueOf(s).Elem()
	parent := ""
	for i := 0; i < len(segs); i++ {
		seg := segs[i]
		if parent == "" && seg == "options" {
			if i+1 == len(segs) {
				return reflect.Value{}, "options: name a backend, e.g. options.sleep.delay"
			}
			ov, msg := optionsValue(s, segs[i+1])
			if msg != "" {
				return reflect.Value{}, "options: " + msg
			}
			v, parent = ov, "options."+segs[i+1]
			i++
			continue
		}
		if parent == "" && seg == "sweep" {
			return reflect.Value{}, "sweep: name one axis, e.g. sweep.load.clients"
		}
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return reflect.Value{}, fmt.Sprintf("%s is a single value: it has no field %s", parent, quoteClip(seg))
		}
		names, idx := fieldNames(v.Type())
		j, ok := idx[seg]
		if !ok {
			return reflect.Value{}, unknownField(parent, seg, names)
		}
		v, parent = v.Field(j), joinPath(parent, seg)
	}
	return v, ""
}

// unsweepable lists the paths a sweep may not vary, with the reason.
var unsweepable = map[string]string{
	"name":        "the name identifies the whole run",
	"description": "the description is not a parameter",
	"backends":    "every point already runs every backend",
	"repeat":      "repeats are not a parameter; set repeat instead",
	"seed":        "the seed is fixed so that runs are comparable",
}

// decodeSweep reads `sweep:`: dotted paths to non-empty lists of values,
// kept in file order.
func (d *decoder) decodeSweep(s *Scenario, n ast.Node, at origin) error {
	d.origins["sweep"] = at
	if _, null := n.(*ast.NullNode); null {
		return nil
	}
	entries, ok := mappingEntries(n)
	if !ok {
		return d.at(n, at).errorf("sweep: must be a mapping from a dotted path to a list of values, e.g. load.clients: [1, 4, 16]")
	}
	seen := map[string]bool{}
	for _, mv := range entries {
		ko := d.at(mv.Key, at)
		path, ok := keyName(mv.Key)
		if !ok {
			return ko.errorf("sweep: keys must be dotted paths, got %s", kindOf(mv.Key))
		}
		if seen[path] {
			return ko.errorf("duplicate key %s in sweep", quoteClip(path))
		}
		seen[path] = true
		if err := d.decodeAxis(s, path, mv.Value, ko); err != nil {
			return err
		}
	}
	return nil
}

// decodeAxis checks one sweep axis (each value is applied to a copy of s,
// which checks its type) and adds it to s.Sweep, replacing an axis with
// the same path.
func (d *decoder) decodeAxis(s *Scenario, path string, n ast.Node, at origin) error {
	if why, bad := unsweepable[path]; bad {
		return at.errorf("sweep: %s cannot be swept: %s", path, why)
	}
	if _, msg := resolve(s.clone(), path); msg != "" {
		return at.errorf("sweep: %s", msg)
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		return d.at(n, at).errorf("sweep.%s: must be a list of values, e.g. [1, 4, 16], got %s", path, kindOf(n))
	}
	if len(seq.Values) == 0 {
		return d.at(n, at).errorf("sweep.%s: needs at least one value", path)
	}
	if len(seq.Values) > MaxSweepValues {
		return d.at(n, at).errorf("sweep.%s: too many values (%d, at most %d)", path, len(seq.Values), MaxSweepValues)
	}
	axis := Axis{Path: path}
	first := map[string]int{}
	for i, vn := range seq.Values {
		vo := d.at(vn, at)
		vo.Override = true
		txt := axisText(vn)
		if j, dup := first[txt]; dup {
			return vo.errorf("sweep.%s[%d]: value %s repeats sweep.%s[%d]", path, i, quoteClip(txt), path, j)
		}
		first[txt] = i
		var raw *string
		if d.set != nil {
			t := axisText(vn)
			raw = &t
		}
		if err := applyNode(s.clone(), path, vn, vo, raw); err != nil {
			return err
		}
		axis.Values = append(axis.Values, txt)
		axis.nodes = append(axis.nodes, vn)
		axis.origins = append(axis.origins, vo)
	}
	for i := range s.Sweep {
		if s.Sweep[i].Path == path {
			s.Sweep[i] = axis
			return nil
		}
	}
	s.Sweep = append(s.Sweep, axis)
	return nil
}

// axisText is a sweep value as the report shows it.
func axisText(n ast.Node) string {
	switch n.(type) {
	case *ast.SequenceNode, *ast.MappingNode, *ast.MappingValueNode:
		return n.String()
	}
	return scalarText(n)
}
