package api

// DecodeJSON exposes the handler's strict JSON decoding to the fuzz tests.
var DecodeJSON = decodeJSON
