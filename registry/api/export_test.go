package api

import (
	"net/url"
	"time"
)

// DecodeJSON exposes the handler's strict JSON decoding to the fuzz tests.
var DecodeJSON = decodeJSON

// ParseWatchQuery exposes the blocking query's parameter decoder to the
// fuzz tests.
var ParseWatchQuery = func(q url.Values, indexParam string) (index uint64, wait time.Duration, limit int, err error) {
	wq, err := parseWatchQuery(q, indexParam)
	return wq.index, wq.wait, wq.limit, err
}
