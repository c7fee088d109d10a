package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// errText is err's message for a line that already starts with "udkit
// CMD: ": the library's package prefixes ("udkit: ", "userdata: ",
// "cloudconfig: ", "lint: ") at its start are left out, so that a message
// has one prefix, never "udkit render: --gzip: userdata: gzip mode …".
func errText(err error) string {
	s := err.Error()
	for {
		t := s
		for _, p := range []string{"udkit: ", "userdata: ", "cloudconfig: ", "unit: ", "lint: "} {
			t = strings.TrimPrefix(t, p)
		}
		if t == s {
			return s
		}
		s = t
	}
}

// writeFileAtomic writes data to name through a temporary file in the same
// directory, so that a failure never leaves a partial file. Its errors
// name name, never the temporary file: `nodir/out.txt: no such file or
// directory`.
func writeFileAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".udkit-*")
	if err != nil {
		return targetError(name, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return targetError(name, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return targetError(name, err)
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return targetError(name, err)
	}
	return nil
}

// targetError says what went wrong writing name, without the temporary
// file's name that *PathError and *LinkError carry.
func targetError(name string, err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	return fmt.Errorf("%s: %w", name, err)
}
