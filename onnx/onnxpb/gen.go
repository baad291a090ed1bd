// Package onnxpb holds the Go types of the ONNX protobuf schema
// (ModelProto, GraphProto, NodeProto, TensorProto, ...), generated from
// onnx.proto (ONNX 1.12, IR version 8, as Debian's python3-onnx ships it)
// by protoc and protoc-gen-go. Do not edit onnx.pb.go: regenerate it.
//
// To regenerate (Debian's protobuf-compiler for protoc):
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	cp /usr/lib/python3/dist-packages/onnx/onnx.proto onnx/onnxpb/   # or keep the committed copy
//	go generate ./onnx/onnxpb
package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go_opt=Monnx.proto=github.com/seed477ab429/multilabel/onnx/onnxpb onnx.proto
