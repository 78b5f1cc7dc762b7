package results

// HTTP is what the HTTP driver measured in one run (transport http or
// https); nil for in-process runs. Counts cover the measured period.
type HTTP struct {
	Transport      string  `json:"transport"`  // http | https
	Credential     string  `json:"credential"` // header | cookie
	SameSite       string  `json:"same_site,omitempty"`
	CSRFDefence    bool    `json:"csrf_defence"`
	H2             bool    `json:"h2"`
	NewConnections float64 `json:"new_connections"`
	Target         string  `json:"target,omitempty"` // an external server; empty: loopback servers
	Requests       int64   `json:"requests"`         // HTTP requests of every operation
	// Bytes on the wire per request, both directions: headers, bodies and
	// in https the TLS records and handshakes, counted on the socket.
	BytesSentPerRequest     float64 `json:"bytes_sent_per_request"`
	BytesReceivedPerRequest float64 `json:"bytes_received_per_request"`
	Connections             int64   `json:"connections"`
	Handshakes              int64   `json:"tls_handshakes"`
	Resumptions             int64   `json:"tls_resumptions"`
	HandshakeErrors         int64   `json:"tls_handshake_errors"`
	DialErrors              int64   `json:"dial_errors"`
	// Mean client-side time of a full TLS handshake and of a resumed one,
	// in microseconds (0 when none happened).
	HandshakeUS  float64 `json:"tls_handshake_us"`
	ResumptionUS float64 `json:"tls_resumption_us"`
	// CPUPerRequestUS is the authbench process's CPU time per request. With
	// loopback servers it includes the servers and the backends, since
	// they run in the same process; against http.target it is the client's.
	CPUPerRequestUS float64 `json:"cpu_per_request_us"`
	// ServerValidateNS is the mean time the server spent in the backend's
	// Validate, and ValidateShare its share of the mean validate service
	// time seen by the client (-1 when the server's figures are unknown).
	ServerValidateNS float64 `json:"server_validate_ns"`
	ValidateShare    float64 `json:"validate_share"`
	// ServerConnErrors counts what the servers' net/http logged (failed
	// handshakes, broken connections).
	ServerConnErrors int64 `json:"server_conn_errors"`
	// ServerConnsDropped counts connections the servers closed before a
	// complete request (slow clients cut off by the header time-out, resets).
	ServerConnsDropped int64 `json:"server_conns_dropped"`
	CSRF               *CSRF `json:"csrf,omitempty"`
}

// CSRF is the CSRF attacker's tally: forged cross-site state-changing
// requests with the victim's cookie (when the browser attaches it),
// another site's Origin and no CSRF token.
type CSRF struct {
	Rate           float64 `json:"rate"`
	Attempts       int64   `json:"attempts"`
	CookieAttached int64   `json:"cookie_attached"`
	Accepted       int64   `json:"accepted"` // false accepts: the forged change was made
	RefusedCSRF    int64   `json:"refused_csrf"`
	RefusedAuth    int64   `json:"refused_auth"`
	Errors         int64   `json:"errors"`
}
