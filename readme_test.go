package resilient

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// TestREADMECodeTable keeps the README's code table true to ClassOf and
// the code descriptions.
func TestREADMECodeTable(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile(`(?m)^\| (\d+) \| (.*?) \| (\w+) \|`).FindAllStringSubmatch(string(data), -1)
	seen := map[int]bool{}
	for _, r := range rows {
		code, _ := strconv.Atoi(r[1])
		seen[code] = true
		if got := ClassOf(code).String(); got != r[3] {
			t.Errorf("README says code %d is %s, ClassOf says %s", code, r[3], got)
		}
		if got := CodeDescription(code); got != r[2] {
			t.Errorf("README describes code %d as %q, the table as %q", code, r[2], got)
		}
	}
	for code := range apiCodes {
		if !seen[code] {
			t.Errorf("README lacks code %d", code)
		}
	}
}
