package client

import "time"

// HTTPTimeout returns the timeout of the client's *http.Client.
func (c *Client) HTTPTimeout() time.Duration { return c.hc.Timeout }
