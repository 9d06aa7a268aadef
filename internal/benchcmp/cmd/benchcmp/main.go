// Command benchcmp compares the packages of two SBOM documents and reports
// how many of the reference document's packages the candidate also lists
// (recall), by package type, with the missing packages listed.
//
//	go run ./internal/benchcmp/cmd/benchcmp -ref syft.json -got pave.json
//
// Documents may be pave JSON, Syft JSON, CycloneDX JSON or SPDX 2.x JSON;
// the format is detected. With -json the result is printed as JSON. The
// exit status is 1 when recall is below -min (0 by default: never).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/pavesec/pave/internal/benchcmp"
)

func main() {
	refFile := flag.String("ref", "", "reference SBOM (e.g. Syft's)")
	gotFile := flag.String("got", "", "candidate SBOM (e.g. pave's)")
	refName := flag.String("ref-name", "ref", "name of the reference tool in the report")
	gotName := flag.String("got-name", "got", "name of the candidate tool in the report")
	extra := flag.Bool("extra", false, "also list the candidate's packages the reference lacks")
	limit := flag.Int("limit", 0, "list at most this many packages per type (0: all)")
	asJSON := flag.Bool("json", false, "print the result as JSON")
	minRecall := flag.Float64("min", 0, "exit 1 when recall is below this (0..1)")
	flag.Parse()
	if *refFile == "" || *gotFile == "" {
		fmt.Fprintln(os.Stderr, "usage: benchcmp -ref REF.json -got GOT.json [-ref-name N] [-got-name N] [-extra] [-limit N] [-json] [-min R]")
		os.Exit(2)
	}
	r, err := compare(*refFile, *gotFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcmp:", err)
		os.Exit(2)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	} else {
		err = benchcmp.WriteText(os.Stdout, *refName, *gotName, r, *extra, *limit)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcmp:", err)
		os.Exit(2)
	}
	if r.Recall < *minRecall {
		os.Exit(1)
	}
}

func compare(refFile, gotFile string) (benchcmp.Result, error) {
	ref, err := loadFile(refFile)
	if err != nil {
		return benchcmp.Result{}, err
	}
	got, err := loadFile(gotFile)
	if err != nil {
		return benchcmp.Result{}, err
	}
	return benchcmp.Compare(ref.Keys, got.Keys), nil
}

func loadFile(name string) (*benchcmp.Set, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := benchcmp.Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}
