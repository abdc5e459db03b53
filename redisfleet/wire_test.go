package redisfleet

import (
	"strings"
	"testing"
	"time"

	"github.com/resilient-sms/resilient"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	at := time.Now().Truncate(time.Microsecond)
	for _, f := range []resilient.AccountFact{
		{Account: fingerprint("x"), Open: true, Class: resilient.ClassAccount, Code: 8, StatusCode: 200,
			Until: at.Add(time.Minute), At: at},
		{Account: fingerprint("y"), Open: true, Class: resilient.ClassAccount, StatusCode: 402,
			Message: "Unavailable for your account status", Until: at.Add(time.Hour), At: at},
		{Account: fingerprint("z"), At: at},
	} {
		b, err := encode(f, "inst-1")
		if err != nil {
			t.Fatalf("encode %+v: %v", f, err)
		}
		got, err := decode(b)
		if err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
		f.Instance = "inst-1"
		if !got.At.Equal(f.At) || !got.Until.Equal(f.Until) {
			t.Errorf("times of %s: %+v, want %+v", b, got, f)
		}
		got.At, got.Until, f.At, f.Until = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if got != f {
			t.Errorf("round trip of %s: %+v, want %+v", b, got, f)
		}
	}
}

func TestEncodeRefusesWhatIsNotAFingerprint(t *testing.T) {
	for _, acct := range []string{"", "sk_live_0123456789abcdef0123456789", "+15551234567", strings.Repeat("g", 16), "0123456789abcdef0123456789abcdef", fingerprint("x") + "0"} {
		if _, err := encode(resilient.AccountFact{Account: acct, At: time.Now()}, "i"); err == nil {
			t.Errorf("encode accepted account %q", acct)
		}
	}
}

func TestEncodeDropsPhoneLikeMessages(t *testing.T) {
	f := resilient.AccountFact{Account: fingerprint("x"), Open: true, Class: resilient.ClassAccount,
		Message: "blocked: +1 555 123 4567", Until: time.Now().Add(time.Minute), At: time.Now()}
	b, err := encode(f, "i")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "555") {
		t.Errorf("a phone-like message reached the wire: %s", b)
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	good := `"account":"` + fingerprint("x") + `","instance":"i","at":1`
	for _, s := range []string{
		``, `null`, `[]`, `{}`, `{` + good + `,"open":true,"class":"account"}`, // an open without until
		`{` + good + `,"open":true,"class":"weird","until":5}`,
		`{"account":"nope","instance":"i","at":1}`,
		`{"account":"` + fingerprint("x") + `","at":1}`,
		`{"account":"` + fingerprint("x") + `","instance":"i"}`,
		`{` + good + `,"message":"` + strings.Repeat("m", maxMessage+1) + `"}`,
	} {
		if f, err := decode([]byte(s)); err == nil {
			t.Errorf("decode(%s) = %+v, want an error", s, f)
		}
	}
	if _, err := decode([]byte(`{` + good + `}`)); err != nil {
		t.Errorf("decode of a minimal close: %v", err)
	}
}

func TestEscapeGlob(t *testing.T) {
	if got := (keys{prefix: "a*b?[c]\\:"}).accountMatch(); got != `a\*b\?\[c\]\\:acct:*` {
		t.Errorf("accountMatch = %q", got)
	}
}
