package java

import (
	"bufio"
	"bytes"
	"strings"
)

// maxMetaLines bounds the lines read from a manifest or properties file.
const maxMetaLines = 20_000

// parseManifest reads the main section of a JAR manifest
// (https://docs.oracle.com/en/java/javase/21/docs/specs/jar/jar.html):
// "Name: value" lines, a line starting with one space continuing the
// previous value, and a blank line ending the section. Keys are returned
// as written; later duplicates are ignored.
func parseManifest(data []byte) map[string]string {
	out := map[string]string{}
	var key string
	var val strings.Builder
	flush := func() {
		if key != "" {
			if _, dup := out[key]; !dup {
				out[key] = strings.TrimSpace(val.String())
			}
		}
		key = ""
		val.Reset()
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 0; sc.Scan() && n < maxMetaLines; n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			if len(out) > 0 || key != "" {
				break // end of the main section
			}
			continue
		}
		if line[0] == ' ' {
			if key != "" {
				val.WriteString(line[1:])
			}
			continue
		}
		flush()
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key = strings.TrimSpace(k)
		val.WriteString(strings.TrimPrefix(v, " "))
	}
	flush()
	return out
}

// parseProperties reads a Java properties file as Maven writes
// pom.properties: "key=value" (or "key: value", "key value") lines, "#"
// and "!" comments, a trailing backslash continuing a line. Escapes other
// than line continuation are kept as written; Maven coordinates never
// hold them.
func parseProperties(data []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var cont strings.Builder
	for n := 0; sc.Scan() && n < maxMetaLines; n++ {
		line := strings.TrimSpace(sc.Text())
		if cont.Len() == 0 && (line == "" || line[0] == '#' || line[0] == '!') {
			continue
		}
		if strings.HasSuffix(line, `\`) && !strings.HasSuffix(line, `\\`) {
			cont.WriteString(strings.TrimSuffix(line, `\`))
			continue
		}
		cont.WriteString(line)
		line = cont.String()
		cont.Reset()
		i := strings.IndexAny(line, "=: \t")
		if i <= 0 {
			continue
		}
		k := line[:i]
		v := strings.TrimLeft(line[i:], " \t")
		if v != "" && (v[0] == '=' || v[0] == ':') {
			v = strings.TrimLeft(v[1:], " \t")
		}
		out[k] = v
	}
	return out
}
