import Inception
import InceptionKernels
import Foundation
import HeroCore
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
