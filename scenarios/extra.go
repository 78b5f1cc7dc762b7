package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// ExtraPoint is one entry of `extra:`, a parameter point outside the
// sweep's grid, run by some of the backends with its own repeat count. A
// sweep multiplies every value by every other and by every backend; an
// extra point measures one setting (a token lifetime shorter than the
// runs, several validator nodes) for the few backends a question needs,
// at the cost of those runs only.
type ExtraPoint struct {
	// Set lists the paths the point sets and their values as written, in
	// file order. Every swept path is among them: an extra point says at
	// which of the sweep's values it runs.
	Set []Param
	// Backends run at this point. Empty means every backend of the
	// scenario; listed backends that the command line dropped from the
	// scenario are skipped.
	Backends []string
	// Repeat is the runs per backend at this point; 0 means the
	// scenario's repeat.
	Repeat int

	nodes   []ast.Node // the values as parsed, applied by Plan
	origins []origin   // where each value is written
	at      origin     // the entry, blamed for rules about the whole point
}

// noExtra lists the paths an extra point may not set, with the reason.
var noExtra = map[string]string{
	"name":        "the name identifies the whole run",
	"description": "the description is not a parameter",
	"backends":    "list them in the point's own backends: field",
	"repeat":      "set the point's own repeat: field",
	"seed":        "the seed is fixed so that runs are comparable",
}

// decodeExtra reads `extra:`: a list of points, each a mapping with set
// (dotted paths to single values, required), backends and repeat. The
// values are checked against the finished base scenario; Plan checks each
// point as a whole.
func (d *decoder) decodeExtra(s *Scenario, n ast.Node, at origin) error {
	d.origins["extra"] = at
	if _, null := n.(*ast.NullNode); null {
		return nil
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		return d.at(n, at).errorf("extra: must be a list of points, each with set: (and optionally backends: and repeat:), got %s", kindOf(n))
	}
	if len(seq.Values) > MaxExtraPoints {
		return d.at(n, at).errorf("extra: too many points (%d, at most %d)", len(seq.Values), MaxExtraPoints)
	}
	for i, en := range seq.Values {
		name := fmt.Sprintf("extra[%d]", i)
		eo := d.at(en, at)
		entries, ok := mappingEntries(en)
		if !ok {
			return eo.errorf("%s: must be a mapping with set: (and optionally backends: and repeat:), got %s", name, kindOf(en))
		}
		p := ExtraPoint{at: eo}
		seen := map[string]bool{}
		var setNode ast.Node
		var setAt origin
		for _, mv := range entries {
			ko := d.at(mv.Key, eo)
			key, ok := keyName(mv.Key)
			if !ok {
				return ko.errorf("%s: keys must be plain field names, got %s", name, kindOf(mv.Key))
			}
			if seen[key] {
				return ko.errorf("duplicate key %s in %s", quoteClip(key), name)
			}
			seen[key] = true
			switch key {
			case "set":
				setNode, setAt = mv.Value, ko
			case "backends":
				if err := d.decodeExtraBackends(s, &p, name, mv.Value, ko); err != nil {
					return err
				}
			case "repeat":
				r, err := intValue(mv.Value)
				if err != nil {
					return d.at(mv.Value, ko).errorf("%s.repeat: %v", name, err)
				}
				if r < 1 || r > MaxRepeat {
					return d.at(mv.Value, ko).errorf("%s.repeat: must be between 1 and %d, got %d", name, MaxRepeat, r)
				}
				p.Repeat = int(r)
			default:
				return ko.errorf("%s: unknown field %s (an extra point has set, backends and repeat%s)", name, quoteClip(key), didYouMean(key, []string{"set", "backends", "repeat"}))
			}
		}
		if setNode == nil {
			return eo.errorf("%s: needs set: the paths and values of the point, e.g. set: {token.ttl: 100ms}", name)
		}
		if err := d.decodeExtraSet(s, &p, name, setNode, setAt); err != nil {
			return err
		}
		s.Extra = append(s.Extra, p)
	}
	return nil
}

// decodeExtraBackends reads an extra point's backends: each a backend of
// the file's scenario, once.
func (d *decoder) decodeExtraBackends(s *Scenario, p *ExtraPoint, name string, n ast.Node, at origin) error {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		return d.at(n, at).errorf("%s.backends: must be a list of backends of this scenario, got %s", name, kindOf(n))
	}
	if len(seq.Values) == 0 {
		return d.at(n, at).errorf("%s.backends: needs at least one backend (leave it out to run every backend)", name)
	}
	for j, bn := range seq.Values {
		bo := d.at(bn, at)
		b, ok := bn.(*ast.StringNode)
		if !ok {
			return bo.errorf("%s.backends[%d]: must be a backend name, got %s", name, j, kindOf(bn))
		}
		if !slices.Contains(s.Backends, b.Value) {
			return bo.errorf("%s.backends[%d]: %s is not in the scenario's backends%s", name, j, quoteClip(b.Value), didYouMean(b.Value, s.Backends))
		}
		if slices.Contains(p.Backends, b.Value) {
			return bo.errorf("%s.backends[%d]: %s is listed twice", name, j, quoteClip(b.Value))
		}
		p.Backends = append(p.Backends, b.Value)
	}
	return nil
}

// decodeExtraSet reads an extra point's set: dotted paths to single
// values, each checked as if written in its field.
func (d *decoder) decodeExtraSet(s *Scenario, p *ExtraPoint, name string, n ast.Node, at origin) error {
	entries, ok := mappingEntries(n)
	if !ok || len(entries) == 0 {
		return d.at(n, at).errorf("%s.set: must be a mapping from a dotted path to a value, e.g. {token.ttl: 100ms}, got %s", name, kindOf(n))
	}
	seen := map[string]bool{}
	for _, mv := range entries {
		ko := d.at(mv.Key, at)
		path, ok := keyName(mv.Key)
		if !ok {
			return ko.errorf("%s.set: keys must be dotted paths, got %s", name, kindOf(mv.Key))
		}
		if seen[path] {
			return ko.errorf("duplicate key %s in %s.set", quoteClip(path), name)
		}
		seen[path] = true
		if why, bad := noExtra[path]; bad || path == "sweep" || path == "extra" || strings.HasPrefix(path, "sweep.") {
			if !bad {
				why = "points do not nest"
			}
			return ko.errorf("%s.set: %s cannot be set by an extra point: %s", name, path, why)
		}
		if _, msg := resolve(s.clone(), path); msg != "" {
			return ko.errorf("%s.set: %s", name, msg)
		}
		vo := d.at(mv.Value, ko)
		vo.Override = true
		if err := applyNode(s.clone(), path, mv.Value, vo, nil); err != nil {
			return err
		}
		p.Set = append(p.Set, Param{Path: path, Value: axisText(mv.Value)})
		p.nodes = append(p.nodes, mv.Value)
		p.origins = append(p.origins, vo)
	}
	return nil
}

// extraPoints applies each extra point to a copy of s and validates it. An
// extra point must give a value to every swept path and must differ from
// every point of the grid and from the other extra points.
func (s *Scenario) extraPoints(grid []point) ([]point, error) {
	labels := map[string]string{}
	for _, g := range grid {
		labels[paramsLabel(g.params)] = "the sweep's point " + paramsLabel(g.params)
	}
	var out []point
	for i, e := range s.Extra {
		name := fmt.Sprintf("extra[%d]", i)
		c := s.clone()
		c.Sweep, c.Extra = nil, nil
		var params []Param
		for _, a := range s.Sweep {
			j := slices.IndexFunc(e.Set, func(q Param) bool { return q.Path == a.Path })
			if j < 0 {
				return nil, e.at.errorf("%s: sets no value for %s, which the sweep varies: add it to set:, at one of %s", name, a.Path, strings.Join(a.Values, ", "))
			}
			params = append(params, e.Set[j])
		}
		for _, q := range e.Set {
			if !slices.ContainsFunc(s.Sweep, func(a Axis) bool { return a.Path == q.Path }) {
				params = append(params, q)
			}
		}
		for j, q := range e.Set {
			if err := applyNode(c, q.Path, e.nodes[j], e.origins[j], nil); err != nil {
				return nil, err
			}
		}
		if err := c.Validate(); err != nil {
			return nil, err
		}
		label := paramsLabel(params)
		if first, dup := labels[label]; dup {
			return nil, e.at.errorf("%s: the same point as %s (%s); an extra point must differ from every other point", name, first, label)
		}
		labels[label] = name
		out = append(out, point{params: params, scenario: c, extra: i + 1})
	}
	return out, nil
}

// paramsLabel writes a point's parameters as the run folder names it
// ("load.clients=8,token.ttl=100ms").
func paramsLabel(ps []Param) string {
	parts := make([]string, len(ps))
	for i, q := range ps {
		parts[i] = q.Path + "=" + q.Value
	}
	return strings.Join(parts, ",")
}

// extraBackends returns the backends that run at extra point e: its own
// list, less those no longer in the scenario, or every backend.
func (s *Scenario) extraBackends(e ExtraPoint) []string {
	if len(e.Backends) == 0 {
		return s.Backends
	}
	var out []string
	for _, b := range s.Backends {
		if slices.Contains(e.Backends, b) {
			out = append(out, b)
		}
	}
	return out
}

// extraRepeat is the repeat count of extra point e.
func (s *Scenario) extraRepeat(e ExtraPoint) int {
	if e.Repeat > 0 {
		return e.Repeat
	}
	return s.Repeat
}

// Shape describes the plan's size in words: "17 backends × 2 points × 6
// repeats", then each extra point's backends and repeats.
func (s *Scenario) Shape() string {
	out := fmt.Sprintf("%s × %s × %s", plural(len(s.Backends), "backend"), plural(s.Points(), "point"), plural(s.Repeat, "repeat"))
	for _, e := range s.Extra {
		out += fmt.Sprintf(" + %s × %s", plural(len(s.extraBackends(e)), "backend"), plural(s.extraRepeat(e), "repeat"))
	}
	if len(s.Extra) > 0 {
		out += fmt.Sprintf(" at %s", plural(len(s.Extra), "extra point"))
	}
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
