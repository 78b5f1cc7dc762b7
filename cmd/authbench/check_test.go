package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/scenarios"
)

var update = flag.Bool("update", false, "rewrite testdata/check/*.golden")

func init() {
	noNode := func(*backends.Env) (backends.Strategy, error) { return nil, errors.New("test backend") }
	for _, name := range []string{"test-a", "test-b"} {
		if _, ok := backends.Lookup(name); !ok {
			backends.Register(backends.Entry{Info: backends.Info{Name: name, Family: "calibration"}, New: noNode})
		}
	}
}

// TestCheckGolden runs `authbench check` as a user would and compares exit
// status, stdout and stderr with testdata/check/NAME.golden.
func TestCheckGolden(t *testing.T) {
	const dir = "testdata/check/"
	tests := []struct {
		name string
		args []string
	}{
		{"ok", []string{dir + "good.yaml"}},
		{"singular", []string{dir + "single.yaml"}},
		{"error", []string{dir + "bad.yaml"}},
		{"several", []string{dir + "good.yaml", dir + "bad.yaml", dir + "single.yaml"}},
		{"set", []string{"--set", "load.clients=4", "--set", "repeat=5", dir + "good.yaml"}},
		{"set-after-file", []string{dir + "good.yaml", "--set", "sweep.token.ttl=[1m,2m,3m]"}},
		{"set-unknown", []string{"--set", "load.clinets=4", dir + "good.yaml"}},
		{"set-invalid", []string{"--set", "token.leeway=1h", dir + "good.yaml"}},
		{"missing-file", []string{dir + "nope.yaml"}},
		{"no-args", nil},
		{"unknown-flag", []string{"--sett", "x=1", dir + "good.yaml"}},
		{"help", []string{"-h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := cmdCheck(tt.args, &stdout, &stderr)
			got := fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", code, stdout.String(), stderr.String())
			// The list of built-in scenarios grows with authbench; the
			// golden holds its place, and scenarios' tests check the list.
			got = strings.ReplaceAll(got, strings.Join(scenarios.BuiltinNames(), ", "), "BUILTINS")
			golden := filepath.Join(dir, tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run CheckGolden -update)", err)
			}
			if got != string(want) {
				_ = os.WriteFile(filepath.Join(dir, tt.name+".got"), []byte(got), 0o644)
				t.Errorf("output differs from %s (wrote .got)\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

func TestCheckExitStatus(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want int
	}{
		{[]string{"testdata/check/good.yaml"}, 0},
		{[]string{"testdata/check/bad.yaml"}, 2},
		{[]string{"testdata/check/good.yaml", "testdata/check/bad.yaml"}, 2},
		{nil, 2},
	} {
		if got := cmdCheck(tt.args, &bytes.Buffer{}, &bytes.Buffer{}); got != tt.want {
			t.Errorf("check %v: exit %d, want %d", tt.args, got, tt.want)
		}
	}
}

// check reads redis.url with the parser run connects with: every form run
// accepts passes check, and a bad one is refused with its position.
func TestCheckRedisURLForms(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		url  string
		want int
	}{
		{"redis://127.0.0.1:6379/0", 0},
		{"redis://127.0.0.1:7000?addr=127.0.0.1:7001", 0},
		{"redis://127.0.0.1:26379?master_name=mymaster", 0},
		{"unix:///tmp/redis.sock", 0},
		{"redis://127.0.0.1:6379/0?nonsense=1", 2},
		{"http://127.0.0.1:6379", 2},
	} {
		file := filepath.Join(dir, "s.yaml")
		yaml := fmt.Sprintf("name: s\nbackends: [test-a]\nredis: {url: %q}\n", tt.url)
		if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if got := cmdCheck([]string{file}, &stdout, &stderr); got != tt.want {
			t.Errorf("redis.url %s: exit %d, want %d; stderr: %s", tt.url, got, tt.want, stderr.String())
		}
		if tt.want != 0 && !bytes.Contains(stderr.Bytes(), []byte(file+":3:")) {
			t.Errorf("redis.url %s: error without its position: %s", tt.url, stderr.String())
		}
	}
}
