package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/udkit/udkit/userdata"
)

// maxExtractName bounds the sanitised part of an extracted file's name
// (the NNN- prefix comes on top), well under the 255 bytes file systems
// allow.
const maxExtractName = 100

// extractName is the name --extract gives part index (1-based) with the
// given filename from the part's MIME headers: the index zero-padded to
// three digits, a dash, and the filename sanitised, or cloud-init's name for
// a part without one (part-NNN). Sanitising keeps ASCII letters, digits,
// '.', '_', '+' and '-', turns every other byte (a '/', a '\', a space, a
// control character, a byte of a non-ASCII character) into '_', turns a
// '.' that starts the name or follows another '.' into '_' (so no ".." and
// no hidden file), and cuts the result to maxExtractName bytes. The name
// thus never holds a path separator, never is "." or "..", and is unique
// in the directory thanks to the index.
func extractName(index int, filename string) string {
	if filename == "" {
		filename = fmt.Sprintf("part-%03d", index)
	}
	b := make([]byte, 0, min(len(filename), maxExtractName))
	for i := 0; i < len(filename) && len(b) < maxExtractName; i++ {
		c := filename[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '_', c == '+', c == '-':
		case c == '.':
			if len(b) == 0 || b[len(b)-1] == '.' {
				c = '_'
			}
		default:
			c = '_'
		}
		b = append(b, c)
	}
	return fmt.Sprintf("%03d-%s", index, b)
}

// partError is an --extract failure that concerns one part.
func partError(index int, p userdata.Part, name string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is a temporary one; name says where it goes
	}
	what := p.ContentType
	if p.Filename != "" {
		what += " " + strconv.QuoteToASCII(p.Filename)
	}
	return fmt.Errorf("part %d (%s): %s: %v", index, what, name, err)
}

// extractParts writes the decoded payload of every part of d into dir,
// named by extractName, mode 0644, and returns the paths written (dir
// joined with each name), in part order.
//
// Nothing is written unless everything can be: the files are first written
// into a new temporary directory next to dir. When dir does not exist, that
// directory (made 0755) is renamed to dir. When dir exists, it must be
// empty unless force is set; the files are then renamed into it one by
// one, and if one rename fails, those already moved are taken back and any
// file they replaced is restored, so dir is left as it was. Files of dir
// that no part names are never touched.
func extractParts(d *userdata.Decoded, dir string, force bool) (paths []string, err error) {
	fi, err := os.Stat(dir)
	exists := err == nil
	switch {
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return nil, err
	case exists && !fi.IsDir():
		return nil, fmt.Errorf("%s: not a directory", dir)
	case exists && !force:
		f, err := os.Open(dir)
		if err != nil {
			return nil, err
		}
		_, err = f.Readdirnames(1)
		f.Close()
		if err == nil {
			return nil, fmt.Errorf("%s: directory is not empty; choose an empty or new one, or pass --force to replace the files of the same names", dir)
		}
		if err != io.EOF {
			return nil, fmt.Errorf("%s: %v", dir, err)
		}
	}
	parent := filepath.Dir(filepath.Clean(dir))
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(filepath.Clean(dir))+".udkit-extract-")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: parent directory %s does not exist; create it first", dir, parent)
		}
		return nil, err
	}
	defer func() {
		if tmp != "" {
			os.RemoveAll(tmp)
		}
	}()
	names := make([]string, len(d.Parts))
	for i, p := range d.Parts {
		names[i] = extractName(i+1, p.Filename)
		if err := writeFile0644(filepath.Join(tmp, names[i]), p.Body); err != nil {
			return nil, partError(i+1, p, filepath.Join(dir, names[i]), err)
		}
	}
	paths = make([]string, len(names))
	for i, n := range names {
		paths[i] = filepath.Join(dir, n)
	}
	if !exists {
		if err := os.Chmod(tmp, 0o755); err != nil {
			return nil, err
		}
		if err := os.Rename(tmp, dir); err != nil {
			return nil, fmt.Errorf("%s: %v", dir, unwrapPath(err))
		}
		tmp = ""
		return paths, nil
	}
	// dir exists: move the files in, keeping a hard link to each file
	// they replace (in backup) to put it back should a later move fail.
	backup := filepath.Join(tmp, ".replaced")
	if err := os.Mkdir(backup, 0o700); err != nil {
		return nil, err
	}
	type moved struct{ name, had string }
	var done []moved
	rollback := func() {
		for j := len(done) - 1; j >= 0; j-- {
			m := done[j]
			if m.had != "" {
				os.Rename(m.had, filepath.Join(dir, m.name))
			} else {
				os.Remove(filepath.Join(dir, m.name))
			}
		}
	}
	for i, n := range names {
		target := filepath.Join(dir, n)
		had := ""
		if fi, err := os.Lstat(target); err == nil {
			if fi.IsDir() {
				rollback()
				return nil, partError(i+1, d.Parts[i], target, errors.New("is a directory; remove it or choose another directory"))
			}
			had = filepath.Join(backup, n)
			if err := os.Link(target, had); err != nil {
				rollback()
				return nil, partError(i+1, d.Parts[i], target, fmt.Errorf("keeping the file it replaces: %v", unwrapPath(err)))
			}
		}
		if err := os.Rename(filepath.Join(tmp, n), target); err != nil {
			if had != "" {
				os.Remove(had)
			}
			rollback()
			return nil, partError(i+1, d.Parts[i], target, unwrapPath(err))
		}
		done = append(done, moved{n, had})
	}
	return paths, nil
}

// writeFile0644 creates name (which must not exist) with mode 0644 whatever
// the umask, and writes data to it.
func writeFile0644(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
