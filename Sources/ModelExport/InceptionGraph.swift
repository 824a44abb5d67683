import InceptionKernels

/// Inception v3 (2015-12-05) to `pool_3` as ONNX nodes, block for block as
/// `out_jit_module/code/__torch__/inceptionv3.py` (and ``InceptionV3``) runs it. Layer keys are
/// those of ``InceptionLayers/table``; every convolution's geometry comes from that table and
/// its numbers from ``InceptionWeights`` (batch norm folded at load).
struct InceptionGraph {
  let weights: InceptionWeights
  /// The weights file, for error messages.
  let path: String
  private let shapes: [String: ConvShape]

  init(weights: InceptionWeights, path: String) {
    self.weights = weights
    self.path = path
    var s: [String: ConvShape] = [:]
    for shape in InceptionLayers.table { s[shape.key] = shape }
    shapes = s
  }

  /// Adds the network on `input` (float32 NCHW, normalised) and returns the `[N, 2048, 1, 1]`
  /// output of the final 8x8 average pool.
  mutating func build(_ g: inout ONNXGraphBuilder, input: String) throws -> String {
    // Stem: 299 -> 149 -> 147 -> 147 -> 73 -> 73 -> 71 -> 35.
    var x = try conv(&g, "conv", input)
    x = try conv(&g, "conv_1", x)
    x = try conv(&g, "conv_2", x)
    x = g.maxPool3x3(x, stride: 2, pad: 0, name: "pool")
    x = try conv(&g, "conv_3", x)
    x = try conv(&g, "conv_4", x)
    x = g.maxPool3x3(x, stride: 2, pad: 0, name: "pool_1")
    for name in ["mixed", "mixed_1", "mixed_2"] { x = try blockA(&g, name, x) }
    x = try blockB(&g, x)
    for name in ["mixed_4", "mixed_5", "mixed_6", "mixed_7"] { x = try blockC(&g, name, x) }
    x = try blockD(&g, x)
    x = try blockE(&g, "mixed_9", x, lastPoolIsMax: false)
    x = try blockE(&g, "mixed_10", x, lastPoolIsMax: true)
    // pool2: 8x8 average pool (stride 8, no padding) -> [N, 2048, 1, 1].
    return g.node(
      "AveragePool", [x], name: "pool_3",
      attributes: [.ints("kernel_shape", [8, 8]), .ints("strides", [8, 8])])
  }

  /// One `Conv2dLayer`: convolution with the folded weights and bias, then ReLU.
  private func conv(_ g: inout ONNXGraphBuilder, _ key: String, _ x: String) throws -> String {
    guard let shape = shapes[key], let c = weights.foldedConv(key) else {
      throw ExportError.missingLayer(path: path, key: key)
    }
    return g.convRelu(
      x, key: key, weights: c.weights, bias: c.bias, outChannels: shape.outChannels,
      inChannels: shape.inChannels, kernel: (shape.kernelH, shape.kernelW), stride: shape.stride,
      pad: (shape.padH, shape.padW))
  }

  /// A sequence of layers (a tower).
  private func chain(_ g: inout ONNXGraphBuilder, _ keys: [String], _ x: String) throws
    -> String
  {
    var y = x
    for key in keys { y = try conv(&g, key, y) }
    return y
  }

  /// InceptionA: cat[conv, tower (1x1, 5x5), tower_1 (1x1, 3x3, 3x3), tower_2 (avg pool, 1x1)].
  private func blockA(_ g: inout ONNXGraphBuilder, _ name: String, _ x: String) throws -> String {
    let a = try conv(&g, "\(name).conv", x)
    let b = try chain(&g, ["\(name).tower.conv", "\(name).tower.conv_1"], x)
    let c = try chain(
      &g, ["\(name).tower_1.conv", "\(name).tower_1.conv_1", "\(name).tower_1.conv_2"], x)
    let pool = g.averagePool3x3(x, name: "\(name).tower_2")
    let d = try conv(&g, "\(name).tower_2.conv", pool)
    return g.concat([a, b, c, d], name: name)
  }

  /// InceptionB (mixed_3): cat[conv 3x3/2, tower (1x1, 3x3, 3x3/2), max pool 3x3/2].
  private func blockB(_ g: inout ONNXGraphBuilder, _ x: String) throws -> String {
    let a = try conv(&g, "mixed_3.conv", x)
    let b = try chain(
      &g, ["mixed_3.tower.conv", "mixed_3.tower.conv_1", "mixed_3.tower.conv_2"], x)
    let c = g.maxPool3x3(x, stride: 2, pad: 0, name: "mixed_3.pool")
    return g.concat([a, b, c], name: "mixed_3")
  }

  /// InceptionC: cat[conv, tower (1x1, 1x7, 7x1), tower_1 (1x1, 7x1, 1x7, 7x1, 1x7),
  /// tower_2 (avg pool, 1x1)].
  private func blockC(_ g: inout ONNXGraphBuilder, _ name: String, _ x: String) throws -> String {
    let a = try conv(&g, "\(name).conv", x)
    let b = try chain(
      &g, ["\(name).tower.conv", "\(name).tower.conv_1", "\(name).tower.conv_2"], x)
    let tower1 = ["conv", "conv_1", "conv_2", "conv_3", "conv_4"].map { "\(name).tower_1.\($0)" }
    let c = try chain(&g, tower1, x)
    let pool = g.averagePool3x3(x, name: "\(name).tower_2")
    let d = try conv(&g, "\(name).tower_2.conv", pool)
    return g.concat([a, b, c, d], name: name)
  }

  /// InceptionD (mixed_8): cat[tower (1x1, 3x3/2), tower_1 (1x1, 1x7, 7x1, 3x3/2),
  /// max pool 3x3/2].
  private func blockD(_ g: inout ONNXGraphBuilder, _ x: String) throws -> String {
    let a = try chain(&g, ["mixed_8.tower.conv", "mixed_8.tower.conv_1"], x)
    let b = try chain(
      &g,
      [
        "mixed_8.tower_1.conv", "mixed_8.tower_1.conv_1", "mixed_8.tower_1.conv_2",
        "mixed_8.tower_1.conv_3",
      ], x)
    let c = g.maxPool3x3(x, stride: 2, pad: 0, name: "mixed_8.pool")
    return g.concat([a, b, c], name: "mixed_8")
  }

  /// InceptionE: with a = tower_conv(x), b = tower_1_conv_1(tower_1_conv(x)):
  /// cat[conv(x), tower_mixed_conv(a) 1x3, tower_mixed_conv_1(a) 3x1, tower_1_mixed_conv(b) 1x3,
  /// tower_1_mixed_conv_1(b) 3x1, tower_2_conv(pool(x))]; the pool is a 3x3/1 average pool in
  /// mixed_9 and a 3x3/1 pad-1 max pool in mixed_10.
  private func blockE(
    _ g: inout ONNXGraphBuilder, _ name: String, _ x: String, lastPoolIsMax: Bool
  ) throws -> String {
    let a = try conv(&g, "\(name).tower_conv", x)
    let b = try chain(&g, ["\(name).tower_1_conv", "\(name).tower_1_conv_1"], x)
    let c0 = try conv(&g, "\(name).conv", x)
    let c1 = try conv(&g, "\(name).tower_mixed_conv", a)
    let c2 = try conv(&g, "\(name).tower_mixed_conv_1", a)
    let c3 = try conv(&g, "\(name).tower_1_mixed_conv", b)
    let c4 = try conv(&g, "\(name).tower_1_mixed_conv_1", b)
    let pool =
      lastPoolIsMax
      ? g.maxPool3x3(x, stride: 1, pad: 1, name: "\(name).tower_2_pool")
      : g.averagePool3x3(x, name: "\(name).tower_2_pool")
    let c5 = try conv(&g, "\(name).tower_2_conv", pool)
    return g.concat([c0, c1, c2, c3, c4, c5], name: name)
  }
}
