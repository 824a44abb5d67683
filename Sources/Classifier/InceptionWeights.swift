import Foundation
import HeroCore

/// The weights of Inception v3 (2015-12-05) as shipped in `default_1.pt`, checked and with batch
/// norm folded in: immutable after ``load(path:)`` and shared by every task's ``InceptionV3``.
///
/// The file is a TorchScript archive: a zip of stored entries (see ``ZipArchive``) holding
/// `out_jit_module/data.pkl`, a protocol-2 pickle of the module tree (see ``Pickle``), and the
/// raw little-endian float32 storages `out_jit_module/data/<key>`. Each `Conv2dLayer` in the tree
/// has the parameters `weight` [out, in, kh, kw], `beta`, `mean`, `var` [out] (tensors rebuilt by
/// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`, the storage a
/// persistent id `('storage', torch.FloatStorage, key, 'cpu', numel)`) and the ints `stride`,
/// `padding` (an int, or `torch.jit._pickle.build_intlist([h, w])`). ``InceptionLayers/table``
/// lists every layer with its expected shape, stride and padding; all of it is checked.
public final class InceptionWeights: @unchecked Sendable {
  /// Lower-case hex SHA-1 of the file that was loaded.
  public let sha1: String
  /// The folded convolutions by layer key (e.g. `mixed_4.tower.conv_1`).
  let convs: [String: FoldedConv]
  /// The 3x3 stride-1 layers in Winograd form, prepared at load.
  let winograd: [String: WinogradConv]

  init(sha1: String, convs: [String: FoldedConv]) {
    self.sha1 = sha1
    var convs = convs
    // The 1x1 layers of a block that read the block's input, stacked into one GEMM; the order
    // puts the temporaries first and the block's own `conv` last (see ``ForwardPass``).
    for (block, keys) in InceptionLayers.stacked1x1 {
      let parts = keys.compactMap { convs[block + "." + $0] }
      precondition(parts.count == keys.count, "stacked 1x1 layers of \(block) missing")
      convs[block + "." + InceptionLayers.stackedKey] = FoldedConv.stacked(
        parts, key: block + "." + InceptionLayers.stackedKey)
    }
    self.convs = convs
    var w: [String: WinogradConv] = [:]
    for (key, c) in convs { if let t = WinogradConv(c) { w[key] = t } }
    winograd = w
  }

  /// The folded convolution for a key of ``InceptionLayers/table``.
  func conv(_ key: String) -> FoldedConv {
    guard let c = convs[key] else { preconditionFailure("no layer \(key) in the table") }
    return c
  }

  /// Reads, checks (SHA-1, every parameter with its shape) and folds the weights at `path`.
  public static func load(path: String) throws -> InceptionWeights {
    let zip = try ZipArchive(path: path)
    let sha1 = SHA1.hex(zip.data)
    guard sha1 == Inception.expectedSHA1 else {
      throw InceptionError.wrongSHA1(path: path, expected: Inception.expectedSHA1, actual: sha1)
    }
    return try load(zip: zip, sha1: sha1)
  }

  /// Reads, checks and folds the weights in an archive already open, without comparing the
  /// file's SHA-1 with ``Inception/expectedSHA1``: for tests and the fuzz target `inception`,
  /// which feed it crafted archives. The product calls ``load(path:)``.
  public static func load(unverified zip: ZipArchive) throws -> InceptionWeights {
    try load(zip: zip, sha1: SHA1.hex(zip.data))
  }

  private static func load(zip: ZipArchive, sha1: String) throws -> InceptionWeights {
    let path = zip.path
    let prefix = try archivePrefix(zip)
    let pickleName = prefix + "data.pkl"
    let root: PickleValue
    do {
      root = try Pickle.parse(try zip.bytes(of: pickleName), file: path + ":" + pickleName)
    } catch let e as PickleError {
      throw InceptionError.malformed(path: path, reason: e.description)
    }
    var attributes: [String: PickleValue] = [:]
    var visited = Set<ObjectIdentifier>()
    flatten(root, prefix: "", into: &attributes, visited: &visited)
    // The module tree is WrapNet.net (InceptionV3).layers (Sequential); keys below that.
    let base = attributes.keys.contains("net.layers.conv.weight") ? "net.layers." : "layers."
    var convs: [String: FoldedConv] = [:]
    for spec in InceptionLayers.table {
      let key = base + spec.key
      let weight = try tensor(
        key + ".weight", shape: [spec.outChannels, spec.inChannels, spec.kernelH, spec.kernelW],
        attributes: attributes, zip: zip, prefix: prefix)
      let beta = try tensor(
        key + ".beta", shape: [spec.outChannels], attributes: attributes, zip: zip, prefix: prefix)
      let mean = try tensor(
        key + ".mean", shape: [spec.outChannels], attributes: attributes, zip: zip, prefix: prefix)
      let variance = try tensor(
        key + ".var", shape: [spec.outChannels], attributes: attributes, zip: zip, prefix: prefix)
      try checkGeometry(spec, key: key, attributes: attributes, path: path)
      convs[spec.key] = FoldedConv(
        shape: spec, weight: weight, beta: beta, mean: mean, variance: variance,
        epsilon: Inception.batchNormEpsilon)
    }
    return InceptionWeights(sha1: sha1, convs: convs)
  }

  /// The folder inside the archive that holds `data.pkl` (`out_jit_module/` in this file).
  private static func archivePrefix(_ zip: ZipArchive) throws -> String {
    let candidates = zip.names.filter { $0.hasSuffix("/data.pkl") && !$0.contains("/code/") }
    guard let first = candidates.min() else {
      throw InceptionError.malformed(path: zip.path, reason: "no data.pkl in the archive")
    }
    return String(first.dropLast("data.pkl".count))
  }

  /// Collects every attribute of every module object as `dotted.path -> value`. Each object
  /// is entered once (a module shared by two parents, or a crafted pickle that shares one
  /// object many times, cannot make the walk exponential); the depth is bounded by the pickle
  /// reader's ``Pickle/maxDepth``.
  private static func flatten(
    _ value: PickleValue, prefix: String, into out: inout [String: PickleValue],
    visited: inout Set<ObjectIdentifier>
  ) {
    guard let object = value.object, case .dict(let state)? = object.state,
      visited.insert(ObjectIdentifier(object)).inserted
    else { return }
    for (k, v) in state.items {
      guard let name = k.string else { continue }
      out[prefix + name] = v
      if let child = v.object, child.state != nil,
        child.callableName?.hasPrefix("__torch__") == true
      {
        flatten(v, prefix: prefix + name + ".", into: &out, visited: &visited)
      }
    }
  }

  private static func tensor(
    _ key: String, shape: [Int], attributes: [String: PickleValue], zip: ZipArchive,
    prefix: String
  ) throws -> [Float] {
    let path = zip.path
    let short = key
    guard let value = attributes[key] else {
      throw InceptionError.missingParameter(path: path, key: short)
    }
    func bad(_ why: String) -> InceptionError {
      .malformed(path: path, reason: "parameter \(short): \(why)")
    }
    guard let rebuild = value.object, rebuild.callableName == "torch._utils._rebuild_tensor_v2",
      rebuild.arguments.count >= 4
    else { throw bad("not a tensor") }
    let args = rebuild.arguments
    guard case .persistentID(let pid) = args[0], let pidItems = pid.items, pidItems.count >= 5,
      pidItems[0].string == "storage", let storageKey = pidItems[2].string,
      let storageCount = pidItems[4].int
    else { throw bad("storage reference is malformed") }
    guard case .global(_, let storageType) = pidItems[1], storageType == "FloatStorage" else {
      throw bad("storage is \(pidItems[1]), expected torch.FloatStorage")
    }
    guard let offset = args[1].int, let sizes = args[2].items?.compactMap(\.int),
      let strides = args[3].items?.compactMap(\.int)
    else { throw bad("size or stride is malformed") }
    guard sizes == shape else {
      throw InceptionError.wrongShape(path: path, key: short, expected: shape, actual: sizes)
    }
    var expectedStrides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
      expectedStrides[i] = s
      s *= shape[i]
    }
    guard strides == expectedStrides else { throw bad("not contiguous (stride \(strides))") }
    let count = s
    // The numbers come from the pickle: compare without overflowing.
    guard storageCount >= 0, storageCount <= zip.data.count / 4, offset >= 0,
      offset <= storageCount, count <= storageCount - offset
    else {
      throw bad(
        "offset \(offset) + \(count) elements exceed storage \(storageKey) (\(storageCount))")
    }
    let range: Range<Int>
    do {
      range = try zip.range(of: prefix + "data/" + storageKey)
    } catch {
      throw bad("storage \(storageKey) is missing from the archive")
    }
    guard range.count == storageCount * 4 else {
      throw bad("storage \(storageKey) has \(range.count) bytes, expected \(storageCount * 4)")
    }
    var out = [Float](repeating: 0, count: count)
    zip.data.withUnsafeBytes { raw in
      let start = range.lowerBound + offset * 4
      out.withUnsafeMutableBufferPointer { dst in
        for i in 0..<count {
          let bits = raw.loadUnaligned(fromByteOffset: start + i * 4, as: UInt32.self)
          dst[i] = Float(bitPattern: UInt32(littleEndian: bits))
        }
      }
    }
    return out
  }

  private static func checkGeometry(
    _ spec: ConvShape, key: String, attributes: [String: PickleValue], path: String
  ) throws {
    if let stride = attributes[key + ".stride"]?.int, stride != spec.stride {
      throw InceptionError.malformed(
        path: path, reason: "\(key).stride is \(stride), expected \(spec.stride)")
    }
    guard let padding = attributes[key + ".padding"] else { return }
    var pad: [Int]? = nil
    if let p = padding.int {
      pad = [p, p]
    } else if let o = padding.object, o.callableName == "torch.jit._pickle.build_intlist",
      let list = o.arguments.first?.items
    {
      pad = list.compactMap(\.int)
    }
    guard pad == [spec.padH, spec.padW] else {
      throw InceptionError.malformed(
        path: path, reason: "\(key).padding is \(padding), expected [\(spec.padH), \(spec.padW)]")
    }
  }
}

/// The layers of the network, named after their keys in `data.pkl` (below `net.layers.`), with
/// the geometry `out_jit_module/code/__torch__/inceptionv3.py` gives them. The one table that
/// maps weight keys to layers.
public enum InceptionLayers {
  /// The key of a block's stacked 1x1 layers.
  static let stackedKey = "stacked_1x1"

  /// Per block, the 1x1 layers on the block input that run as one GEMM, in row order.
  static let stacked1x1: [(String, [String])] =
    ["mixed", "mixed_1", "mixed_2", "mixed_4", "mixed_5", "mixed_6", "mixed_7"].map {
      ($0, ["tower.conv", "tower_1.conv", "conv"])
    } + [("mixed_8", ["tower.conv", "tower_1.conv"])]
    + ["mixed_9", "mixed_10"].map { ($0, ["tower_conv", "tower_1_conv", "conv"]) }

  public static let table: [ConvShape] = {
    var t: [ConvShape] = []
    func conv(
      _ key: String, _ inC: Int, _ outC: Int, _ kh: Int, _ kw: Int, stride: Int = 1,
      pad: (Int, Int) = (0, 0)
    ) {
      t.append(
        ConvShape(
          key: key, outChannels: outC, inChannels: inC, kernelH: kh, kernelW: kw, stride: stride,
          padH: pad.0, padW: pad.1))
    }
    conv("conv", 3, 32, 3, 3, stride: 2)
    conv("conv_1", 32, 32, 3, 3)
    conv("conv_2", 32, 64, 3, 3, pad: (1, 1))
    conv("conv_3", 64, 80, 1, 1)
    conv("conv_4", 80, 192, 3, 3)
    for (name, inC, poolC) in [("mixed", 192, 32), ("mixed_1", 256, 64), ("mixed_2", 288, 64)] {
      conv("\(name).conv", inC, 64, 1, 1)
      conv("\(name).tower.conv", inC, 48, 1, 1)
      conv("\(name).tower.conv_1", 48, 64, 5, 5, pad: (2, 2))
      conv("\(name).tower_1.conv", inC, 64, 1, 1)
      conv("\(name).tower_1.conv_1", 64, 96, 3, 3, pad: (1, 1))
      conv("\(name).tower_1.conv_2", 96, 96, 3, 3, pad: (1, 1))
      conv("\(name).tower_2.conv", inC, poolC, 1, 1)
    }
    conv("mixed_3.conv", 288, 384, 3, 3, stride: 2)
    conv("mixed_3.tower.conv", 288, 64, 1, 1)
    conv("mixed_3.tower.conv_1", 64, 96, 3, 3, pad: (1, 1))
    conv("mixed_3.tower.conv_2", 96, 96, 3, 3, stride: 2)
    for (name, c7) in [("mixed_4", 128), ("mixed_5", 160), ("mixed_6", 160), ("mixed_7", 192)] {
      conv("\(name).conv", 768, 192, 1, 1)
      conv("\(name).tower.conv", 768, c7, 1, 1)
      conv("\(name).tower.conv_1", c7, c7, 1, 7, pad: (0, 3))
      conv("\(name).tower.conv_2", c7, 192, 7, 1, pad: (3, 0))
      conv("\(name).tower_1.conv", 768, c7, 1, 1)
      conv("\(name).tower_1.conv_1", c7, c7, 7, 1, pad: (3, 0))
      conv("\(name).tower_1.conv_2", c7, c7, 1, 7, pad: (0, 3))
      conv("\(name).tower_1.conv_3", c7, c7, 7, 1, pad: (3, 0))
      conv("\(name).tower_1.conv_4", c7, 192, 1, 7, pad: (0, 3))
      conv("\(name).tower_2.conv", 768, 192, 1, 1)
    }
    conv("mixed_8.tower.conv", 768, 192, 1, 1)
    conv("mixed_8.tower.conv_1", 192, 320, 3, 3, stride: 2)
    conv("mixed_8.tower_1.conv", 768, 192, 1, 1)
    conv("mixed_8.tower_1.conv_1", 192, 192, 1, 7, pad: (0, 3))
    conv("mixed_8.tower_1.conv_2", 192, 192, 7, 1, pad: (3, 0))
    conv("mixed_8.tower_1.conv_3", 192, 192, 3, 3, stride: 2)
    for (name, inC) in [("mixed_9", 1280), ("mixed_10", 2048)] {
      conv("\(name).conv", inC, 320, 1, 1)
      conv("\(name).tower_conv", inC, 384, 1, 1)
      conv("\(name).tower_mixed_conv", 384, 384, 1, 3, pad: (0, 1))
      conv("\(name).tower_mixed_conv_1", 384, 384, 3, 1, pad: (1, 0))
      conv("\(name).tower_1_conv", inC, 448, 1, 1)
      conv("\(name).tower_1_conv_1", 448, 384, 3, 3, pad: (1, 1))
      conv("\(name).tower_1_mixed_conv", 384, 384, 1, 3, pad: (0, 1))
      conv("\(name).tower_1_mixed_conv_1", 384, 384, 3, 1, pad: (1, 0))
      conv("\(name).tower_2_conv", inC, 192, 1, 1)
    }
    return t
  }()
}
