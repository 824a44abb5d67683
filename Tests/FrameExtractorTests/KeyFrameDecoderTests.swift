import Foundation
import FrameExtractor
import HeroCore
import Testing

/// ffprobe prints times with 6 decimals: equal pts differ by at most half a unit of the last.
private let ptsTolerance = 1e-6

private func expectSameTimes(
  _ ours: [Double], _ theirs: [Double], sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(ours.count == theirs.count, "\(ours) vs \(theirs)", sourceLocation: sourceLocation)
  for (a, b) in zip(ours, theirs) {
    #expect(abs(a - b) <= ptsTolerance, "\(ours) vs \(theirs)", sourceLocation: sourceLocation)
  }
}

@Suite struct KeyFrameDecoderTests {
  @Test func keyFramesAndTimesAreWhatFFprobeReports() throws {
    let clip = try VideoFixtures.gopClip()
    let expected = try VideoFixtures.probeFrameTimes(clip)
    let all = try VideoFixtures.probeFrameTimes(clip, keyOnly: false)
    #expect(expected.count == 9, "4 s at 25 fps with -g 12: frames 0, 12, …, 96")
    #expect(all.count == 100 && expected.count < all.count)
    let (frames, warnings) = try VideoFixtures.decodeAll(clip)
    expectSameTimes(frames.map(\.ptsSeconds), expected)
    #expect(frames.map(\.index) == Array(0..<frames.count))
    #expect(frames.allSatisfy { $0.image.width == 1280 && $0.image.height == 720 })
    #expect(warnings.isEmpty)
  }

  @Test func anotherCodecAndContainerWithANonZeroStart() throws {
    let clip = try VideoFixtures.transportStreamClip()
    let expected = try VideoFixtures.probeFrameTimes(clip)
    #expect(expected.count >= 3 && (expected.first ?? 0) > 0)
    let decoder = try KeyFrameDecoder(path: clip)
    #expect(decoder.codecName == "mpeg2video")
    var times: [Double] = []
    while let frame = try decoder.nextFrame() { times.append(frame.ptsSeconds) }
    expectSameTimes(times, expected)
  }

  @Test func aSizeChangeMidStreamIsRescaledToo() throws {
    let clip = try VideoFixtures.sizeChangeClip()
    let expected = try VideoFixtures.probeFrameTimes(clip)
    #expect(expected.count >= 8, "\(expected)")
    let (frames, _) = try VideoFixtures.decodeAll(clip, options: .init(width: 160, height: 96))
    #expect(frames.count == expected.count)
    #expect(frames.allSatisfy { $0.image.width == 160 && $0.image.height == 96 })
  }

  @Test func sizeIsAParameter() throws {
    let clip = try VideoFixtures.gopClip()
    let decoder = try KeyFrameDecoder(path: clip, options: .init(width: 64, height: 48))
    let frame = try #require(try decoder.nextFrame())
    #expect(frame.image.width == 64 && frame.image.height == 48)
    #expect(frame.image.pixels.count == 64 * 48 * 3)
    let duration = try #require(decoder.durationSeconds)
    #expect(abs(duration - 4.0) < 0.05)
  }

  /// The largest channel difference between `image` and the quadrant pattern scaled to its
  /// size, sampled on a grid that keeps `margin` source pixels away from the quadrant borders
  /// (where the rescale filter mixes neighbours).
  static func worstPatternError(_ image: RGBImage, margin: Int) -> Int {
    let (w, h) = (image.width, image.height)
    let marginX = margin * w / VideoFixtures.patternSize.width + 1
    let marginY = margin * h / VideoFixtures.patternSize.height + 1
    var worst = 0
    for y in stride(from: 0, to: h, by: max(1, h / 90)) where abs(y - h / 2) >= marginY {
      for x in stride(from: 0, to: w, by: max(1, w / 160)) where abs(x - w / 2) >= marginX {
        let want = VideoFixtures.quadrantColours[(y < h / 2 ? 0 : 2) + (x < w / 2 ? 0 : 1)]
        let got = image.pixel(x: x, y: y)
        worst = max(
          worst, abs(Int(got.r) - Int(want.0)), abs(Int(got.g) - Int(want.1)),
          abs(Int(got.b) - Int(want.2)))
      }
    }
    return worst
  }

  /// Tolerance: each channel within 4 of the source colour, sampled on a grid that keeps 6
  /// source pixels away from the quadrant borders, where the bicubic filter mixes neighbours.
  /// The clip is 4:4:4 qp 0, so what is left is RGB→YUV→RGB rounding. 1280x720 goes through the
  /// two-step rescale (YUV 4:2:0, then RGB), 200x150 (width not a multiple of 16) through the
  /// one-step one.
  @Test(arguments: [(1280, 720), (200, 150)])
  func aKnownPatternSurvivesTheRescale(size: (width: Int, height: Int)) throws {
    let clip = try VideoFixtures.patternClip()
    let decoder = try KeyFrameDecoder(
      path: clip, options: .init(width: size.width, height: size.height))
    let image = try #require(try decoder.nextFrame()).image
    #expect(image.width == size.width && image.height == size.height)
    let worst = Self.worstPatternError(image, margin: 6)
    #expect(worst <= 4, "largest channel error \(worst)")
  }

  /// A video stored turned with a display matrix (rotation metadata) is handed out as players
  /// show it: the quadrant pattern in its places, in the stretch to 1280x720 and in
  /// active-picture mode (the picture 320x240 as shown, 960x720 out), for each quarter turn.
  @Test(arguments: [
    ("transpose=cclock", "270", QuarterTurns.clockwise),
    ("transpose=clock", "90", QuarterTurns.counterclockwise),
    ("hflip,vflip", "180", QuarterTurns.half),
  ])
  func aRotatedVideoIsShownAsPlayersShowIt(filter: String, rotate: String, turns: QuarterTurns)
    throws
  {
    let clip = try VideoFixtures.turnedPatternClip(filter: filter, rotate: rotate)
    let stretched = try #require(
      try KeyFrameDecoder(path: clip, options: .init(width: 1280, height: 720)).nextFrame())
    #expect(stretched.image.width == 1280 && stretched.image.height == 720)
    #expect(Self.worstPatternError(stretched.image, margin: 8) <= 6, "\(rotate): stretched")
    let decoder = try KeyFrameDecoder(
      path: clip, options: .init(width: 1280, height: 720, activePicture: true))
    let shown = try #require(try decoder.nextFrame())
    let picture = try #require(decoder.picture)
    #expect(picture.turns == turns)
    #expect(picture.sourceWidth == 320 && picture.sourceHeight == 240)
    #expect(picture.box == PixelRect(x: 0, y: 0, width: 320, height: 240))
    #expect(shown.image.width == 960 && shown.image.height == 720)
    #expect(Self.worstPatternError(shown.image, margin: 8) <= 6, "\(rotate): active picture")
  }

  @Test func everyKeepsTheFirstFrameAtOrAfterEachBoundary() throws {
    let clip = try VideoFixtures.gopClip()
    let keys = try VideoFixtures.probeFrameTimes(clip)
    let (frames, _) = try VideoFixtures.decodeAll(clip, options: .init(everySeconds: 1))
    let expected = VideoFixtures.firstAfterEachBoundary(keys, every: 1, origin: 0)
    #expect(expected.count == 4, "key frames 0, 1.44, 2.40, 3.36")
    expectSameTimes(frames.map(\.ptsSeconds), expected)
    #expect(frames.map(\.index) == [0, 1, 2, 3])
  }

  @Test func allFramesDecodesEveryFrame() throws {
    let clip = try VideoFixtures.gopClip()
    let all = try VideoFixtures.probeFrameTimes(clip, keyOnly: false)
    let options = ExtractOptions(allFrames: true, width: 32, height: 24)
    let (frames, _) = try VideoFixtures.decodeAll(clip, options: options)
    #expect(frames.count == all.count)
    expectSameTimes(frames.map(\.ptsSeconds), all)

    var combined = options
    combined.everySeconds = 0.5
    let (sparse, _) = try VideoFixtures.decodeAll(clip, options: combined)
    let expected = VideoFixtures.firstAfterEachBoundary(all, every: 0.5, origin: 0)
    #expect(expected.count == 8)
    expectSameTimes(sparse.map(\.ptsSeconds), expected)
  }

  @Test func theDecoderThreadCountDoesNotChangeTheFrames() throws {
    let clip = try VideoFixtures.gopClip()
    let one = try VideoFixtures.decodeAll(
      clip, options: .init(width: 160, height: 120, decoderThreads: 1))
    let many = try VideoFixtures.decodeAll(
      clip, options: .init(width: 160, height: 120, decoderThreads: 3))
    #expect(one.frames.map(\.ptsSeconds) == many.frames.map(\.ptsSeconds))
    #expect(one.frames.map(\.image) == many.frames.map(\.image))
  }
}

/// Each bad input of issue 2 gives an `ExtractError` naming the file, or, when the file is only
/// damaged, the good frames and a warning.
@Suite struct BadInputTests {
  private func expectError(
    _ path: String, _ check: (ExtractError) -> Bool,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    do {
      let (frames, _) = try VideoFixtures.decodeAll(path)
      Issue.record("expected an error, got \(frames.count) frames", sourceLocation: sourceLocation)
    } catch let error as ExtractError {
      #expect(check(error), "\(error)", sourceLocation: sourceLocation)
      #expect(error.description.hasPrefix(path + ": "), sourceLocation: sourceLocation)
      #expect(error.path == path, sourceLocation: sourceLocation)
    } catch {
      Issue.record("not an ExtractError: \(error)", sourceLocation: sourceLocation)
    }
  }

  @Test func missingFile() throws {
    let path = try VideoFixtures.directory.get().appendingPathComponent("nothing-here.mp4").path
    expectError(path) { $0 == .noSuchFile(path: path) }
  }

  /// A named pipe or a link to /dev/zero named `*.mp4` would block libavformat's probe (no
  /// writer) or never end: refused before it is opened, naming the kind.
  @Test func pipesAndDevicesAreRefusedUnopened() throws {
    let dir = try VideoFixtures.directory.get()
    let pipe = dir.appendingPathComponent("pipe-\(UUID().uuidString).mp4").path
    #expect(mkfifo(pipe, 0o600) == 0)
    defer { unlink(pipe) }
    expectError(pipe) { $0 == .notARegularFile(path: pipe, kind: "a named pipe") }
    let zero = dir.appendingPathComponent("zero-\(UUID().uuidString).mp4").path
    try FileManager.default.createSymbolicLink(atPath: zero, withDestinationPath: "/dev/zero")
    defer { unlink(zero) }
    expectError(zero) { $0 == .notARegularFile(path: zero, kind: "a character device") }
    expectError(dir.path) { $0 == .notARegularFile(path: dir.path, kind: "a folder") }
    // The message is one line even for a name with a newline.
    let odd = dir.appendingPathComponent("two\nlines.mp4").path
    #expect(mkfifo(odd, 0o600) == 0)
    defer { unlink(odd) }
    do {
      _ = try KeyFrameDecoder(path: odd)
      Issue.record("expected an error")
    } catch {
      #expect(!"\(error)".contains("\n") && "\(error)".contains("two\\nlines.mp4"))
    }
  }

  @Test func emptyFile() throws {
    let path = try VideoFixtures.file("empty.mp4", bytes: Data())
    expectError(path) { $0 == .emptyFile(path: path) }
  }

  @Test func textFileNamedMP4() throws {
    let path = try VideoFixtures.file("notes.mp4", bytes: Data("just some text\n".utf8))
    expectError(path) {
      if case .cannotOpen = $0 { return true }
      return false
    }
  }

  @Test func mp4CutInHalfWithoutItsMoovAtom() throws {
    let clip = try VideoFixtures.gopClip()
    let size = try Data(contentsOf: URL(fileURLWithPath: clip)).count
    let half = try VideoFixtures.truncated(clip, byteCount: size / 2, name: "half.mp4")
    expectError(half) {
      if case .cannotOpen(_, let why) = $0 { return why.contains("moov atom not found") }
      return false
    }
  }

  @Test func mp4CutInHalfAfterItsMoovAtomGivesTheFramesBeforeTheCut() throws {
    let clip = try VideoFixtures.faststartClip()
    let full = try VideoFixtures.probeFrameTimes(clip)
    let size = try Data(contentsOf: URL(fileURLWithPath: clip)).count
    let half = try VideoFixtures.truncated(clip, byteCount: size / 2, name: "half-faststart.mp4")
    let (frames, warnings) = try VideoFixtures.decodeAll(half)
    let times = frames.map(\.ptsSeconds)
    #expect(!times.isEmpty && times.count < full.count)
    expectSameTimes(times, Array(full.prefix(times.count)))
    #expect(warnings.contains { $0.contains("truncated") }, "\(warnings)")
  }

  @Test func mp4WithNoCompleteFrameGivesNoFrames() throws {
    let clip = try VideoFixtures.faststartClip()
    let first = try #require(try VideoFixtures.probePackets(clip).first)
    let cut = try VideoFixtures.truncated(clip, byteCount: first.pos + 16, name: "headers-only.mp4")
    expectError(cut) {
      if case .noFrames = $0 { return true }
      return false
    }
  }

  @Test func audioOnlyFile() throws {
    let path = try VideoFixtures.audioOnlyClip()
    expectError(path) { $0 == .noVideoStream(path: path) }
  }

  @Test func garbageInTheMiddleSkipsTheDamageAndKeepsTheGoodFrames() throws {
    let clip = try VideoFixtures.gopClip()
    let keys = try VideoFixtures.probeFrameTimes(clip)
    let keyPackets = try VideoFixtures.probePackets(clip).filter(\.isKey)
    let victim = keyPackets[keyPackets.count / 2]
    let damaged = try VideoFixtures.damaged(
      clip, packet: (victim.pos, victim.size), name: "garbage.mp4")
    let (frames, warnings) = try VideoFixtures.decodeAll(damaged)
    let times = frames.map(\.ptsSeconds)
    #expect(!warnings.isEmpty, "damage must be reported")
    // Every key frame but the damaged one comes out, including those after the damage.
    #expect(times.count >= keys.count - 1)
    for t in keys.enumerated() where t.offset != keyPackets.count / 2 {
      #expect(times.contains { abs($0 - t.element) <= ptsTolerance }, "missing \(t.element)")
    }
  }

  /// The per-video work bound (issue 29): an all-intra recording of 2,000 key frames with a
  /// bound of 50 gives at most 50 frames spread over its whole length, and the key frames in
  /// between are skipped before they are decoded (the cost is the bound, not the file).
  @Test func theWorkBoundSamplesEvenlyAndSkipsBeforeDecoding() throws {
    let clip = try VideoFixtures.allIntraClip()
    #expect(try VideoFixtures.probeFrameTimes(clip).count == 2000)
    let decoder = try KeyFrameDecoder(path: clip, options: ExtractOptions(maxFrames: 50))
    var times: [Double] = []
    while let frame = try decoder.nextFrame() { times.append(frame.ptsSeconds) }
    #expect(times.count >= 45 && times.count <= 50, "\(times.count)")
    // Evenly: no two closer than the spacing (20 s / 50), and the last near the end.
    for (a, b) in zip(times, times.dropFirst()) { #expect(b - a >= 0.4 - 1e-6, "\(a) \(b)") }
    #expect((times.last ?? 0) >= 19)
    // Decoded: the frames kept, plus at most the frame threads' look-ahead, never 2,000.
    #expect(decoder.framesDecoded <= 70, "\(decoder.framesDecoded) decoded")
    #expect(decoder.warnings.contains { $0.contains("more than 50 key frames") })
    // Every-frame mode: the same spacing after decoding.
    let all = try VideoFixtures.decodeAll(
      try VideoFixtures.gopClip(), options: ExtractOptions(allFrames: true, maxFrames: 20))
    #expect(all.frames.count <= 20 && all.frames.count >= 18, "\(all.frames.count)")
    let spaced = zip(all.frames, all.frames.dropFirst()).allSatisfy {
      $1.ptsSeconds - $0.ptsSeconds >= 4.0 / 20 - 1e-6
    }
    #expect(spaced)
    // A short clip under the bound: untouched, no warning.
    let plain = try VideoFixtures.decodeAll(
      try VideoFixtures.gopClip(), options: ExtractOptions(maxFrames: 600))
    expectSameTimes(
      plain.frames.map(\.ptsSeconds), try VideoFixtures.probeFrameTimes(try VideoFixtures.gopClip())
    )
    #expect(plain.warnings.isEmpty)
    #expect(ExtractOptions(maxFrames: 0).problem != nil)
  }
}
