package registry

import "time"

// DecodeJSON exposes the handler's strict JSON decoding to the fuzz tests.
var DecodeJSON = decodeJSON

// Migrations exposes the schema steps to the migration tests.
var Migrations = migrations

// HashToken exposes how tokens are stored to the migration tests.
var HashToken = hashToken

// HTTPTimeout returns the timeout of the client's *http.Client.
func (c *Client) HTTPTimeout() time.Duration { return c.hc.Timeout }
