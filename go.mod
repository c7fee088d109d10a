module github.com/udkit/udkit

go 1.22

require (
	github.com/coreos/go-systemd/v22 v22.5.0
	github.com/google/go-cmp v0.7.0
	github.com/rogpeppe/go-internal v1.13.1
	gopkg.in/yaml.v3 v3.0.1
)

require (
	golang.org/x/sys v0.21.0 // indirect
	golang.org/x/tools v0.22.0 // indirect
)
