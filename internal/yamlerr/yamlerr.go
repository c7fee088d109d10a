// Package yamlerr reads the position out of a gopkg.in/yaml.v3 syntax
// error. yaml.v3 reports syntax errors as plain errors whose text is
// "yaml: line N: MESSAGE" (and *yaml.TypeError for decoding into Go
// values, which udkit does not use), so this is the one place in udkit
// that reads an error's text, and it reads only yaml.v3's.
package yamlerr

import (
	"strconv"
	"strings"
)

// Split returns the line of a yaml.v3 syntax error and its message without
// the "yaml: " prefix and the line; line is 0 when the text names none.
func Split(err error) (line int, msg string) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	rest, ok := strings.CutPrefix(msg, "line ")
	if !ok {
		return 0, msg
	}
	num, tail, ok := strings.Cut(rest, ": ")
	if !ok {
		return 0, msg
	}
	n, err2 := strconv.Atoi(num)
	if err2 != nil || n <= 0 {
		return 0, msg
	}
	return n, tail
}
