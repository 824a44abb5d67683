import HeroCore
import Inception

/// One clip's bottlenecks with no work done twice (issue 28): a crop pixel for pixel identical
/// to one already added (the same ``CropKey``, then the same pixels, compared in full, so a
/// digest collision can never conflate two crops) takes that crop's bottleneck; only the first
/// of each goes to the network, through a ``BackgroundEncoder`` (made on the first crop, so a
/// clip without gameplay builds no network).
///
/// What is guaranteed: a reused bottleneck is bit for bit the one its first crop got in this
/// clip. The distinct crops go to the encoder in the order they came, in batches of the same
/// size as without reuse; a clip without duplicates gets exactly the floats it got before.
/// With duplicates, a distinct crop may share a batch with other neighbours than it would have
/// without reuse, and a batch moves an image's floats within the batch-against-single bound
/// (docs/numerics.md: a few 1e-6 of the vector's largest element); `identify`'s answers and
/// per-frame probabilities are compared with a run without reuse in the tests.
///
/// Memory: one table per clip, dropped at its end: a 20-byte key and an index per distinct
/// crop and an index per crop; the distinct crops' pixels are shared (copy on write) with the
/// crops `identify` keeps to the clip's end anyway. So at most `--max-key-frames` (240) times
/// the model's slots (3) entries per clip in flight. A table per clip rather than one across
/// clips: the clips of a run are encoded in tasks of their own, and a clip's answer (and its
/// last bits) must not depend on which clips ran beside it or before it (a batch resumed from its
/// journal, a `serve` upload, `--jobs`).
///
/// Not `Sendable`: one clip's task adds and finishes.
public final class ClipBottlenecks {
  private let makeEncoder: () throws -> any BottleneckEncoder
  private let batchSize: Int
  private var encoder: BackgroundEncoder?
  /// Off: every crop goes to the network (`HERO_ID_REUSE=off`).
  public let reuse: Bool
  /// Distinct crops by key (more than one only on a digest collision).
  private var byKey: [CropKey: [Int]] = [:]
  /// The distinct crops, in order (kept with reuse only).
  private var distinct: [RGBImage] = []
  /// Per crop added: its row among the distinct crops' bottlenecks.
  private var rows: [Int] = []
  private var computed = 0

  /// `makeEncoder` is called once, on the encoder's queue when the first batch is ready (so
  /// it may wait for a base network still loading while crops are added); its error is
  /// ``finish()``'s. Batches of `batchSize` go to it.
  public init(
    reuse: Bool = true, batchSize: Int = 4,
    makeEncoder: @escaping () throws -> any BottleneckEncoder
  ) {
    self.reuse = reuse
    self.batchSize = batchSize
    self.makeEncoder = makeEncoder
  }

  /// Adds `crop`: queued for the network, or reused when identical to an earlier crop.
  public func add(_ crop: RGBImage) {
    if reuse {
      let key = CropKey(crop)
      if let same = byKey[key]?.first(where: { distinct[$0] == crop }) {
        rows.append(same)
        return
      }
      byKey[key, default: []].append(distinct.count)
      distinct.append(crop)
    }
    rows.append(computed)
    computed += 1
    if encoder == nil {
      encoder = BackgroundEncoder(makeEncoder: makeEncoder, batchSize: batchSize)
    }
    encoder?.add(crop)
  }

  /// Crops added, computed and reused so far.
  public var use: BottleneckUse {
    BottleneckUse(crops: rows.count, computed: computed, reused: rows.count - computed)
  }

  /// Every crop's bottleneck, in the order of ``add(_:)``, concatenated; empty with no crop.
  /// Throws the encoder factory's error.
  public func finish() throws -> [Float] {
    guard let encoder, computed > 0 else { return [] }
    let features = try encoder.finish()
    if rows.count == computed { return features }
    let size = features.count / computed
    var out = [Float]()
    out.reserveCapacity(rows.count * size)
    for row in rows { out.append(contentsOf: features[(row * size)..<((row + 1) * size)]) }
    return out
  }
}
