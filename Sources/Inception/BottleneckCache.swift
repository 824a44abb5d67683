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
    for paths: [String], jobs: Int, batchSize: Int = 8,
    decode: @escaping @Sendable (String) throws -> RGBImage,
    makeEncoder: @escaping @Sendable () throws -> any BottleneckEncoder,
    observer: (any JobObserver)? = nil
  ) async -> [Result<[Float], Error>] {
    // Content hashes and cache look-ups (cheap: small files).
    var results = [Result<[Float], Error>?](repeating: nil, count: paths.count)
    var missing: [(index: Int, path: String, sha1: String)] = []
    for (i, path) in paths.enumerated() {
      do {
        let sha = try SHA1.hex(fileAt: path)
        if let cached = load(contentSHA1: sha) {
          results[i] = .success(cached)
        } else {
          missing.append((i, path, sha))
        }
      } catch {
        results[i] = .failure(
          BottleneckCacheError.cannotRead(path: path, reason: "cannot read file"))
      }
    }
    if !missing.isEmpty {
      observer?.begin("bottlenecks", total: missing.count)
      let workers = max(1, min(jobs, missing.count))
      let shards: [[(index: Int, path: String, sha1: String)]] = (0..<workers).map { w in
        stride(from: w, to: missing.count, by: workers).map { missing[$0] }
      }
      let cache = self
      let computed = await mapBounded(Array(0..<workers), jobs: workers) {
        w -> [(Int, Result<[Float], Error>)] in
        cache.compute(
          shards[w].map { ($0.index, $0.path, $0.sha1) }, batchSize: batchSize, decode: decode,
          makeEncoder: makeEncoder, observer: observer)
      }
      observer?.finish("bottlenecks")
      for shard in computed {
        for (i, r) in shard { results[i] = r }
      }
    }
    return results.map {
      $0 ?? .failure(BottleneckCacheError.cannotRead(path: "?", reason: "lost"))
    }
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
