package vercmp

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Tables from maven-artifact's ComparableVersionTest (maven-3.9.x).
var (
	mavenVersionsQualifier = []string{
		"1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11",
		"1-rc", "1-cr2", "1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc",
		"1-def", "1-pom-1", "1-1-snapshot", "1-1", "1-2", "1-123",
	}
	mavenVersionsNumber = []string{
		"2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
		"2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11",
		"11.a", "11b", "11c", "11m",
	}
	mavenEqual = [][2]string{
		{"1", "1"}, {"1", "1.0"}, {"1", "1.0.0"}, {"1.0", "1.0.0"}, {"1", "1-0"}, {"1", "1.0-0"},
		{"1.0", "1.0-0"}, {"1a", "1-a"}, {"1a", "1.0-a"}, {"1a", "1.0.0-a"}, {"1.0a", "1-a"},
		{"1.0.0a", "1-a"}, {"1x", "1-x"}, {"1x", "1.0-x"}, {"1x", "1.0.0-x"}, {"1.0x", "1-x"},
		{"1.0.0x", "1-x"}, {"1ga", "1"}, {"1release", "1"}, {"1final", "1"}, {"1cr", "1rc"},
		{"1a1", "1-alpha-1"}, {"1b2", "1-beta-2"}, {"1m3", "1-milestone-3"}, {"1X", "1x"},
		{"1A", "1a"}, {"1B", "1b"}, {"1M", "1m"}, {"1Ga", "1"}, {"1GA", "1"}, {"1RELEASE", "1"},
		{"1RELeaSE", "1"}, {"1Final", "1"}, {"1FinaL", "1"}, {"1FINAL", "1"}, {"1Cr", "1Rc"},
		{"1cR", "1rC"}, {"1m3", "1Milestone3"}, {"1m3", "1MileStone3"}, {"1m3", "1MILESTONE3"},
		{"1-abcdefghijklmnopqrstuvwxyz", "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
		{"0000000000000000001", "1"}, {"000000001", "01"}, {"0000000000000000000", "0"},
		// MNG-7644: 2.0.X == 2-X == 2.0.0.X.
		{"2-abc", "2.0.abc"}, {"2-abc", "2.0.0.abc"}, {"2-alpha", "2.0.0.alpha"},
		{"2-RC", "2.0.RC"}, {"2-m", "2.0.0.m"},
	}
	mavenOrdered = [][2]string{
		{"1", "2"}, {"1.5", "2"}, {"1", "2.5"}, {"1.0", "1.1"}, {"1.1", "1.2"}, {"1.0.0", "1.1"},
		{"1.0.1", "1.1"}, {"1.1", "1.2.0"}, {"1.0-alpha-1", "1.0"}, {"1.0-alpha-1", "1.0-alpha-2"},
		{"1.0-alpha-1", "1.0-beta-1"}, {"1.0-beta-1", "1.0-SNAPSHOT"}, {"1.0-SNAPSHOT", "1.0"},
		{"1.0-alpha-1-SNAPSHOT", "1.0-alpha-1"}, {"1.0", "1.0-1"}, {"1.0-1", "1.0-2"},
		{"1.0.0", "1.0-1"}, {"2.0-1", "2.0.1"}, {"2.0.1-klm", "2.0.1-lmn"}, {"2.0.1", "2.0.1-xyz"},
		{"2.0.1", "2.0.1-123"}, {"2.0.1-xyz", "2.0.1-123"},
		// MNG-5568, MNG-6572, MNG-6964, MNG-7644.
		{"6.1.0rc3", "6.1.0"}, {"6.1.0rc3", "6.1H.5-beta"}, {"6.1.0", "6.1H.5-beta"},
		{"20190126.230843", "1234567890.12345"}, {"1234567890.12345", "123456789012345.1H.5-beta"},
		{"123456789012345.1H.5-beta", "12345678901234567890.1H.5-beta"},
		{"1-0.alpha", "1"}, {"1-0.beta", "1"}, {"1-0.alpha", "1-0.beta"},
		{"1.0.0.abc1", "1.0.0-abc2"}, {"1.0.0.RC1", "1.0.0-RC2"}, {"1.0.0.m1", "1.0.0-m2"},
	}
)

func mavenSuite() suite {
	return suite{
		ecosystem: "Maven",
		ascending: append([][]string{
			mavenVersionsQualifier, mavenVersionsNumber,
			// Where Maven 3.9 is cyclic (1.sp < 1-rc < 1 < 1.sp;
			// 4.0 < 4.0.0-20190419.052012-560 < 4.0.0.rc.1 < 4.0) this
			// order is the one of mvnRegion.
			{"1-rc", "1", "1.sp"},
			{"4.0.0.rc.1", "4.0", "4.0.0-20190419.052012-560"},
			{"1.0.0.beta.2", "1.0.0-M1", "1.0.0"},
			// Real guava and Spring versions.
			{"r09", "10.0-rc1", "10.0", "23.0", "23.0-android", "23.6-android", "23.6-jre", "33.4.0-android", "33.4.0-jre"},
			{"5.3.0.M1", "5.3.0.RC1", "5.3.0.RELEASE", "5.3.39", "6.0.0-M1", "6.0.0-RC1", "6.0.0"},
		}, ascendingPairs(reversePairs(mavenOrdered))...),
		equal: append(slices.Clone(mavenEqual),
			[2]string{"4.0.0.rc.1", "4.0.0-rc.1"}, [2]string{"5.3.0.RELEASE", "5.3.0"},
			[2]string{"1.0.0.Final", "1"}),
		invalid: []string{"", " ", "1.0 ", "1.0/2", "1:2", `1"`, "1<2", "1>2", "1|2", "1?", "1*", `1\2`, "1.0-${revision}", "1.0-é", "1.0\t"},
	}
}

func reversePairs(ps [][2]string) [][2]string {
	out := make([][2]string, len(ps))
	for i, p := range ps {
		out[i] = [2]string{p[1], p[0]}
	}
	return out
}

// TestMavenRealLists checks the published guava and grpc-core version
// lists against the order Maven 3.9 gives them (testdata/README.md).
func TestMavenRealLists(t *testing.T) {
	c := mustFor(t, "Maven")
	for _, f := range []string{"com.google.guava_guava", "io.grpc_grpc-core"} {
		vs := readVersions(t, "testdata/maven/"+f+".txt")
		checkAscending(t, c, vs)
		checkSortsTo(t, c, vs)
	}
	ghsa := readVersions(t, "testdata/ghsa/maven.txt")
	for _, v := range ghsa {
		if err := c.Valid(v); err != nil {
			t.Error(err)
		}
	}
	checkConsistent(t, c, ghsa)
}

// mavenDeviations are the pairs of the cross-check where this package
// departs from Maven because Maven contradicts itself (see mvnRegion).
var mavenDeviations = map[[2]string]string{
	// Maven: 1-0.beta < 1 < 1.0.0.abc1 but 1-0.beta > 1.0.0.abc1.
	{"1-0.beta", "1.0.0.abc1"}: "a pre-release list below a post-release list",
	// Maven: 1.0.0.beta.2 > 1.0.0-M1 (a 0 above any list); here the
	// dotted qualifier opens a sub-list, so beta < milestone.
	{"1.0.0-M1", "1.0.0.beta.2"}: "a dotted qualifier after items opens a sub-list",
}

// TestMavenCrossCheck runs the installed maven-artifact's own
// ComparableVersion main over the tables and real versions. It is skipped
// where java or the jar is absent.
func TestMavenCrossCheck(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java not installed")
	}
	var jar string
	for _, p := range []string{"/usr/share/java/maven-artifact.jar", "/usr/share/java/maven-artifact-3.x.jar", "/usr/share/maven/lib/maven-artifact-3.x.jar"} {
		if _, err := os.Stat(p); err == nil {
			jar = p
			break
		}
	}
	if jar == "" {
		t.Skip("maven-artifact jar not found")
	}
	c := mustFor(t, "Maven")
	var args []string
	for _, asc := range mavenSuite().ascending {
		args = append(args, asc...)
	}
	for _, p := range mavenEqual {
		args = append(args, p[0], p[1])
	}
	ghsa := readVersions(t, "testdata/ghsa/maven.txt")
	for i := 0; i < len(ghsa); i += 7 {
		args = append(args, ghsa[i])
	}
	out, err := exec.Command(java, append([]string{"-cp", jar, "org.apache.maven.artifact.versioning.ComparableVersion"}, args...)...).Output()
	if err != nil {
		t.Skipf("ComparableVersion main: %v", err)
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, "   ") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("unexpected line %q", line)
		}
		want := map[string]int{"<": -1, "==": 0, ">": 1}[f[1]]
		got := c.Compare(f[0], f[2])
		if dev := mavenDeviations[[2]string{f[0], f[2]}] + mavenDeviations[[2]string{f[2], f[0]}]; dev != "" {
			if got == want {
				t.Errorf("Compare(%q, %q) = %d agrees with Maven, listed as a deviation", f[0], f[2], got)
			}
		} else if got != want {
			t.Errorf("Compare(%q, %q) = %d, Maven says %s", f[0], f[2], got, f[1])
		}
		n++
	}
	if n != len(args)-1 {
		t.Errorf("Maven compared %d pairs, want %d", n, len(args)-1)
	}
}
