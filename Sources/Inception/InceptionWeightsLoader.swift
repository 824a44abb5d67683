import Foundation
import HeroCore
import InceptionKernels

/// Reading `default_1.pt` into ``InceptionWeights``: the zip, the pickle, every parameter checked.
extension InceptionWeights {
  /// Reads, checks (SHA-1, every parameter with its shape) and folds the weights at `path`.
  ///
  /// The SHA-1 of the 87 MB file runs on another thread while the pickle is read and the
  /// parameters are checked and folded (a twentieth of a second less at every start); nothing
  /// is built from the parameters until the SHA-1 matches, and a file whose SHA-1 does not is
  /// reported as that, whatever else is wrong with it.
  public static func load(path: String) throws -> InceptionWeights {
    let zip = try ZipArchive(path: path)
    let digest = Digest()
    let done = DispatchSemaphore(value: 0)
    let bytes = zip.data
    DispatchQueue.global().async {
      digest.value = SHA1.hex(bytes)
      done.signal()
    }
    let parsed = Result { try convs(zip: zip) }
    done.wait()
    let sha1 = digest.value
    guard sha1 == InceptionConstants.expectedSHA1 else {
      throw InceptionError.wrongSHA1(
        path: path, expected: InceptionConstants.expectedSHA1, actual: sha1)
    }
    return InceptionWeights(sha1: sha1, convs: try parsed.get())
  }

  /// The SHA-1 computed on another thread (written before the semaphore is signalled, read
  /// after it is waited for).
  private final class Digest: @unchecked Sendable {
    var value = ""
  }

  /// Reads, checks and folds the weights in an archive already open, without comparing the
  /// file's SHA-1 with ``Inception/expectedSHA1``: for tests and the fuzz target `inception`,
  /// which feed it crafted archives. The product calls ``load(path:)``.
  public static func load(unverified zip: ZipArchive) throws -> InceptionWeights {
    try load(zip: zip, sha1: SHA1.hex(zip.data))
  }

  private static func load(zip: ZipArchive, sha1: String) throws -> InceptionWeights {
    InceptionWeights(sha1: sha1, convs: try convs(zip: zip))
  }

  /// Every layer's parameters, read, checked and folded.
  private static func convs(zip: ZipArchive) throws -> [String: FoldedConv] {
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
        epsilon: InceptionConstants.batchNormEpsilon)
    }
    return convs
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
    // Every element written once, straight from the mapped file (no zeroing first).
    return zip.data.withUnsafeBytes { raw in
      let start = range.lowerBound + offset * 4
      return [Float](unsafeUninitializedCapacity: count) { dst, initialized in
        for i in 0..<count {
          let bits = raw.loadUnaligned(fromByteOffset: start + i * 4, as: UInt32.self)
          dst[i] = Float(bitPattern: UInt32(littleEndian: bits))
        }
        initialized = count
      }
    }
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
