import Classifier
import Foundation
import HeroCore
import InceptionKernels
import ONNXProto
import SwiftProtobuf

/// How ``ONNXExport`` writes the graph.
public struct ONNXExportOptions: Sendable, Equatable {
  /// How the weights are stored.
  public enum Precision: String, Sendable, Equatable, CaseIterable {
    /// Every tensor float32.
    case float32
    /// The convolution and final-layer weight matrices float16, each followed by a `Cast` to
    /// float32 (biases, mean and scale stay float32): half the file, the same float32 maths.
    case float16
    /// Every convolution int8 in the QDQ format: int8 weights per output channel behind a
    /// `DequantizeLinear`, each convolution's input a `QuantizeLinear` (uint8, the scale of
    /// ``ONNXExportOptions/calibration``; the first by 1/128, zero point 128) and
    /// `DequantizeLinear` pair; biases and the final layer float32 (docs/export.md, "--int8").
    case int8
  }

  /// The element type of the `image` input.
  public enum InputType: String, Sendable, Equatable, CaseIterable {
    /// `uint8` pixels 0...255, as an image decoder gives them.
    case uint8
    /// `float32` pixel values 0...255 (for a caller that resizes in floating point).
    case float32
  }

  public var precision: Precision
  public var input: InputType
  /// The activation ranges of an ``Precision/int8`` export (unused otherwise).
  public var calibration: Int8Calibration

  public init(
    precision: Precision = .float32, input: InputType = .uint8,
    calibration: Int8Calibration = .bundled
  ) {
    self.precision = precision
    self.input = input
    self.calibration = calibration
  }
}

/// Errors of the export; each names the file.
public enum ExportError: Error, CustomStringConvertible, Equatable {
  case missingLayer(path: String, key: String)
  case missingCalibration(source: String, key: String)
  case cannotWrite(path: String, reason: String)

  public var description: String {
    switch self {
    case .missingLayer(let path, let key):
      "\(MessageText.escaped(path)): no layer \(key) in the weights"
    case .missingCalibration(let source, let key):
      "int8 calibration (\(source)): no usable range for layer \(key)"
    case .cannotWrite(let path, let reason):
      "\(MessageText.escaped(path)): cannot write the ONNX file (\(reason))"
    }
  }
}

/// Writes a trained model and the Inception v3 weights it was trained on as one ONNX graph:
/// a 299x299 RGB crop in, the hero probabilities out (format: docs/export.md).
///
/// The graph is the chain `identify` runs on a crop after resizing it: `(x - 128) / 128`,
/// Inception v3 to `pool_3` layer for layer as `out_jit_module/code/__torch__/inceptionv3.py`
/// (each `Conv2dLayer` a `Conv` with batch norm folded into its weights and bias, then `Relu`;
/// the same folded numbers ``InceptionV3`` computes with), the model's standardisation
/// `(x - mean) * scale`, the final layer and `Softmax`. Inputs and outputs:
///
/// - `image`: `[N, 299, 299, 3]` RGB, NHWC, uint8 or float32 0...255 (``ONNXExportOptions``);
/// - `probabilities`: `[N, C]` float32, one column per label;
/// - `bottleneck`: `[N, 2048]` float32, the `pool_3` vector (for prototypes or checks).
///
/// `N` is dynamic. Labels, layout and preprocessing go in `metadata_props`.
public enum ONNXExport {
  /// The ONNX operator set the graph uses (every op used exists unchanged since 13).
  public static let opsetVersion: Int64 = 13
  /// The IR version matching opset 13.
  public static let irVersion: Int64 = 7
  /// Value of the `hero_id.format` metadata key.
  public static let formatName = "hero-id-onnx"
  /// Value of the `hero_id.format_version` metadata key.
  public static let formatVersion = 1

  /// The ONNX model for `model` on `weights` (the Inception weights file at `weightsPath`,
  /// named in errors), with ``metadata(model:options:)``.
  public static func model(
    model: HeroModel, weights: InceptionWeights, weightsPath: String,
    options: ONNXExportOptions = ONNXExportOptions()
  ) throws -> Onnx_ModelProto {
    try Self.model(
      labels: model.labels, layer: model.layer,
      metadata: try metadata(model: model, options: options), weights: weights,
      weightsPath: weightsPath, options: options, iconsPerClass: model.iconsPerClass)
  }

  /// The ONNX model for a final layer with `labels` on `weights`, with the given
  /// `metadata_props` entries.
  public static func model(
    labels: [String], layer: FinalLayer, metadata: [(String, String)],
    weights: InceptionWeights, weightsPath: String,
    options: ONNXExportOptions = ONNXExportOptions(), iconsPerClass icons: Int = 1
  ) throws -> Onnx_ModelProto {
    precondition(icons >= 1 && labels.count * icons == layer.classCount)
    precondition(layer.inputSize == InceptionConstants.bottleneckSize)
    var g = ONNXGraphBuilder(precision: options.precision)
    let side = InceptionConstants.inputSide

    // Input: NHWC pixels -> float32 NCHW -> (x - 128) / 128.
    var x = "image"
    if options.input == .uint8 {
      x = g.node("Cast", [x], name: "input", attributes: [.int("to", ONNXGraphBuilder.float32Type)])
    }
    x = g.node("Transpose", [x], name: "input", attributes: [.ints("perm", [0, 3, 1, 2])])
    x = g.node("Sub", [x, g.scalar("input.offset", 128)], name: "input")
    x = g.node("Div", [x, g.scalar("input.divisor", 128)], name: "input")

    var net = InceptionGraph(
      weights: weights, path: weightsPath,
      calibration: options.precision == .int8 ? options.calibration : nil)
    let pooled = try net.build(&g, input: x)
    let bottleneck = g.node(
      "Flatten", [pooled], name: "pool_3", output: "bottleneck", attributes: [.int("axis", 1)])

    // The final layer: standardise, dense, softmax.
    let c = layer.classCount
    var z = g.node(
      "Sub",
      [bottleneck, g.weight("final.mean", layer.mean, dims: [layer.inputSize], reducible: false)],
      name: "final.standardise")
    z = g.node(
      "Mul", [z, g.weight("final.scale", layer.scale, dims: [layer.inputSize], reducible: false)],
      name: "final.standardise")
    z = g.node(
      "MatMul", [z, g.weight("final.weights", layer.weights, dims: [layer.inputSize, c])],
      name: "final")
    z = g.node(
      "Add", [z, g.weight("final.bias", layer.bias, dims: [c], reducible: false)], name: "final",
      output: "logits")
    if icons == 1 {
      g.node(
        "Softmax", [z], name: "final", output: "probabilities", attributes: [.int("axis", 1)])
    } else {
      // One class per (hero, icon): the icons' probabilities summed per hero, by a 0/1 matrix.
      z = g.node("Softmax", [z], name: "final", attributes: [.int("axis", 1)])
      var sum = [Float](repeating: 0, count: c * labels.count)
      for j in 0..<c { sum[j * labels.count + j / icons] = 1 }
      g.node(
        "MatMul", [z, g.weight("final.icons", sum, dims: [c, labels.count], reducible: false)],
        name: "final",
        output: "probabilities")
    }

    var graph = Onnx_GraphProto()
    graph.name = "hero_id"
    graph.node = g.nodes
    graph.initializer = g.initializers
    let inputType: Onnx_TensorProto.DataType = options.input == .uint8 ? .uint8 : .float
    graph.input = [tensorInfo("image", inputType, [nil, side, side, 3])]
    graph.output = [
      tensorInfo("probabilities", .float, [nil, labels.count]),
      tensorInfo("bottleneck", .float, [nil, InceptionConstants.bottleneckSize]),
    ]
    graph.docString =
      "hero-id: 299x299 RGB crop of the skill-2 button -> Inception v3 pool_3 -> "
      + "standardisation -> final layer -> softmax over the labels"

    var m = Onnx_ModelProto()
    m.irVersion = irVersion
    var opset = Onnx_OperatorSetIdProto()
    opset.domain = ""
    opset.version = opsetVersion
    m.opsetImport = [opset]
    m.producerName = "hero-id"
    m.producerVersion = "export \(formatVersion)"
    m.domain = "hero-id"
    m.modelVersion = 1
    m.docString = graph.docString
    m.graph = graph
    m.metadataProps = metadata.map { key, value in
      var e = Onnx_StringStringEntryProto()
      e.key = key
      e.value = value
      return e
    }
    return m
  }

  /// Serialises the model for `model` and `weights` and writes it to `path` atomically.
  /// Returns the number of bytes written.
  @discardableResult
  public static func write(
    model: HeroModel, weights: InceptionWeights, weightsPath: String, to path: String,
    options: ONNXExportOptions = ONNXExportOptions()
  ) throws -> Int {
    let proto = try Self.model(
      model: model, weights: weights, weightsPath: weightsPath, options: options)
    let data: Data
    do {
      data = try proto.serializedData()
    } catch {
      throw ExportError.cannotWrite(path: path, reason: "\(error)")
    }
    do {
      try AtomicFile.write(data, to: URL(fileURLWithPath: path))
    } catch {
      throw ExportError.cannotWrite(path: path, reason: FileSystemError.cause(of: error))
    }
    return data.count
  }

  /// The `metadata_props` entries of a hero-id model, sorted by key: JSON values for the
  /// structured ones (`labels`, `layout`, `preprocessing`, `thresholds`).
  public static func metadata(model: HeroModel, options: ONNXExportOptions) throws
    -> [(String, String)]
  {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    func json<T: Encodable>(_ value: T) throws -> String {
      String(decoding: try encoder.encode(value), as: UTF8.self)
    }
    let side = InceptionConstants.inputSide
    let inputType = options.input == .uint8 ? "uint8" : "float32"
    var entries: [(String, String)] = [
      ("hero_id.format", formatName),
      ("hero_id.format_version", String(formatVersion)),
      ("labels", try json(model.labels)),
      ("layout", try json(model.info.layout)),
      ("slots", try json(model.info.cropSlots)),
      (
        "input",
        "image: \(inputType) [N, \(side), \(side), 3], RGB, NHWC, values 0..255: the crop "
          + "resized to \(side)x\(side) (bilinear, half-pixel centres, no antialiasing)"
      ),
      (
        "outputs",
        "probabilities: float32 [N, \(model.labels.count)], softmax over labels (same order); "
          + "bottleneck: float32 [N, \(InceptionConstants.bottleneckSize)], Inception v3 pool_3"
      ),
      ("preprocessing", try json(model.info.preprocessing)),
      ("base_network", model.info.baseNetwork),
      ("base_network_sha1", model.info.baseNetworkSHA1),
      ("weights_precision", options.precision.rawValue),
      ("thresholds", try json(model.thresholds)),
      (
        "unknown_hero",
        "not in the graph: hero-id's 'unknown' decision also uses the model's prototypes, colour "
          + "signatures and icon patterns (docs/model-format.md); the graph gives probabilities only"
      ),
      ("trained_at", model.info.training.trainedAt),
    ]
    if options.precision == .int8 {
      entries += try int8Metadata(options.calibration, json: json)
    }
    return entries.sorted { $0.0 < $1.0 }
  }

  /// The `quantization` (the scheme, JSON) and `calibration` (what the activation ranges were
  /// measured on, JSON) entries of an int8 export.
  static func int8Metadata(
    _ calibration: Int8Calibration, json: ([String: String]) throws -> String
  ) throws -> [(String, String)] {
    [
      (
        "quantization",
        try json([
          "format": "QDQ (QuantizeLinear/DequantizeLinear pairs, opset 13)",
          "weights":
            "int8 per output channel (axis 0), zero point 0, scale max|w|/127, round half to "
            + "even, the batch-norm-folded weights; every Conv",
          "activations":
            "uint8, zero point 0, scale range/255 (static, from the calibration), "
            + "each Conv's input but the first's: scale 1/128, zero point 128",
          "float32":
            "the first Conv (its input (x - 128) / 128 is signed), every bias, the "
            + "standardisation and the final layer",
        ])
      ),
      (
        "calibration",
        try json([
          "source": calibration.source, "images": String(calibration.images),
          "layers": String(calibration.inputRanges.count),
        ])
      ),
    ]
  }

  /// A tensor value description with `nil` for the dynamic batch dimension `N`.
  static func tensorInfo(_ name: String, _ type: Onnx_TensorProto.DataType, _ dims: [Int?])
    -> Onnx_ValueInfoProto
  {
    var shape = Onnx_TensorShapeProto()
    shape.dim = dims.map { d in
      var dim = Onnx_TensorShapeProto.Dimension()
      if let d { dim.dimValue = Int64(d) } else { dim.dimParam = "N" }
      return dim
    }
    var tensor = Onnx_TypeProto.Tensor()
    tensor.elemType = Int32(type.rawValue)
    tensor.shape = shape
    var t = Onnx_TypeProto()
    t.tensorType = tensor
    var v = Onnx_ValueInfoProto()
    v.name = name
    v.type = t
    return v
  }
}
