package unit

import (
	"errors"
	"fmt"
	"strings"
)

// maxNameLen is the longest unit name systemd accepts (UNIT_NAME_MAX - 1).
const maxNameLen = 255

var unitTypes = []string{"service", "socket", "device", "mount", "automount", "swap", "target", "path", "timer", "slice", "scope"}

// ValidName returns nil if name is a unit name systemd accepts, or an
// error that says what is wrong: a valid name is a prefix of letters,
// digits and ":-_.\@" (not starting with '@'), a '.' and a known unit type
// such as "service" or "mount", at most 255 bytes in all. Template
// ("name@.service") and instance ("name@x.service") names are valid.
func ValidName(name string) error {
	if name == "" {
		return errors.New("unit: empty unit name")
	}
	if len(name) > maxNameLen {
		return fmt.Errorf("unit: unit name %.40q... is %d bytes, over systemd's %d", name, len(name), maxNameLen)
	}
	dot := strings.LastIndexByte(name, '.')
	if dot <= 0 {
		return fmt.Errorf("unit: unit name %q has no type suffix; end it in .service, .mount, .target, ...", name)
	}
	suffix := name[dot+1:]
	known := false
	for _, t := range unitTypes {
		if suffix == t {
			known = true
		}
	}
	if !known {
		return fmt.Errorf("unit: unit name %q: unknown unit type %q; use one of %s", name, suffix, strings.Join(unitTypes, ", "))
	}
	prefix := name[:dot]
	if prefix[0] == '@' {
		return fmt.Errorf("unit: unit name %q starts with '@'; a template name is NAME@.%s", name, suffix)
	}
	for i := 0; i < len(prefix); i++ {
		if c := prefix[i]; !validNameChar(c) && c != '@' {
			return fmt.Errorf("unit: unit name %q has character %q; escape the text with EscapePath or systemd-escape", name, c)
		}
	}
	return nil
}

func validNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == ':' || c == '_' || c == '.' || c == '-' || c == '\\'
}

// EscapePath turns a file system path into the string systemd uses in unit
// names, exactly like `systemd-escape --path`: duplicate slashes and "."
// components are dropped, leading and trailing slashes removed, '/' becomes
// '-', and every byte other than letters, digits, ':', '_' and '.' (and a
// leading '.') is written as \xHH. The root directory (and, as for systemd-escape, the empty string) is "-". A path with a
// ".." component is an error, as systemd-escape refuses it.
//
//	EscapePath("/mnt/shared data") == `mnt-shared\x20data`
//
// The unit for a mount point is EscapePath(p) + ".mount". (go-systemd's
// UnitNamePathEscape differs for bytes below 0x10, writing one hex digit.)
func EscapePath(p string) (string, error) {
	if strings.IndexByte(p, 0) >= 0 {
		return "", fmt.Errorf("unit: escape: path %q contains NUL", p)
	}
	var parts []string
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
		case "..":
			return "", fmt.Errorf("unit: escape: path %q has a \"..\" component; give the path without it", p)
		default:
			if len(c) > 255 {
				return "", fmt.Errorf("unit: escape: path %q has a component over 255 bytes", p)
			}
			parts = append(parts, c)
		}
	}
	if len(p) > 4095 {
		return "", fmt.Errorf("unit: escape: path is %d bytes, over PATH_MAX", len(p))
	}
	if len(parts) == 0 {
		return "-", nil
	}
	s := strings.Join(parts, "/")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '/':
			b.WriteByte('-')
		case i == 0 && c == '.', c == '-', c == '\\', !validNameChar(c):
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
