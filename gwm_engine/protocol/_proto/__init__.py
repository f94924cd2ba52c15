"""Generated gwm.v1 protobuf and gRPC modules. Do not edit: run proto/generate.sh."""
