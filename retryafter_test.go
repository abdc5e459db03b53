package resilient

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	date := now.Add(-time.Hour).Format(http.TimeFormat) // the server's clock runs an hour behind ours
	tests := []struct {
		value, date string
		want        time.Duration
		ok          bool
	}{
		{"", "", 0, false},
		{"1", "", time.Second, true},
		{" 120 ", "", 2 * time.Minute, true},
		{"0", "", 0, true},
		{"1.5", "", 1500 * time.Millisecond, true},
		{"-1", "", 0, false},
		{"1e3", "", 0, false},
		{"0x10", "", 0, false},
		{"soon", "", 0, false},
		{"99999999999999999999999", "", maxRetryAfter, true},
		{"18446744073709551616", "", maxRetryAfter, true},
		{now.Add(30 * time.Second).Format(http.TimeFormat), "", 30 * time.Second, true},
		{now.Add(-30 * time.Second).Format(http.TimeFormat), "", 0, true},
		// Relative to the server's Date, not our clock: 30s after its now.
		{now.Add(-time.Hour + 30*time.Second).Format(http.TimeFormat), date, 30 * time.Second, true},
		{now.Add(30 * time.Second).Format(time.RFC850), "", 30 * time.Second, true},
		{now.Add(30 * time.Second).Format(time.ANSIC), "garbage", 30 * time.Second, true},
		{"Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT", maxRetryAfter, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.value, tt.date, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q, %q) = %v, %v; want %v, %v", tt.value, tt.date, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for _, s := range []string{"1", "120", "1.5", "-1", "Wed, 26 Nov 2026 10:00:30 GMT", "Monday, 02-Jan-06 15:04:05 MST", "1e9", "NaN", "+Inf", "9999999999999999"} {
		f.Add(s, "Wed, 26 Nov 2026 10:00:00 GMT")
	}
	f.Fuzz(func(t *testing.T, value, date string) {
		d, ok := parseRetryAfter(value, date, now)
		if d < 0 || d > maxRetryAfter || (!ok && d != 0) {
			t.Fatalf("parseRetryAfter(%q, %q) = %v, %v", value, date, d, ok)
		}
	})
}
