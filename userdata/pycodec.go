package userdata

// Ports of the CPython binascii decoders that Python's email package uses
// for Content-Transfer-Encoding, so that decoded bytes match cloud-init's
// on malformed input too.

import "errors"

var errBase64 = errors.New("invalid base64")

var b64Table = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(a); i++ {
		t[a[i]] = byte(i)
	}
	return t
}()

// a2bBase64 is binascii.a2b_base64(data, strict_mode=strict) of CPython
// 3.11.
func a2bBase64(data []byte, strict bool) ([]byte, error) {
	out := make([]byte, 0, len(data)/4*3+3)
	if strict && len(data) > 0 && data[0] == '=' {
		return nil, errBase64
	}
	quad := 0
	var left byte
	pads := 0
	paddingStarted := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c == '=' {
			paddingStarted = true
			if strict && quad == 0 {
				return nil, errBase64 // excess padding
			}
			if quad >= 2 {
				pads++
				if quad+pads >= 4 {
					if strict && i+1 < len(data) {
						return nil, errBase64 // excess data after padding
					}
					return out, nil
				}
			}
			continue
		}
		v := b64Table[c]
		if v == 0xff {
			if strict {
				return nil, errBase64
			}
			continue
		}
		if strict && paddingStarted {
			return nil, errBase64 // discontinuous padding
		}
		pads = 0
		switch quad {
		case 0:
			quad, left = 1, v
		case 1:
			quad = 2
			out = append(out, left<<2|v>>4)
			left = v & 0x0f
		case 2:
			quad = 3
			out = append(out, left<<4|v>>2)
			left = v & 0x03
		case 3:
			quad = 0
			out = append(out, left<<6|v)
			left = 0
		}
	}
	if quad != 0 {
		return nil, errBase64
	}
	return out, nil
}

// decodeB is email._encoded_words.decode_b: lenient base64 that never
// fails (undecodable input comes back unchanged).
func decodeB(enc []byte) []byte {
	padErr := len(enc) % 4
	if padErr != 0 {
		padded := make([]byte, 0, len(enc)+4-padErr)
		padded = append(padded, enc...)
		padded = append(padded, "==="[:4-padErr]...)
		if out, err := a2bBase64(padded, true); err == nil {
			return out
		}
	} else if out, err := a2bBase64(enc, true); err == nil {
		return out
	}
	if out, err := a2bBase64(enc, false); err == nil {
		return out
	}
	padded := make([]byte, 0, len(enc)+2)
	padded = append(padded, enc...)
	padded = append(padded, "=="...)
	if out, err := a2bBase64(padded, false); err == nil {
		return out
	}
	return enc
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// a2bQP is binascii.a2b_qp(data, header=False), which quopri.decodestring
// uses.
func a2bQP(data []byte) []byte {
	out := make([]byte, 0, len(data))
	for in := 0; in < len(data); {
		if data[in] != '=' {
			out = append(out, data[in])
			in++
			continue
		}
		in++
		if in >= len(data) {
			break
		}
		switch c := data[in]; {
		case c == '\n' || c == '\r':
			if c != '\n' {
				for in < len(data) && data[in] != '\n' {
					in++
				}
			}
			if in < len(data) {
				in++
			}
		case c == '=':
			out = append(out, '=')
			in++
		default:
			hi, ok1 := unhex(c)
			var lo byte
			ok2 := false
			if in+1 < len(data) {
				lo, ok2 = unhex(data[in+1])
			}
			if ok1 && ok2 {
				out = append(out, hi<<4|lo)
				in += 2
			} else {
				out = append(out, '=')
			}
		}
	}
	return out
}
