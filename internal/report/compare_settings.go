package report

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/scenarios"
)

// Setting is one setting of a run that differs between the two runs of a
// comparison: a scenario field by its dotted path as written in scenario
// files ("token.ttl", "options.jwt-rs256.bits"), or what summary.json
// records of the machine and of authbench ("machine.go").
type Setting struct {
	Name string
	// A and B are the values in each run; "–" where a run does not
	// record the setting.
	A, B string
}

// absent is the value of a setting a run does not record.
const absent = "–"

// SettingsDiff lists, in a fixed order, every setting recorded in
// summary.json that differs between a and b: the scenario as run (after
// defaults and --set, incl. duration, warm-up, repeats, users, the load
// model, rate and clients, the sweep and backend options), the machine
// (CPUs, GOMAXPROCS, Go, OS, host) and the authbench version. Two runs
// made with different settings can differ for that reason alone, so a
// comparison states them before any verdict.
func SettingsDiff(a, b *results.Summary) []Setting {
	sa, sb := settings(a), settings(b)
	var names []string
	for k := range sa {
		names = append(names, k)
	}
	for k := range sb {
		if _, ok := sa[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		gi, gj := settingGroup(names[i]), settingGroup(names[j])
		if gi != gj {
			return gi < gj
		}
		return names[i] < names[j]
	})
	var out []Setting
	defaults := defaultSettings()
	for _, k := range names {
		va, okA := sa[k]
		vb, okB := sb[k]
		okA, okB = okA && va != "", okB && vb != "" // recorded empty: not set
		if okA != okB {
			// One authbench records a setting the other's did not know:
			// that one ran at what is the default now, so only a value
			// other than the default is a difference.
			if v, ok := defaults[k]; ok && v == va+vb {
				continue
			}
		}
		if !okA {
			va = absent
		}
		if !okB {
			vb = absent
		}
		if va != vb {
			out = append(out, Setting{Name: k, A: va, B: vb})
		}
	}
	return out
}

// defaultSettings are the scenario settings of a scenario that sets
// nothing (scenarios.Defaults), flattened as the runner records them.
func defaultSettings() map[string]string {
	out := map[string]string{}
	var cfg map[string]any
	b, err := json.Marshal(scenarios.Defaults())
	if err != nil || json.Unmarshal(b, &cfg) != nil {
		return out
	}
	configSettings(cfg, out)
	return out
}

// settingGroup orders the settings: the scenario first, then what it was
// run on.
func settingGroup(name string) int {
	switch {
	case name == "scenario":
		return 0
	case strings.HasPrefix(name, "machine."):
		return 2
	case name == "authbench version":
		return 3
	}
	return 1
}

// settings flattens what a summary records of how it was run into
// name → value.
func settings(s *results.Summary) map[string]string {
	out := map[string]string{"scenario": s.Scenario}
	m := s.Machine
	out["machine.cpus"] = strconv.Itoa(m.CPUs)
	out["machine.gomaxprocs"] = strconv.Itoa(m.GOMAXPROCS)
	out["machine.go"] = m.Go
	out["machine.os"] = m.OS + "/" + m.Arch
	if m.Hostname != "" {
		out["machine.hostname"] = m.Hostname
	}
	out["authbench version"] = orUnknown(s.Version)
	if s.Config != nil {
		configSettings(s.Config, out)
		return out
	}
	// A summary from before the scenario was recorded: what its runs say.
	runSettings(s, out)
	return out
}

// scenarioType is the type the runner records as the config.
var scenarioType = reflect.TypeFor[scenarios.Scenario]()

// configSettings flattens summary.json's config. The runner writes it as
// the JSON of scenarios.Scenario (Go field names, durations in
// nanoseconds), so each field is decoded back into its Go type and
// written by its scenario-file name ("load.clients") and as the user
// wrote it ("600ms"). A field this version does not know is written as
// recorded.
func configSettings(cfg map[string]any, out map[string]string) {
	for key, raw := range cfg {
		switch strings.ToLower(key) {
		case "description", "file":
			continue // prose and where the file was: not settings
		case "name":
			continue // the scenario, written above
		case "sweep":
			writeSweep(raw, out)
			continue
		case "options":
			writeOptions(raw, out)
			continue
		case "extra":
			writeExtra(raw, out)
			continue
		}
		f, ok := scenarioType.FieldByNameFunc(func(n string) bool { return strings.EqualFold(n, key) })
		if !ok || f.Tag.Get("yaml") == "-" {
			if ok {
				continue
			}
			flattenRaw(snake(key), raw, out)
			continue
		}
		name := yamlName(f)
		v := reflect.New(f.Type)
		if !decodeInto(raw, v.Interface()) {
			flattenRaw(name, raw, out)
			continue
		}
		flattenValue(name, v.Elem(), out)
	}
}

// writeSweep writes each swept path's values: "sweep.load.clients" = "1, 8".
func writeSweep(raw any, out map[string]string) {
	var axes []struct {
		Path   string
		Values []string
	}
	if !decodeInto(raw, &axes) {
		flattenRaw("sweep", raw, out)
		return
	}
	for _, a := range axes {
		out["sweep."+a.Path] = strings.Join(a.Values, ", ")
	}
}

// writeExtra writes each extra point (scenario extra:) under the
// settings it sets: "extra.load.clients=8,token.ttl=200ms" = "jwt-hs256,
// jwt-refresh × 3 repeats".
func writeExtra(raw any, out map[string]string) {
	var points []struct {
		Backends []string
		Repeat   int
		Set      []struct{ Path, Value string }
	}
	if !decodeInto(raw, &points) {
		flattenRaw("extra", raw, out)
		return
	}
	for _, pt := range points {
		var set []string
		for _, kv := range pt.Set {
			set = append(set, kv.Path+"="+kv.Value)
		}
		out["extra."+strings.Join(set, ",")] = fmt.Sprintf("%s × %d repeats", strings.Join(pt.Backends, ", "), pt.Repeat)
	}
}

// writeOptions decodes each backend's options into the backend's own
// options type, so that its durations read as durations.
func writeOptions(raw any, out map[string]string) {
	m, ok := raw.(map[string]any)
	if !ok {
		flattenRaw("options", raw, out)
		return
	}
	for backend, opts := range m {
		name := "options." + backend
		e, ok := backends.Lookup(backend)
		if !ok || e.Options == nil {
			flattenRaw(name, opts, out)
			continue
		}
		o := e.Options()
		if o == nil || !decodeInto(opts, o) {
			flattenRaw(name, opts, out)
			continue
		}
		flattenValue(name, reflect.ValueOf(o), out)
	}
}

func decodeInto(raw any, dst any) bool {
	b, err := json.Marshal(raw)
	if err != nil {
		return false
	}
	return json.Unmarshal(b, dst) == nil
}

var durationType = reflect.TypeFor[time.Duration]()

// flattenValue writes v under name: structs field by field (by their
// scenario-file names), maps key by key, durations as durations.
func flattenValue(name string, v reflect.Value, out map[string]string) {
	if v.Type() == durationType {
		out[name] = time.Duration(v.Int()).String()
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			out[name] = "none"
			return
		}
		flattenValue(name, v.Elem(), out)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Tag.Get("yaml") == "-" {
				continue
			}
			flattenValue(name+"."+yamlName(f), v.Field(i), out)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			flattenValue(name+"."+fmt.Sprint(k.Interface()), v.MapIndex(k), out)
		}
	case reflect.Slice, reflect.Array:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = fmt.Sprint(v.Index(i).Interface())
		}
		out[name] = "[" + strings.Join(parts, ", ") + "]"
	default:
		out[name] = fmt.Sprint(v.Interface())
	}
}

// flattenRaw writes a JSON value as recorded.
func flattenRaw(name string, raw any, out map[string]string) {
	switch x := raw.(type) {
	case map[string]any:
		for k, v := range x {
			flattenRaw(name+"."+snake(k), v, out)
		}
	case nil:
		out[name] = "none"
	case string:
		out[name] = x
	default:
		b, _ := json.Marshal(x)
		out[name] = string(b)
	}
}

// yamlName is a field's name in scenario files.
func yamlName(f reflect.StructField) string {
	if n, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); n != "" {
		return n
	}
	return snake(f.Name)
}

// snake turns a Go field name into a scenario-file name: "PoolSize" →
// "pool_size", "TTL" → "ttl", "RefreshTTL" → "refresh_ttl". Names that
// are not Go field names (backend names in options) stay as they are.
func snake(s string) string {
	if s == "" || !unicode.IsUpper(rune(s[0])) {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) {
			prevLower := unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1])
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if prevLower || (unicode.IsUpper(rs[i-1]) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// runSettings reads the settings of a summary without a recorded config
// from its runs: the load model, every parameter, the measured period
// and the repeats.
func runSettings(s *results.Summary, out map[string]string) {
	values := map[string][]string{}
	add := func(k, v string) {
		if !contains(values[k], v) {
			values[k] = append(values[k], v)
		}
	}
	repeats := 0
	var durs []float64
	for _, r := range s.Runs {
		add("load.model", r.Model)
		for k, v := range r.Params {
			add(k, v)
		}
		repeats = max(repeats, r.Repeat)
		durs = append(durs, r.DurationS)
	}
	for k, vs := range values {
		sort.Slice(vs, func(i, j int) bool { return compareValues(vs[i], vs[j]) < 0 })
		out[k] = strings.Join(vs, ", ")
	}
	if len(s.Runs) > 0 {
		out["repeat"] = strconv.Itoa(repeats)
		out["duration"] = time.Duration(median(durs) * float64(time.Second)).Round(time.Millisecond).String()
	}
}
