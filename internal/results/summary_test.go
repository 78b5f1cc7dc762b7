package results

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authbench/authbench/internal/testutil"
)

var update = flag.String("update", "", "rewrite one golden file on purpose: -update=summary-keys rewrites testdata/summary-keys.golden")

// TestSummaryKeys pins the key paths of summary.json, the contract that
// scripts and results/README.md rely on: a key added, renamed or dropped
// (a field of backends.Info without `json:"-"`, for instance) shows here and
// must be accepted on purpose, with -update=summary-keys.
func TestSummaryKeys(t *testing.T) {
	var s Summary
	fill(reflect.ValueOf(&s).Elem())
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	collectKeys(m, "", &keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	testutil.Golden(t, "testdata/summary-keys.golden", []byte(strings.Join(keys, "\n")+"\n"), *update)
}

// fill gives every field a non-zero value, so that omitempty keys show.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Unix(1, 0)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		key := reflect.ValueOf("k")
		if v.Type() == reflect.TypeOf(map[string]Op{}) {
			key = reflect.ValueOf(OpValidate)
		}
		val := reflect.New(v.Type().Elem()).Elem()
		if val.Kind() != reflect.Interface {
			fill(val)
		}
		v.SetMapIndex(key.Convert(v.Type().Key()), val)
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(1)
	case reflect.Float64:
		v.SetFloat(1)
	}
}

func collectKeys(v any, prefix string, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			*out = append(*out, prefix+k)
			collectKeys(e, prefix+k+".", out)
		}
	case []any:
		for _, e := range x {
			collectKeys(e, strings.TrimSuffix(prefix, ".")+"[].", out)
		}
	}
}

// TestWriteSummaryAtomic: summary.json is replaced whole, through a
// temporary file that does not stay behind, and reads back as written.
func TestWriteSummaryAtomic(t *testing.T) {
	dir := t.TempDir()
	s := &Summary{Scenario: "a", State: StateIncomplete, Reason: "stopped during run 0002 (x #1)", Runs: []Run{{ID: "0001", Backend: "noop"}}}
	if err := WriteSummary(dir, s); err != nil {
		t.Fatal(err)
	}
	s.State, s.Reason = StateComplete, ""
	s.Runs = append(s.Runs, Run{ID: "0002", Backend: "x"})
	if err := WriteSummary(dir, s); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSummary(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != StateComplete || len(got.Runs) != 2 {
		t.Errorf("read back state %q with %d runs", got.State, len(got.Runs))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %v, want summary.json alone", entries)
	}
	// A write that cannot finish leaves the previous summary whole.
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	if f, err := os.CreateTemp(dir, "probe"); err == nil { // root ignores permissions
		f.Close()
		os.Remove(f.Name())
		t.Skip("permissions do not apply here (running as root)")
	}
	if err := WriteSummary(dir, &Summary{Scenario: "b"}); err == nil {
		t.Error("write into a read-only folder succeeded")
	}
	if got, err := ReadSummary(dir); err != nil || got.Scenario != "a" {
		t.Errorf("after a failed write: %v, %v", got, err)
	}
}

// TestFolder: a folder is written under .partial- and committed under its
// final name, with latest pointing at it; a second one never reuses a name.
func TestFolder(t *testing.T) {
	root := filepath.Join(t.TempDir(), "results")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a, err := NewFolder(root, "quick", now)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(a.Tmp) != PartialPrefix+"20260301T120000Z-quick" {
		t.Errorf("tmp %s", a.Tmp)
	}
	if st, err := os.Stat(filepath.Join(a.Tmp, HDRDir)); err != nil || !st.IsDir() {
		t.Errorf("no hdr/ folder: %v", err)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	b, err := NewFolder(root, "quick", now)
	if err != nil {
		t.Fatal(err)
	}
	if b.Name != "20260301T120000Z-quick-2" {
		t.Errorf("second folder named %s", b.Name)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if dest, err := os.Readlink(filepath.Join(root, "latest")); err != nil || dest != b.Name {
		t.Errorf("latest -> %q, %v", dest, err)
	}
	if _, err := os.Stat(a.Tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial folder still there: %v", err)
	}
}
