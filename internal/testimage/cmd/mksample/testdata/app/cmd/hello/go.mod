module example.com/sample/hello

go 1.22

require (
	github.com/google/uuid v1.6.0
	golang.org/x/text v0.3.7
)
