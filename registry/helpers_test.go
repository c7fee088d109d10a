package registry_test

import "github.com/udkit/udkit/registry/internal/regtest"

var (
	openStore  = regtest.OpenStore
	newService = regtest.NewService
	mustToken  = regtest.MustToken
	ctxT       = regtest.Ctx
)
