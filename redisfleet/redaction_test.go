package redisfleet

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/redisfleet/redistest"
)

// TestRedisRevealsNothing runs facts, closes and leases through three
// instances and then reads everything Redis holds or carried: every key and
// value, the channels and every message published. None may contain an API
// key, a token, a phone number or a text, and every value must hold the
// fields of AccountFact and nothing else.
func TestRedisRevealsNothing(t *testing.T) {
	srv := redistest.Start(t)
	prefix := testPrefix(t)
	secrets := []string{
		"sk_live_4f9d2c1b7a6e5d4c3b2a1f0e9d8c7b6a",     // API key
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig", // bearer token
		"+15551234567", "15551234567", "555-123-4567", // phone
		"Your code is 482913", // text
	}
	// What the Transport side gives the Fleet: fingerprints of the
	// credentials, and nothing of the messages sent.
	accounts := []string{fingerprint(secrets[0]), fingerprint("Bearer " + secrets[1])}

	insp := inspector(t, srv.Addr())
	spied := spy(t, insp)

	a, b, c := threeFleets(t, srv.Addr())
	rc := subscribe(t, c)
	open := openFact(accounts[0], 5*time.Second)
	open.Message = "Unavailable for your account status"
	a.Publish(open)
	// A careless caller: secrets where fingerprints belong, a phone and a
	// text in the message. Publish refuses or scrubs them.
	a.Publish(resilient.AccountFact{Account: secrets[0], Open: true, Until: time.Now().Add(time.Minute), At: time.Now()})
	leaky := openFact(accounts[1], 5*time.Second)
	leaky.Message = secrets[2] + " " + secrets[5]
	b.Publish(leaky)
	rc.wait(t, 5*time.Second, "the open", isOpen(open.Account, open.At))
	rc.wait(t, 5*time.Second, "the scrubbed open", isOpen(leaky.Account, leaky.At))
	b.Publish(resilient.AccountFact{Account: accounts[0], At: time.Now()})
	rc.wait(t, 5*time.Second, "the close", isClosed(accounts[0]))
	got := make(chan bool, 1)
	a.Lease(accounts[1], 5*time.Second, func(ok bool) { got <- ok })
	<-got

	keyPattern := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `(acct|lease):[0-9a-f]{16}$`)
	var everything [][]byte
	keysSeen := 0
	var cursor uint64
	for {
		e, err := insp.Do(context.Background(), insp.B().Scan().Cursor(cursor).Build()).AsScanEntry()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range e.Elements {
			keysSeen++
			everything = append(everything, []byte(k))
			if !keyPattern.MatchString(k) {
				t.Errorf("unexpected key %q", k)
			}
			v, err := do(t, insp, "GET", k).AsBytes()
			if err != nil {
				t.Errorf("GET %s: %v", k, err)
				continue
			}
			everything = append(everything, v)
			if strings.Contains(k, ":lease:") {
				if s := string(v); !leaseToken.MatchString(s) || !strings.HasPrefix(s, a.Instance()+"#") {
					t.Errorf("lease %s holds %q, want a grant of %s", k, s, a.Instance())
				}
			} else {
				checkFields(t, v)
			}
		}
		if cursor = e.Cursor; cursor == 0 {
			break
		}
	}
	if keysSeen < 2 {
		t.Fatalf("found %d keys, want the open and the lease at least", keysSeen)
	}
	channels, err := do(t, insp, "PUBSUB", "CHANNELS").AsStrSlice()
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range channels {
		everything = append(everything, []byte(ch))
		if ch != prefix+"facts" {
			t.Errorf("unexpected channel %q", ch)
		}
	}
	published := 0
	for _, m := range spied() {
		published++
		everything = append(everything, m)
		checkFields(t, m)
	}
	if published < 3 {
		t.Errorf("saw %d published facts, want 3", published)
	}
	for _, item := range everything {
		for _, s := range secrets {
			if bytes.Contains(item, []byte(s)) {
				t.Errorf("Redis reveals %q in %q", s, item)
			}
		}
	}
}

// leaseToken is the form of a lease grant: an instance name and a number.
var leaseToken = regexp.MustCompile(`^[^#]+#[0-9]+$`)

// checkFields checks that v holds the fields of AccountFact and no others.
func checkFields(t *testing.T, v []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.DisallowUnknownFields()
	var r record
	if err := dec.Decode(&r); err != nil {
		t.Errorf("value %s: %v", v, err)
	}
	if _, err := decode(v); err != nil {
		t.Errorf("value %s is not a fact: %v", v, err)
	}
}
