package secret

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/pavesec/pave/internal/finding"
)

// realLines are lines from installed code in a real image (835 Debian
// bookworm packages and an npm app, scanned as a docker-save tar; see
// "Real image check" in docs/secrets.md) that an earlier engine flagged
// though they hold no secret. Each is copied from the file named by path
// (long minified lines are cut to the flagged part).
var realLines = []struct {
	path, line string
}{
	// PAVE-SEC-144 (.npmrc auth) on Python and Ruby code.
	{"usr/lib/python3.11/urllib/request.py", "        proxy_auth = base64.b64encode(proxy_passwd.encode()).decode('ascii')"},
	{"usr/lib/python3/dist-packages/pip/_internal/network/auth.py", "        url, netloc, url_user_password = split_auth_netloc_from_url("},
	{"usr/lib/python3/dist-packages/pip/_internal/network/auth.py", "        netrc_auth = get_netrc_auth(original_url)"},
	{"usr/lib/python3/dist-packages/pip/_vendor/requests/models.py", "        url_auth = get_auth_from_url(self.url)"},
	{"usr/lib/python3/dist-packages/pip/_vendor/urllib3/contrib/socks.py", `                proxy_password=self._socks_options["password"],`},
	{"usr/lib/python3/dist-packages/setuptools/package_index.py", "open_with_auth = socket_timeout(_SOCKET_TIMEOUT)(open_with_auth)"},
	{"usr/lib/ruby/3.1.0/bundler/source/git/git_proxy.rb", "          config_auth = Bundler.settings[remote.to_s] || Bundler.settings[remote.host]"},
	{"usr/lib/ruby/3.1.0/bundler/source/rubygems/remote.rb", "        fallback_auth = Bundler.settings.credentials_for(uri)"},
	{"usr/share/rubygems-integration/all/gems/webrick-1.8.1/lib/webrick/httpauth.rb", "  #   digest_auth = WEBrick::HTTPAuth::DigestAuth.new config"},
	{"usr/share/rubygems-integration/all/gems/webrick-1.8.1/lib/webrick/httpauth/basicauth.rb", "    #   basic_auth = WEBrick::HTTPAuth::BasicAuth.new config"},
	// PAVE-SEC-207 (URL credentials) on documentation examples.
	{"usr/share/doc/python3-pip/html/topics/authentication.md", "https://user:he%2F%2Fo@pypi.company.com/simple"},
	{"usr/share/perl5/LWP/Protocol/http.pm", `	# export http_proxy="http://proxyuser:proxypass@proxyhost:port".`},
	// PAVE-SEC-208 (generic) on identifiers and expressions.
	{"srv/app/node_modules/@eslint-community/eslint-utils/index.d.ts", "type OpeningBracketToken = OpeningBracketToken$1;"},
	{"srv/app/node_modules/@eslint-community/eslint-utils/index.d.mts", "type ArrowToken = ArrowToken$1;"},
	{"srv/app/node_modules/axios/lib/core/mergeConfig.js", "    withCredentials: defaultToConfig2,"},
	{"srv/app/node_modules/axios/lib/adapters/xhr.js", "      request.withCredentials = !!_config.withCredentials;"},
	{"srv/app/node_modules/axios/dist/esm/axios.js", "axios.CancelToken = CancelToken$1;"},
	{"srv/app/node_modules/axios/dist/axios.js", "$withCr = _resolveConfig.withCredentials, withCredentials = _resolveConfig$withCr === void 0 ? 'same-origin' : _resolveConfig$withCr,"},
	{"srv/app/node_modules/axios/dist/axios.min.js", `Te.isUndefined(p.withCredentials)||(w.withCredentials=!!p.withCredentials),y&&"json"!==y&&(w.responseType=p.responseType)`},
	{"srv/app/node_modules/axios/dist/esm/axios.min.js.map", `  timeoutErrorMessage: defaultToConfig2,\n  withCredentials: defaultToConfig2,\n  withXSRFToken: defaultToConfig2,\n`},
	{"srv/app/node_modules/webpack/lib/css/syntax-parser.js", "module.exports._blockTokenOf = _blockTokenOf;"},
	{"srv/app/node_modules/webpack/lib/css/syntax-parser.js", "module.exports._tokenizeCalc = _tokenizeCalc;"},
	{"srv/app/node_modules/terser/README.md", "* CKEditor ![](https://c10.patreonusercontent.com/3/eyJoIjoxMDAsInciOjEwMH0%3D/patreon-media/p/user/15452278/f8548dcf48d740619071e8d614459280/1?token-time=2145916800&token-hash=SIQ54PhIPHv3M7CVz9LxS8_8v4sOw4H304HaXsXj8MM%3D)"},
	{"usr/include/c++/12/bits/regex_scanner.tcc", "\t      _M_token = _S_token_subexpr_no_group_begin;"},
	{"usr/include/c++/12/bits/regex_scanner.tcc", "\t_M_token = _S_token_comma;"},
	{"usr/lib/ruby/3.1.0/uri/generic.rb", `    #   uri.password = "V3ry_S3nsit1ve"`},
	{"usr/lib/ruby/3.1.0/rubygems/s3_uri_signer.rb", "      credentials = ec2_metadata_credentials_json"},
	{"usr/share/javascript/esprima/esprima.js", `DefaultRestParameter:"Unexpected token =",DuplicateBinding:"Duplicate binding %0",DuplicateConstructor:"A class may only have one constructor"`},
	{"usr/share/javascript/esprima/esprima.js", `Object.defineProperty(t,"__esModule",{value:!0}),t.version=t.Syntax=t.tokenize=t.parseScript=t.parseModule=t.parse=void 0;var s=i(11)`},
	{"usr/share/nodejs/js-tokens/index.js", `								nextLastSignificantToken = "?NonExpressionParenEnd";`},
	{"usr/share/nodejs/js-tokens/index.js", `							nextLastSignificantToken = "?InterpolationInJSX";`},
}

// TestRealImageLines checks that none of realLines is flagged when
// scanned as its own file.
func TestRealImageLines(t *testing.T) {
	e := Default()
	for _, l := range realLines {
		for _, m := range e.ScanPath(l.path, []byte(l.line+"\n")) {
			t.Errorf("%s: %q flagged by %s as %s", l.path, l.line, m.Rule.ID, m.Masked)
		}
	}
}

// TestRealImageKept checks the classes a scan of the real image still
// reports, with random values in place of the real ones.
func TestRealImageKept(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(21, 22))}
	cases := []struct {
		path, content, rule string
	}{
		// debug@2's .coveralls.yml commits a Coveralls repo token.
		{"srv/app/node_modules/debug/.coveralls.yml", "repo_token: " + g.s(alnum, 33) + "\n", "PAVE-SEC-208"},
		{"app/.env", "API_TOKEN=" + g.password(24) + "\n", "PAVE-SEC-208"},
		{"app/config.js", `const apiKey = "` + g.password(24) + `";` + "\n", "PAVE-SEC-208"},
		{"home/node/.npmrc", "_auth=" + g.s(alnum, 40) + "\n", "PAVE-SEC-144"},
		{"home/node/.npmrc", "//npm.corp.internal/:_authToken=" + g.uuid() + "\n", "PAVE-SEC-144"},
		{"etc/apt/auth.conf.d/x.conf", "# https://deploy:" + g.s(alnum, 20) + "@git.corp.internal/x.git\n", "PAVE-SEC-207"},
	}
	for _, c := range cases {
		ms := Default().ScanPath(c.path, []byte(c.content))
		if len(ms) != 1 || ms[0].Rule.ID != c.rule {
			var got []string
			for _, m := range ms {
				got = append(got, m.Rule.ID+" "+m.Masked)
			}
			t.Errorf("%s: got %v, want one %s", c.path, got, c.rule)
		}
	}
}

// TestPathScope checks that a rule with Paths runs only on the files it
// names when the caller gives a name, and runs when it gives none.
func TestPathScope(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(23, 24))}
	line := []byte("_authToken=" + g.s(alnum, 36) + "\n")
	for _, c := range []struct {
		path string
		want bool
	}{
		{".npmrc", true}, {"root/.npmrc", true}, {"usr/etc/npmrc", true}, {"project.npmrc", true},
		{"", true}, {"app/settings.py", false}, {"app/.env", false},
	} {
		got := false
		for _, m := range Default().ScanPath(c.path, line) {
			got = got || m.Rule.ID == "PAVE-SEC-144"
		}
		if got != c.want {
			t.Errorf("ScanPath(%q): PAVE-SEC-144 reported %v, want %v", c.path, got, c.want)
		}
	}
}

// TestUnquotedInSource checks that the generic rule takes unquoted values
// in config files and unknown content, not in source code.
func TestUnquotedInSource(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(25, 26))}
	line := []byte("password = " + g.password(20) + "\n")
	for _, c := range []struct {
		path string
		want bool
	}{
		{"", true}, {"etc/app.ini", true}, {"app/.env", true}, {"conf/app.yaml", true}, {"app/run.sh", true},
		{"app/main.py", false}, {"src/x.ts", false}, {"src/x.tcc", false}, {"x.go", false},
	} {
		got := len(Default().ScanPath(c.path, line)) > 0
		if got != c.want {
			t.Errorf("ScanPath(%q): found %v, want %v", c.path, got, c.want)
		}
	}
}

// TestExampleKeySeverity checks that private keys shipped as examples are
// reported at low severity, and others at the rule's.
func TestExampleKeySeverity(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(27, 28))}
	key := []byte(g.rsaPKCS8PEM())
	for _, c := range []struct {
		path string
		want finding.Severity
	}{
		{"usr/share/doc/libnet-ssleay-perl/examples/server_key.pem", low},
		{"usr/share/doc/libio-socket-ssl-perl/examples/simulate_proxy.pl", low},
		{"srv/app/node_modules/x/test/fixtures/key.pem", low},
		{"src/pkg/testdata/key.pem", low},
		{"etc/ssl/private/server.key", crit},
		{"root/.ssh/id_rsa", crit},
	} {
		fs, err := (&FileCheck{}).Check(context.Background(), c.path, key)
		if err != nil || len(fs) != 1 {
			t.Fatalf("%s: %d findings, err %v", c.path, len(fs), err)
		}
		if fs[0].Severity != c.want {
			t.Errorf("%s: severity %s, want %s", c.path, fs[0].Severity, c.want)
		}
	}
}

func TestIdentifier(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{
		{"OpeningBracketToken$1", true}, {"defaultToConfig2", true}, {"_S_token_subexpr_no_group_begin", true},
		{"?NonExpressionParenEnd", true}, {"_blockTokenOf", true}, {"V3ry_S3nsit1ve", true}, {"withXSRFToken", true},
		{"kQzRmXbTnWsP", false}, {"Qm7vTzKpWx9rBnYc", false}, {"xK9mPq2Lr8Zt", false},
		{"ZkQpRmXbTnWs12", false}, {"ec2_metadata_credentials_json", false},
	} {
		if got := identifier(c.s); got != c.want {
			t.Errorf("identifier(%q) = %v, want %v", c.s, got, c.want)
		}
	}
}

func BenchmarkScanPathSource(b *testing.B) {
	src := realSource(b, 8<<20)
	e := Default()
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.ScanPath("vendor/x/all.go", src)
	}
}
