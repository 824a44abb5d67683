import Foundation
import HeroCore
import Inception
import InceptionKernels
import Preprocess

/// `calibrate` (hidden): measures the int8 forward pass's input ranges on a folder of crops and
/// gives the table as Swift source (`Sources/InceptionKernels/Int8CalibrationTable.swift`).
/// Deterministic: the crops are read in sorted path order, and the statistics do not depend on
/// the order anyway.
public struct CalibrateJob {
  public struct Options: Sendable {
    /// `--inception` (nil: `$HERO_ID_INCEPTION` or the home folder's).
    public var inception: String?
    /// How each layer's values become one range.
    public var statistic: Int8RangeStatistic = .max
    /// Only crops whose file name ends so (e.g. `-skill1.jpg`); nil: every `.jpg`.
    public var nameSuffixes: [String]?
    /// Threads (nil: all cores).
    public var threads: Int?
    /// The words the table's `source` gives (nil: the folder and the crop count).
    public var source: String?
    public init() {}
  }

  public let options: Options

  public init(options: Options) { self.options = options }

  /// The `.jpg` files under `folder` (recursively) that the options select, sorted.
  public func crops(in folder: String) throws -> [String] {
    let root = URL(fileURLWithPath: folder)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory),
      isDirectory.boolValue
    else { throw ImageReadError(path: folder, reason: "not a folder of crops") }
    guard let walker = FileManager.default.enumerator(atPath: folder) else {
      throw ImageReadError(path: folder, reason: "cannot list the folder")
    }
    var paths: [String] = []
    while let relative = walker.nextObject() as? String {
      guard relative.lowercased().hasSuffix(".jpg") else { continue }
      if let suffixes = options.nameSuffixes,
        !suffixes.contains(where: { relative.hasSuffix($0) })
      {
        continue
      }
      paths.append(root.appendingPathComponent(relative).path)
    }
    paths.sort()
    guard !paths.isEmpty else { throw ImageReadError(path: folder, reason: "no crops (.jpg)") }
    return paths
  }

  /// The calibration measured on the crops under `folder`.
  public func run(folder: String, progress: (String) -> Void = { _ in }) throws
    -> Int8Calibration
  {
    let paths = try crops(in: folder)
    let weights = try InceptionWeights.load(
      path: HeroIDHome.inceptionPath(override: options.inception))
    let cores = options.threads ?? ProcessInfo.processInfo.activeProcessorCount
    ThreadPolicy(tasks: 1, decoderThreads: 0, blasThreads: 1).apply()
    let meter = Int8RangeMeter(
      weights: weights, statistic: options.statistic, batchSize: 16, threads: cores)
    var images: [RGBImage] = []
    images.reserveCapacity(paths.count)
    for path in paths { images.append(try JPEG.decode(fileAt: path)) }
    while meter.passesLeft > 0 {
      var first = 0
      while first < images.count {
        let end = min(images.count, first + 16)
        meter.add(Array(images[first..<end]))
        first = end
      }
      meter.finishPass()
      progress("calibrate: pass done (\(meter.passesLeft) left)")
    }
    let ranges = meter.ranges().filter { Int8Calibration.int8Layers.contains($0.key) }
    let source =
      options.source
      ?? "\(paths.count) crops of \(folder), \(options.statistic) of each layer's input"
    let table = Int8Calibration(source: source, images: paths.count, inputRanges: ranges)
    let problems = table.problems
    guard problems.isEmpty else {
      throw ImageReadError(
        path: folder, reason: "calibration incomplete: " + problems.joined(separator: "; "))
    }
    return table
  }
}
