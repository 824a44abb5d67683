import Foundation
import FrameExtractor
import HeroCore

/// Video fixtures made at test time with the ffmpeg program (in a temporary folder, once per
/// test process), and what ffprobe says about them: the oracle the decoder is checked against.
enum VideoFixtures {
  /// A failed fixture command, with its stderr.
  struct CommandFailed: Error, CustomStringConvertible {
    let command: String
    let stderr: String
    var description: String { "\(command) failed: \(stderr)" }
  }

  /// Size of the pattern clip, and the colour of each quadrant (top-left, top-right,
  /// bottom-left, bottom-right).
  static let patternSize = (width: 320, height: 240)
  static let quadrantColours: [(UInt8, UInt8, UInt8)] = [
    (200, 40, 40), (40, 190, 60), (50, 60, 210), (230, 220, 70),
  ]

  /// The folder holding every fixture: made on first use.
  static let directory: Result<URL, any Error> = Result {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("hero-id-frames-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  /// The path of fixture `name`, made by `make` (given the path) the first time it is asked for.
  /// Fixtures are cached per name, so parallel tests share them.
  static func fixture(_ name: String, make: (String) throws -> Void) throws -> String {
    let path = try directory.get().appendingPathComponent(name).path
    lock.lock()
    defer { lock.unlock() }
    if !FileManager.default.fileExists(atPath: path) { try make(path) }
    return path
  }
  private static let lock = NSLock()

  // MARK: Fixtures

  /// 320x240 testsrc, 25 fps, 4 s, H.264 with a key frame every 12 frames (moov at the end).
  static func gopClip() throws -> String {
    try fixture("gop12.mp4") { try encodeTestsrc(to: $0) }
  }

  /// An all-intra recording: 160x120 testsrc, 100 fps, 20 s, every frame a key frame (2,000).
  static func allIntraClip() throws -> String {
    try fixture("all-intra.mp4") { path in
      try run(
        "ffmpeg",
        [
          "-f", "lavfi", "-i", "testsrc=size=160x120:rate=100", "-t", "20", "-c:v", "libx264",
          "-g", "1", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path,
        ])
    }
  }

  /// The same clip with the moov atom first (`-movflags +faststart`).
  static func faststartClip() throws -> String {
    try fixture("gop12-faststart.mp4") {
      try encodeTestsrc(to: $0, extra: ["-movflags", "+faststart"])
    }
  }

  /// MPEG-2 in MPEG-TS: another codec and container, with a start time that is not 0.
  static func transportStreamClip() throws -> String {
    try fixture("mpeg2.ts") { path in
      try run(
        "ffmpeg",
        [
          "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "3", "-c:v", "mpeg2video",
          "-g", "10", "-bf", "2", path,
        ])
    }
  }

  /// Two H.264 MPEG-TS segments of different sizes (320x240, then 176x144; 2 s each, a key
  /// frame every 12 frames) joined byte for byte: the frame size changes mid-stream.
  static func sizeChangeClip() throws -> String {
    try fixture("size-change.ts") { path in
      var joined = Data()
      for (index, size) in ["320x240", "176x144"].enumerated() {
        let part = path + ".\(index).ts"
        try run(
          "ffmpeg",
          [
            "-f", "lavfi", "-i", "testsrc=size=\(size):rate=25", "-t", "2", "-c:v", "libx264",
            "-g", "12", "-keyint_min", "12", "-sc_threshold", "0", "-pix_fmt", "yuv420p", part,
          ])
        joined.append(try Data(contentsOf: URL(fileURLWithPath: part)))
      }
      try joined.write(to: URL(fileURLWithPath: path))
    }
  }

  /// The four-colour quadrant pattern (`quadrantColours`) as a 1-second H.264 clip (qp 0,
  /// 4:4:4, so only the RGB↔YUV rounding and the rescale can move a colour).
  static func patternClip() throws -> String {
    try fixture("pattern.mp4") { path in
      let ppm = path + ".ppm"
      try patternPPM().write(to: URL(fileURLWithPath: ppm))
      try run(
        "ffmpeg",
        [
          "-loop", "1", "-i", ppm, "-t", "1", "-r", "5", "-c:v", "libx264", "-qp", "0",
          "-pix_fmt", "yuv444p", path,
        ])
    }
  }

  /// One second of a sine tone, AAC in MP4: no video stream.
  /// The pattern clip stored turned, with a display matrix telling players to turn it back (as
  /// phones store landscape play): `filter` turns the frames as stored, `rotate` is the mp4
  /// muxer's rotate tag (degrees) written with the streams copied.
  static func turnedPatternClip(filter: String, rotate: String) throws -> String {
    let source = try patternClip()
    return try fixture("pattern-\(rotate).mp4") { path in
      let stored = path + ".stored.mp4"
      try run(
        "ffmpeg",
        [
          "-i", source, "-vf", filter, "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv444p",
          stored,
        ])
      try run("ffmpeg", ["-i", stored, "-c", "copy", "-metadata:s:v:0", "rotate=\(rotate)", path])
    }
  }

  static func audioOnlyClip() throws -> String {
    try fixture("audio-only.m4a") { path in
      try run(
        "ffmpeg", ["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", path])
    }
  }

  /// A file with `bytes` in it, named `name`.
  static func file(_ name: String, bytes: Data) throws -> String {
    try fixture(name) { try bytes.write(to: URL(fileURLWithPath: $0)) }
  }

  /// The first `byteCount` bytes of `source`.
  static func truncated(_ source: String, byteCount: Int, name: String) throws -> String {
    try fixture(name) { path in
      let data = try Data(contentsOf: URL(fileURLWithPath: source))
      try data.prefix(byteCount).write(to: URL(fileURLWithPath: path))
    }
  }

  /// `source` with the payload of one video packet overwritten by seeded random bytes (its
  /// first and last 8 bytes kept).
  static func damaged(_ source: String, packet: (pos: Int, size: Int), name: String) throws
    -> String
  {
    try fixture(name) { path in
      var data = try Data(contentsOf: URL(fileURLWithPath: source))
      var generator = SplitMix64(seed: 2026)
      for i in (packet.pos + 8)..<(packet.pos + packet.size - 8) {
        data[i] = UInt8(truncatingIfNeeded: generator.next())
      }
      try data.write(to: URL(fileURLWithPath: path))
    }
  }

  private static func encodeTestsrc(to path: String, extra: [String] = []) throws {
    try run(
      "ffmpeg",
      [
        "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "4", "-c:v", "libx264",
        "-g", "12", "-keyint_min", "12", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
      ] + extra + [path])
  }

  /// The quadrant pattern as a binary PPM (P6).
  static func patternPPM() -> Data {
    let (w, h) = patternSize
    var bytes = [UInt8]("P6\n\(w) \(h)\n255\n".utf8)
    bytes.reserveCapacity(bytes.count + w * h * 3)
    for y in 0..<h {
      for x in 0..<w {
        let c = quadrantColours[(y < h / 2 ? 0 : 2) + (x < w / 2 ? 0 : 1)]
        bytes.append(c.0)
        bytes.append(c.1)
        bytes.append(c.2)
      }
    }
    return Data(bytes)
  }

  // MARK: ffprobe, the oracle

  /// The presentation times of the frames `ffprobe -skip_frame nokey` decodes (the key
  /// frames), or of every frame with `keyOnly: false`.
  static func probeFrameTimes(_ path: String, keyOnly: Bool = true) throws -> [Double] {
    let skip = keyOnly ? ["-skip_frame", "nokey"] : []
    let out = try run(
      "ffprobe",
      ["-v", "error"] + skip + [
        "-select_streams", "v", "-show_frames", "-show_entries", "frame=pts_time,key_frame",
        "-of", "json", path,
      ])
    let frames = try jsonObject(out)["frames"] as? [[String: Any]] ?? []
    return frames.compactMap { ($0["pts_time"] as? String).flatMap(Double.init) }
  }

  /// Position, size and key flag of every video packet, in file order.
  static func probePackets(_ path: String) throws -> [(pos: Int, size: Int, isKey: Bool)] {
    let out = try run(
      "ffprobe",
      [
        "-v", "error", "-select_streams", "v", "-show_packets", "-show_entries",
        "packet=pos,size,flags", "-of", "json", path,
      ])
    let packets = try jsonObject(out)["packets"] as? [[String: Any]] ?? []
    return packets.compactMap { p -> (pos: Int, size: Int, isKey: Bool)? in
      guard let pos = (p["pos"] as? String).flatMap({ Int($0) }),
        let size = (p["size"] as? String).flatMap({ Int($0) })
      else { return nil }
      return (pos, size, (p["flags"] as? String ?? "").hasPrefix("K"))
    }.sorted { $0.pos < $1.pos }
  }

  private static func jsonObject(_ text: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
  }

  // MARK: Decoding everything

  /// Every frame `KeyFrameDecoder` hands out for `path`, and its warnings at the end.
  static func decodeAll(_ path: String, options: ExtractOptions = .init()) throws -> (
    frames: [VideoFrame], warnings: [String]
  ) {
    let decoder = try KeyFrameDecoder(path: path, options: options)
    var frames: [VideoFrame] = []
    while let frame = try decoder.nextFrame() { frames.append(frame) }
    return (frames, decoder.warnings)
  }

  /// The frames "first at or after each boundary k × every" picks from `times` (starting at
  /// `origin`): the expected `--every` result, stated independently of the decoder's code.
  static func firstAfterEachBoundary(_ times: [Double], every: Double, origin: Double) -> [Double] {
    guard let last = times.max() else { return [] }
    var picked: [Double] = []
    var k = 0.0
    while origin + k * every <= last + 1e-9 {
      let lower = origin + k * every
      let upper = lower + every
      if let t = times.first(where: { $0 >= lower - 1e-9 && $0 < upper - 1e-9 }) {
        picked.append(t)
      }
      k += 1
    }
    return picked
  }

  /// Runs `tool` (found on PATH) quietly; returns its stdout, throws with its stderr on failure.
  @discardableResult
  static func run(_ tool: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    let quiet = tool == "ffmpeg" ? ["-nostdin", "-v", "error", "-y"] : []
    process.arguments = [tool] + quiet + arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw CommandFailed(
        command: ([tool] + arguments).joined(separator: " "),
        stderr: String(decoding: stderr, as: UTF8.self))
    }
    return String(decoding: stdout, as: UTF8.self)
  }
}
