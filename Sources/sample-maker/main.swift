import ArgumentParser
import Foundation
import HeroCore
import SampleMaker

/// sample-maker: synthetic Honor of Kings-like gameplay clips with ground truth (issue 3).
struct SampleMakerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sample-maker",
    abstract:
      "Render synthetic gameplay clips (H.264 MP4 + JSON sidecar) for demos, tests and benchmarks.",
    discussion: """
      Every clip starts with a loading screen, shows gameplay with the HUD at the default layout \
      (scaled to the output size), and may visit the shop or another screen. The same seed always \
      gives the same frames. Heroes: \(Heroes.all.map { "\($0.name) (\($0.latinName))" }.joined(separator: ", ")).
      Exit codes: 0 success, 1 a clip could not be written, 2 bad usage.
      """,
    subcommands: [MakeSet.self, MakeClip.self, MakeFrame.self, MakeHeroSheet.self])
}

/// Parses "1280x720".
struct FrameSize: ExpressibleByArgument {
  var width: Int
  var height: Int
  init(width: Int, height: Int) {
    self.width = width
    self.height = height
  }
  init?(argument: String) {
    let parts = argument.lowercased().split(separator: "x")
    guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0 else {
      return nil
    }
    width = w
    height = h
  }
}

/// Options that define one clip.
struct ClipOptions: ParsableArguments {
  @Option(
    help:
      "Hero name (Chinese or Latin, e.g. 李白 or \"LI BAI\"); \"none\" for a clip without gameplay.")
  var hero: String
  @Option(help: "Seed: the same seed gives the same clip.")
  var seed: UInt64 = 1
  @Option(help: "Output size WxH: 1920x1080, 1280x720 or 960x540 (any even 16:9 size works).")
  var size = FrameSize(width: 1280, height: 720)
  @Option(help: "Frames per second.")
  var fps: Int = 30
  @Option(help: "Maximum key-frame interval in frames.")
  var keyint: Int = 60
  @Option(help: "Video bitrate in kbit/s (low values give blocky video).")
  var bitrate: Int = 800
  @Option(help: "Duration in seconds (rounded to 0.5).")
  var duration: Double = 15
  @Option(
    help: ArgumentHelp(
      "A real-footage variation from the catalogue (its own output size unless --size is given).",
      discussion: FootageStyle.catalogue.map(\.style.name).joined(separator: ", ")))
  var style: String?
  @Option(help: "With --style: the HUD scale instead of the style's (0.5...1.6).")
  var hudScale: Double?
  @Option(help: "With --style: the HUD shift DX,DY in pixels at 720 lines instead of the style's.")
  var hudShift: String?
  @Option(help: "With --style: which hero skill each button shows, e.g. 3,1,2.")
  var slots: String?
  @Option(
    help: """
      The hero's skin: 0 the default icons, 1, 2, ... another set of skill icons each (hue \
      and motif turned), as a skin in the game replaces them.
      """)
  var skin = 0
  @Option(
    help: "With --style: the device's aspect ratio (width / height, 1...3) instead of the style's.")
  var aspect: Double?
  @Option(
    help: """
      With --style crop: the pixels (at 720 lines) cut off the picture's right edge instead of \
      the style's; half the excess width gives a centre crop (20:9 to 16:9: 160).
      """)
  var rightCut: Double?
  @Flag(help: "Re-upload: flipped left to right (the HUD at the bottom left, icons mirrored).")
  var mirror = false
  @Option(help: "Re-upload: zoomed about the centre by this factor (1...1.2, e.g. 1.07).")
  var zoom: Double = 1
  @Option(help: "Re-upload colour filter: the hue turned by this many degrees (-30...30).")
  var hue: Double = 0
  @Option(help: "Re-upload colour filter: saturation factor (0.5...1.5).")
  var saturation: Double = 1
  @Option(help: "Re-upload colour filter: contrast factor (0.7...1.3).")
  var contrast: Double = 1
  @Flag(
    help: """
      Re-upload: a vertical 9:16 video, the game in the middle, a blurred, darkened copy above and below, a title band on top.
      """)
  var vertical = false
  @Option(
    help: """
      Re-upload: 90 stores the picture turned a quarter counterclockwise with a display matrix that turns it back (as phones store landscape play); 0 none.
      """)
  var rotate = 0
  @Option(
    help:
      "Re-upload: lines of danmaku comments scrolling across the picture (0...6), over the buttons at times."
  )
  var danmaku = 0

  @Flag(
    help:
      "Re-upload: large burned-in subtitles at the bottom centre, a new line every 2-4 s, the longer ones over the skill buttons."
  )
  var subtitles = false

  func spec() throws -> ClipSpec {
    var hero: HeroSpec?
    if self.hero.lowercased() != "none" {
      guard let h = Heroes.named(self.hero) else { throw ClipError.unknownHero(name: self.hero) }
      guard (0...9).contains(skin) else { throw ValidationError("--skin must be 0...9") }
      hero = h.skinned(skin)
    }
    var width = size.width
    var height = size.height
    var footage: FootageStyle?
    if let style {
      guard let entry = FootageStyle.catalogue.first(where: { $0.style.name == style }) else {
        throw ValidationError(
          "unknown --style \(style) (known: "
            + FootageStyle.catalogue.map(\.style.name).joined(separator: ", ") + ")")
      }
      var f = entry.style
      if let hudScale { f.hudScale = hudScale }
      if let aspect { f.aspect = aspect }
      if let rightCut { f.rightCut = rightCut }
      if let hudShift {
        let parts = hudShift.split(separator: ",").compactMap { Double($0) }
        guard parts.count == 2 else { throw ValidationError("--hud-shift must be DX,DY") }
        (f.shiftX, f.shiftY) = (parts[0], parts[1])
      }
      if let slots {
        let parts = slots.split(separator: ",").compactMap { Int($0) }
        guard parts.sorted() == [1, 2, 3] else {
          throw ValidationError("--slots must be a permutation of 1,2,3")
        }
        f.slots = parts.map { $0 - 1 }
      }
      if !CommandLine.arguments.contains(where: { $0.hasPrefix("--size") }) {
        (width, height) = entry.size
      }
      footage = f
    }
    var spec = ClipSpec(
      seed: seed, hero: hero, width: width, height: height, fps: fps, keyint: keyint,
      bitrateKbps: bitrate, duration: duration, style: footage)
    spec.skin = hero == nil ? 0 : skin
    var r = Reupload()
    r.mirror = mirror
    r.zoom = zoom
    r.hue = hue
    r.saturation = saturation
    r.contrast = contrast
    r.vertical = vertical
    r.rotate = rotate
    r.danmaku = danmaku
    r.subtitles = subtitles
    spec.reupload = r.isIdentity ? nil : r
    try spec.validate()
    return spec
  }
}

struct MakeSet: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "set",
    abstract:
      "Write a sample set: DIR/train/<hero>/*.mp4 and DIR/test/*.mp4, with sidecars and manifests.")
  @Option(
    help: """
      committed (8 heroes x 2 training clips + 21 test clips), large (8 x 4 + 28), footage (one \
      clip per real-footage variation) or footage-heldout (4 per variation).
      """)
  var preset: String
  @Option(help: "Output folder.")
  var out: String
  @Option(help: "Base seed of the set.")
  var seed: UInt64 = 2026
  @Option(help: "Clips rendered at once (default: the number of cores).")
  var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

  func validate() throws {
    guard SampleSet.Preset(rawValue: preset) != nil else {
      throw ValidationError(
        "--preset must be one of: \(SampleSet.Preset.allCases.map(\.rawValue).joined(separator: ", "))"
      )
    }
    guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
  }

  func run() async throws {
    guard let p = SampleSet.Preset(rawValue: preset) else { throw ExitCode(2) }
    let entries = SampleSet.plan(p, seed: seed)
    let start = Date()
    let failures = await SampleSet.write(entries, to: out, jobs: jobs)
    printError(
      String(
        format: "sample-maker: %d clips in %.0f s, %d failed", entries.count,
        Date().timeIntervalSince(start), failures))
    if failures > 0 { throw ExitCode(1) }
  }
}

struct MakeClip: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "clip", abstract: "Write one clip (MP4) and its sidecar (same stem, .json).")
  @OptionGroup var clip: ClipOptions
  @Option(help: "Output MP4 file.")
  var out: String

  func run() throws {
    let spec = try clip.spec()
    let progress = ProgressReporter("sample-maker: frames", total: spec.frameCount)
    try writeClip(spec, to: out) { _ in progress.advance(by: 30) }
    progress.finish(note: out)
  }
}

struct MakeFrame: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "frame", abstract: "Write one frame of a clip as PNG (to look at).")
  @OptionGroup var clip: ClipOptions
  @Option(help: "Time in seconds of the frame.")
  var at: Double = 6
  @Option(help: "Output PNG file.")
  var out: String

  func run() throws {
    let spec = try clip.spec()
    let renderer = ClipRenderer(spec: spec)
    let index = min(max(0, Int((at * Double(spec.fps)).rounded())), spec.frameCount - 1)
    try renderer.writePNG(at: index, to: out)
    printError("sample-maker: \(out): frame \(index), \(renderer.screen(at: index).rawValue)")
  }
}

/// Runs an async subcommand through its async `run()`.
func runAsync<C: AsyncParsableCommand>(_ command: C) async throws {
  var command = command
  try await command.run()
}

struct MakeHeroSheet: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "heroes", abstract: "Write a PNG sheet of every hero's portrait and skill buttons."
  )
  @Option(help: "Output PNG file.")
  var out: String

  func run() throws { try writeHeroSheet(to: out) }
}

do {
  var command = try SampleMakerCommand.parseAsRoot()
  if let asyncCommand = command as? any AsyncParsableCommand {
    try await runAsync(asyncCommand)
  } else {
    try command.run()
  }
} catch {
  if SampleMakerCommand.exitCode(for: error) == .validationFailure {
    FileHandle.standardError.write(Data((SampleMakerCommand.fullMessage(for: error) + "\n").utf8))
    exit(2)
  }
  SampleMakerCommand.exit(withError: error)
}
