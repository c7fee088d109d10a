module github.com/udkit/udkit

go 1.22

require (
	github.com/google/go-cmp v0.7.0
	github.com/rogpeppe/go-internal v1.13.1
)

require (
	golang.org/x/sys v0.21.0 // indirect
	golang.org/x/tools v0.22.0 // indirect
)
