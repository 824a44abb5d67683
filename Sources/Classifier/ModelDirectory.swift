import Foundation
import HeroCore
import InceptionKernels

/// Reading and writing the model directory (format: docs/model-format.md).
///
/// `model.json` holds the labels, the thresholds, what the model was trained with, and the list
/// of arrays in `weights.f32` with their sizes and the file's SHA-1. Each file is written
/// atomically, `weights.f32` first and `model.json` last; since `model.json` names the SHA-1 of
/// the weights it belongs with, a reader never mixes an old header with new weights unnoticed.
extension HeroModel {
  public static let formatName = "hero-id-model"
  /// 3: icon pattern prototypes, and a familiarity of pattern + colour + ½ shape (version 2
  /// had shape + colour; version 1 had confidence, similarity and colour thresholds and 64-bin
  /// colour signatures).
  public static let formatVersion = 3

  struct Version: Codable {
    var format: String
    var version: Int
  }

  struct Header: Codable {
    var format: String
    var version: Int
    var labels: [String]
    var inputSize: Int
    var thresholds: UnknownThresholds
    var info: ModelInfo
    var weights: WeightsFile

    enum CodingKeys: String, CodingKey {
      case format, version, labels, thresholds, weights
      case inputSize = "input_size"
      case info = "trained_with"
    }
  }

  struct WeightsFile: Codable {
    var file: String
    var sha1: String
    var byteOrder: String
    var arrays: [ArrayEntry]

    enum CodingKeys: String, CodingKey {
      case file, sha1, arrays
      case byteOrder = "byte_order"
    }
  }

  struct ArrayEntry: Codable {
    var name: String
    var shape: [Int]
  }

  /// Writes `model.json`, `weights.f32` and `labels.txt` into `directory` (created if needed).
  public func save(to directory: String) throws {
    let dir = URL(fileURLWithPath: directory, isDirectory: true)
    let n = layer.inputSize
    let c = labels.count
    let p = prototypes.labels.count
    let q = colourPrototypes.labels.count
    let k = ColourSignature.size
    let r = patternPrototypes.labels.count
    let d = IconPattern.size
    let arrays: [(ArrayEntry, [Float])] = [
      (ArrayEntry(name: "mean", shape: [n]), layer.mean),
      (ArrayEntry(name: "scale", shape: [n]), layer.scale),
      (ArrayEntry(name: "weights", shape: [n, c]), layer.weights),
      (ArrayEntry(name: "bias", shape: [c]), layer.bias),
      (ArrayEntry(name: "prototype_mean", shape: [n]), prototypes.mean),
      (ArrayEntry(name: "prototypes", shape: [p, n]), prototypes.vectors),
      (ArrayEntry(name: "prototype_labels", shape: [p]), prototypes.labels.map { Float($0) }),
      (ArrayEntry(name: "colour_prototype_mean", shape: [k]), colourPrototypes.mean),
      (ArrayEntry(name: "colour_prototypes", shape: [q, k]), colourPrototypes.vectors),
      (
        ArrayEntry(name: "colour_prototype_labels", shape: [q]),
        colourPrototypes.labels.map { Float($0) }
      ),
      (ArrayEntry(name: "pattern_prototypes", shape: [r, d]), patternPrototypes.vectors),
      (
        ArrayEntry(name: "pattern_prototype_labels", shape: [r]),
        patternPrototypes.labels.map { Float($0) }
      ),
    ]
    var blob = Data()
    blob.reserveCapacity(arrays.reduce(0) { $0 + 4 * $1.1.count })
    for (_, values) in arrays {
      for v in values {
        withUnsafeBytes(of: v.bitPattern.littleEndian) { blob.append(contentsOf: $0) }
      }
    }
    let header = Header(
      format: Self.formatName, version: Self.formatVersion, labels: labels, inputSize: n,
      thresholds: thresholds, info: info,
      weights: WeightsFile(
        file: "weights.f32", sha1: SHA1.hex(blob), byteOrder: "little-endian float32",
        arrays: arrays.map { $0.0 }))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let json: Data
    do { json = try encoder.encode(header) } catch {
      throw ModelError.cannotWrite(path: dir.appendingPathComponent("model.json").path)
    }
    for (name, data) in [
      ("weights.f32", blob), ("labels.txt", Data((labels.joined(separator: "\n") + "\n").utf8)),
      ("model.json", json),
    ] {
      let url = dir.appendingPathComponent(name)
      do { try AtomicFile.write(data, to: url) } catch {
        throw ModelError.cannotWrite(path: url.path)
      }
    }
  }

  /// Reads a model directory. When `baseNetworkSHA1` is given, a model trained on a different
  /// base network is refused.
  public static func load(from directory: String, baseNetworkSHA1: String? = nil) throws
    -> HeroModel
  {
    let dir = URL(fileURLWithPath: directory, isDirectory: true)
    let jsonURL = dir.appendingPathComponent("model.json")
    let jsonPath = jsonURL.path
    guard let json = try? Data(contentsOf: jsonURL) else {
      throw ModelError.missing(path: jsonPath)
    }
    guard let version = try? JSONDecoder().decode(Version.self, from: json) else {
      throw ModelError.invalid(path: jsonPath, reason: "not a hero-id model header")
    }
    guard version.format == formatName else {
      throw ModelError.invalid(
        path: jsonPath, reason: "format is \"\(version.format)\", not \"\(formatName)\"")
    }
    guard version.version == formatVersion else {
      throw ModelError.invalid(
        path: jsonPath,
        reason:
          "format version \(version.version); this build reads \(formatVersion), train the model again"
      )
    }
    let header: Header
    do { header = try JSONDecoder().decode(Header.self, from: json) } catch {
      throw ModelError.invalid(path: jsonPath, reason: "not a hero-id model header")
    }
    if let expected = baseNetworkSHA1, expected != header.info.baseNetworkSHA1 {
      throw ModelError.baseNetworkMismatch(
        path: jsonPath, model: header.info.baseNetworkSHA1, found: expected)
    }
    let n = header.inputSize
    let c = header.labels.count
    guard n > 0, c >= 2 else {
      throw ModelError.invalid(path: jsonPath, reason: "input size \(n) with \(c) labels")
    }
    let p = header.weights.arrays.first { $0.name == "prototype_labels" }?.shape.first ?? 0
    let q =
      header.weights.arrays.first { $0.name == "colour_prototype_labels" }?.shape.first ?? 0
    let r =
      header.weights.arrays.first { $0.name == "pattern_prototype_labels" }?.shape.first ?? 0
    let k = ColourSignature.size
    let d = IconPattern.size
    let expectedShapes: [String: [Int]] = [
      "mean": [n], "scale": [n], "weights": [n, c], "bias": [c], "prototype_mean": [n],
      "prototypes": [p, n], "prototype_labels": [p], "colour_prototype_mean": [k],
      "colour_prototypes": [q, k], "colour_prototype_labels": [q],
      "pattern_prototypes": [r, d], "pattern_prototype_labels": [r],
    ]
    let weightsURL = dir.appendingPathComponent(header.weights.file)
    guard let blob = try? Data(contentsOf: weightsURL) else {
      throw ModelError.missing(path: weightsURL.path)
    }
    guard SHA1.hex(blob) == header.weights.sha1 else {
      throw ModelError.invalid(
        path: weightsURL.path,
        reason: "SHA-1 differs from the one in model.json (damaged or mixed files)")
    }
    var arrays: [String: [Float]] = [:]
    var offset = 0
    for entry in header.weights.arrays {
      guard expectedShapes[entry.name] == entry.shape else {
        throw ModelError.invalid(
          path: jsonPath, reason: "array \(entry.name) has shape \(entry.shape)")
      }
      let count = entry.shape.reduce(1, *)
      guard offset + 4 * count <= blob.count else {
        throw ModelError.invalid(path: weightsURL.path, reason: "too short for \(entry.name)")
      }
      var values = [Float](repeating: 0, count: count)
      blob.withUnsafeBytes { raw in
        for i in 0..<count {
          values[i] = Float(
            bitPattern: UInt32(
              littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self)))
        }
      }
      arrays[entry.name] = values
      offset += 4 * count
    }
    guard offset == blob.count, let mean = arrays["mean"], let scale = arrays["scale"],
      let weights = arrays["weights"], let bias = arrays["bias"],
      let protoMean = arrays["prototype_mean"],
      let protoVectors = arrays["prototypes"], let protoLabels = arrays["prototype_labels"],
      let colourMean = arrays["colour_prototype_mean"],
      let colourVectors = arrays["colour_prototypes"],
      let colourLabels = arrays["colour_prototype_labels"],
      let patternVectors = arrays["pattern_prototypes"],
      let patternLabels = arrays["pattern_prototype_labels"],
      (protoLabels + colourLabels + patternLabels).allSatisfy({
        $0 >= 0 && Int($0) < c && $0 == $0.rounded()
      })
    else {
      throw ModelError.invalid(path: weightsURL.path, reason: "arrays do not match model.json")
    }
    return HeroModel(
      labels: header.labels,
      layer: FinalLayer(
        inputSize: n, classCount: c, mean: mean, scale: scale, weights: weights, bias: bias),
      prototypes: Prototypes(
        inputSize: n, classCount: c, mean: protoMean, vectors: protoVectors,
        labels: protoLabels.map { Int($0) }),
      colourPrototypes: Prototypes(
        inputSize: k, classCount: c, mean: colourMean, vectors: colourVectors,
        labels: colourLabels.map { Int($0) }),
      patternPrototypes: Prototypes(
        inputSize: d, classCount: c, mean: [Float](repeating: 0, count: d),
        vectors: patternVectors, labels: patternLabels.map { Int($0) }),
      thresholds: header.thresholds, info: header.info)
  }
}

/// Problems with a model directory.
public enum ModelError: Error, CustomStringConvertible, Equatable {
  case missing(path: String)
  case invalid(path: String, reason: String)
  case cannotWrite(path: String)
  case baseNetworkMismatch(path: String, model: String, found: String)

  public var description: String {
    switch self {
    case .missing(let p):
      "\(p): no such model file (train one with `hero-id train CROPS --model DIR`)"
    case .invalid(let p, let r): "\(p): invalid model (\(r))"
    case .cannotWrite(let p): "\(p): cannot write model file"
    case .baseNetworkMismatch(let p, let m, let f):
      "\(p): model was trained on base network \(m), but the Inception weights in use have SHA-1 \(f); retrain, or point --inception at the weights it was trained with"
    }
  }
}
