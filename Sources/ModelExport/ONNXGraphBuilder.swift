import Foundation
import InceptionKernels
import ONNXProto

/// Collects the nodes and initializers of one ONNX graph, naming every value uniquely.
///
/// Weights go in as initializers (`raw_data`, little-endian). With ``Precision/float16`` the
/// large weight tensors are stored as float16 and a `Cast` node turns each back into float32,
/// so the graph computes in float32 whatever the storage (see docs/export.md).
struct ONNXGraphBuilder {
  /// How weight tensors are stored.
  let precision: ONNXExportOptions.Precision
  private(set) var nodes: [Onnx_NodeProto] = []
  private(set) var initializers: [Onnx_TensorProto] = []
  private var counter = 0

  init(precision: ONNXExportOptions.Precision) {
    self.precision = precision
  }

  /// A fresh value name with `stem` in it.
  mutating func name(_ stem: String) -> String {
    counter += 1
    return "\(stem)__\(counter)"
  }

  /// Appends a node and returns the name of its (first) output.
  @discardableResult
  mutating func node(
    _ opType: String, _ inputs: [String], name stem: String, output: String? = nil,
    attributes: [Onnx_AttributeProto] = []
  ) -> String {
    let out = output ?? name(stem)
    var n = Onnx_NodeProto()
    n.opType = opType
    n.name = stem + "/" + opType
    n.input = inputs
    n.output = [out]
    n.attribute = attributes
    nodes.append(n)
    return out
  }

  /// A float32 weight tensor of shape `dims`; stored as float16 (plus a `Cast`) when the
  /// precision asks for it and `reducible` is true. Returns the name of the float32 value.
  mutating func weight(_ stem: String, _ values: [Float], dims: [Int], reducible: Bool = true)
    -> String
  {
    precondition(values.count == dims.reduce(1, *), "\(stem): \(values.count) values for \(dims)")
    var t = Onnx_TensorProto()
    t.name = stem
    t.dims = dims.map { Int64($0) }
    if precision == .float16 && reducible {
      t.dataType = Int32(Onnx_TensorProto.DataType.float16.rawValue)
      t.rawData = Self.float16Bytes(values)
      initializers.append(t)
      return node("Cast", [stem], name: stem, attributes: [.int("to", Self.float32Type)])
    }
    t.dataType = Self.float32Type32
    t.rawData = Self.float32Bytes(values)
    initializers.append(t)
    return stem
  }

  /// A float32 scalar constant (always float32).
  mutating func scalar(_ stem: String, _ value: Float) -> String {
    weight(stem, [value], dims: [], reducible: false)
  }

  /// `relu(conv(x, w, b))`: one `Conv` with the folded weights and bias, then `Relu`.
  mutating func convRelu(
    _ x: String, key: String, weights: [Float], bias: [Float], outChannels: Int,
    inChannels: Int, kernel: (h: Int, w: Int), stride: Int, pad: (h: Int, w: Int)
  ) -> String {
    let w = weight(
      key + ".weight", weights, dims: [outChannels, inChannels, kernel.h, kernel.w])
    let b = weight(key + ".bias", bias, dims: [outChannels], reducible: false)
    let y = node(
      "Conv", [x, w, b], name: key,
      attributes: [
        .ints("kernel_shape", [kernel.h, kernel.w]), .ints("strides", [stride, stride]),
        .ints("pads", [pad.h, pad.w, pad.h, pad.w]),
      ])
    return node("Relu", [y], name: key)
  }

  /// `relu(conv(dequantize(x), dequantize(qw), b))` for an int8 layer: the weights quantized
  /// per output channel (`Int8Quantization`, the scheme hero-id's own int8 pass uses) as an
  /// int8 initializer with its float32 scales and int8 zero points behind a `DequantizeLinear`
  /// on axis 0; `x` must be the output of a
  /// `DequantizeLinear` (``quantize(_:scale:name:)``); the bias stays float32.
  mutating func int8ConvRelu(
    _ x: String, key: String, weights: [Float], bias: [Float], outChannels: Int,
    inChannels: Int, kernel: (h: Int, w: Int), stride: Int, pad: (h: Int, w: Int)
  ) -> String {
    let q = Int8Quantization.quantizeWeights(
      weights, rows: outChannels, columns: weights.count / outChannels)
    let stem = key + ".weight"
    initializers.append(
      Self.tensor(
        stem + "_quantized", .int8, dims: [outChannels, inChannels, kernel.h, kernel.w],
        raw: Data(q.weights.map { UInt8(bitPattern: $0) })))
    initializers.append(
      Self.tensor(
        stem + "_scale", .float, dims: [outChannels], raw: Self.float32Bytes(q.scales)))
    initializers.append(
      Self.tensor(
        stem + "_zero_point", .int8, dims: [outChannels],
        raw: Data(repeating: 0, count: outChannels)))
    let w = node(
      "DequantizeLinear", [stem + "_quantized", stem + "_scale", stem + "_zero_point"],
      name: stem, attributes: [.int("axis", 0)])
    let b = weight(key + ".bias", bias, dims: [outChannels], reducible: false)
    let y = node(
      "Conv", [x, w, b], name: key,
      attributes: [
        .ints("kernel_shape", [kernel.h, kernel.w]), .ints("strides", [stride, stride]),
        .ints("pads", [pad.h, pad.w, pad.h, pad.w]),
      ])
    return node("Relu", [y], name: key)
  }

  /// `DequantizeLinear(QuantizeLinear(x))` with a uint8 zero point (0 unless given) and
  /// `scale`: `x` rounded to the nearest multiple of `scale` (ties to even) and clipped to
  /// -zeroPoint ... 255 - zeroPoint steps. Returns the name of the dequantized (float32) value.
  mutating func quantize(
    _ x: String, scale: Float, zeroPoint: UInt8 = 0, name stem: String
  ) -> String {
    let scaleName = name(stem + ".scale")
    let zeroName = name(stem + ".zero_point")
    initializers.append(Self.tensor(scaleName, .float, dims: [], raw: Self.float32Bytes([scale])))
    initializers.append(Self.tensor(zeroName, .uint8, dims: [], raw: Data([zeroPoint])))
    let q = node("QuantizeLinear", [x, scaleName, zeroName], name: stem)
    return node("DequantizeLinear", [q, scaleName, zeroName], name: stem)
  }

  /// An initializer with `raw_data`.
  static func tensor(
    _ name: String, _ type: Onnx_TensorProto.DataType, dims: [Int], raw: Data
  ) -> Onnx_TensorProto {
    var t = Onnx_TensorProto()
    t.name = name
    t.dims = dims.map { Int64($0) }
    t.dataType = Int32(type.rawValue)
    t.rawData = raw
    return t
  }

  /// A 3x3 max pool.
  mutating func maxPool3x3(_ x: String, stride: Int, pad: Int, name stem: String) -> String {
    node(
      "MaxPool", [x], name: stem,
      attributes: [
        .ints("kernel_shape", [3, 3]), .ints("strides", [stride, stride]),
        .ints("pads", [pad, pad, pad, pad]),
      ])
  }

  /// The towers' 3x3/1 average pool, padding 1, padding not counted (`count_include_pad=False`).
  mutating func averagePool3x3(_ x: String, name stem: String) -> String {
    node(
      "AveragePool", [x], name: stem,
      attributes: [
        .ints("kernel_shape", [3, 3]), .ints("strides", [1, 1]), .ints("pads", [1, 1, 1, 1]),
        .int("count_include_pad", 0),
      ])
  }

  /// Concatenation along the channel axis.
  mutating func concat(_ parts: [String], name stem: String) -> String {
    node("Concat", parts, name: stem, attributes: [.int("axis", 1)])
  }

  // MARK: - Encoding

  static let float32Type = Onnx_TensorProto.DataType.float.rawValue
  static let float32Type32 = Int32(Onnx_TensorProto.DataType.float.rawValue)

  /// Little-endian float32 bytes.
  static func float32Bytes(_ values: [Float]) -> Data {
    var bytes = [UInt8](repeating: 0, count: values.count * 4)
    for (i, v) in values.enumerated() {
      let bits = v.bitPattern
      bytes[4 * i] = UInt8(truncatingIfNeeded: bits)
      bytes[4 * i + 1] = UInt8(truncatingIfNeeded: bits >> 8)
      bytes[4 * i + 2] = UInt8(truncatingIfNeeded: bits >> 16)
      bytes[4 * i + 3] = UInt8(truncatingIfNeeded: bits >> 24)
    }
    return Data(bytes)
  }

  /// Little-endian IEEE half-precision bytes (round to nearest, ties to even).
  static func float16Bytes(_ values: [Float]) -> Data {
    var bytes = [UInt8](repeating: 0, count: values.count * 2)
    for (i, v) in values.enumerated() {
      let h = HalfFloat.bits(v)
      bytes[2 * i] = UInt8(truncatingIfNeeded: h)
      bytes[2 * i + 1] = UInt8(truncatingIfNeeded: h >> 8)
    }
    return Data(bytes)
  }
}

extension Onnx_AttributeProto {
  /// An INT attribute.
  static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .int
    a.i = Int64(value)
    return a
  }

  /// An INTS attribute.
  static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .ints
    a.ints = values.map { Int64($0) }
    return a
  }
}

/// Float32 to IEEE 754 binary16 bits, without relying on `Float16` (absent on some platforms).
public enum HalfFloat {
  /// The binary16 bit pattern nearest to `value` (ties to even; overflow gives infinity,
  /// NaN stays NaN).
  public static func bits(_ value: Float) -> UInt16 {
    let x = value.bitPattern
    let sign = UInt16(truncatingIfNeeded: (x >> 16) & 0x8000)
    let exponent = Int((x >> 23) & 0xff)
    var mantissa = x & 0x7f_ffff
    if exponent == 0xff {
      return sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0)
    }
    let e = exponent - 127 + 15
    if e >= 0x1f { return sign | 0x7c00 }
    if e <= 0 {
      // Subnormal in binary16 (or zero): units of 2^-24.
      if e < -10 { return sign }
      mantissa |= 0x80_0000
      let shift = UInt32(14 - e)
      var h = mantissa >> shift
      let rest = mantissa & ((1 << shift) - 1)
      let half = UInt32(1) << (shift - 1)
      if rest > half || (rest == half && h & 1 == 1) { h += 1 }
      return sign | UInt16(truncatingIfNeeded: h)
    }
    var h = UInt32(e) << 10 | mantissa >> 13
    let rest = mantissa & 0x1fff
    // A carry out of the mantissa raises the exponent (up to infinity): still correct.
    if rest > 0x1000 || (rest == 0x1000 && h & 1 == 1) { h += 1 }
    return sign | UInt16(truncatingIfNeeded: h)
  }
}
