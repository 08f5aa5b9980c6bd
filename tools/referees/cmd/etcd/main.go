// Command etcd is the etcd server, built from go.etcd.io/etcd/server/v3 at
// the version pinned in go.mod, which is also the one k8s.io/kubernetes is
// tested with. etcd's own main package lives in a module that is not meant
// to be depended on, so this calls the same entry point it does.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
