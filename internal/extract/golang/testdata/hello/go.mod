module example.com/hello

go 1.22

require (
	github.com/google/go-cmp v0.7.0
	github.com/google/uuid v1.5.0
)

replace github.com/google/uuid => github.com/google/uuid v1.6.0
