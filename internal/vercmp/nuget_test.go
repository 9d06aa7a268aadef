package vercmp

import "testing"

func nugetSuite() suite {
	return suite{
		ecosystem: "NuGet",
		ascending: [][]string{
			// NuGet.Versioning.Test VersionComparerTests-style orderings.
			{"0.0.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
				"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.0.1", "1.0.1", "1.1", "2"},
			// Labels: numbers (32-bit, even negative ones) before text,
			// text without case.
			{"1.0.0--2", "1.0.0-0", "1.0.0-2", "1.0.0-10", "1.0.0-2147483647", "1.0.0-2147483648", "1.0.0-a", "1.0.0-B", "1.0.0-c"},
			// Real serilog and Newtonsoft.Json versions.
			{"2.0.0-beta-541", "2.0.0-rc-556", "2.0.0", "2.5.0-dev-00814", "2.5.0", "4.3.2-dev-02418", "4.3.2-dev-02419"},
			{"12.0.3", "13.0.1", "13.0.2-beta1", "13.0.2", "13.0.4-beta1", "13.0.4", "13.0.5-beta1"},
		},
		equal: [][2]string{
			{"1.0", "1.0.0"}, {"1", "1.0.0.0"}, {"1.0.0+build", "1.0.0"}, {"1.0.0-BETA", "1.0.0-beta"},
			{"01.002.0003", "1.2.3"}, {"1.0.0-beta+a", "1.0.0-beta+b"}, {" 1.0.0 ", "1.0.0"},
			{"1.0.0--0", "1.0.0-0"}, {"1.0.0-alpha.-1", "1.0.0-alpha.-01"},
		},
		invalid: []string{
			"", "a", "1.0.0.0.0", "1.0-", "1.0+", "1.0-beta+", "1.0-beta.", "1.0-beta..1", "1.0-01",
			"1.0-be$ta", "1.0+me$ta", "1.0+a+b", "1..2", "1.", ".1", "2147483648.0", "v1.0", "1.0 0",
		},
	}
}

// TestNuGetRegistrations checks version lists in the order nuget.org
// serves them.
func TestNuGetRegistrations(t *testing.T) {
	c := mustFor(t, "NuGet")
	for _, name := range []string{"newtonsoft.json", "nuget.server.core", "castle.core", "serilog"} {
		t.Run(name, func(t *testing.T) {
			vs := readVersions(t, "testdata/nuget/"+name+".txt")
			checkAscending(t, c, vs)
			checkSortsTo(t, c, vs)
		})
	}
	ghsa := readVersions(t, "testdata/ghsa/nuget.txt")
	for _, v := range ghsa {
		if err := c.Valid(v); err != nil {
			t.Error(err)
		}
	}
	checkConsistent(t, c, ghsa)
}
