import Foundation
import HeroCore
import InceptionKernels

#if canImport(Glibc)
  import Glibc
#endif

/// Reading and writing the model directory (format: docs/model-format.md).
///
/// `model.json` holds the labels, the thresholds, what the model was trained with, and the list
/// of arrays in `weights.f32` with their sizes and the file's SHA-1.
///
/// Saving replaces the directory as a whole: the files are written and flushed into a hidden
/// sibling folder, which then takes the directory's place in one step (`renameat2` with
/// `RENAME_EXCHANGE` when a model is already there, `rename` when not); the old model is
/// removed afterwards. A crash at any point leaves either the old model or the new one,
/// complete, under the directory's name; the hidden `.NAME.saving-PID-*` folder a killed save
/// leaves beside it is removed by the next save once process PID is gone. A directory holding
/// anything but a model's files is not replaced.
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
    /// Final-layer outputs per label (``HeroModel/iconsPerClass``); absent: 1.
    var iconsPerClass: Int?

    enum CodingKeys: String, CodingKey {
      case format, version, labels, thresholds, weights
      case inputSize = "input_size"
      case info = "trained_with"
      case iconsPerClass = "icons_per_class"
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
    let c = layer.classCount
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
        arrays: arrays.map { $0.0 }), iconsPerClass: iconsPerClass > 1 ? iconsPerClass : nil)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let json: Data
    do { json = try encoder.encode(header) } catch {
      throw WriteError(
        path: dir.appendingPathComponent("model.json").path, what: "model file", error: error)
    }
    try ModelSwap.replace(
      dir,
      with: [
        ("weights.f32", blob),
        ("labels.txt", Data((labels.joined(separator: "\n") + "\n").utf8)),
        ("model.json", json),
      ])
  }

  /// Largest `model.json` read, in bytes.
  public static let maxHeaderBytes = 16 << 20
  /// Largest `weights.f32` read, in bytes.
  public static let maxWeightsBytes = 1 << 30
  /// Most classes (labels) a model may have.
  public static let maxClasses = 10_000
  /// Longest label, in UTF-8 bytes (as `HeroName`).
  public static let maxLabelBytes = 200

  /// Reads a model directory. When `baseNetworkSHA1` is given, a model trained on a different
  /// base network is refused.
  ///
  /// Nothing in the files is trusted (the SHA-1 in `model.json` only detects damage: whoever
  /// writes the header can write the hash): the header is checked field by field
  /// (``checkedHeader(_:jsonPath:)``), the weights file must be a plain file name inside the
  /// folder whose size is exactly what the listed shapes need, and every number must be finite.
  public static func load(from directory: String, baseNetworkSHA1: String? = nil) throws
    -> HeroModel
  {
    let dir = URL(fileURLWithPath: directory, isDirectory: true)
    let jsonURL = dir.appendingPathComponent("model.json")
    let jsonPath = jsonURL.path
    let json = try readBounded(jsonURL, limit: maxHeaderBytes, jsonPath: jsonPath)
    let plan = try checkedHeader(json, jsonPath: jsonPath)
    if let expected = baseNetworkSHA1, expected != plan.header.info.baseNetworkSHA1 {
      throw ModelError.baseNetworkMismatch(
        path: jsonPath, model: plan.header.info.baseNetworkSHA1, found: expected)
    }
    let weightsURL = dir.appendingPathComponent(plan.header.weights.file)
    let blob = try readBounded(weightsURL, limit: plan.weightsBytes, jsonPath: jsonPath)
    return try assemble(plan, blob: blob, jsonPath: jsonPath, weightsPath: weightsURL.path)
  }

  /// Decodes a model from the bytes of `model.json` and of its weights file, checking both as
  /// ``load(from:baseNetworkSHA1:)`` does (the entry point of the fuzz target `model`).
  public static func decode(json: Data, weights: Data, jsonPath: String, weightsPath: String)
    throws -> HeroModel
  {
    guard json.count <= maxHeaderBytes else {
      throw ModelError.invalid(path: jsonPath, reason: "\(json.count) bytes, too large")
    }
    let plan = try checkedHeader(json, jsonPath: jsonPath)
    return try assemble(plan, blob: weights, jsonPath: jsonPath, weightsPath: weightsPath)
  }

  /// A header that passed every check, with the arrays' element counts and the exact size
  /// the weights file must have.
  struct Plan {
    var header: Header
    var counts: [Int]
    var weightsBytes: Int
  }

  /// Reads a regular file of at most `limit` bytes (the size checked before reading).
  private static func readBounded(_ url: URL, limit: Int, jsonPath: String) throws -> Data {
    let attributes: [FileAttributeKey: Any]
    do { attributes = try FileManager.default.attributesOfItem(atPath: url.path) } catch {
      throw ModelError.missing(path: url.path)
    }
    guard attributes[.type] as? FileAttributeType == .typeRegular else {
      throw ModelError.invalid(path: url.path, reason: "not a regular file")
    }
    let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
    guard size >= 0, size <= limit else {
      throw ModelError.invalid(
        path: url.path, reason: "\(size) bytes, but \(jsonPath) allows at most \(limit)")
    }
    guard let data = try? Data(contentsOf: url) else { throw ModelError.missing(path: url.path) }
    guard data.count <= limit else {
      throw ModelError.invalid(path: url.path, reason: "grew past \(limit) bytes while read")
    }
    return data
  }

  /// The field a decoding error is about, as `: trained_with.precision: what is wrong`; empty
  /// when the error does not say.
  static func field(of error: any Error) -> String {
    let context: DecodingError.Context
    switch error as? DecodingError {
    case .dataCorrupted(let c), .typeMismatch(_, let c), .valueNotFound(_, let c): context = c
    case .keyNotFound(let key, let c):
      let path = (c.codingPath + [key]).map(\.stringValue).joined(separator: ".")
      return ": \(path) missing"
    default: return ""
    }
    let path = context.codingPath.map(\.stringValue).joined(separator: ".")
    return path.isEmpty ? "" : ": \(path): \(context.debugDescription)"
  }

  /// Decodes `model.json` and checks every field the reader relies on: format and version,
  /// `input_size` 2048, 2 to ``maxClasses`` distinct labels that can be file names, finite
  /// thresholds, a usable layout, a weights file that is a plain name, and exactly the twelve
  /// arrays with shapes consistent with each other, sizes computed without overflow.
  static func checkedHeader(_ json: Data, jsonPath: String) throws -> Plan {
    func bad(_ why: String) -> ModelError { .invalid(path: jsonPath, reason: why) }
    guard let version = try? JSONDecoder().decode(Version.self, from: json) else {
      throw bad("not a hero-id model header")
    }
    guard version.format == formatName else {
      throw bad("format is \"\(version.format)\", not \"\(formatName)\"")
    }
    guard version.version == formatVersion else {
      throw bad(
        "format version \(version.version); this build reads \(formatVersion), train the model again"
      )
    }
    let header: Header
    do { header = try JSONDecoder().decode(Header.self, from: json) } catch {
      throw bad("not a hero-id model header" + Self.field(of: error))
    }
    let n = header.inputSize
    let c = header.labels.count
    guard n == InceptionConstants.bottleneckSize else {
      throw bad("input_size is \(n), expected \(InceptionConstants.bottleneckSize)")
    }
    guard (2...maxClasses).contains(c) else {
      throw bad("\(c) labels; a model has 2 to \(maxClasses)")
    }
    var seen = Set<String>()
    for (i, label) in header.labels.enumerated() {
      if let why = labelProblem(label) { throw bad("label \(i + 1) \(why)") }
      guard seen.insert(label).inserted else { throw bad("label \(i + 1) repeats \"\(label)\"") }
    }
    let t = header.thresholds
    guard t.minFamiliarity.isFinite, t.knownRejectRate.isFinite, t.unknownRejectRate.isFinite
    else { throw bad("thresholds are not finite numbers") }
    if let problem = header.info.layout.usabilityProblem(source: jsonPath + " trained_with.layout")
    {
      throw problem
    }
    if let slots = header.info.slots {
      let skills = header.info.layout.skills
      guard !slots.isEmpty, slots.count <= skills.count, Set(slots).count == slots.count,
        slots.allSatisfy({ skills[$0] != nil })
      else {
        throw bad(
          "trained_with.slots \(slots.prefix(20)) are not distinct skill slots of the layout "
            + "(\(skills.keys.sorted().joined(separator: ", ")))")
      }
    }
    let file = header.weights.file
    guard !file.isEmpty, file != ".", file != "..", !file.contains("/"),
      !file.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
    else {
      throw bad("weights.file \"\(file)\" is not a plain file name inside the model folder")
    }
    // The prototype counts come from the label arrays; every other shape follows from them.
    let names = header.weights.arrays.map(\.name)
    guard names == arrayOrder else {
      throw bad("weights.arrays are \(names.prefix(20)), expected \(arrayOrder)")
    }
    func rows(_ name: String) throws -> Int {
      guard let shape = header.weights.arrays.first(where: { $0.name == name })?.shape,
        shape.count == 1, (0...maxWeightsBytes / 4).contains(shape[0])
      else { throw bad("array \(name) has no plausible length") }
      return shape[0]
    }
    let icons = header.iconsPerClass ?? 1
    guard (1...LayoutProfile.maxSkills).contains(icons) else {
      throw bad("icons_per_class is \(icons), not 1 to \(LayoutProfile.maxSkills)")
    }
    let outputs = c * icons
    let p = try rows("prototype_labels")
    let q = try rows("colour_prototype_labels")
    let r = try rows("pattern_prototype_labels")
    let k = ColourSignature.size
    let d = IconPattern.size
    let expectedShapes: [String: [Int]] = [
      "mean": [n], "scale": [n], "weights": [n, outputs], "bias": [outputs], "prototype_mean": [n],
      "prototypes": [p, n], "prototype_labels": [p], "colour_prototype_mean": [k],
      "colour_prototypes": [q, k], "colour_prototype_labels": [q],
      "pattern_prototypes": [r, d], "pattern_prototype_labels": [r],
    ]
    var counts: [Int] = []
    var total = 0
    for entry in header.weights.arrays {
      guard expectedShapes[entry.name] == entry.shape else {
        throw bad("array \(entry.name) has shape \(entry.shape.prefix(8))")
      }
      var count = 1
      for side in entry.shape {
        let (product, overflow) = count.multipliedReportingOverflow(by: side)
        guard !overflow, product <= maxWeightsBytes / 4 else {
          throw bad("array \(entry.name) is too large")
        }
        count = product
      }
      counts.append(count)
      total += count
      guard total <= maxWeightsBytes / 4 else { throw bad("the arrays need more than 1 GiB") }
    }
    return Plan(header: header, counts: counts, weightsBytes: 4 * total)
  }

  /// The arrays of `weights.f32`, in file order.
  static let arrayOrder = [
    "mean", "scale", "weights", "bias", "prototype_mean", "prototypes", "prototype_labels",
    "colour_prototype_mean", "colour_prototypes", "colour_prototype_labels",
    "pattern_prototypes", "pattern_prototype_labels",
  ]

  /// Why `label` cannot name a class (as a hero name: a folder and file-name stem), or nil.
  static func labelProblem(_ label: String) -> String? {
    if label.isEmpty { return "is empty" }
    if label.utf8.count > maxLabelBytes { return "is longer than \(maxLabelBytes) bytes" }
    if label.hasPrefix(".") || label.contains("/") { return "is not a plain folder name" }
    if label.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
      return "contains a control character"
    }
    if label.trimmingCharacters(in: .whitespacesAndNewlines) != label {
      return "starts or ends with white space"
    }
    return nil
  }

  /// Checks the weights against the plan (size, SHA-1, finite values, label indices) and builds
  /// the model.
  private static func assemble(_ plan: Plan, blob: Data, jsonPath: String, weightsPath: String)
    throws -> HeroModel
  {
    let header = plan.header
    guard blob.count == plan.weightsBytes else {
      throw ModelError.invalid(
        path: weightsPath,
        reason: "\(blob.count) bytes, but the arrays in model.json need \(plan.weightsBytes)")
    }
    guard SHA1.hex(blob) == header.weights.sha1 else {
      throw ModelError.invalid(
        path: weightsPath,
        reason: "SHA-1 differs from the one in model.json (damaged or mixed files)")
    }
    let n = header.inputSize
    let c = header.labels.count
    var arrays: [String: [Float]] = [:]
    var offset = 0
    for (entry, count) in zip(header.weights.arrays, plan.counts) {
      var values = [Float](repeating: 0, count: count)
      var finite = true
      blob.withUnsafeBytes { raw in
        values.withUnsafeMutableBufferPointer { dst in
          for i in 0..<count {
            let v = Float(
              bitPattern: UInt32(
                littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self)))
            if !v.isFinite { finite = false }
            dst[i] = v
          }
        }
      }
      guard finite else {
        throw ModelError.invalid(
          path: weightsPath, reason: "array \(entry.name) holds a value that is not finite")
      }
      arrays[entry.name] = values
      offset += 4 * count
    }
    func labels(_ name: String) throws -> [Int] {
      let values = arrays[name] ?? []
      var out: [Int] = []
      out.reserveCapacity(values.count)
      for (i, v) in values.enumerated() {
        guard v >= 0, v < Float(c), v == v.rounded() else {
          throw ModelError.invalid(
            path: weightsPath,
            reason: "\(name)[\(i)] is \(v), not a class index below \(c)")
        }
        out.append(Int(v))
      }
      return out
    }
    let protoLabels = try labels("prototype_labels")
    let colourLabels = try labels("colour_prototype_labels")
    let patternLabels = try labels("pattern_prototype_labels")
    guard let mean = arrays["mean"], let scale = arrays["scale"],
      let weights = arrays["weights"], let bias = arrays["bias"],
      let protoMean = arrays["prototype_mean"], let protoVectors = arrays["prototypes"],
      let colourMean = arrays["colour_prototype_mean"],
      let colourVectors = arrays["colour_prototypes"],
      let patternVectors = arrays["pattern_prototypes"]
    else {
      throw ModelError.invalid(path: weightsPath, reason: "arrays do not match model.json")
    }
    let k = ColourSignature.size
    let d = IconPattern.size
    return HeroModel(
      labels: header.labels,
      layer: FinalLayer(
        inputSize: n, classCount: c * (header.iconsPerClass ?? 1), mean: mean, scale: scale,
        weights: weights, bias: bias),
      prototypes: Prototypes(
        inputSize: n, classCount: c, mean: protoMean, vectors: protoVectors,
        labels: protoLabels),
      colourPrototypes: Prototypes(
        inputSize: k, classCount: c, mean: colourMean, vectors: colourVectors,
        labels: colourLabels),
      patternPrototypes: Prototypes(
        inputSize: d, classCount: c, mean: [Float](repeating: 0, count: d),
        vectors: patternVectors, labels: patternLabels),
      thresholds: header.thresholds, info: header.info, iconsPerClass: header.iconsPerClass ?? 1)
  }
}

/// Replacing a model directory as a whole (see ``HeroModel/save(to:)``).
enum ModelSwap {
  /// The files a model directory may hold.
  static let modelFiles: Set<String> = ["model.json", "weights.f32", "labels.txt"]

  /// `renameat2(2)`, looked up at run time (Swift's Glibc module does not import it).
  private typealias RenameAt2 =
    @convention(c) (
      Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32
    ) -> Int32
  private static let renameat2: RenameAt2? = {
    guard let symbol = dlsym(nil, "renameat2") else { return nil }
    return unsafeBitCast(symbol, to: RenameAt2.self)
  }()
  private static let renameExchange: UInt32 = 1 << 1  // RENAME_EXCHANGE

  /// Removes the staging folders `.NAME.saving-PID-*` beside `dir` whose process no longer
  /// exists (a save killed before its end); a live process's (a concurrent save) is left.
  static func removeAbandonedStaging(of dir: URL) {
    let fm = FileManager.default
    let parent = dir.deletingLastPathComponent()
    let prefix = ".\(dir.lastPathComponent).saving-"
    for name in (try? fm.contentsOfDirectory(atPath: parent.path)) ?? []
    where name.hasPrefix(prefix) {
      let rest = name.dropFirst(prefix.count)
      guard let dash = rest.firstIndex(of: "-"), let pid = pid_t(rest[..<dash]), pid > 0 else {
        continue
      }
      if kill(pid, 0) != 0 && errno == ESRCH {
        try? fm.removeItem(at: parent.appendingPathComponent(name))
      }
    }
  }

  /// Writes `files` into a new sibling folder and puts it in the place of `dir`.
  static func replace(_ dir: URL, with files: [(String, Data)]) throws {
    let fm = FileManager.default
    let dir = dir.standardizedFileURL
    let parent = dir.deletingLastPathComponent()
    var isDir: ObjCBool = false
    let exists = fm.fileExists(atPath: dir.path, isDirectory: &isDir)
    if exists {
      guard isDir.boolValue else {
        throw ModelError.invalid(path: dir.path, reason: "exists and is not a folder")
      }
      let entries = (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
      if let other = entries.sorted().first(where: { !modelFiles.contains($0) }) {
        throw ModelError.invalid(
          path: dir.path,
          reason:
            "holds \"\(other)\", which is not part of a model; save into an empty folder or over a model"
        )
      }
    }
    do { try Syscalls.createFolder(parent.path) } catch {
      throw WriteError(path: parent.path, what: "model folder", error: error)
    }
    removeAbandonedStaging(of: dir)
    let staging = parent.appendingPathComponent(
      ".\(dir.lastPathComponent).saving-\(getpid())-\(UUID().uuidString)", isDirectory: true)
    var writing = staging
    do {
      try Syscalls.createFolder(staging.path)
      for (name, data) in files {
        writing = staging.appendingPathComponent(name)
        try AtomicFile.write(data, to: writing)
      }
    } catch {
      try? fm.removeItem(at: staging)
      // Named as the model's file it will be (the staging folder is gone).
      let final = writing == staging ? dir : dir.appendingPathComponent(writing.lastPathComponent)
      var failure = WriteError(path: writing.path, what: "model file", error: error)
      failure.path = final.path
      throw failure
    }
    AtomicFile.syncFolder(staging)
    StopPoint.reach("model-staged")
    if !exists {
      guard rename(staging.path, dir.path) == 0 else {
        let code = errno
        try? fm.removeItem(at: staging)
        throw WriteError(path: dir.path, what: "model folder", code: code)
      }
    } else if let exchange = renameat2,
      exchange(AT_FDCWD, staging.path, AT_FDCWD, dir.path, renameExchange) == 0
    {
      // `staging` now holds the old model.
    } else {
      // No atomic exchange on this file system: move the old model aside first. A crash
      // between the two renames leaves it complete in `.NAME.old-*` beside the directory.
      let aside = parent.appendingPathComponent(
        ".\(dir.lastPathComponent).old-\(UUID().uuidString)", isDirectory: true)
      guard rename(dir.path, aside.path) == 0 else {
        let code = errno
        try? fm.removeItem(at: staging)
        throw WriteError(path: dir.path, what: "model folder", code: code)
      }
      guard rename(staging.path, dir.path) == 0 else {
        let code = errno
        _ = rename(aside.path, dir.path)
        try? fm.removeItem(at: staging)
        throw WriteError(path: dir.path, what: "model folder", code: code)
      }
      try? fm.removeItem(at: aside)
    }
    AtomicFile.syncFolder(parent)
    StopPoint.reach("model-exchanged")
    try? fm.removeItem(at: staging)
  }
}

/// Problems with a model directory.
public enum ModelError: Error, CustomStringConvertible, Equatable {
  case missing(path: String)
  case invalid(path: String, reason: String)
  case baseNetworkMismatch(path: String, model: String, found: String)

  public var description: String {
    switch self {
    case .missing(let p):
      "\(MessageText.escaped(p)): no such model file (train one with `hero-id train CROPS --model DIR`)"
    case .invalid(let p, let r): "\(MessageText.escaped(p)): invalid model (\(r))"
    case .baseNetworkMismatch(let p, let m, let f):
      "\(MessageText.escaped(p)): model was trained on base network \(m), but the Inception weights in use have SHA-1 \(f); retrain, or point --inception at the weights it was trained with"
    }
  }
}
