// Command hello is the sample image's application binary: it prints a
// request ID and the best match for the caller's language.
package main

import (
	"fmt"
	"os"

	"github.com/google/uuid"
	"golang.org/x/text/language"
)

func main() {
	supported := language.NewMatcher([]language.Tag{language.English, language.German})
	tag, _, _ := supported.Match(language.Make(os.Getenv("LANG")))
	fmt.Println(uuid.NewString(), tag)
}
