import Foundation
import HeroCore
import Inception
import InceptionKernels
import Preprocess
import TestSupport
import Testing

/// A stand-in encoder: the bottleneck is the image's mean colour repeated, plus a call count.
final class CountingEncoder: BottleneckEncoder {
  nonisolated(unsafe) static var calls = 0
  static let lock = NSLock()
  func bottlenecks(_ images: [RGBImage]) -> [[Float]] {
    Self.lock.lock()
    Self.calls += images.count
    Self.lock.unlock()
    return images.map { image in
      var sum = 0.0
      for p in image.pixels { sum += Double(p) }
      return [Float](repeating: Float(sum / Double(image.pixels.count)), count: 8)
    }
  }
}

@Suite("Bottleneck cache", .serialized)
struct CacheTests {
  func writeImages(_ folder: TemporaryFolder, count: Int) throws -> [String] {
    try (0..<count).map { i in
      let path = folder.sub("img\(i).jpg")
      let data = try JPEG.encode(RGBImageFixture.flat(UInt8(20 * i), 100, 50))
      try data.write(to: URL(fileURLWithPath: path))
      return path
    }
  }

  func run(_ cache: BottleneckCache, _ paths: [String]) async -> [Result<[Float], Error>] {
    await cache.bottlenecks(
      for: paths, jobs: 2, decode: { try JPEG.decode(fileAt: $0) },
      makeEncoder: { CountingEncoder() })
  }

  @Test("entries are reused across renames, not across base networks; damage is recomputed")
  func reuseAndInvalidation() async throws {
    let folder = TemporaryFolder()
    let paths = try writeImages(folder, count: 5)
    let dir = URL(fileURLWithPath: folder.sub(".bottlenecks"))
    let cache = BottleneckCache(
      directory: dir, baseSHA1: String(repeating: "a", count: 40), size: 8)
    CountingEncoder.calls = 0
    let first = await run(cache, paths)
    #expect(CountingEncoder.calls == 5)
    #expect(first.allSatisfy { (try? $0.get())?.count == 8 })

    // Renamed file: same content, found in the cache.
    let moved = folder.sub("renamed.jpg")
    try FileManager.default.moveItem(atPath: paths[0], toPath: moved)
    let again = await run(cache, [moved] + paths.dropFirst())
    #expect(CountingEncoder.calls == 5)
    #expect(try again[0].get() == first[0].get())

    // Another base network never reuses the entries.
    let other = BottleneckCache(
      directory: dir, baseSHA1: String(repeating: "b", count: 40), size: 8)
    _ = await run(other, Array(paths.dropFirst()))
    #expect(CountingEncoder.calls == 9)

    // A damaged entry (one payload byte flipped) and a short one are recomputed, not trusted.
    let sha = try SHA1.hex(fileAt: paths[1])
    let entry = cache.entryURL(contentSHA1: sha)
    var bytes = try Data(contentsOf: entry)
    bytes[bytes.count - 1] ^= 0x55
    try bytes.write(to: entry)
    #expect(cache.load(contentSHA1: sha) == nil)
    let sha2 = try SHA1.hex(fileAt: paths[2])
    try Data(try Data(contentsOf: cache.entryURL(contentSHA1: sha2)).prefix(100))
      .write(to: cache.entryURL(contentSHA1: sha2))
    let repaired = await run(cache, [paths[1], paths[2]])
    #expect(CountingEncoder.calls == 11)
    #expect(try repaired[0].get() == first[1].get())
    #expect(cache.load(contentSHA1: sha) == (try first[1].get()))
  }

  @Test("a bad image fails alone; the others are computed")
  func badImage() async throws {
    let folder = TemporaryFolder()
    var paths = try writeImages(folder, count: 2)
    let bad = folder.sub("bad.jpg")
    try Data("not a jpeg".utf8).write(to: URL(fileURLWithPath: bad))
    paths.insert(bad, at: 1)
    paths.append(folder.sub("missing.jpg"))
    let cache = BottleneckCache(
      directory: URL(fileURLWithPath: folder.sub("c")), baseSHA1: String(repeating: "a", count: 40),
      size: 8)
    let results = await run(cache, paths)
    #expect((try? results[0].get()) != nil)
    #expect((try? results[2].get()) != nil)
    guard case .failure(let e1) = results[1], case .failure(let e2) = results[3] else {
      Issue.record("bad and missing files should fail")
      return
    }
    #expect("\(e1)".contains("bad.jpg"))
    #expect("\(e2)".contains("missing.jpg"))
  }
}

/// A stand-in encoder with a count of its own (suites run side by side): the bottleneck is a
/// position-weighted sum of the image's bytes, so different crops get different vectors.
final class OwnCountEncoder: BottleneckEncoder, @unchecked Sendable {
  let lock = NSLock()
  private var count = 0
  var calls: Int { lock.withLock { count } }
  func bottlenecks(_ images: [RGBImage]) -> [[Float]] {
    lock.withLock { count += images.count }
    return images.map { image in
      var sum = 0.0
      for (i, p) in image.pixels.enumerated() { sum += Double(p) * Double(i % 89 + 1) }
      return [Float](repeating: Float(sum), count: 8)
    }
  }
}

@Suite("Bottleneck reuse within a run")
struct CacheReuseTests {
  /// `jpeg` with a comment segment after its SOI marker: other bytes, the same pixels.
  func commented(_ jpeg: Data) -> Data {
    var out = Data(jpeg.prefix(2))
    out.append(contentsOf: [0xFF, 0xFE, 0x00, 0x06] + Array("abcd".utf8))
    out.append(jpeg.dropFirst(2))
    return out
  }

  @Test("identical crops (same bytes, or same pixels) go through the network once per run")
  func identicalCropsAreComputedOnce() async throws {
    let folder = TemporaryFolder()
    var paths: [String] = []
    func write(_ data: Data, _ name: String) throws {
      let path = folder.sub(name)
      try data.write(to: URL(fileURLWithPath: path))
      paths.append(path)
    }
    let icons = (0..<3).map { RGBImageFixture.icon($0) }
    let jpegs = try icons.map { try JPEG.encode($0, quality: 95) }
    try write(jpegs[0], "a.jpg")
    try write(jpegs[1], "b.jpg")
    try write(jpegs[0], "a-copy.jpg")  // the same bytes
    try write(commented(jpegs[0]), "a-comment.jpg")  // other bytes, the same pixels
    try write(jpegs[2], "c.jpg")
    try write(commented(jpegs[1]), "b-comment.jpg")
    try write(Data("not a jpeg".utf8), "bad.jpg")
    try write(Data("not a jpeg".utf8), "bad-copy.jpg")
    #expect(try JPEG.decode(fileAt: paths[3]) == JPEG.decode(fileAt: paths[0]))
    #expect(try SHA1.hex(fileAt: paths[3]) != SHA1.hex(fileAt: paths[0]))
    let cache = BottleneckCache(
      directory: URL(fileURLWithPath: folder.sub("c")), baseSHA1: String(repeating: "a", count: 40),
      size: 8)
    let counter = OwnCountEncoder()
    let (results, use) = await cache.bottlenecksAndUse(
      for: paths, jobs: 2, decode: { try JPEG.decode(fileAt: $0) }, makeEncoder: { counter })
    #expect(counter.calls == 3)
    #expect(use == BottleneckUse(crops: 8, computed: 3, reused: 3, cached: 0))
    let v = results.map { try? $0.get() }
    #expect(v[0] != nil && v[0] == v[2] && v[0] == v[3])
    #expect(v[1] != nil && v[1] == v[5])
    #expect(v[4] != nil && v[4] != v[0] && v[4] != v[1])
    // Each unreadable file fails with its own name.
    for (i, name) in [(6, "bad.jpg"), (7, "bad-copy.jpg")] {
      guard case .failure(let e) = results[i] else {
        Issue.record("\(name) should fail")
        continue
      }
      #expect("\(e)".contains(folder.sub(name)), "\(e)")
    }
    // Every readable crop has its own cache entry: the next run computes nothing.
    let (again, use2) = await cache.bottlenecksAndUse(
      for: Array(paths.prefix(6)), jobs: 2, decode: { try JPEG.decode(fileAt: $0) },
      makeEncoder: { counter })
    #expect(counter.calls == 3)
    #expect(use2 == BottleneckUse(crops: 6, computed: 0, reused: 0, cached: 6))
    #expect(again.map { try? $0.get() } == Array(v.prefix(6)))
  }

  @Test("reuse off: every missing crop is computed")
  func reuseOff() async throws {
    let folder = TemporaryFolder()
    let jpeg = try JPEG.encode(RGBImageFixture.icon(1), quality: 95)
    let paths = try (0..<4).map { i in
      let path = folder.sub("x\(i).jpg")
      try jpeg.write(to: URL(fileURLWithPath: path))
      return path
    }
    let cache = BottleneckCache(
      directory: URL(fileURLWithPath: folder.sub("c")), baseSHA1: String(repeating: "a", count: 40),
      size: 8)
    let counter = OwnCountEncoder()
    let (results, use) = await cache.bottlenecksAndUse(
      for: paths, jobs: 1, reuse: false, decode: { try JPEG.decode(fileAt: $0) },
      makeEncoder: { counter })
    #expect(counter.calls == 4)
    #expect(use == BottleneckUse(crops: 4, computed: 4, reused: 0, cached: 0))
    #expect(Set(results.map { try? $0.get() }).count == 1)
  }
}
