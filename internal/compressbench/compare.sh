#!/bin/sh
# Prints the compression comparison table of internal/deflate's corpus
# (udkit best and max, gzip -9 -n, zopfli, klauspost/compress best) with
# the largest prefixes that fit EC2's 16 KiB. Not run by CI: it needs
# gzip and zopfli (Debian packages gzip, zopfli) and takes minutes.
set -eu
cd "$(dirname "$0")"
exec go run ./cmd/compare "$@"
