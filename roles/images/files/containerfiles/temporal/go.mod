// Programs of the local Temporal image (go.txt), built on the controller through its Go module proxy.
module aegis.build/temporal

go 1.21

require go.temporal.io/server v1.23.0
