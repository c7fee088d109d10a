module github.com/udkit/udkit

go 1.22

require github.com/google/go-cmp v0.7.0

require github.com/coreos/go-systemd/v22 v22.5.0
