package dockerfile

import (
	"path"
	"strings"
)

// Command is one simple shell command: its words after quote removal, and
// what joins it to the next command ("|", "&&", "||", ";", "&", "$(" when
// the next command is a command or process substitution inside this one,
// or "" at the end).
type Command struct {
	Words []string
	Op    string
}

// maxWords bounds the words SplitShell returns, against hostile input.
const maxWords = 1 << 16

// SplitShell splits a shell script into simple commands. It is not a full
// shell parser: it knows quotes, backslash escapes, comments and the
// operators that separate commands, which is what the checks need to tell
// `curl … | sh` from `curl … > file`. `$(` and `<(` outside quotes start a
// new command joined by "$(", so `bash <(curl …)` yields `bash` then
// `curl`; a closing parenthesis or backquote joins with "|".
func SplitShell(script string) []Command {
	var (
		cmds  []Command
		words []string
		cur   strings.Builder
		inTok bool
		n     int
	)
	flushWord := func() {
		if inTok && n < maxWords {
			words = append(words, cur.String())
			n++
		}
		cur.Reset()
		inTok = false
	}
	flushCmd := func(op string) {
		flushWord()
		if len(words) > 0 {
			cmds = append(cmds, Command{Words: words, Op: op})
		} else if op == "|" && len(cmds) > 0 {
			cmds[len(cmds)-1].Op = op
		}
		words = nil
	}
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case c == '\\':
			if i+1 < len(script) {
				i++
				if script[i] != '\n' {
					cur.WriteByte(script[i])
					inTok = true
				}
			}
		case c == '\'':
			inTok = true
			j := strings.IndexByte(script[i+1:], '\'')
			if j < 0 {
				cur.WriteString(script[i+1:])
				i = len(script)
				break
			}
			cur.WriteString(script[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inTok = true
			for i++; i < len(script) && script[i] != '"'; i++ {
				if script[i] == '\\' && i+1 < len(script) {
					i++
				}
				cur.WriteByte(script[i])
			}
		case c == '#' && !inTok:
			for i < len(script) && script[i] != '\n' {
				i++
			}
			flushCmd(";")
		case c == ' ' || c == '\t' || c == '\r':
			flushWord()
		case c == '\n' || c == ';':
			flushCmd(";")
		case c == '&' || c == '|':
			op := string(c)
			if i+1 < len(script) && script[i+1] == c {
				op += op
				i++
			}
			if op == "&" && i+1 < len(script) && script[i+1] == '>' { // &> redirection
				cur.WriteByte('&')
				inTok = true
				break
			}
			flushCmd(op)
		case (c == '$' || c == '<') && i+1 < len(script) && script[i+1] == '(':
			// Command or process substitution: its output feeds the
			// enclosing command, as a pipe would.
			flushWord()
			i++
			if len(words) > 0 {
				cmds = append(cmds, Command{Words: words, Op: "$("})
			}
			words = nil
		case c == '(' || c == ')' || c == '{' && !inTok || c == '}' && !inTok || c == '`':
			if c == ')' || c == '`' {
				flushCmd("|")
			} else {
				flushCmd(";")
			}
		default:
			cur.WriteByte(c)
			inTok = true
		}
	}
	flushCmd("")
	return cmds
}

// Program returns a command's program name with leading variable
// assignments, `sudo`, `env`, `exec`, `time`, `nohup` and `command`
// stripped, its arguments, and whether sudo or doas ran it. name is ""
// when no program remains.
func (c Command) Program() (name string, args []string, sudo bool) {
	w := c.Words
	for len(w) > 0 {
		base := path.Base(w[0])
		switch {
		case isAssignment(w[0]):
			w = w[1:]
		case base == "sudo" || base == "doas":
			sudo = true
			w = w[1:]
			for len(w) > 0 && strings.HasPrefix(w[0], "-") {
				if w[0] == "-u" || w[0] == "-g" {
					w = w[1:]
				}
				if len(w) > 0 {
					w = w[1:]
				}
			}
		case base == "env" || base == "exec" || base == "time" || base == "nohup" || base == "command":
			w = w[1:]
			for len(w) > 0 && strings.HasPrefix(w[0], "-") {
				w = w[1:]
			}
		default:
			return base, w[1:], sudo
		}
	}
	return "", nil, sudo
}

func isAssignment(w string) bool {
	i := strings.IndexByte(w, '=')
	if i <= 0 {
		return false
	}
	for j := 0; j < i; j++ {
		c := w[j]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || j > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
