package main

import (
	"bytes"
	"net/http"
	"regexp"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRun(t *testing.T) {
	saved := http.DefaultTransport
	var out bytes.Buffer
	err := run(t.Context(), &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if http.DefaultTransport != saved {
		t.Error("run left http.DefaultTransport replaced")
	}

	// The decisions that matter, in order, and the summary.
	lines := []string{
		`sms: code 11 twice +attempt 1 .* transient  code 11  → retry when the account's in-flight limit has room, within \d+ms`,
		`sms: code 11 twice +attempt 2 .* transient  code 11  → retry when the account's in-flight limit has room, within [\d.]+m?s`,
		`sms: code 11 twice +attempt 3 .* success +→ done`,
		`sms: invalid phone +attempt 1 .* permanent  code 21  → returned at once \(permanent\)`,
		`sms bulk: 1 of 3 gets code 11 +attempt 1 .* code 11  → retry when the account's in-flight limit has room, within \d+ms`,
		`sms bulk: 1 of 3 gets code 11 +attempt 2 .* → done: a duplicate reference on a resend means accepted earlier`,
		`sms bulk: reset, 1 unreferenced +attempt 1 .* → not resent: .*`,
		`viber: 503, Retry-After: 1 +attempt 1  HTTP 503 .* → retry in 1s \(Retry-After\)`,
		`viber: 503, Retry-After: 1 +attempt 2  HTTP 200 .* → done`,
		`sms \(low account\): no funds +attempt 1 .* account +code 8 +→ returned at once \(account-level\)`,
		`sms \(low account\): no funds +circuit +account closed → open, probe in 1m0s \(code 8\)`,
		`sms \(low account\) again +failed fast: account circuit open \(code 8\), probe in 1m0s; nothing sent`,
		`balance \(low account\) again +failed fast: account circuit open \(code 8\), probe in 1m0s; nothing sent`,
		`sms \(main account\) +attempt 1 .* success +→ done`,
		`summary: 12 calls, 14 attempts \(14 requests reached the server\), 4 retries, 9 messages accepted, 2 failed fast, 0 duplicates, in [\d.]+s`,
		`sdk: code 11 once +2 requests +the SDK reads error 0, id \d+`,
		`sdk: no funds +1 request +the SDK reads error 8 \(not enough funds\)`,
		`sdk: again +0 requests +the SDK reads error 8 \(not enough funds\)`,
	}
	text := out.String()
	for _, l := range lines {
		loc := regexp.MustCompile(`(?m)^` + l + `$`).FindStringIndex(text)
		if loc == nil {
			t.Errorf("no line matches %s", l)
			continue
		}
		text = text[loc[1]:]
	}
}
