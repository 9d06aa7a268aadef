package extract

import (
	"errors"
	"strings"
	"testing"
)

func TestReadAll(t *testing.T) {
	in := func(s string, size int64) *Input {
		return &Input{Reader: strings.NewReader(s), Size: size}
	}
	if b, err := ReadAll(in("hello", 5), 5); err != nil || string(b) != "hello" {
		t.Errorf("ReadAll = %q, %v", b, err)
	}
	// Over the limit by declared size, and by content that lies about it.
	for _, i := range []*Input{in("hello!", 6), in("hello!", 2)} {
		if _, err := ReadAll(i, 5); !errors.Is(err, ErrTooLarge) {
			t.Errorf("ReadAll(size %d) err = %v, want ErrTooLarge", i.Size, err)
		}
	}
}

func TestJoinErrors(t *testing.T) {
	if err := JoinErrors("k", "f", nil); err != nil {
		t.Errorf("JoinErrors(nil) = %v", err)
	}
	got := JoinErrors("yarnlock", "a/yarn.lock", []string{"l1", "l2", "l3", "l4", "l5"}).Error()
	if want := "yarnlock: parse a/yarn.lock: l1; l2; l3 (and 2 more)"; got != want {
		t.Errorf("JoinErrors = %q, want %q", got, want)
	}
}
