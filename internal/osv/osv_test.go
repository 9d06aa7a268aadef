package osv

import (
	"strings"
	"testing"
)

func TestCVEs(t *testing.T) {
	// RUSTSEC-2023-0052 (webpki) relates to a Go CVE; ALSA-2021:2363 lists
	// the CVE it fixes as related.
	rustsec := Record{ID: "RUSTSEC-2023-0052", Aliases: []string{"GHSA-8qv2-5vq6-g2g7"}, Related: []string{"CVE-2018-16875"}}
	alsa := Record{ID: "ALSA-2021:2363", Related: []string{"CVE-2021-33516"}}
	dsa := Record{ID: "DSA-5345-1", Upstream: []string{"CVE-2023-0696", "CVE-2023-0697", "CVE-2023-0696"}}
	cve := Record{ID: "CVE-2021-44228", Aliases: []string{"GHSA-jfh8-c2jp-5v3q", "CVE-2021-44228"}}
	tests := []struct {
		r       Record
		related bool
		want    string
	}{
		{rustsec, false, ""},
		{rustsec, true, "CVE-2018-16875"},
		{alsa, true, "CVE-2021-33516"},
		{dsa, false, "CVE-2023-0696,CVE-2023-0697"},
		{cve, false, "CVE-2021-44228"},
	}
	for _, tc := range tests {
		if got := strings.Join(tc.r.CVEs(tc.related), ","); got != tc.want {
			t.Errorf("%s.CVEs(%v) = %q, want %q", tc.r.ID, tc.related, got, tc.want)
		}
	}
}

func TestBaseEcosystem(t *testing.T) {
	for in, want := range map[string]string{"Debian:12": "Debian", "Ubuntu:22.04:LTS": "Ubuntu", "PyPI": "PyPI", "": ""} {
		if got := BaseEcosystem(in); got != want {
			t.Errorf("BaseEcosystem(%q) = %q, want %q", in, got, want)
		}
	}
}
