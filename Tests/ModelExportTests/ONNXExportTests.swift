import Classifier
import Foundation
import HeroCore
import Inception
import InceptionKernels
import ModelExport
import ONNXProto
import Testing

enum ExportFixtures {
  static let inceptionPath = HeroIDHome.inceptionPath()
  static let hasInception = FileManager.default.fileExists(atPath: inceptionPath)
  static let weights: InceptionWeights? = try? InceptionWeights.load(path: inceptionPath)

  /// A final layer for 3 labels with deterministic, non-trivial numbers.
  static func layer() -> FinalLayer {
    let n = InceptionConstants.bottleneckSize
    var g = SplitMix64(seed: 5)
    func r() -> Float { Float(Double(g.next() % 2_000_001) / 1_000_000 - 1) }
    return FinalLayer(
      inputSize: n, classCount: 3, mean: (0..<n).map { _ in r() * 0.3 },
      scale: (0..<n).map { _ in 1 + r() * 0.5 }, weights: (0..<(n * 3)).map { _ in r() * 0.05 },
      bias: [0.1, -0.2, 0.05])
  }

  static func export(_ options: ONNXExportOptions) throws -> (Data, Onnx_ModelProto) {
    guard let weights else { throw InceptionError.missingParameter(path: inceptionPath, key: "") }
    let model = try ONNXExport.model(
      labels: ["李白", "貂蝉", "Hou Yi"], layer: layer(),
      metadata: [("labels", "[\"李白\",\"貂蝉\",\"Hou Yi\"]")], weights: weights,
      weightsPath: inceptionPath, options: options)
    let data = try model.serializedData()
    return (data, try Onnx_ModelProto(serializedBytes: data))
  }
}

@Suite("ONNX export")
struct ONNXExportTests {
  @Test("float16 rounding equals Swift's Float16 conversion")
  func halfFloat() {
    #if !(os(macOS) && arch(x86_64))
      var g = SplitMix64(seed: 9)
      var values: [Float] = [
        0, -0, 1, -1, 65504, 65520, 65519.99, 1e-8, 5.96e-8, 2.98e-8, 2.9802322e-8, 6.1e-5,
        6.097e-5, 0.1, 1 / 3, .infinity, -.infinity, 1e10, -3.14159,
      ]
      for _ in 0..<20000 {
        values.append(Float(bitPattern: UInt32(truncatingIfNeeded: g.next())))
      }
      var mismatches = 0
      for v in values where !v.isNaN {
        if HalfFloat.bits(v) != Float16(v).bitPattern { mismatches += 1 }
      }
      #expect(mismatches == 0)
      #expect(HalfFloat.bits(.nan) & 0x7c00 == 0x7c00 && HalfFloat.bits(.nan) & 0x3ff != 0)
    #endif
  }

  @Test(
    "the graph: defined inputs, 94 folded Conv + Relu, dynamic batch, outputs, metadata",
    .enabled(if: ExportFixtures.hasInception, "needs the Inception weights (make setup)"))
  func graphStructure() throws {
    let (data, model) = try ExportFixtures.export(ONNXExportOptions())
    #expect(model.irVersion == ONNXExport.irVersion)
    #expect(model.opsetImport.first?.version == ONNXExport.opsetVersion)
    let graph = model.graph
    // Every node reads only graph inputs, initializers or outputs of earlier nodes.
    var defined = Set(graph.input.map(\.name) + graph.initializer.map(\.name))
    var undefined: [String] = []
    for node in graph.node {
      for input in node.input where !defined.contains(input) { undefined.append(input) }
      for output in node.output {
        #expect(!defined.contains(output), "value \(output) defined twice")
        defined.insert(output)
      }
    }
    #expect(undefined.isEmpty, "used before defined: \(undefined.prefix(5))")
    #expect(graph.output.map(\.name) == ["probabilities", "bottleneck"])
    #expect(graph.output.allSatisfy { defined.contains($0.name) })

    // 94 convolutions, each followed by its Relu, with the folded weights bit for bit.
    let convs = graph.node.enumerated().filter { $0.element.opType == "Conv" }
    #expect(convs.count == InceptionLayers.table.count)
    let initializers = Dictionary(
      graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    let consumers = Dictionary(grouping: graph.node) { $0.input.first ?? "" }
    for (_, conv) in convs {
      let relu = consumers[conv.output[0]] ?? []
      #expect(relu.count == 1 && relu.first?.opType == "Relu", "\(conv.name) not followed by Relu")
    }
    guard let weights = ExportFixtures.weights else { return }
    for key in ["conv", "mixed_4.tower_1.conv_3", "mixed_10.tower_2_conv"] {
      let expected = try #require(weights.foldedConv(key))
      let w = try #require(initializers[key + ".weight"])
      let b = try #require(initializers[key + ".bias"])
      #expect(
        w.dims
          == [
            expected.shape.outChannels, expected.shape.inChannels, expected.shape.kernelH,
            expected.shape.kernelW,
          ].map(Int64.init))
      #expect(floats(w.rawData) == expected.weights)
      #expect(floats(b.rawData) == expected.bias)
    }
    // The input: [N, 299, 299, 3] uint8 with N dynamic.
    let input = try #require(graph.input.first)
    #expect(input.name == "image")
    #expect(input.type.tensorType.elemType == Int32(Onnx_TensorProto.DataType.uint8.rawValue))
    let dims = input.type.tensorType.shape.dim
    #expect(dims.count == 4 && dims[0].dimParam == "N")
    #expect(dims.dropFirst().map(\.dimValue) == [299, 299, 3])
    #expect(model.metadataProps.contains { $0.key == "labels" && $0.value.contains("貂蝉") })
    // About 87 MB of float32 weights (21.8 M parameters).
    #expect(data.count > 80_000_000 && data.count < 95_000_000)
  }

  @Test(
    "icon classes: the softmax over (hero, icon) outputs is summed per hero by a 0/1 MatMul",
    .enabled(if: ExportFixtures.hasInception, "needs the Inception weights (make setup)"))
  func iconClasses() throws {
    guard let weights = ExportFixtures.weights else { return }
    let n = InceptionConstants.bottleneckSize
    let three = ExportFixtures.layer()
    // 3 heroes x 3 icons: each hero's columns repeated (any numbers would do).
    var w = [Float](repeating: 0, count: n * 9)
    for i in 0..<n { for j in 0..<9 { w[i * 9 + j] = three.weights[i * 3 + j / 3] } }
    let layer = FinalLayer(
      inputSize: n, classCount: 9, mean: three.mean, scale: three.scale, weights: w,
      bias: (0..<9).map { Float($0) * 0.01 })
    let model = try ONNXExport.model(
      labels: ["李白", "貂蝉", "Hou Yi"], layer: layer, metadata: [], weights: weights,
      weightsPath: ExportFixtures.inceptionPath, iconsPerClass: 3)
    let graph = model.graph
    let out = try #require(graph.output.first { $0.name == "probabilities" })
    #expect(out.type.tensorType.shape.dim.map(\.dimValue) == [0, 3])
    let last = try #require(graph.node.last { $0.output.contains("probabilities") })
    #expect(last.opType == "MatMul")
    let icons = try #require(graph.initializer.first { $0.name == "final.icons" })
    #expect(icons.dims == [9, 3])
    let sum = floats(icons.rawData)
    for j in 0..<9 {
      #expect((0..<3).map { sum[j * 3 + $0] } == (0..<3).map { $0 == j / 3 ? 1 : 0 })
    }
    let softmax = try #require(graph.node.first { $0.opType == "Softmax" })
    #expect(last.input.first == softmax.output.first)
  }

  @Test(
    "--fp16: float16 weight matrices with casts, half the file; float input has no Cast",
    .enabled(if: ExportFixtures.hasInception, "needs the Inception weights (make setup)"))
  func float16() throws {
    let (full, _) = try ExportFixtures.export(ONNXExportOptions(input: .float32))
    let (half, model) = try ExportFixtures.export(
      ONNXExportOptions(precision: .float16, input: .float32))
    let graph = model.graph
    let f16 = Int32(Onnx_TensorProto.DataType.float16.rawValue)
    let halfNames = Set(graph.initializer.filter { $0.dataType == f16 }.map(\.name))
    #expect(halfNames.count == InceptionLayers.table.count + 1)  // conv weights + final weights
    #expect(halfNames.contains("final.weights") && !halfNames.contains("final.bias"))
    // Each float16 initializer is read only by a Cast to float32.
    for node in graph.node where node.input.contains(where: halfNames.contains) {
      #expect(node.opType == "Cast")
      #expect(node.attribute.first?.i == Int64(Onnx_TensorProto.DataType.float.rawValue))
    }
    #expect(
      graph.input.first?.type.tensorType.elemType
        == Int32(Onnx_TensorProto.DataType.float.rawValue))
    #expect(!graph.node.contains { $0.opType == "Cast" && $0.input == ["image"] })
    let ratio = Double(half.count) / Double(full.count)
    #expect(ratio > 0.49 && ratio < 0.52, "fp16/fp32 size ratio \(ratio)")
    let w = try #require(graph.initializer.first { $0.name == "conv.weight" })
    let expected = try #require(ExportFixtures.weights?.foldedConv("conv")).weights
    #expect(w.rawData.count == expected.count * 2)
    let first = UInt16(w.rawData[0]) | UInt16(w.rawData[1]) << 8
    #expect(first == HalfFloat.bits(expected[0]))
  }

  @Test(
    "--int8: QDQ pairs with the calibration's scales, int8 weights within half a step, first conv by 1/128, zero 128",
    .enabled(if: ExportFixtures.hasInception, "needs the Inception weights (make setup)"))
  func int8() throws {
    guard let weights = ExportFixtures.weights else { return }
    let calibration = Int8Calibration.bundled
    let (data, model) = try ExportFixtures.export(ONNXExportOptions(precision: .int8))
    let graph = model.graph
    let initializers = Dictionary(
      graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    var producer: [String: Onnx_NodeProto] = [:]
    var defined = Set(graph.input.map(\.name) + graph.initializer.map(\.name))
    for node in graph.node {
      #expect(node.input.allSatisfy { $0.isEmpty || defined.contains($0) }, "\(node.name)")
      for output in node.output {
        producer[output] = node
        defined.insert(output)
      }
    }
    let f32 = Int32(Onnx_TensorProto.DataType.float.rawValue)
    let u8 = Int32(Onnx_TensorProto.DataType.uint8.rawValue)
    let i8 = Int32(Onnx_TensorProto.DataType.int8.rawValue)
    func scalar(_ name: String) -> Float? {
      guard let t = initializers[name], t.dims.isEmpty, t.rawData.count == 4 else { return nil }
      return floats(t.rawData).first
    }
    let convs = graph.node.filter { $0.opType == "Conv" }
    #expect(convs.count == InceptionLayers.table.count)
    var checked = 0
    for conv in convs {
      let key = String(conv.name.prefix { $0 != "/" })
      let folded = try #require(weights.foldedConv(key), "\(key)")
      let b = try #require(initializers[conv.input[2]])
      #expect(b.dataType == f32 && floats(b.rawData) == folded.bias)
      // Input: DequantizeLinear(QuantizeLinear(x)) with the calibration's scale, uint8 zero 0;
      // the first convolution's signed input ((x - 128) / 128, from the Div) by 1/128, zero 128.
      let first = Int8Calibration.firstLayerInput
      let expected =
        key == "conv" ? first.scale : try #require(calibration.inputScale(forLayer: key))
      let zeroPoint = UInt8(key == "conv" ? first.zeroPoint : 0)
      let dq = try #require(producer[conv.input[0]])
      #expect(dq.opType == "DequantizeLinear", "\(key): input from \(dq.opType)")
      let q = try #require(producer[dq.input[0]])
      #expect(q.opType == "QuantizeLinear", "\(key): dequantizes \(q.opType)")
      if key == "conv" { #expect(producer[q.input[0]]?.opType == "Div") }
      for node in [q, dq] {
        #expect(scalar(node.input[1])?.bitPattern == expected.bitPattern, "\(key): scale")
        let zero = try #require(initializers[node.input[2]])
        #expect(zero.dataType == u8 && zero.dims.isEmpty && zero.rawData == Data([zeroPoint]))
      }
      // Weights: int8 [O, I, kh, kw] behind a per-channel DequantizeLinear (axis 0, zeros 0).
      let wdq = try #require(producer[conv.input[1]])
      #expect(wdq.opType == "DequantizeLinear" && wdq.attribute.first?.i == 0)
      let w = try #require(initializers[wdq.input[0]])
      let scales = try #require(initializers[wdq.input[1]])
      let zeros = try #require(initializers[wdq.input[2]])
      let shape = folded.shape
      let o = shape.outChannels
      #expect(
        w.dataType == i8
          && w.dims == [o, shape.inChannels, shape.kernelH, shape.kernelW].map(Int64.init))
      #expect(scales.dims == [Int64(o)] && zeros.dims == [Int64(o)] && zeros.dataType == i8)
      #expect(zeros.rawData.allSatisfy { $0 == 0 })
      let qw = w.rawData.map { Int8(bitPattern: $0) }
      let s = floats(scales.rawData)
      #expect(qw.count == folded.weights.count && s.count == o)
      guard qw.count == folded.weights.count, s.count == o else { continue }
      #expect(!qw.contains(-128))
      // |w - q s| <= s / 2 from rounding to the nearest step; the float32 quotient w / s and
      // the float32 scale max|w| / 127 add at most 127 s 2^-24 each (|w / s| <= 127), and the
      // product q s below is rounded once more (|q s| <= 127 s, another 127 s 2^-24); the
      // difference is exact in Double. So |w - fl(q s)| <= s (1/2 + 3 * 127 * 2^-24).
      let row = qw.count / o
      var worst = 0.0
      for i in 0..<qw.count {
        let step = Double(s[i / row])
        let back = Double(Float(qw[i]) * s[i / row])
        worst = max(worst, abs(Double(folded.weights[i]) - back) / step)
      }
      #expect(worst <= 0.5 + 3 * 127 * 0x1p-24, "\(key): |w - q s| / s = \(worst)")
      // And exactly the numbers of hero-id's own int8 pass (the shared scheme's arithmetic).
      let own = Int8Quantization.quantizeWeights(folded.weights, rows: o, columns: row)
      #expect(own.weights == qw && own.scales.map(\.bitPattern) == s.map(\.bitPattern), "\(key)")
      checked += 1
    }
    #expect(checked == InceptionLayers.table.count)
    // Every QuantizeLinear is read only by DequantizeLinear nodes of the same scale.
    for q in graph.node where q.opType == "QuantizeLinear" {
      for node in graph.node where node.input.contains(q.output[0]) {
        #expect(node.opType == "DequantizeLinear" && node.input[1] == q.input[1])
      }
    }
    // The final layer stays float32; the outputs are float32 as ever.
    #expect(initializers["final.weights"]?.dataType == f32)
    #expect(graph.output.map(\.name) == ["probabilities", "bottleneck"])
    // 21.8 M weights as bytes: about a quarter of the float32 file, within 25 MB.
    #expect(data.count > 20_000_000 && data.count <= 25_000_000, "\(data.count) bytes")
  }

  @Test(
    "--int8: a calibration without a layer is an error naming it",
    .enabled(if: ExportFixtures.hasInception, "needs the Inception weights (make setup)"))
  func int8MissingRange() throws {
    var calibration = Int8Calibration.bundled
    calibration.inputRanges["mixed_4.tower_1.conv_3"] = nil
    #expect {
      _ = try ExportFixtures.export(ONNXExportOptions(precision: .int8, calibration: calibration))
    } throws: { error in
      "\(error)".contains("mixed_4.tower_1.conv_3")
    }
  }

  private func floats(_ data: Data) -> [Float] {
    stride(from: 0, to: data.count, by: 4).map { i in
      let b = data.startIndex + i
      let bits =
        UInt32(data[b]) | UInt32(data[b + 1]) << 8 | UInt32(data[b + 2]) << 16
        | UInt32(data[b + 3]) << 24
      return Float(bitPattern: bits)
    }
  }
}
