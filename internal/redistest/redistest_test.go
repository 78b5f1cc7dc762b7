package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redisproc"
)

func TestStartGivesAPrivateServerStoppedAtCleanup(t *testing.T) {
	var url string
	t.Run("inner", func(t *testing.T) {
		c := Start(t, backends.RedisConfig{Timeout: time.Second})
		if c.Server == nil {
			t.Fatalf("Conn = %+v, want a private server", c)
		}
		if err := c.Client.Ping(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		url = c.Server.URL()
	})
	if url == "" {
		t.Skip("no redis-server")
	}
	// Cleanup has run: nothing answers at the old address any more.
	client, err := redisproc.NewClient(url, backends.RedisConfig{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.Ping(context.Background()).Err(); err == nil {
		t.Errorf("the server at %s still answers after the test ended", url)
	}
}
