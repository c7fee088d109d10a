package cloudconfig

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/udkit/udkit/internal/deflate"
)

// Header is the first line of every cloud-config document.
const Header = "#cloud-config"

// Config is a cloud-config document. The typed fields hold the keys udkit
// writes; Extra holds every other top-level key verbatim, in document
// order, so that any cloud-config parses and renders back without losing a
// key.
//
// A known key whose value does not fit its typed field (a runcmd entry that
// is a number, permissions written as an unquoted number, an unknown key
// inside a write_files entry...) is kept verbatim in Extra as well, and
// [Config.Validate] reports what is wrong with it.
type Config struct {
	// WriteFiles is write_files: files written in the init stage (or
	// the final stage with Defer), before runcmd.
	WriteFiles []WriteFile
	// Bootcmd is bootcmd: commands run early on every boot.
	Bootcmd []Command
	// Runcmd is runcmd: commands run once per instance, late in boot,
	// as one /bin/sh script inside cloud-final.service.
	Runcmd []Command
	// Packages is packages: package names to install.
	Packages []string
	// PackageUpdate is package_update; nil leaves it out.
	PackageUpdate *bool
	// PackageUpgrade is package_upgrade; nil leaves it out.
	PackageUpgrade *bool
	// Mounts is mounts: fstab-like entries, each
	// [device, mountpoint, fstype, options, dump, pass] or a prefix of it.
	Mounts [][]string
	// FinalMessage is final_message, logged when cloud-init is done.
	FinalMessage string
	// Extra holds every other top-level key, in order, rendered after the
	// typed keys.
	Extra []Field

	// src is the top-level mapping [Parse] read the config from, aliases
	// expanded, whose nodes carry the lines and columns of the document
	// (see [Config.Position]); nil for a Config built in Go.
	src *yaml.Node
}

// Field is one top-level key of a cloud-config that the typed model does not
// cover, with its value kept as a YAML node.
type Field struct {
	// Key is the top-level key, for example "users" or "ntp".
	Key string
	// Value is the key's value, rendered as it is (comments dropped).
	Value *yaml.Node
}

// Lookup returns the value of the extra key, or nil.
func (c *Config) Lookup(key string) *yaml.Node {
	for _, f := range c.Extra {
		if f.Key == key {
			return f.Value
		}
	}
	return nil
}

// SetExtra sets the extra top-level key to v encoded as YAML (v may be a
// *yaml.Node), replacing an existing value in place or appending the key.
// It refuses keys that have a typed field: set the field instead.
func (c *Config) SetExtra(key string, v any) error {
	if isTypedKey(key) {
		return fmt.Errorf("cloudconfig: %s has a typed field in Config; set that instead of an extra key", key)
	}
	n, ok := v.(*yaml.Node)
	if !ok {
		n = new(yaml.Node)
		if err := n.Encode(v); err != nil {
			return fmt.Errorf("cloudconfig: extra key %s: %w", key, err)
		}
		restyle(n)
	}
	for i := range c.Extra {
		if c.Extra[i].Key == key {
			c.Extra[i].Value = n
			return nil
		}
	}
	c.Extra = append(c.Extra, Field{Key: key, Value: n})
	return nil
}

// restyle gives every plain string scalar of an encoded Go value the style
// strNode would, so that "on" or "0644" stay strings for PyYAML too.
func restyle(n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == tagStr && n.Style&yaml.TaggedStyle == 0 {
			*n = *strNode(n.Value, false)
		}
	default:
		for _, c := range n.Content {
			restyle(c)
		}
	}
}

// WriteFile is one write_files entry.
type WriteFile struct {
	// Path is the absolute path of the file.
	Path string
	// Content is the file's content as written in the YAML: plain text,
	// or text in Encoding. Use SetData and Data for raw bytes.
	Content string
	// Encoding is the encoding of Content: empty for text, or one of the
	// names cloud-init accepts (b64, base64, gz, gzip, gz+b64,
	// gz+base64, gzip+b64, gzip+base64, text/plain).
	Encoding string
	// Owner is "user" or "user:group"; empty means root:root.
	Owner string
	// Permissions is an octal string such as "0644"; empty means 0644.
	Permissions string
	// Append appends Content to an existing file instead of replacing it.
	Append bool
	// Defer writes the file in the final stage, after users and packages
	// exist (cloud-init 21.4 and later).
	Defer bool
}

// Thresholds for [WriteFile.SetData].
const (
	// GzipThreshold is the content size from which SetData compresses
	// (gz+b64) when that makes the text smaller.
	GzipThreshold = 4096
)

// SetData sets Content and Encoding for the bytes data. Text that is valid
// UTF-8 without control characters (other than tab, LF and CR) and shorter
// than GzipThreshold is kept as it is, readable in the rendered YAML.
// Anything else is encoded: gz+b64 when at least GzipThreshold bytes long
// and compressing helps, b64 otherwise. The result is deterministic.
func (f *WriteFile) SetData(data []byte) {
	if len(data) < GzipThreshold && isText(data) {
		f.Content, f.Encoding = string(data), ""
		return
	}
	if len(data) >= GzipThreshold {
		// udkit's own encoder, as for gzip'd user data.
		if enc := base64.StdEncoding.EncodeToString(deflate.Gzip(data, deflate.Best)); len(enc) < base64.StdEncoding.EncodedLen(len(data)) {
			f.Content, f.Encoding = enc, "gz+b64"
			return
		}
	}
	f.Content, f.Encoding = base64.StdEncoding.EncodeToString(data), "b64"
}

// isText reports whether data renders readably as a YAML block scalar.
func isText(data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	for _, r := range string(data) {
		if r < 0x20 && r != '\t' && r != '\n' || r == 0x7f || r == '\uFEFF' || r == '\r' {
			return false
		}
	}
	return true
}

// Data returns the bytes cloud-init writes for the entry: Content decoded
// according to Encoding. Gzip content that inflates to more than 4 MiB is
// refused as a gzip bomb.
func (f WriteFile) Data() ([]byte, error) {
	budget := maxGunzip
	return f.decode(&budget)
}

// decode is Data with the inflated bytes of gzip content taken from
// *budget, which the entries of one config share, so that Lint and
// Validate inflate at most maxGunzip bytes per config however many
// entries it has.
func (f WriteFile) decode(budget *int) ([]byte, error) {
	kind, ok := encodingKind(f.Encoding)
	if !ok {
		return nil, &ContentError{Path: f.Path, Reason: fmt.Sprintf("has unknown encoding %q (use b64, gz+b64 or leave it empty)", f.Encoding)}
	}
	data := []byte(f.Content)
	if kind&encB64 != 0 {
		d, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(f.Content), ""))
		if err != nil {
			return nil, &ContentError{Path: f.Path, Reason: fmt.Sprintf("is not base64: %v", err)}
		}
		data = d
	}
	if kind&encGzip != 0 {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, &ContentError{Path: f.Path, Reason: fmt.Sprintf("is not gzip: %v", err)}
		}
		left := max(*budget, 0)
		d, err := io.ReadAll(io.LimitReader(zr, int64(left)+1))
		if err != nil {
			return nil, &ContentError{Path: f.Path, Reason: fmt.Sprintf("is not gzip: %v", err)}
		}
		if len(d) > left {
			*budget = -1
			if left == maxGunzip {
				return nil, &ContentError{Path: f.Path, Reason: fmt.Sprintf("expands to more than %d bytes, more than user data ever holds (a gzip bomb?); fetch large files at boot instead", maxGunzip)}
			}
			return nil, &ContentError{Path: f.Path, Reason: fmt.Sprintf("expands past the %d bytes that the gzip contents of all write_files entries may inflate to together (%d left after the entries before it; a gzip bomb?); fetch large files at boot instead", maxGunzip, left)}
		}
		*budget -= len(d)
		data = d
	}
	return data, nil
}

// ContentError is the error of [WriteFile.Data]: the content of the
// write_files entry at Path does not decode as its Encoding says.
type ContentError struct {
	Path string
	// Reason says what is wrong with the content and what to do, as in
	// "is not base64: ...".
	Reason string
}

// Error formats e as "cloudconfig: write_files PATH: content REASON".
func (e *ContentError) Error() string {
	return "cloudconfig: write_files " + e.Path + ": content " + e.Reason
}

// maxGunzip bounds what gzip content inflates to: in one Data call, and in
// all the write_files entries of a config together for Lint and Validate.
// User data is at most a few hundred kilobytes on every cloud, so more is
// a gzip bomb.
const maxGunzip = 4 << 20

const (
	encB64 = 1 << iota
	encGzip
)

// encodingKind maps the encodings cloud-init's write_files accepts
// (canonicalize_extraction: case-insensitive, surrounding space ignored) to
// what has to be undone.
func encodingKind(enc string) (int, bool) {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "", "text/plain":
		return 0, true
	case "b64", "base64":
		return encB64, true
	case "gz", "gzip":
		return encGzip, true
	case "gz+b64", "gz+base64", "gzip+b64", "gzip+base64":
		return encB64 | encGzip, true
	}
	return 0, false
}

// Command is a runcmd or bootcmd entry, in one of the two forms cloud-init
// distinguishes: an argv list, whose words cloud-init quotes one by one so
// no shell interprets them (the safe default), or a shell string, run by
// /bin/sh as it is.
type Command struct {
	// Args is the argv form; nil for a shell string.
	Args []string
	// Script is the shell string; used only when Args is nil.
	Script string
}

// Argv returns a command in argv form: each argument is one word, and no
// shell interprets it.
func Argv(args ...string) Command {
	a := make([]string, len(args))
	copy(a, args)
	return Command{Args: a}
}

// Shell returns a command in shell-string form, run by /bin/sh.
func Shell(script string) Command { return Command{Script: script} }

// IsShell reports whether c is a shell string rather than an argv list.
func (c Command) IsShell() bool { return c.Args == nil }

// String returns the line cloud-init writes for c into its runcmd script:
// argv words single-quoted one by one, a shell string as it is.
func (c Command) String() string {
	if c.IsShell() {
		return c.Script
	}
	var b strings.Builder
	for i, a := range c.Args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(a, "'", `'\''`))
		b.WriteByte('\'')
	}
	return b.String()
}

// Bool returns a pointer to b, for PackageUpdate and PackageUpgrade.
func Bool(b bool) *bool { return &b }

// typed keys, in the fixed order Marshal writes them.
var typedKeys = []string{"bootcmd", "write_files", "mounts", "package_update", "package_upgrade", "packages", "runcmd", "final_message"}

func isTypedKey(k string) bool {
	for _, t := range typedKeys {
		if t == k {
			return true
		}
	}
	return false
}
