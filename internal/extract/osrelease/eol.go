package osrelease

import (
	"strings"
	"time"

	"github.com/pavesec/pave/internal/inventory"
)

// eol maps an os-release ID and a release key (see releaseKey) to the last
// day of free security support, "YYYY-MM-DD". Which date is "the end" is a
// choice, made per family so that the date answers "does this release still
// get security fixes from its usual, free package source?":
//
//   - Debian: the end of Debian LTS, not of the security team's regular
//     support: LTS fixes ship through the same debian-security archive and
//     the Debian security tracker covers them. (Paid Freexian ELTS is not
//     counted.) Regular-support ends are noted alongside.
//     Source: https://wiki.debian.org/LTS and https://www.debian.org/releases/.
//   - Ubuntu: the end of standard support. Expanded Security Maintenance
//     (ESM, Ubuntu Pro) continues LTS releases for five more years but needs
//     a subscription, so an LTS past its standard date is reported EOL.
//     Source: https://ubuntu.com/about/release-cycle (months), days as on
//     https://endoflife.date/ubuntu.
//   - Alpine: the branch's end of support. Source: https://alpinelinux.org/releases/.
//   - RHEL: end of Maintenance Support (ELS add-on not counted); CentOS
//     Linux and Stream, AlmaLinux, Rocky and Oracle Linux: their own
//     published ends (Oracle: Premier Support). Sources:
//     https://access.redhat.com/support/policy/updates/errata,
//     https://www.centos.org/centos-linux-eol/, https://wiki.almalinux.org/release-notes/,
//     https://wiki.rockylinux.org/rocky/version/,
//     https://www.oracle.com/a/ocom/docs/elsp-lifetime-069338.pdf.
//   - Fedora: the announced EOL of each release. Source: https://docs.fedoraproject.org/en-US/releases/eol/.
//   - Amazon Linux: https://aws.amazon.com/amazon-linux-2/faqs/ and
//     https://docs.aws.amazon.com/linux/al2023/ug/release-cadence.html.
//   - SLES and openSUSE Leap: general support of each service pack / minor
//     release. Sources: https://www.suse.com/lifecycle/, https://en.opensuse.org/Lifetime.
//   - Photon OS: https://blogs.vmware.com/vsphere/ (Photon OS lifecycle),
//     as listed on https://endoflife.date/photon.
//   - CBL-Mariner / Azure Linux: https://learn.microsoft.com/azure/azure-linux/.
//
// Releases missing here (too new, or dates not yet announced) take the
// os-release SUPPORT_END field when the file has one, else no EOL;
// rolling distributions (Wolfi, Chainguard, Alpine edge, openSUSE
// Tumbleweed, Arch) have none by design.
var eol = map[string]map[string]string{
	"debian": {
		"7":  "2018-05-31", // LTS end
		"8":  "2020-06-30", // LTS end; security 2018-06-17
		"9":  "2022-06-30", // LTS end; security 2020-07-06
		"10": "2024-06-30", // LTS end; security 2022-09-10
		"11": "2026-08-31", // LTS end; security 2024-08-14
		"12": "2028-06-30", // LTS end; security 2026-06-10
		"13": "2030-06-30", // LTS end; security 2028-08-09
	},
	"ubuntu": {
		"14.04": "2019-04-25", // ESM to 2024-04
		"16.04": "2021-04-30", // ESM to 2026-04
		"18.04": "2023-05-31", // ESM to 2028-04
		"20.04": "2025-05-29", // ESM to 2030-04
		"22.04": "2027-06-01", // ESM to 2032-04
		"24.04": "2029-05-31", // ESM to 2034-04
		"22.10": "2023-07-20",
		"23.04": "2024-01-25",
		"23.10": "2024-07-11",
		"24.10": "2025-07-10",
	},
	"alpine": {
		"3.10": "2021-05-01",
		"3.11": "2021-11-01",
		"3.12": "2022-05-01",
		"3.13": "2022-11-01",
		"3.14": "2023-05-01",
		"3.15": "2023-11-01",
		"3.16": "2024-05-23",
		"3.17": "2024-11-22",
		"3.18": "2025-05-09",
		"3.19": "2025-11-01",
		"3.20": "2026-04-01",
		"3.21": "2026-11-01",
		"3.22": "2027-05-01",
	},
	"rhel": {
		"6":  "2020-11-30",
		"7":  "2024-06-30",
		"8":  "2029-05-31",
		"9":  "2032-05-31",
		"10": "2035-05-31",
	},
	"centos": {
		"6":       "2020-11-30",
		"7":       "2024-06-30",
		"8":       "2021-12-31", // CentOS Linux 8, cut short for Stream
		"stream8": "2024-05-31",
		"stream9": "2027-05-31",
	},
	"almalinux": {
		"8": "2029-03-01",
		"9": "2032-05-31",
	},
	"rocky": {
		"8": "2029-05-31",
		"9": "2032-05-31",
	},
	"ol": {
		"6": "2021-03-01",
		"7": "2024-12-31",
		"8": "2029-07-31",
		"9": "2032-06-30",
	},
	"fedora": {
		"35": "2022-12-13",
		"36": "2023-05-16",
		"37": "2023-12-05",
		"38": "2024-05-21",
		"39": "2024-11-26",
		"40": "2025-05-13",
	},
	"amzn": {
		"1":    "2023-12-31", // Amazon Linux AMI 2018.03
		"2":    "2026-06-30",
		"2023": "2029-06-30",
	},
	"sles": {
		"12.5": "2024-10-31",
		"15.2": "2021-12-31",
		"15.3": "2022-12-31",
		"15.4": "2023-12-31",
		"15.5": "2024-12-31",
		"15.6": "2025-12-31",
		"15.7": "2031-07-31", // last service pack: end of SLES 15 general support
	},
	"opensuse-leap": {
		"15.2": "2022-01-04",
		"15.3": "2022-12-31",
		"15.4": "2023-12-07",
		"15.5": "2024-12-31",
		"15.6": "2026-04-30",
	},
	"photon": {
		"1.0": "2022-02-28",
		"2.0": "2022-12-31",
		"3.0": "2024-03-01",
		"4.0": "2026-03-01",
	},
	"mariner": {
		"1.0": "2023-07-31",
		"2.0": "2025-07-31",
	},
}

// rolling lists IDs that are continuously updated and have no EOL.
var rolling = map[string]bool{
	"wolfi": true, "chainguard": true, "opensuse-tumbleweed": true, "arch": true, "gentoo": true,
}

// releaseKey turns a Distro's version into the key of the eol table: the
// major version where the vendor supports majors (Debian, RHEL family,
// Fedora), major.minor where minors are releases (Ubuntu, Alpine, SLES,
// Leap, Photon, Mariner). ok is false for rolling or unknown releases.
func releaseKey(d *inventory.Distro) (string, bool) {
	v := d.VersionID
	major, rest, _ := strings.Cut(v, ".")
	minor, _, _ := strings.Cut(rest, ".")
	switch d.ID {
	case "debian":
		// No VERSION_ID: testing or unstable, which have no security support.
		return major, major != ""
	case "alpine":
		if strings.Contains(v, "_alpha") || strings.Contains(v, "edge") || minor == "" {
			return "", false
		}
		return major + "." + minor, true
	case "centos":
		if strings.Contains(strings.ToLower(d.PrettyName), "stream") {
			return "stream" + major, true
		}
		return major, major != ""
	case "rhel", "almalinux", "rocky", "ol", "fedora":
		return major, major != ""
	case "amzn":
		if major == "2018" {
			return "1", true
		}
		return major, major != ""
	case "sles":
		if minor == "" {
			minor = "0"
		}
		return major + "." + minor, true
	default:
		if minor == "" {
			return major, major != ""
		}
		return major + "." + minor, true
	}
}

// SetEOL fills d.EOL from the table and sets d.EndOfLife when now is after
// that day (support ends at the end of the EOL day, UTC).
func SetEOL(d *inventory.Distro, now time.Time) {
	d.EOL, d.EndOfLife = "", false
	if rolling[d.ID] {
		return
	}
	key, ok := releaseKey(d)
	if !ok {
		return
	}
	setEOLDate(d, eol[d.ID][key], now)
}

func setEOLDate(d *inventory.Distro, date string, now time.Time) {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return
	}
	d.EOL = date
	d.EndOfLife = !now.Before(t.AddDate(0, 0, 1))
}
