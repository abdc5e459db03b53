module github.com/resilient-sms/resilient/bench

go 1.26.8
