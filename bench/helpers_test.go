package bench

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// newCreate returns a single SMS create to url, with a body that
// http.NewRequest gives a GetBody, so that every client can resend it.
func newCreate(url string) *http.Request {
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader([]byte(CreateBody)))
	if err != nil {
		panic(err)
	}
	req.Header["X-Api-Key"] = []string{Key}
	req.Header["Content-Type"] = []string{"application/json"}
	return req
}

// call sends one create through client, reads the answer to EOF and closes
// it, as a caller that decodes the answer would.
func call(client *http.Client, url string) error {
	resp, err := client.Do(newCreate(url))
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %d", resp.StatusCode)
	}
	return err
}

// stub is an in-memory base transport that answers every request with
// body, HTTP 200, allocating one object per answer.
type stub struct {
	body   []byte
	header http.Header
}

func newStub(body string) *stub {
	return &stub{body: []byte(body), header: http.Header{"Content-Type": {"application/json"}}}
}

type stubAnswer struct {
	resp http.Response
	body stubBody
}

type stubBody struct{ bytes.Reader }

func (*stubBody) Close() error { return nil }

// RoundTrip implements http.RoundTripper.
func (s *stub) RoundTrip(req *http.Request) (*http.Response, error) {
	a := &stubAnswer{}
	a.body.Reset(s.body)
	a.resp = http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: s.header, Body: &a.body, ContentLength: int64(len(s.body)), Request: req,
	}
	return &a.resp, nil
}

// drain reads resp's body to EOF and closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
