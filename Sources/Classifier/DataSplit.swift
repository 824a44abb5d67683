import Foundation
import HeroCore
import InceptionKernels

/// Which part of the data an image belongs to.
public enum DataSet: String, Sendable, Codable, CaseIterable {
  case training, validation, testing
}

/// The stable training / validation / testing split.
///
/// Each image gets a *group key*; the SHA-1 of the key, read as a number, gives a percentage in
/// [0, 100): below `validationPercentage` is validation, below `validation + testing` is testing,
/// the rest training (as `retrain.py`, which hashes the file name). The set of an image depends on
/// its own key and its class's groups: adding images never moves existing ones while the class
/// has a group in every set; a class of three or more groups that the hash leaves without a
/// validation or test group gets one (``assignCovering(keys:validationPercentage:testingPercentage:)``).
///
/// The key is the file name (with a `_nohash_` suffix stripped, as `retrain.py`), or, when
/// `index.csv` says which video and time a crop comes from, the video plus the `groupSeconds`
/// time bucket: consecutive key frames of one video look alike, and keeping a few seconds of a
/// video in one set stops near-duplicates from inflating validation and test accuracy.
public enum DataSplit {
  /// The set for `key`.
  public static func assign(key: String, validationPercentage: Double, testingPercentage: Double)
    -> DataSet
  {
    let p = percentage(key)
    if p < validationPercentage { return .validation }
    if p < validationPercentage + testingPercentage { return .testing }
    return .training
  }

  /// The sets of one class's groups (`keys`, distinct), so that a class with enough groups has
  /// one in every set asked for (validation and testing when their percentage is above 0, and
  /// training). The hash assignment is kept when it already covers them, or when there are fewer
  /// groups than sets; otherwise the fewest groups move across the boundaries: the sets are
  /// prefixes of the groups ordered by their percentage (validation, testing, training, as
  /// ``assign(key:validationPercentage:testingPercentage:)`` gives them), so an empty set takes
  /// the group nearest its range from a neighbour that has two or more. With a few videos per
  /// hero and 5 s groups, an 80/10/10 hash leaves many heroes without a test image; their test
  /// accuracy would not cover them. Stable as the hash split is while a class covers every set.
  public static func assignCovering(
    keys: [String], validationPercentage: Double, testingPercentage: Double
  ) -> [String: DataSet] {
    let sorted = Set(keys).map { ($0, percentage($0)) }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
    var sets: [String: DataSet] = [:]
    for (key, _) in sorted {
      sets[key] = assign(
        key: key, validationPercentage: validationPercentage, testingPercentage: testingPercentage)
    }
    var order: [DataSet] = []
    if validationPercentage > 0 { order.append(.validation) }
    if testingPercentage > 0 { order.append(.testing) }
    order.append(.training)
    let n = sorted.count
    var counts = order.map { set in sorted.reduce(0) { $0 + (sets[$1.0] == set ? 1 : 0) } }
    guard n >= order.count, counts.contains(0) else { return sets }
    // The first set keeps at most what leaves one group to each later set; the last set
    // keeps at most what leaves one to each earlier set; the middle set (if any) the rest.
    counts[0] = max(1, min(counts[0], n - (order.count - 1)))
    let last = order.count - 1
    counts[last] = max(1, min(counts[last], n - counts[0] - (order.count - 2)))
    if order.count == 3 { counts[1] = n - counts[0] - counts[2] }
    var i = 0
    for (s, set) in order.enumerated() {
      for _ in 0..<counts[s] {
        sets[sorted[i].0] = set
        i += 1
      }
    }
    return sets
  }

  /// SHA-1 of the key's UTF-8 bytes → a number in [0, 100) with 1e-6 resolution.
  public static func percentage(_ key: String) -> Double {
    var h = SHA1Hasher()
    h.update(key)
    let d = h.finalize()
    var v: UInt64 = 0
    for b in d.prefix(8) { v = v << 8 | UInt64(b) }
    return Double(v % 100_000_000) / 1_000_000
  }

  /// The key of a crop without provenance: its file name, `_nohash_` suffix stripped; the crops
  /// of one frame's other slots (`<hero>_NNNNNN-skill1.jpg`, ``CropFileName``) share the key of
  /// its slot-2 crop, so a frame is never split between sets.
  public static func fileKey(_ fileName: String) -> String {
    let base = (CropFileName.withoutSlot(fileName) as NSString).deletingPathExtension
    if let r = base.range(of: "_nohash_") { return String(base[..<r.lowerBound]) }
    return base
  }

  /// The key of a crop from `video` at `ptsSeconds`: the video's file name and the time bucket.
  /// `groupSeconds <= 0` means no grouping (nil: use the file key).
  public static func videoKey(video: String, ptsSeconds: Double, groupSeconds: Double) -> String? {
    guard groupSeconds > 0, ptsSeconds.isFinite else { return nil }
    let name = (video as NSString).lastPathComponent
    return "\(name)#\(Int((ptsSeconds / groupSeconds).rounded(.down)))"
  }
}

/// One image of the crop folder.
public struct LabelledImage: Sendable, Equatable {
  public var path: String
  public var label: Int
  public var set: DataSet
  /// Its group key (video and time bucket, or file key): images of one group share a set.
  public var group: String = ""
}

/// The crop folder as `retrain.py`'s `--image_dir`: one sub-folder per class (hero), `.jpg` /
/// `.jpeg` files inside. Hidden entries (the `.bottlenecks` cache) are skipped.
public struct ImageCollection: Sendable {
  public let root: String
  /// Class names, sorted; a label is an index here.
  public let classes: [String]
  public let images: [LabelledImage]

  /// Lists and splits the folder. `groupKeys` maps `<class>/<file name>` to a group key (from
  /// `index.csv`); other images use `DataSplit.fileKey`. Throws `TrainingDataError` for an
  /// unreadable folder, no classes or only one class.
  public static func scan(
    _ root: String, validationPercentage: Double = 10, testingPercentage: Double = 10,
    groupKeys: [String: String] = [:]
  ) throws -> ImageCollection {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
      throw TrainingDataError.notAFolder(path: root)
    }
    guard let entries = try? fm.contentsOfDirectory(atPath: root) else {
      throw TrainingDataError.notAFolder(path: root)
    }
    // One class per hero name under Unicode NFC (which also maps the CJK compatibility
    // ideographs to the unified ones): 李白 typed on two systems is one hero, as in `extract`.
    var byName: [String: (folders: [String], images: [(folder: String, file: String)])] = [:]
    var skipped: [VideoTree.Skipped] = []
    for name in entries.sorted() where !name.hasPrefix(".") {
      let dir = (root as NSString).appendingPathComponent(name)
      guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else { continue }
      var images: [String] = []
      for file in ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted()
      where !file.hasPrefix(".")
        && ["jpg", "jpeg"].contains((file as NSString).pathExtension.lowercased())
      {
        // Regular files only: a named pipe or a device named *.jpg would block the reader.
        let path = (dir as NSString).appendingPathComponent(file)
        switch FileKind.of(path) {
        case .regular: images.append(file)
        case .other(let kind): skipped.append(VideoTree.Skipped(path: path, kind: kind))
        default: continue
        }
      }
      guard !images.isEmpty else { continue }
      let hero = HeroSpelling.canonical(name)
      byName[hero, default: ([], [])].folders.append(name)
      byName[hero, default: ([], [])].images += images.map { (name, $0) }
    }
    let classes = byName.keys.sorted()
    if classes.isEmpty { throw TrainingDataError.noClasses(path: root) }
    if classes.count == 1 { throw TrainingDataError.oneClass(path: root, name: classes[0]) }
    var images: [LabelledImage] = []
    for (label, hero) in classes.enumerated() {
      let files = byName[hero]?.images ?? []
      let keys = files.map { folder, name in
        groupKeys["\(hero)/\(name)"] ?? groupKeys["\(folder)/\(name)"] ?? DataSplit.fileKey(name)
      }
      let sets = DataSplit.assignCovering(
        keys: keys, validationPercentage: validationPercentage,
        testingPercentage: testingPercentage)
      for ((folder, name), key) in zip(files, keys) {
        let set = sets[key] ?? .training
        let path = ((root as NSString).appendingPathComponent(folder) as NSString)
          .appendingPathComponent(name)
        images.append(LabelledImage(path: path, label: label, set: set, group: key))
      }
    }
    let spellings = byName.filter { $0.value.folders.count > 1 }.mapValues(\.folders)
    return ImageCollection(
      root: root, classes: classes, images: images, spellings: spellings, skipped: skipped)
  }

  /// The heroes whose crops sit in folders of several Unicode spellings (NFC and NFD, a
  /// compatibility ideograph): the class name (NFC) and its folders' names. Trained as one
  /// class; `train` warns naming them.
  public let spellings: [String: [String]]
  /// Entries with an image's name that are not regular files (a named pipe, a device, a
  /// socket, or a link to one): left out unread; `train` names each in one line.
  public let skipped: [VideoTree.Skipped]

  init(
    root: String, classes: [String], images: [LabelledImage], spellings: [String: [String]] = [:],
    skipped: [VideoTree.Skipped] = []
  ) {
    self.root = root
    self.classes = classes
    self.images = images
    self.spellings = spellings
    self.skipped = skipped
  }

  /// This collection with only the images `keep` accepts (labels and split sets unchanged; a
  /// class may be left with none, for ``leavingOutThin(minimumImages:)`` or the checks to see).
  public func filtering(_ keep: (LabelledImage) -> Bool) -> ImageCollection {
    ImageCollection(
      root: root, classes: classes, images: images.filter(keep), spellings: spellings)
  }

  /// How many images of `label` (all classes when nil) are in `set`.
  public func count(_ set: DataSet, label: Int? = nil) -> Int {
    images.reduce(0) { $0 + ($1.set == set && (label == nil || $1.label == label) ? 1 : 0) }
  }

  /// This collection without the classes that cannot be trained (fewer than `minimumImages`
  /// images, or none in the training set), labels renumbered, and those classes with their
  /// image counts (for a warning that names them). A scraped corpus is uneven: one hero with a
  /// single crop should not stop the others from being trained.
  public func leavingOutThin(minimumImages: Int = 3) -> (
    collection: ImageCollection, leftOut: [(name: String, count: Int)]
  ) {
    var keep: [Int] = []
    var leftOut: [(name: String, count: Int)] = []
    for (label, name) in classes.enumerated() {
      let total = images.reduce(0) { $0 + ($1.label == label ? 1 : 0) }
      if total < minimumImages || count(.training, label: label) == 0 {
        leftOut.append((name, total))
      } else {
        keep.append(label)
      }
    }
    guard !leftOut.isEmpty else { return (self, []) }
    var newLabel: [Int: Int] = [:]
    for (i, old) in keep.enumerated() { newLabel[old] = i }
    let kept = images.compactMap { image -> LabelledImage? in
      guard let l = newLabel[image.label] else { return nil }
      var copy = image
      copy.label = l
      return copy
    }
    return (
      ImageCollection(
        root: root, classes: keep.map { classes[$0] }, images: kept, spellings: spellings), leftOut
    )
  }

  /// Checks that every class can be trained: at least `minimumImages` images and one in training,
  /// and a non-empty validation set when one was asked for. Returns warnings (a class with no
  /// validation or testing image) for the caller to print.
  public func checkSplit(minimumImages: Int = 3, validationPercentage: Double) throws -> [String] {
    var warnings: [String] = []
    for (label, name) in classes.enumerated() {
      let total = images.reduce(0) { $0 + ($1.label == label ? 1 : 0) }
      let dir = (root as NSString).appendingPathComponent(name)
      if total < minimumImages {
        throw TrainingDataError.tooFewImages(path: dir, count: total, minimum: minimumImages)
      }
      if count(.training, label: label) == 0 {
        throw TrainingDataError.noTrainingImages(path: dir, count: total)
      }
      let groups = Set(images.lazy.filter { $0.label == label }.map(\.group)).count
      for set in [DataSet.validation, .testing] where count(set, label: label) == 0 {
        warnings.append(
          "warning: \(dir): no \(set.rawValue) image (of \(total), in \(groups) group"
            + "\(groups == 1 ? "" : "s"); every set gets one from 3 groups: more videos or "
            + "a smaller --group-seconds)")
      }
    }
    if validationPercentage > 0, count(.validation) == 0 {
      throw TrainingDataError.noValidationImages(path: root)
    }
    return warnings
  }
}

/// Problems with a crop folder.
public enum TrainingDataError: Error, CustomStringConvertible, Equatable {
  case notAFolder(path: String)
  case noClasses(path: String)
  case oneClass(path: String, name: String)
  case tooFewImages(path: String, count: Int, minimum: Int)
  case noTrainingImages(path: String, count: Int)
  case noValidationImages(path: String)
  /// `train --slots`: no crop of those slots in the folder.
  case noCropsOfSlots(path: String, slots: [String])

  public var description: String {
    switch self {
    case .notAFolder(let p): "\(MessageText.escaped(p)): not a readable folder"
    case .noClasses(let p):
      "\(MessageText.escaped(p)): no class folders with .jpg images (expected \(p)/<hero>/*.jpg)"
    case .noCropsOfSlots(let p, let slots):
      "\(MessageText.escaped(p)): no crops of \(slots.joined(separator: ", ")) (slot 2: <hero>_NNNNNN.jpg, slot K: "
        + "<hero>_NNNNNN-skillK.jpg, from extract --slots)"
    case .oneClass(let p, let n):
      "\(MessageText.escaped(p)): only one class (\(n)); training needs at least two hero folders"
    case .tooFewImages(let p, let c, let m):
      "\(MessageText.escaped(p)): only \(c) image\(c == 1 ? "" : "s"); each class needs at least \(m) for the split"
    case .noTrainingImages(let p, let c):
      "\(MessageText.escaped(p)): none of its \(c) images falls in the training set; add images or lower --validation-percentage/--testing-percentage"
    case .noValidationImages(let p):
      "\(MessageText.escaped(p)): the validation set is empty; add images or raise --validation-percentage"
    }
  }
}
