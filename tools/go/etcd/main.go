// Command etcd is the etcd server of the pinned go.etcd.io/etcd/server/v3 release, built from Go
// modules: the upstream binary's main package lives in the repository root module, which the Go
// proxy does not serve as a buildable command, so this wrapper calls the same entry point.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
