import Foundation
import HeroCore
import InceptionKernels

/// Bottlenecks kept on disk, one file per image, keyed by the SHA-1 of the image file's content
/// and the SHA-1 of the base network: a renamed or moved image is found again, and a different
/// base network never reuses an entry.
///
/// Entry file `<dir>/<k0k1>/<key>.bn`, where `key` = SHA-1 of `"<content sha1>:<base sha1>"`:
///
/// | offset | bytes | content |
/// |---|---|---|
/// | 0 | 8 | magic `HIDBN001` |
/// | 8 | 40 | content SHA-1, lower-case hex |
/// | 48 | 40 | base network SHA-1, lower-case hex |
/// | 88 | 4 | float count, UInt32 little-endian |
/// | 92 | 40 | SHA-1 of the float payload, hex |
/// | 132 | 4·count | the bottleneck, float32 little-endian |
///
/// Entries are written atomically. An entry whose header, length or checksum does not match is
/// treated as missing and recomputed.
public struct BottleneckCache: Sendable {
  public let directory: URL
  public let baseSHA1: String
  public let size: Int

  static let magic = Array("HIDBN001".utf8)
  static let headerSize = 132

  public init(directory: URL, baseSHA1: String, size: Int = 2048) {
    self.directory = directory
    self.baseSHA1 = baseSHA1
    self.size = size
  }

  /// The entry file for an image whose content has SHA-1 `contentSHA1`.
  public func entryURL(contentSHA1: String) -> URL {
    let key = SHA1.hex("\(contentSHA1):\(baseSHA1)")
    return directory.appendingPathComponent(String(key.prefix(2)), isDirectory: true)
      .appendingPathComponent(key + ".bn")
  }

  /// The cached bottleneck, or nil when there is none or the entry is damaged.
  public func load(contentSHA1: String) -> [Float]? {
    guard let data = try? Data(contentsOf: entryURL(contentSHA1: contentSHA1)) else { return nil }
    return decode(data, contentSHA1: contentSHA1)
  }

  /// Stores a bottleneck atomically.
  public func store(_ bottleneck: [Float], contentSHA1: String) throws {
    precondition(bottleneck.count == size)
    var payload = Data(count: 4 * size)
    payload.withUnsafeMutableBytes { raw in
      for (i, v) in bottleneck.enumerated() {
        raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
      }
    }
    var out = Data(Self.magic)
    out.append(Data(contentSHA1.utf8))
    out.append(Data(baseSHA1.utf8))
    withUnsafeBytes(of: UInt32(size).littleEndian) { out.append(contentsOf: $0) }
    out.append(Data(SHA1.hex(payload).utf8))
    out.append(payload)
    do {
      try AtomicFile.write(out, to: entryURL(contentSHA1: contentSHA1))
    } catch {
      throw WriteError(
        path: entryURL(contentSHA1: contentSHA1).path, what: "bottleneck cache entry", error: error)
    }
  }

  func decode(_ data: Data, contentSHA1: String) -> [Float]? {
    guard data.count == Self.headerSize + 4 * size else { return nil }
    let bytes = [UInt8](data)
    guard Array(bytes[0..<8]) == Self.magic,
      String(decoding: bytes[8..<48], as: UTF8.self) == contentSHA1,
      String(decoding: bytes[48..<88], as: UTF8.self) == baseSHA1
    else { return nil }
    let count =
      UInt32(bytes[88]) | UInt32(bytes[89]) << 8 | UInt32(bytes[90]) << 16 | UInt32(bytes[91]) << 24
    guard Int(count) == size else { return nil }
    let payload = data.subdata(in: (data.startIndex + Self.headerSize)..<data.endIndex)
    guard String(decoding: bytes[92..<132], as: UTF8.self) == SHA1.hex(payload) else { return nil }
    var out = [Float](repeating: 0, count: size)
    payload.withUnsafeBytes { raw in
      for i in 0..<size {
        out[i] = Float(
          bitPattern: UInt32(
            littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
      }
    }
    return out
  }
}

public enum BottleneckCacheError: Error, CustomStringConvertible {
  case cannotRead(path: String, reason: String)

  public var description: String {
    switch self {
    case .cannotRead(let p, let r): "\(MessageText.escaped(p)): \(r)"
    }
  }
}

/// Computes bottlenecks for a list of images. Not Sendable: each task makes its own.
public protocol BottleneckEncoder {
  /// One bottleneck per image, in order.
  func bottlenecks(_ images: [RGBImage]) -> [[Float]]
}

extension BottleneckCache {
  /// The bottleneck of every image in `paths`, from the cache where possible; the missing ones
  /// are computed by `jobs` tasks, each with its own encoder from `makeEncoder`, and stored.
  /// `decode` turns a file into an image (a failure there is reported for that file only).
  /// Progress of the computed ones goes to `observer` as stage "bottlenecks".
  public func bottlenecks(
    for paths: [String], jobs: Int, batchSize: Int = 8, reuse: Bool = true,
    decode: @escaping @Sendable (String) throws -> RGBImage,
    makeEncoder: @escaping @Sendable () throws -> any BottleneckEncoder,
    observer: (any JobObserver)? = nil
  ) async -> [Result<[Float], Error>] {
    await bottlenecksAndUse(
      for: paths, jobs: jobs, batchSize: batchSize, reuse: reuse, decode: decode,
      makeEncoder: makeEncoder, observer: observer
    ).results
  }

  /// ``bottlenecks(for:jobs:batchSize:reuse:decode:makeEncoder:observer:)``, and how each got
  /// its bottleneck (``BottleneckUse``: from the cache, computed, or reused).
  ///
  /// No work done twice (issue 28; `reuse`, on unless `HERO_ID_REUSE=off`): of the images not
  /// in the cache, those with the same file content (SHA-1, the cache's own key) and then those
  /// whose decoded pixels are the same (``CropKey``, after a first decode that keeps only the
  /// key) go through the network once, the first of them in `paths` order; the others get a copy
  /// of its bottleneck (bit for bit) and their own cache entry. The table is this call's list of
  /// missing images (a key and indices each, no pixels), so it is bounded by the folder and freed
  /// on return. Which images are computed, and so every count, depends only on `paths` and the
  /// cache, never on the tasks' timing. A computed image's floats can still move by the
  /// batch-against-single bound (docs/numerics.md) when duplicates leave the batches, as any
  /// change of the folder moves them.
  public func bottlenecksAndUse(
    for paths: [String], jobs: Int, batchSize: Int = 8, reuse: Bool = true,
    decode: @escaping @Sendable (String) throws -> RGBImage,
    makeEncoder: @escaping @Sendable () throws -> any BottleneckEncoder,
    observer: (any JobObserver)? = nil
  ) async -> (results: [Result<[Float], Error>], use: BottleneckUse) {
    // Content hashes and cache look-ups (cheap: small files).
    var results = [Result<[Float], Error>?](repeating: nil, count: paths.count)
    var missing: [(index: Int, path: String, sha1: String)] = []
    // With reuse: each missing image that is a copy of an earlier one, by that one's index.
    var copies: [Int: [Int]] = [:]
    var firstWithSHA1: [String: Int] = [:]
    var sha1s = [String](repeating: "", count: paths.count)
    var cached = 0
    for (i, path) in paths.enumerated() {
      do {
        let sha = try SHA1.hex(fileAt: path)
        sha1s[i] = sha
        if let cached1 = load(contentSHA1: sha) {
          results[i] = .success(cached1)
          cached += 1
        } else if reuse, let first = firstWithSHA1[sha] {
          copies[first, default: []].append(i)
        } else {
          firstWithSHA1[sha] = i
          missing.append((i, path, sha))
        }
      } catch {
        results[i] = .failure(
          BottleneckCacheError.cannotRead(path: path, reason: "cannot read file"))
      }
    }
    if reuse, missing.count > 1 {
      // Different files, the same pixels: keys from a first decode (the pixels are not kept).
      let workers = max(1, min(jobs, missing.count))
      let items = missing
      let keyed = await mapBounded(Array(0..<workers), jobs: workers) {
        w -> [(Int, Result<CropKey, Error>)] in
        stride(from: w, to: items.count, by: workers).map { j in
          (j, Result { CropKey(try decode(items[j].path)) })
        }
      }
      var keys = [Result<CropKey, Error>?](repeating: nil, count: missing.count)
      for shard in keyed { for (j, key) in shard { keys[j] = key } }
      var firstWithKey: [CropKey: Int] = [:]
      var distinct: [(index: Int, path: String, sha1: String)] = []
      for (j, item) in missing.enumerated() {
        switch keys[j] {
        case .success(let key)?:
          if let first = firstWithKey[key] {
            copies[first, default: []].append(item.index)
            copies[first, default: []].append(contentsOf: copies[item.index] ?? [])
            copies[item.index] = nil
          } else {
            firstWithKey[key] = item.index
            distinct.append(item)
          }
        // Unreadable: tried (and reported) with the others, as without reuse.
        case .failure?, nil: distinct.append(item)
        }
      }
      missing = distinct
    }
    var computed = 0
    if !missing.isEmpty {
      observer?.begin("bottlenecks", total: missing.count)
      let workers = max(1, min(jobs, missing.count))
      let shards: [[(index: Int, path: String, sha1: String)]] = (0..<workers).map { w in
        stride(from: w, to: missing.count, by: workers).map { missing[$0] }
      }
      let cache = self
      let done = await mapBounded(Array(0..<workers), jobs: workers) {
        w -> [(Int, Result<[Float], Error>)] in
        cache.compute(
          shards[w].map { ($0.index, $0.path, $0.sha1) }, batchSize: batchSize, decode: decode,
          makeEncoder: makeEncoder, observer: observer)
      }
      observer?.finish("bottlenecks")
      for shard in done {
        for (i, r) in shard {
          results[i] = r
          if case .success = r { computed += 1 }
        }
      }
    }
    // The copies: the first one's bottleneck (or its failure), and a cache entry of their own
    // where their file differs (same pixels, other bytes).
    var reused = 0
    var storeFailed = false
    for (first, others) in copies.sorted(by: { $0.key < $1.key }) {
      guard let r = results[first] else { continue }
      for i in others {
        if case .failure(let error) = r, results[i] == nil {
          // Its own message (naming its own file) where it cannot be read either.
          do {
            _ = try decode(paths[i])
            results[i] = .failure(error)
          } catch { results[i] = .failure(error) }
          continue
        }
        guard results[i] == nil, case .success(let v) = r else { continue }
        results[i] = .success(v)
        reused += 1
        if sha1s[i] != sha1s[first], load(contentSHA1: sha1s[i]) == nil {
          do { try store(v, contentSHA1: sha1s[i]) } catch {
            if !storeFailed { observer?.note("warning: \(error)") }
            storeFailed = true
          }
        }
      }
    }
    let final = results.map {
      $0 ?? .failure(BottleneckCacheError.cannotRead(path: "?", reason: "lost"))
    }
    return (
      final,
      BottleneckUse(crops: paths.count, computed: computed, reused: reused, cached: cached)
    )
  }

  private func compute(
    _ items: [(Int, String, String)], batchSize: Int,
    decode: @Sendable (String) throws -> RGBImage,
    makeEncoder: @Sendable () throws -> any BottleneckEncoder, observer: (any JobObserver)?
  ) -> [(Int, Result<[Float], Error>)] {
    var out: [(Int, Result<[Float], Error>)] = []
    out.reserveCapacity(items.count)
    let encoder: any BottleneckEncoder
    do { encoder = try makeEncoder() } catch {
      return items.map { ($0.0, .failure(error)) }
    }
    var start = 0
    var storeFailed = false
    while start < items.count {
      let chunk = items[start..<min(start + max(batchSize, 1), items.count)]
      start += chunk.count
      var images: [RGBImage] = []
      var ok: [(Int, String)] = []
      for (i, path, sha) in chunk {
        do {
          images.append(try decode(path))
          ok.append((i, sha))
        } catch {
          out.append((i, .failure(error)))
        }
      }
      if !images.isEmpty {
        let vectors = encoder.bottlenecks(images)
        for ((i, sha), v) in zip(ok, vectors) {
          // A cache that cannot be written costs time later, not correctness now.
          do { try store(v, contentSHA1: sha) } catch {
            if !storeFailed { observer?.note("warning: \(error)") }
            storeFailed = true
          }
          out.append((i, .success(v)))
        }
      }
      observer?.advance("bottlenecks", by: chunk.count, note: "")
    }
    return out
  }
}

extension InceptionV3: BottleneckEncoder {}
