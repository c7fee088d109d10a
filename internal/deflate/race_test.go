//go:build race

package deflate

// raceEnabled: under the race detector (make test) the slowest checks
// run on the smaller inputs only; without it they run on all.
const raceEnabled = true
