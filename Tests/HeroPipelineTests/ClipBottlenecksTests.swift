import Foundation
import HeroCore
import HeroPipeline
import Inception
import TestSupport
import Testing

/// An encoder whose bottleneck depends on every byte of the image and on its width: a crop
/// wrongly taken for another would get the other's vector. Counts the images it is given.
final class PixelSumEncoder: BottleneckEncoder, @unchecked Sendable {
  let lock = NSLock()
  private var encoded = 0
  var images: Int { lock.withLock { encoded } }
  func bottlenecks(_ images: [RGBImage]) -> [[Float]] {
    lock.withLock { encoded += images.count }
    return images.map { image in
      var weighted = 0.0
      for (i, p) in image.pixels.enumerated() { weighted += Double(p) * Double(i % 97 + 1) }
      return [Float(weighted), Float(image.width), Float(image.pixels.reduce(0) { $0 + Int($1) })]
    }
  }
}

@Suite struct ClipBottlenecksTests {
  /// Rows of `size` floats.
  func rows(_ features: [Float], size: Int) -> [[Float]] {
    stride(from: 0, to: features.count, by: size).map { Array(features[$0..<($0 + size)]) }
  }

  @Test("identical crops go through the network once and get the same bottleneck")
  func identicalCropsAreEncodedOnce() throws {
    let a = RGBImageFixture.icon(0)
    let b = RGBImageFixture.icon(1)
    let c = RGBImageFixture.icon(0, brightness: 0.5)
    // `a` again, built afresh (equal pixels, another array): content, not identity, counts.
    let a2 = RGBImageFixture.icon(0)
    let encoder = PixelSumEncoder()
    let clip = ClipBottlenecks(batchSize: 4, makeEncoder: { encoder })
    for crop in [a, b, a, a2, c, b, a] { clip.add(crop) }
    #expect(clip.use == BottleneckUse(crops: 7, computed: 3, reused: 4))
    let got = rows(try clip.finish(), size: 3)
    #expect(encoder.images == 3)
    #expect(got.count == 7)
    #expect(got[0] == got[2] && got[0] == got[3] && got[0] == got[6])
    #expect(got[1] == got[5])
    #expect(Set([got[0], got[1], got[4]]).count == 3)
    // Each row is what the encoder gives that crop alone.
    let alone = PixelSumEncoder().bottlenecks([a, b, a, a2, c, b, a])
    #expect(got == alone)
  }

  @Test("crops that differ in one byte, or only in shape, are not conflated")
  func differentCropsAreKeptApart() throws {
    let a = RGBImageFixture.icon(2)
    var oneByte = a
    oneByte.pixels[oneByte.pixels.count - 1] ^= 1
    // The same bytes read as another shape: 104x104 and 208x52.
    let reshaped = RGBImage(width: 208, height: 52, pixels: a.pixels)
    let encoder = PixelSumEncoder()
    let clip = ClipBottlenecks(makeEncoder: { encoder })
    for crop in [a, oneByte, reshaped] { clip.add(crop) }
    #expect(CropKey(a) != CropKey(oneByte) && CropKey(a) != CropKey(reshaped))
    #expect(CropKey(a) == CropKey(RGBImageFixture.icon(2)))
    #expect(clip.use == BottleneckUse(crops: 3, computed: 3, reused: 0))
    let got = rows(try clip.finish(), size: 3)
    #expect(encoder.images == 3)
    #expect(Set(got).count == 3)
  }

  @Test("reuse off (HERO_ID_REUSE=off): every crop goes through the network")
  func reuseOff() throws {
    let a = RGBImageFixture.icon(3)
    let encoder = PixelSumEncoder()
    let clip = ClipBottlenecks(reuse: false, makeEncoder: { encoder })
    for _ in 0..<5 { clip.add(a) }
    #expect(rows(try clip.finish(), size: 3).count == 5)
    #expect(encoder.images == 5)
    #expect(clip.use == BottleneckUse(crops: 5, computed: 5, reused: 0))
  }

  @Test("no crop: no encoder made, no bottlenecks")
  func noCrop() throws {
    let clip = ClipBottlenecks(makeEncoder: {
      Issue.record("an encoder was made for a clip without crops")
      return PixelSumEncoder()
    })
    #expect(try clip.finish().isEmpty)
    #expect(clip.use == BottleneckUse())
  }

  @Test(
    "with the real network a reused bottleneck is its first copy bit for bit, a recomputed one within the bound",
    .enabled(if: hasInception, "needs the Inception weights (make setup)"))
  func realNetworkReuseIsBitIdentical() throws {
    let base = try BaseNetwork.load(override: nil)
    let policy = ThreadPolicy(tasks: 1, decoderThreads: 0, blasThreads: 1)
    let crops = (0..<4).map { RGBImageFixture.icon($0, twist: 0.3) }
    // Twice the same four: without reuse two batches of the same four crops (the same floats,
    // as a batch's composition is what moves them), with reuse one batch.
    let twice = crops + crops
    let reusing = ClipBottlenecks(batchSize: 4, makeEncoder: { base.encoder(for: policy) })
    let plain = ClipBottlenecks(
      reuse: false, batchSize: 4, makeEncoder: { base.encoder(for: policy) })
    for crop in twice {
      reusing.add(crop)
      plain.add(crop)
    }
    let size = 2048
    let got = rows(try reusing.finish(), size: size)
    let want = rows(try plain.finish(), size: size)
    #expect(reusing.use == BottleneckUse(crops: 8, computed: 4, reused: 4))
    #expect(got.count == 8 && want.count == 8)
    // A reused bottleneck is its first copy, bit for bit.
    for i in 0..<4 {
      #expect(
        got[i + 4].map(\.bitPattern) == got[i].map(\.bitPattern), "crop \(i): not bit for bit")
    }
    // Against the plain run (two batches of the same four crops, computed at other moments):
    // within the batch-against-single bound. Not bit for bit here: other suites of this
    // process run at the same time and may change OpenBLAS's process-wide thread count, which
    // can sum the stem's products (on OpenBLAS) in another order (a CI run saw 41 ulps).
    let scale = want.flatMap { $0 }.map { abs(Double($0)) }.max() ?? 1
    for i in 0..<8 {
      let worst = zip(got[i], want[i]).map { abs(Double($0) - Double($1)) }.max() ?? 0
      #expect(worst <= 3e-5 * scale, "crop \(i): worst |diff| \(worst) of magnitude \(scale)")
    }
    // Where a duplicate changes a batch's neighbours, the floats move, within the
    // batch-against-single bound only (docs/numerics.md, docs/inception.md: the tests allow
    // 3e-5 of the vector's magnitude).
    let shifted = [crops[0], crops[0], crops[1], crops[2], crops[3]]
    let reusing2 = ClipBottlenecks(batchSize: 4, makeEncoder: { base.encoder(for: policy) })
    let plain2 = ClipBottlenecks(
      reuse: false, batchSize: 4, makeEncoder: { base.encoder(for: policy) })
    for crop in shifted {
      reusing2.add(crop)
      plain2.add(crop)
    }
    let a = try reusing2.finish()
    let b = try plain2.finish()
    #expect(a.count == b.count && a.count == 5 * size)
    let magnitude = b.map { abs(Double($0)) }.max() ?? 1
    let worst = zip(a, b).map { abs(Double($0) - Double($1)) }.max() ?? 0
    #expect(worst <= 3e-5 * magnitude, "worst |diff| \(worst) of magnitude \(magnitude)")
    #expect(Array(a[0..<size]).map(\.bitPattern) == Array(a[size..<(2 * size)]).map(\.bitPattern))
  }
}

@Suite struct IdentifyReuseTests {
  @Test(
    "identify with reuse gives the answer and per-frame probabilities of a run without",
    .enabled(if: hasInception, "needs the Inception weights (make setup)"))
  func sameAnswerWithoutReuse() async throws {
    let folder = TemporaryFolder()
    var train = TrainJob.Options()
    train.cropsDir = try TrainJobTests().cropFolder(folder, perHero: 12)
    train.model = folder.sub("model")
    train.training.steps = 100
    _ = try await TrainJob(options: train).run(control: .silent)
    // A sample clip whose last frame stays on screen for 6 s (a paused stream), encoded at a
    // fixed quantizer: the frozen part's key frames decode to the same pixels, so its crops are
    // duplicates, and leaving them out changes the batches of the crops around them.
    let clip = folder.sub("frozen.mp4")
    let ffmpeg = Process()
    ffmpeg.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    ffmpeg.arguments = [
      "ffmpeg", "-nostdin", "-v", "error", "-y", "-i",
      samples.appendingPathComponent("train/李白/李白_1.mp4").path, "-vf",
      "tpad=stop_mode=clone:stop_duration=6", "-c:v", "libx264", "-preset", "veryfast", "-qp",
      "18", "-g", "30", "-an", clip,
    ]
    try ffmpeg.run()
    ffmpeg.waitUntilExit()
    try #require(ffmpeg.terminationStatus == 0)
    func identify(reuse: Bool) throws -> IdentifyResult {
      var options = IdentifyJob.Options()
      options.model = train.model
      options.reuseBottlenecks = reuse
      options.jobs = 1
      return try IdentifyJob(options: options, clips: 1).identify(clip).get()
    }
    let reusing = try identify(reuse: true)
    let plain = try identify(reuse: false)
    let use = try #require(reusing.bottlenecks)
    let all = try #require(plain.bottlenecks)
    #expect(use.crops == all.crops && use.crops > 0)
    #expect(all.reused == 0 && all.computed == all.crops)
    #expect(use.computed + use.reused == use.crops)
    // Measured: 5 of 27 crops reused (the frozen part's key frames after its first).
    #expect(use.reused >= 3, "the frozen part's crops are duplicates (measured: \(use))")
    // The same answer and per-frame heroes; probabilities within the batch-composition bound
    // (a reused crop leaves the batches of 4, so its neighbours' floats move by a few 1e-6).
    #expect(reusing.hero == plain.hero && reusing.confidence == plain.confidence)
    #expect(reusing.reason == plain.reason && reusing.segments == plain.segments)
    #expect(reusing.timeline.count == plain.timeline.count)
    for (a, b) in zip(reusing.timeline, plain.timeline) {
      #expect(a.t == b.t && a.screen == b.screen && a.hero == b.hero)
      #expect(abs((a.p ?? 0) - (b.p ?? 0)) <= 1e-4, "at \(a.t): \(a.p ?? -1) vs \(b.p ?? -1)")
    }
    #expect(reusing.top.map(\.hero) == plain.top.map(\.hero))
  }
}
