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
