import Foundation
import HeroCore
import Inception
import InceptionKernels
import Preprocess
import TestSupport
import Testing

/// The weights file and the reference images (Reference/README.md).
enum Fixtures {
  static let inceptionPath = HeroIDHome.inceptionPath()
  static let hasInception = FileManager.default.fileExists(atPath: inceptionPath)
  static let weights: InceptionWeights? = try? InceptionWeights.load(path: inceptionPath)

  static var referenceDirectory: URL? {
    Bundle.module.url(forResource: "Reference", withExtension: nil)
  }

  /// The reference images by name, decoded with libjpeg-turbo's accurate defaults, and vectors.
  static func references() throws -> [(name: String, image: RGBImage, vector: [Float])] {
    guard let dir = referenceDirectory else { throw CocoaError(.fileNoSuchFile) }
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
      .filter { $0.hasSuffix(".jpg") }.sorted()
    return try names.map { file in
      let stem = String(file.dropLast(4))
      let image = try JPEG.decode(
        Data(contentsOf: dir.appendingPathComponent(file)), source: file)
      let raw = try Data(contentsOf: dir.appendingPathComponent(stem + ".f32"))
      var vector = [Float](repeating: 0, count: raw.count / 4)
      raw.withUnsafeBytes { r in
        for i in vector.indices {
          vector[i] = Float(
            bitPattern: UInt32(
              littleEndian: r.loadUnaligned(
                fromByteOffset: i * 4, as: UInt32.self)))
        }
      }
      return (stem, image, vector)
    }
  }
}

/// Max |difference| (and where), and cosine similarity of two vectors.
struct Agreement: CustomStringConvertible {
  let maxDiff: Float
  let worstIndex: Int
  let cosine: Double

  init(_ got: [Float], _ want: [Float]) {
    precondition(got.count == want.count)
    var m: Float = 0
    var at = 0
    var dot = 0.0
    var g2 = 0.0
    var w2 = 0.0
    for i in got.indices {
      let d = abs(got[i] - want[i])
      if d > m {
        m = d
        at = i
      }
      dot += Double(got[i]) * Double(want[i])
      g2 += Double(got[i]) * Double(got[i])
      w2 += Double(want[i]) * Double(want[i])
    }
    maxDiff = m
    worstIndex = at
    cosine = g2 == 0 && w2 == 0 ? 1 : dot / ((g2 * w2).squareRoot())
  }

  var description: String { "max |diff| \(maxDiff) at index \(worstIndex), cosine \(cosine)" }
}

@Suite(.serialized) struct InceptionGoldenTests {
  @Test(
    "every reference image matches its PyTorch vector (max |diff| <= 1e-3, cosine >= 0.99999)",
    .enabled(
      if: Fixtures.hasInception,
      "needs the 87 MB weights at $HERO_ID_HOME/inception-2015-12-05.pt (make setup)"))
  func goldenVectors() throws {
    let weights = try #require(Fixtures.weights)
    #expect(weights.sha1 == InceptionConstants.expectedSHA1)
    let refs = try Fixtures.references()
    #expect(refs.count == 12)
    let net = InceptionV3(weights: weights)
    let got = net.bottlenecks(refs.map(\.image))
    var comparisons: [Comparison] = []
    for (ref, vector) in zip(refs, got) {
      #expect(vector.count == InceptionConstants.bottleneckSize)
      let a = Agreement(vector, ref.vector)
      // The contract's limit.
      #expect(a.maxDiff <= 1e-3 && a.cosine >= 0.99999, "\(ref.name): \(a)")
      // PyTorch's float computation and ours are both within the network's probabilistic
      // bound of the exact vector.
      let bound = Comparison(
        vector, ref.vector, relativeToMagnitude: ConvolutionBounds.inceptionRelative)
      #expect(bound.holds, "\(ref.name): \(bound)")
      // And the level measured, so that a regression far inside the contract still fails:
      // worst relative error (|diff| / the vector's largest element) 5.3e-6 to 1.06e-5 over the
      // twelve images with each OpenBLAS kernel an AMD EPYC (Zen 5, AVX-512) runs, Prescott to
      // Cooperlake, with hero-id's GEMM and without (scripts/test.sh); 4x that here.
      let level = Comparison(vector, ref.vector, relativeToMagnitude: Self.goldenLevel)
      #expect(level.holds, "\(ref.name): \(level), over 4x the measured level")
      comparisons.append(bound)
    }
    reportRounding("golden vectors against PyTorch (network bound)", comparisons)
  }

  /// Four times the largest relative error measured against the golden vectors (above).
  static let goldenLevel = 4.5e-5

  @Test(
    "every build of the Winograd transforms gives the golden vectors (AVX-512 AVX2's, bit for bit)",
    .enabled(
      if: Fixtures.hasInception,
      "needs the 87 MB weights at $HERO_ID_HOME/inception-2015-12-05.pt (make setup)"))
  func goldenVectorsOnEveryTransformPath() throws {
    let weights = try #require(Fixtures.weights)
    let refs = try Fixtures.references()
    var vectors: [WinogradPath: [[Float]]] = [:]
    var comparisons: [Comparison] = []
    for path in Kernels.winogradPaths {
      let w = path == weights.winogradPath ? weights : weights.withTransforms(path)
      #expect(w.winogradPath == path)
      let got = InceptionV3(weights: w).bottlenecks(refs.map(\.image))
      vectors[path] = got
      for (ref, vector) in zip(refs, got) {
        let a = Agreement(vector, ref.vector)
        #expect(a.maxDiff <= 1e-3 && a.cosine >= 0.99999, "\(ref.name), \(path): \(a)")
        let level = Comparison(vector, ref.vector, relativeToMagnitude: Self.goldenLevel)
        #expect(level.holds, "\(ref.name), \(path): \(level), over 4x the measured level")
        let bound = Comparison(
          vector, ref.vector, relativeToMagnitude: ConvolutionBounds.inceptionRelative)
        #expect(bound.holds, "\(ref.name), \(path): \(bound)")
        comparisons.append(bound)
      }
    }
    reportRounding("golden vectors on every transform build (network bound)", comparisons)
    if let wide = vectors[.avx512], let narrow = vectors[.avx2] {
      #expect(wide == narrow, "AVX-512 transforms against AVX2 ones, same GEMM path")
    } else {
      print("note: this CPU lacks AVX-512 (or AVX2): AVX-512 transforms not compared")
    }
  }

  @Test(
    "a batch of N gives the same vectors as N single images",
    .enabled(
      if: Fixtures.hasInception,
      "needs the 87 MB weights at $HERO_ID_HOME/inception-2015-12-05.pt (make setup)"))
  func batchEqualsSingles() throws {
    let weights = try #require(Fixtures.weights)
    let refs = try Fixtures.references().filter { $0.image.width == 100 }
    #expect(refs.count == 3)
    let net = InceptionV3(weights: weights, batchSize: 2)  // 2 + 1: two forward passes
    let batched = net.bottlenecks(refs.map(\.image))
    // Not bit-for-bit: a GEMM sums its edge in another order when its width changes with the
    // batch. Both are within the network's rounding bound; a wrong image or channel offset
    // would be off by a tenth of the vector's magnitude and more.
    let relative = ConvolutionBounds.inceptionRelative
    var comparisons: [Comparison] = []
    for (ref, vector) in zip(refs, batched) {
      let single = net.bottleneck(ref.image)
      let c = Comparison(vector, single, relativeToMagnitude: relative)
      #expect(c.holds, "\(ref.name): \(c)")
      comparisons.append(c)
    }
    // Two lanes (threads across the images of a batch) give the same vectors too.
    let lanes = InceptionV3(weights: weights, batchSize: 3, threads: 2)
    #expect(lanes.threads == 2)
    let lone = lanes.bottleneck(refs[0].image)  // one image: one lane, layers split in two
    let loneComparison = Comparison(lone, batched[0], relativeToMagnitude: relative)
    #expect(loneComparison.holds, "lone image in two lanes: \(loneComparison)")
    comparisons.append(loneComparison)
    for (ref, (a, b)) in zip(refs, zip(lanes.bottlenecks(refs.map(\.image)), batched)) {
      let c = Comparison(a, b, relativeToMagnitude: relative)
      #expect(c.holds, "\(ref.name), two lanes: \(c)")
      comparisons.append(c)
    }
    reportRounding("a batch against single images (network bound)", comparisons)
  }

  @Test(
    "a lone image split across threads gives the single-thread vectors",
    .enabled(
      if: Fixtures.hasInception,
      "needs the 87 MB weights at $HERO_ID_HOME/inception-2015-12-05.pt (make setup)"))
  func loneImageSplitEqualsSingleThread() throws {
    let weights = try #require(Fixtures.weights)
    // A 299x299 image (Winograd at 35x35 and in the stem) and a 100-pixel one.
    let refs = try Fixtures.references()
    let images = [refs.first { $0.image.width == 299 }, refs.first { $0.image.width == 100 }]
      .compactMap { $0?.image }
    #expect(images.count == 2)
    var comparisons: [Comparison] = []
    // On every build of the Winograd transforms the CPU runs.
    for path in Kernels.winogradPaths {
      let weights = path == weights.winogradPath ? weights : weights.withTransforms(path)
      let split = InceptionV3(weights: weights, batchSize: 1, threads: 2)
      let splitVectors = images.map { split.bottleneck($0) }  // each layer split in two parts
      #expect(BLAS.threads == 1)  // the split runs OpenBLAS at one thread
      // Both ways of storing the transformed tiles, whatever the cores' placement now.
      split.streamTransformedTiles = true
      let streamedVectors = images.map { split.bottleneck($0) }
      split.streamTransformedTiles = false
      let cachedVectors = images.map { split.bottleneck($0) }
      let single = InceptionV3(weights: weights, batchSize: 1, threads: 1)
      for (i, image) in images.enumerated() {
        let want = single.bottleneck(image)  // everything in the caller, OpenBLAS at one thread
        for got in [splitVectors[i], streamedVectors[i], cachedVectors[i]] {
          // The split hands the GEMMs sub-blocks of other shapes, whose edge kernels group the
          // multiply-adds differently: within the network's rounding bound.
          let c = Comparison(got, want, relativeToMagnitude: ConvolutionBounds.inceptionRelative)
          #expect(c.holds, "\(image.width)x\(image.height), \(path) transforms: \(c)")
          comparisons.append(c)
        }
      }
    }
    reportRounding("a lone image split across threads (network bound)", comparisons)
  }

  @Test(
    "a split lone image gives the same vectors whether its threads were spinning or asleep",
    .enabled(
      if: Fixtures.hasInception,
      "needs the 87 MB weights at $HERO_ID_HOME/inception-2015-12-05.pt (make setup)"))
  func teamWakesFromSleep() throws {
    let weights = try #require(Fixtures.weights)
    let image = try #require(try Fixtures.references().first { $0.image.width == 100 }?.image)
    let split = InceptionV3(weights: weights, batchSize: 1, threads: 2)
    let first = split.bottleneck(image)  // the worker starts asleep
    for round in 0..<6 {
      // Odd rounds: a pause far past the worker's watch (200 µs), so it has blocked and each
      // run must wake it; even rounds: back to back, it is still watching.
      if round % 2 == 1 { Thread.sleep(forTimeInterval: 0.01) }
      #expect(split.bottleneck(image) == first, "round \(round)")
    }
  }

  @Test("a missing weights file names the path and says how to get it")
  func missingWeights() {
    let path = "/nonexistent/hero-id/inception.pt"
    do {
      _ = try InceptionWeights.load(path: path)
      Issue.record("expected an error")
    } catch {
      let text = "\(error)"
      #expect(text.contains(path) && text.contains("make setup"))
    }
  }

  @Test("a file that is not a zip archive is rejected with its name")
  func notAZip() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "not-a-zip-\(UUID().uuidString).pt")
    try Data(repeating: 7, count: 1000).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    do {
      _ = try InceptionWeights.load(path: url.path)
      Issue.record("expected an error")
    } catch let e as InceptionError {
      #expect(e.description.contains(url.lastPathComponent))
      #expect(e.description.contains("zip"))
    }
  }
}
