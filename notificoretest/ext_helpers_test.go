package notificoretest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/resilient-sms/resilient/notificoretest"
)

// call2 sends body to an API 2.0 path with a bearer token ("" for none)
// and returns the status and the raw answer, or the transport error.
func call2(srv *notificoretest.Server, method, path, token, body string) (int, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.API2URL()+path, rd)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// post2 is call2 with POST, formatted as "STATUS BODY" or "transport error".
func post2(srv *notificoretest.Server, path, token, body string) string {
	status, b, err := call2(srv, http.MethodPost, path, token, body)
	if err != nil {
		return "transport error"
	}
	return fmt.Sprintf("%d %s", status, b)
}

// login2 logs key in and returns its bearer token, or "".
func login2(srv *notificoretest.Server, key string) string {
	_, b, err := call2(srv, http.MethodPost, "/auth/login", "", `{"api_key":"`+key+`"}`)
	if err != nil {
		return ""
	}
	var ans struct {
		Bearer string `json:"bearer"`
	}
	_ = json.Unmarshal([]byte(b), &ans)
	return ans.Bearer
}

// status2 is post2 with only the status, or "transport error".
func status2(srv *notificoretest.Server, path, token, body string) string {
	s := post2(srv, path, token, body)
	if i := strings.IndexByte(s, ' '); i > 0 && s != "transport error" {
		return s[:i]
	}
	return s
}

// call1 sends body ("" for none) with method to an API 1.0 path with key
// and returns "STATUS BODY", or "transport error".
func call1(srv *notificoretest.Server, method, path, key, body string) string {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.RESTURL()+path, rd)
	if err != nil {
		return err.Error()
	}
	req.Header.Set("X-API-KEY", key)
	resp, err := srv.Client().Do(req)
	if err != nil {
		return "transport error"
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, b)
}

// put is call1 with PUT.
func put(srv *notificoretest.Server, path, key, body string) string {
	return call1(srv, http.MethodPut, path, key, body)
}

// get is call1 with GET and no body.
func get(srv *notificoretest.Server, path, key string) string {
	return call1(srv, http.MethodGet, path, key, "")
}
