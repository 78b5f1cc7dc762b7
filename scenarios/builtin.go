package scenarios

import (
	"embed"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
)

// Builtin holds the scenario files shipped with authbench (quick.yaml,
// compare.yaml, …), so that the binary runs them from anywhere.
//
//go:embed *.yaml
var Builtin embed.FS

// BuiltinNames lists the built-in scenarios by name (file name without
// .yaml), sorted.
func BuiltinNames() []string {
	entries, _ := fs.ReadDir(Builtin, ".")
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Resolve finds a scenario by command-line argument: an existing file is
// parsed; otherwise a built-in name ("quick", or "quick.yaml") is parsed
// from the embedded copy; otherwise the error lists the built-ins.
func Resolve(arg string) (*Scenario, error) {
	st, err := os.Stat(arg)
	if err == nil && !st.IsDir() {
		return Parse(arg) // it refuses what is not a regular file
	}
	name := strings.TrimSuffix(path.Base(arg), ".yaml")
	if !strings.ContainsAny(arg, `/\`) || strings.HasPrefix(arg, "scenarios/") {
		if data, err := Builtin.ReadFile(name + ".yaml"); err == nil {
			s, err := ParseBytes("scenarios/"+name+".yaml", data)
			if err != nil {
				return nil, err
			}
			s.File = ""
			return s, nil
		}
	}
	if err == nil {
		return nil, &Error{File: arg, Msg: notAFile(st)}
	}
	return nil, &Error{File: arg, Msg: "no such file, and not a built-in scenario (built-ins: " + strings.Join(BuiltinNames(), ", ") + ")"}
}
