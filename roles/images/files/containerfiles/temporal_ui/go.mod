// The program of the local Temporal UI image (go.txt), built on the controller through its Go module proxy.
// ui-server's own go.mod has a replace directive, which `go install` refuses; this module repeats it.
module aegis.build/temporal-ui

go 1.20

require github.com/temporalio/ui-server/v2 v2.21.3

replace github.com/grpc-ecosystem/grpc-gateway => github.com/temporalio/grpc-gateway v1.17.0
