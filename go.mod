module github.com/seed477ab429/multilabel

go 1.26.8

require (
	github.com/klauspost/cpuid/v2 v2.4.2
	golang.org/x/image v0.48.0
	golang.org/x/sys v0.50.0
	gonum.org/v1/gonum v0.17.0
	google.golang.org/protobuf v1.36.12
)

require golang.org/x/text v0.44.0 // indirect
