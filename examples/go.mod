module github.com/resilient-sms/resilient/examples

go 1.26.8
