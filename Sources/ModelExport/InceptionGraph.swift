import InceptionKernels

/// Inception v3 (2015-12-05) to `pool_3` as ONNX nodes, block for block as
/// `out_jit_module/code/__torch__/inceptionv3.py` (and ``InceptionV3``) runs it. Layer keys are
/// those of ``InceptionLayers/table``; every convolution's geometry comes from that table and
/// its numbers from ``InceptionWeights`` (batch norm folded at load).
///
/// With a calibration (the int8 export) every convolution reads a
/// `QuantizeLinear`/`DequantizeLinear` pair with its input's scale and int8 weights (the first
/// by 1/128 with zero point 128, its input being signed). The pair is
/// placed where ONNX Runtime's QDQ fusion needs it: right after the `Relu` of each layer that
/// produces the tensor (with the scale of the layer that reads it; for a block's outputs the
/// next block's input scale, so the parts of its `Concat` share one scale), again after a
/// `Concat` or a pool, and shared by the layers that read one tensor with one scale.
struct InceptionGraph {
  let weights: InceptionWeights
  /// The weights file, for error messages.
  let path: String
  /// The activation ranges of an int8 export; nil for a float graph.
  let calibration: Int8Calibration?
  private let shapes: [String: ConvShape]
  /// The dequantized value of (value name, scale bits) already in the graph.
  private var quantized: [String: String] = [:]

  /// A value of the graph: `scale` is set when it is the output of a `DequantizeLinear` of
  /// that scale (a uint8 tensor in ONNX Runtime's fused graph).
  struct Value {
    var name: String
    var scale: Float?
  }

  init(weights: InceptionWeights, path: String, calibration: Int8Calibration? = nil) {
    self.weights = weights
    self.path = path
    self.calibration = calibration
    var s: [String: ConvShape] = [:]
    for shape in InceptionLayers.table { s[shape.key] = shape }
    shapes = s
  }

  /// Adds the network on `input` (float32 NCHW, normalised) and returns the `[N, 2048, 1, 1]`
  /// output of the final 8x8 average pool.
  mutating func build(_ g: inout ONNXGraphBuilder, input: String) throws -> String {
    // Stem: 299 -> 149 -> 147 -> 147 -> 73 -> 73 -> 71 -> 35.
    var x = Value(name: input)
    x = try chain(&g, ["conv", "conv_1", "conv_2"], x, out: try scale("conv_3"))
    x = Value(name: g.maxPool3x3(x.name, stride: 2, pad: 0, name: "pool"))
    x = try chain(&g, ["conv_3", "conv_4"], x, out: try scale("mixed.conv"))
    x = Value(name: g.maxPool3x3(x.name, stride: 2, pad: 0, name: "pool_1"))
    x = try blockA(&g, "mixed", x, out: try scale("mixed_1.conv"))
    x = try blockA(&g, "mixed_1", x, out: try scale("mixed_2.conv"))
    x = try blockA(&g, "mixed_2", x, out: try scale("mixed_3.conv"))
    x = try blockB(&g, x, out: try scale("mixed_4.conv"))
    x = try blockC(&g, "mixed_4", x, out: try scale("mixed_5.conv"))
    x = try blockC(&g, "mixed_5", x, out: try scale("mixed_6.conv"))
    x = try blockC(&g, "mixed_6", x, out: try scale("mixed_7.conv"))
    x = try blockC(&g, "mixed_7", x, out: try scale("mixed_8.tower.conv"))
    x = try blockD(&g, x, out: try scale("mixed_9.conv"))
    x = try blockE(&g, "mixed_9", x, lastPoolIsMax: false, out: try scale("mixed_10.conv"))
    // mixed_10's outputs stay float: no convolution reads them, only the final average pool.
    x = try blockE(&g, "mixed_10", x, lastPoolIsMax: true, out: nil)
    // pool2: 8x8 average pool (stride 8, no padding) -> [N, 2048, 1, 1].
    return g.node(
      "AveragePool", [x.name], name: "pool_3",
      attributes: [.ints("kernel_shape", [8, 8]), .ints("strides", [8, 8])])
  }

  /// The uint8 scale of layer `key`'s input in an int8 graph from the calibration; nil in a
  /// float graph and for the first convolution (its signed input has a fixed scale and zero
  /// point, `Int8Calibration.firstLayerInput`).
  func scale(_ key: String) throws -> Float? {
    guard let calibration, key != "conv" else { return nil }
    guard let s = calibration.inputScale(forLayer: key), s.isFinite, s > 0 else {
      throw ExportError.missingCalibration(source: calibration.source, key: key)
    }
    return s
  }

  /// `x` as the output of a quantize/dequantize pair of `scale` (nil: `x` as it is); one pair
  /// per value and scale.
  private mutating func quantize(
    _ g: inout ONNXGraphBuilder, _ x: Value, _ scale: Float?, name: String
  ) -> Value {
    guard let scale, x.scale != scale else { return x }
    let key = "\(x.name)|\(scale.bitPattern)"
    if let q = quantized[key] { return Value(name: q, scale: scale) }
    let q = g.quantize(x.name, scale: scale, name: name)
    quantized[key] = q
    return Value(name: q, scale: scale)
  }

  /// One `Conv2dLayer`: convolution with the folded weights and bias, then ReLU (int8: on the
  /// quantized input, with int8 weights); the output quantized with `out` when set.
  private mutating func conv(
    _ g: inout ONNXGraphBuilder, _ key: String, _ x: Value, out: Float?
  ) throws -> Value {
    guard let shape = shapes[key], let c = weights.foldedConv(key) else {
      throw ExportError.missingLayer(path: path, key: key)
    }
    let y: String
    if calibration != nil, key == "conv" {
      // The first layer's signed input, by 1/128 with zero point 128 (hero-id's int8 pass
      // quantizes it the same way: `Int8Calibration.firstLayerInput`).
      let first = Int8Calibration.firstLayerInput
      let input = g.quantize(
        x.name, scale: first.scale, zeroPoint: UInt8(first.zeroPoint), name: key + ".input")
      y = g.int8ConvRelu(
        input, key: key, weights: c.weights, bias: c.bias, outChannels: shape.outChannels,
        inChannels: shape.inChannels, kernel: (shape.kernelH, shape.kernelW),
        stride: shape.stride, pad: (shape.padH, shape.padW))
    } else if let s = try scale(key) {
      let input = quantize(&g, x, s, name: key + ".input")
      y = g.int8ConvRelu(
        input.name, key: key, weights: c.weights, bias: c.bias, outChannels: shape.outChannels,
        inChannels: shape.inChannels, kernel: (shape.kernelH, shape.kernelW),
        stride: shape.stride, pad: (shape.padH, shape.padW))
    } else {
      y = g.convRelu(
        x.name, key: key, weights: c.weights, bias: c.bias, outChannels: shape.outChannels,
        inChannels: shape.inChannels, kernel: (shape.kernelH, shape.kernelW),
        stride: shape.stride, pad: (shape.padH, shape.padW))
    }
    return quantize(&g, Value(name: y), out, name: key + ".output")
  }

  /// A sequence of layers (a tower); each output quantized for the next layer, the last one's
  /// with `out`.
  private mutating func chain(
    _ g: inout ONNXGraphBuilder, _ keys: [String], _ x: Value, out: Float?
  ) throws -> Value {
    var y = x
    for (i, key) in keys.enumerated() {
      y = try conv(&g, key, y, out: i + 1 < keys.count ? try scale(keys[i + 1]) : out)
    }
    return y
  }

  /// A block's concatenation, quantized again with `out` (its parts already are: the pair after
  /// the `Concat` is what the next block's layers read).
  private mutating func concat(
    _ g: inout ONNXGraphBuilder, _ parts: [Value], name: String, out: Float?
  ) -> Value {
    quantize(&g, Value(name: g.concat(parts.map(\.name), name: name)), out, name: name + ".output")
  }

  /// InceptionA: cat[conv, tower (1x1, 5x5), tower_1 (1x1, 3x3, 3x3), tower_2 (avg pool, 1x1)].
  private mutating func blockA(
    _ g: inout ONNXGraphBuilder, _ name: String, _ x: Value, out: Float?
  ) throws -> Value {
    let a = try conv(&g, "\(name).conv", x, out: out)
    let b = try chain(&g, ["\(name).tower.conv", "\(name).tower.conv_1"], x, out: out)
    let c = try chain(
      &g, ["\(name).tower_1.conv", "\(name).tower_1.conv_1", "\(name).tower_1.conv_2"], x,
      out: out)
    let pool = Value(name: g.averagePool3x3(x.name, name: "\(name).tower_2"))
    let d = try conv(&g, "\(name).tower_2.conv", pool, out: out)
    return concat(&g, [a, b, c, d], name: name, out: out)
  }

  /// InceptionB (mixed_3): cat[conv 3x3/2, tower (1x1, 3x3, 3x3/2), max pool 3x3/2].
  private mutating func blockB(_ g: inout ONNXGraphBuilder, _ x: Value, out: Float?) throws
    -> Value
  {
    let a = try conv(&g, "mixed_3.conv", x, out: out)
    let b = try chain(
      &g, ["mixed_3.tower.conv", "mixed_3.tower.conv_1", "mixed_3.tower.conv_2"], x, out: out)
    let pool = Value(name: g.maxPool3x3(x.name, stride: 2, pad: 0, name: "mixed_3.pool"))
    let c = quantize(&g, pool, out, name: "mixed_3.pool.output")
    return concat(&g, [a, b, c], name: "mixed_3", out: out)
  }

  /// InceptionC: cat[conv, tower (1x1, 1x7, 7x1), tower_1 (1x1, 7x1, 1x7, 7x1, 1x7),
  /// tower_2 (avg pool, 1x1)].
  private mutating func blockC(
    _ g: inout ONNXGraphBuilder, _ name: String, _ x: Value, out: Float?
  ) throws -> Value {
    let a = try conv(&g, "\(name).conv", x, out: out)
    let b = try chain(
      &g, ["\(name).tower.conv", "\(name).tower.conv_1", "\(name).tower.conv_2"], x, out: out)
    let tower1 = ["conv", "conv_1", "conv_2", "conv_3", "conv_4"].map { "\(name).tower_1.\($0)" }
    let c = try chain(&g, tower1, x, out: out)
    let pool = Value(name: g.averagePool3x3(x.name, name: "\(name).tower_2"))
    let d = try conv(&g, "\(name).tower_2.conv", pool, out: out)
    return concat(&g, [a, b, c, d], name: name, out: out)
  }

  /// InceptionD (mixed_8): cat[tower (1x1, 3x3/2), tower_1 (1x1, 1x7, 7x1, 3x3/2),
  /// max pool 3x3/2].
  private mutating func blockD(_ g: inout ONNXGraphBuilder, _ x: Value, out: Float?) throws
    -> Value
  {
    let a = try chain(&g, ["mixed_8.tower.conv", "mixed_8.tower.conv_1"], x, out: out)
    let b = try chain(
      &g,
      [
        "mixed_8.tower_1.conv", "mixed_8.tower_1.conv_1", "mixed_8.tower_1.conv_2",
        "mixed_8.tower_1.conv_3",
      ], x, out: out)
    let pool = Value(name: g.maxPool3x3(x.name, stride: 2, pad: 0, name: "mixed_8.pool"))
    let c = quantize(&g, pool, out, name: "mixed_8.pool.output")
    return concat(&g, [a, b, c], name: "mixed_8", out: out)
  }

  /// InceptionE: with a = tower_conv(x), b = tower_1_conv_1(tower_1_conv(x)):
  /// cat[conv(x), tower_mixed_conv(a) 1x3, tower_mixed_conv_1(a) 3x1, tower_1_mixed_conv(b) 1x3,
  /// tower_1_mixed_conv_1(b) 3x1, tower_2_conv(pool(x))]; the pool is a 3x3/1 average pool in
  /// mixed_9 and a 3x3/1 pad-1 max pool in mixed_10.
  private mutating func blockE(
    _ g: inout ONNXGraphBuilder, _ name: String, _ x: Value, lastPoolIsMax: Bool, out: Float?
  ) throws -> Value {
    let a = try conv(&g, "\(name).tower_conv", x, out: try scale("\(name).tower_mixed_conv"))
    let b = try chain(
      &g, ["\(name).tower_1_conv", "\(name).tower_1_conv_1"], x,
      out: try scale("\(name).tower_1_mixed_conv"))
    let c0 = try conv(&g, "\(name).conv", x, out: out)
    let c1 = try conv(&g, "\(name).tower_mixed_conv", a, out: out)
    let c2 = try conv(&g, "\(name).tower_mixed_conv_1", a, out: out)
    let c3 = try conv(&g, "\(name).tower_1_mixed_conv", b, out: out)
    let c4 = try conv(&g, "\(name).tower_1_mixed_conv_1", b, out: out)
    let pool = Value(
      name: lastPoolIsMax
        ? g.maxPool3x3(x.name, stride: 1, pad: 1, name: "\(name).tower_2_pool")
        : g.averagePool3x3(x.name, name: "\(name).tower_2_pool"))
    let c5 = try conv(&g, "\(name).tower_2_conv", pool, out: out)
    return concat(&g, [c0, c1, c2, c3, c4, c5], name: name, out: out)
  }
}
