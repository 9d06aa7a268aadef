// Command hello is a tiny real program for the go/binary tests: it links
// two modules from the module proxy, one of them through a replace
// directive.
package main

import (
	"fmt"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

func main() {
	fmt.Println(cmp.Diff("a", "b"), uuid.NewString())
}
