package runner

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/authbench/authbench/scenarios"
)

// The scenario recorded in summary.json must not carry the Redis password
// given in the scenario or with --set redis.url=….
func TestConfigRecordRedactsRedisURL(t *testing.T) {
	s := scenarios.Defaults()
	s.Name = "redact"
	s.Redis.URL = "redis://alice:s3cretpw@127.0.0.1:6379/0"
	b, err := json.Marshal(configRecord(&s))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "s3cretpw") || strings.Contains(string(b), "alice") {
		t.Fatalf("config record holds the credentials: %s", b)
	}
	if !strings.Contains(string(b), "127.0.0.1:6379") {
		t.Fatalf("config record lost the Redis address: %s", b)
	}
	if s.Redis.URL != "redis://alice:s3cretpw@127.0.0.1:6379/0" {
		t.Fatal("configRecord changed the scenario it was given")
	}
}

// redis.url can be swept: the swept values reach summary.json as the run's
// params, its point and the recorded sweep, never with their passwords.
func TestSweptRedisURLRedacted(t *testing.T) {
	s, err := scenarios.ParseBytes("sw.yaml", []byte("name: sw\nbackends: [session-redis]\nrepeat: 1\nsweep:\n  redis.url: [\"redis://a:pw1@127.0.0.1:1\", \"redis://b:pw2@127.0.0.1:2\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := scenarios.Plan(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range plan {
		b, _ := json.Marshal(params(pr))
		for _, got := range []string{string(b), point(pr), runLabel(pr)} {
			if strings.Contains(got, "pw1") || strings.Contains(got, "pw2") {
				t.Errorf("run %d records a swept password: %s", pr.Index, got)
			}
			if !strings.Contains(got, "127.0.0.1") {
				t.Errorf("run %d lost the swept address: %s", pr.Index, got)
			}
		}
	}
	b, _ := json.Marshal(configRecord(s))
	if strings.Contains(string(b), "pw1") || strings.Contains(string(b), "pw2") {
		t.Errorf("config record holds swept passwords: %s", b)
	}
	if !strings.Contains(s.Sweep[0].Values[0], "pw1") {
		t.Error("configRecord changed the scenario's sweep")
	}
}

// An extra point can set redis.url too: its value reaches summary.json as
// the run's params, its point and the recorded scenario, never with the
// password.
func TestExtraRedisURLRedacted(t *testing.T) {
	s, err := scenarios.ParseBytes("x.yaml", []byte("name: x\nbackends: [session-redis]\nrepeat: 1\nextra:\n  - set: {redis.url: \"redis://a:pw1@127.0.0.1:1\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := scenarios.Plan(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 2 {
		t.Fatalf("%d runs, want the grid's and the extra point's", len(plan))
	}
	pr := plan[1]
	b, _ := json.Marshal(params(pr))
	for _, got := range []string{string(b), point(pr), runLabel(pr)} {
		if strings.Contains(got, "pw1") || !strings.Contains(got, "127.0.0.1") {
			t.Errorf("extra run records %s, want the address without the password", got)
		}
	}
	b, _ = json.Marshal(configRecord(s))
	if strings.Contains(string(b), "pw1") || !strings.Contains(string(b), "127.0.0.1:1") {
		t.Errorf("config record of the extra point: %s", b)
	}
	if !strings.Contains(s.Extra[0].Set[0].Value, "pw1") {
		t.Error("configRecord changed the scenario's extra point")
	}
}
