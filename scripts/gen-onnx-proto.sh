#!/usr/bin/env bash
# Regenerates Sources/ONNXProto/onnx.pb.swift from onnx.proto (run by hand, once per ONNX
# upgrade; never at build time). Needs: protoc (Debian protobuf-compiler), protoc-gen-swift
# built from apple/swift-protobuf 1.39.0 (PROTOC_GEN_SWIFT), and onnx.proto from the `onnx`
# wheel of the version below (ONNX_PROTO). See Sources/ONNXProto/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PROTOC_GEN_SWIFT:?path to protoc-gen-swift (swift build -c release --product protoc-gen-swift in a swift-protobuf 1.39.0 checkout)}"
: "${ONNX_PROTO:?path to onnx/onnx.proto from the onnx wheel (pip download onnx==1.23.2 --no-deps; unzip)}"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
cp "$ONNX_PROTO" "$OUT/onnx.proto"
protoc --plugin=protoc-gen-swift="$PROTOC_GEN_SWIFT" --proto_path="$OUT" \
  --swift_out="$OUT" --swift_opt=Visibility=Public "$OUT/onnx.proto"
# The generated file starts with `// swift-format-ignore-file`: make lint leaves it alone.
cp "$OUT/onnx.pb.swift" Sources/ONNXProto/onnx.pb.swift
echo "gen-onnx-proto: wrote Sources/ONNXProto/onnx.pb.swift ($(wc -l <Sources/ONNXProto/onnx.pb.swift) lines)"
