package backends

import "testing"

// The probe must see real heap: bytes per entry at least the key itself,
// and not wildly more than key + value + map slot overhead.
func TestHeapBytesPerEntry(t *testing.T) {
	const entries, keyLen = 10000, 43
	b := heapBytes(entries, keyLen, func(i int) session { return session{user: "user-x", expires: int64(i)} })
	per := float64(b) / entries
	t.Logf("%.1f bytes per session entry", per)
	if per < keyLen || per > 400 {
		t.Errorf("%.1f bytes per entry, want between %d and 400", per, keyLen)
	}
	if got := heapBytes(0, keyLen, func(int) int64 { return 0 }); got != 0 {
		t.Errorf("empty store: %d bytes", got)
	}
	// Scaling: twice the entries, twice the bytes (within noise).
	b2 := heapBytes(2*entries, keyLen, func(i int) session { return session{user: "user-x", expires: int64(i)} })
	if r := float64(b2) / float64(b); r < 1.5 || r > 2.5 {
		t.Errorf("bytes for %d entries / %d entries = %.2f, want ≈ 2", 2*entries, entries, r)
	}
}
