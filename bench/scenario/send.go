package scenario

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"

	"github.com/resilient-sms/resilient/bench"
)

// send makes one single SMS create with reference ref through client and
// reports whether the answer says the message was accepted: HTTP 200 and
// code 0 in the body. The body is read to EOF and closed.
func send(ctx context.Context, client *http.Client, url, ref string) bool {
	body := []byte(bench.SMS(ref))
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header["X-Api-Key"] = []string{bench.Key}
	req.Header["Content-Type"] = []string{"application/json"}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return false
	}
	c, ok := Code(b)
	return ok && c == 0
}

// ref is the reference of message i.
func ref(i int) string { return "m" + strconv.Itoa(i) }
