import Foundation
import HeroCore

/// A planned clip of a sample set: where it goes (relative to the set folder), what it shows,
/// and the hero its manifest row names ("" for a hero the training set never saw).
public struct SetEntry: Sendable, Equatable {
  public var relativePath: String
  public var spec: ClipSpec
  public var manifestHero: String
}

/// Ready-made sample sets.
///
/// Layout of a set folder: `train/<hero>/<hero>_<n>.mp4` (+ `.json`; the parent folder is the
/// label) and `test/clip_NN.mp4` (+ `.json`), with `train/manifest.csv` and `test/manifest.csv`
/// (`video,hero`; `video` relative to the manifest's folder; empty hero for a hero absent
/// from training, or a clip without gameplay).
public enum SampleSet {
  public enum Preset: String, CaseIterable, Sendable {
    /// The set committed under `samples/`: 8 heroes x 2 training clips, 21 test clips.
    case committed
    /// A bigger set for benchmarks: 8 heroes x 4 training clips, 28 test clips.
    case large
    /// Real-footage variations (`FootageStyle.catalogue`), one test clip each, committed under
    /// `samples/footage/`.
    case footage
    /// Held-out renders of every variation for the figures: 4 clips per variation (3 training
    /// heroes, 1 hero absent from training), new seeds, under `footage/`.
    case footageHeldOut = "footage-heldout"
  }

  /// The clips of `preset`, all derived from `seed`.
  public static func plan(_ preset: Preset, seed: UInt64) -> [SetEntry] {
    if preset == .footage || preset == .footageHeldOut { return footagePlan(preset, seed: seed) }
    var g = SplitMix64(seed: SplitMix64.derive(seed, 99))
    var n: UInt64 = 0
    func nextSeed() -> UInt64 {
      n += 1
      return SplitMix64.derive(seed, n) & ((1 << 53) - 1)  // exact in JSON numbers
    }
    let trainPerHero = preset == .committed ? 2 : 4
    let testPerKnown = 2
    let testPerUnknown = preset == .committed ? 2 : 6
    var out: [SetEntry] = []
    for hero in Heroes.training {
      for k in 1...trainPerHero {
        // Training clips: key frame every second, long enough for >= 20 gameplay key frames.
        let big = preset == .large && k > 2
        let size = big ? (1920, 1080) : k % 2 == 1 ? (960, 540) : (1280, 720)
        let clipSeed = nextSeed()
        let spec = ClipSpec(
          seed: clipSeed, hero: hero, width: size.0, height: size.1, fps: 30, keyint: 30,
          bitrateKbps: preset == .committed ? (k % 2 == 1 ? 130 : 150) : (big ? 1200 : 600),
          duration: 26,
          spans: trainingScript(seed: clipSeed, duration: 26, insert: k % 2 == 1 ? .shop : .other))
        out.append(
          SetEntry(
            relativePath: "train/\(hero.name)/\(hero.name)_\(k).mp4", spec: spec,
            manifestHero: hero.name))
      }
    }
    // Test clips: a mix of sizes, rates, key-frame intervals and bitrates (low ones are blocky).
    var tests: [(HeroSpec?, String)] = []
    for hero in Heroes.training { for _ in 0..<testPerKnown { tests.append((hero, hero.name)) } }
    for hero in Heroes.unknown { for _ in 0..<testPerUnknown { tests.append((hero, "")) } }
    tests.append((nil, ""))
    for i in stride(from: tests.count - 1, to: 0, by: -1) { tests.swapAt(i, g.int(0...i)) }
    let sizes = [(960, 540), (1280, 720), (1920, 1080)]
    let keyints = [30, 60, 90, 150]
    for (i, (hero, label)) in tests.enumerated() {
      let size = sizes[i % 3]
      let fps = i % 4 == 3 ? 60 : 30
      let keyint = keyints[(i / 2) % 4]
      let pixels = Double(size.0 * size.1) / (1280 * 720)
      // From blocky (~0.25 bit/pixel/s less) to clean, scaled by frame size and rate.
      let quality = [0.45, 0.7, 1.0, 1.6][(i / 3) % 4]
      let base = preset == .committed ? 130.0 : 500.0
      let bitrate = Int(base * quality * pixels.squareRoot() * (fps == 60 ? 1.3 : 1))
      let spec = ClipSpec(
        seed: nextSeed(), hero: hero, width: size.0, height: size.1, fps: fps, keyint: keyint,
        bitrateKbps: max(bitrate, 60), duration: hero == nil ? 8 : Double(12 + 2 * (i % 3)))
      out.append(
        SetEntry(
          relativePath: String(format: "test/clip_%02d.mp4", i + 1), spec: spec, manifestHero: label
        ))
    }
    return out
  }

  /// The footage presets: every style of `FootageStyle.catalogue` at its output size, 10 s
  /// (committed) or 12 s (held out), 30 fps, a key frame every second.
  static func footagePlan(_ preset: Preset, seed: UInt64) -> [SetEntry] {
    var n: UInt64 = 0
    func nextSeed() -> UInt64 {
      n += 1
      return SplitMix64.derive(seed, n &+ 1000) & ((1 << 53) - 1)
    }
    var g = SplitMix64(seed: SplitMix64.derive(seed, 98))
    var out: [SetEntry] = []
    let perStyle = preset == .footage ? 1 : 4
    var index = 0
    for (k, item) in FootageStyle.catalogue.enumerated() {
      for j in 0..<perStyle {
        let hero: HeroSpec
        if preset == .footage {
          // The committed clips: training heroes in turn, one unknown hero (the stream clip).
          hero = k == 6 ? Heroes.unknown[0] : Heroes.training[k % Heroes.training.count]
        } else {
          hero = j == 3 ? g.pick(Heroes.unknown) : g.pick(Heroes.training)
        }
        let pixels = Double(item.size.0 * item.size.1) / (1280 * 720)
        let kbps = Int((preset == .footage ? 110 : 400) * pixels.squareRoot())
        let duration = 12.0
        let clipSeed = nextSeed()
        let spec = ClipSpec(
          seed: clipSeed, hero: hero, width: item.size.0, height: item.size.1, fps: 30,
          keyint: 30, bitrateKbps: kbps, duration: duration,
          spans: trainingScript(
            seed: clipSeed, duration: duration, insert: .shop, shortLoading: true),
          style: item.style)
        index += 1
        out.append(
          SetEntry(
            relativePath: String(format: "footage/clip_%02d.mp4", index), spec: spec,
            manifestHero: hero.inTraining ? hero.name : ""))
      }
    }
    return out
  }

  /// A training script: a short loading screen, then gameplay with one short visit to `insert`,
  /// so that nearly all of the clip is gameplay.
  static func trainingScript(
    seed: UInt64, duration: Double, insert: Screen, shortLoading: Bool = false
  ) -> [ScreenSpan] {
    var g = SplitMix64(seed: SplitMix64.derive(seed, 12))
    var loading = g.chance(0.5) ? 3.0 : 3.5
    if shortLoading { loading = 1.5 }
    let at = loading + Double(g.int(4...Int((duration - loading - 6) * 2))) / 2
    return [
      ScreenSpan(start: 0, end: loading, screen: .loading),
      ScreenSpan(start: loading, end: at, screen: .gameplay),
      ScreenSpan(start: at, end: at + 2.5, screen: insert),
      ScreenSpan(start: at + 2.5, end: duration, screen: .gameplay),
    ]
  }

  /// Writes every clip of `entries` under `dir` with at most `jobs` clips in flight, then the two
  /// manifests. A clip that fails is reported on stderr and counted; the rest goes on. Returns
  /// the number of failures.
  public static func write(_ entries: [SetEntry], to dir: String, jobs: Int, quiet: Bool = false)
    async -> Int
  {
    let progress = ProgressReporter("sample-maker: clips", total: entries.count, quiet: quiet)
    let results = await mapBounded(entries, jobs: jobs) { entry -> String? in
      let path = (dir as NSString).appendingPathComponent(entry.relativePath)
      do {
        let start = Date()
        try writeClip(entry.spec, to: path)
        let seconds = String(format: "%.1f", Date().timeIntervalSince(start))
        progress.advance(note: "\(entry.relativePath) (\(seconds) s)")
        return nil
      } catch {
        progress.advance(note: "\(entry.relativePath) failed")
        return "\(error)"
      }
    }
    progress.finish()
    var failures = 0
    for r in results { if let r { printError("sample-maker: \(r)"); failures += 1 } }
    for part in ["train", "test", "footage"] {
      let rows = entries.filter { $0.relativePath.hasPrefix(part + "/") }
      guard !rows.isEmpty else { continue }
      var csv = "video,hero\n"
      for e in rows { csv += "\(e.relativePath.dropFirst(part.count + 1)),\(e.manifestHero)\n" }
      let url = URL(fileURLWithPath: dir).appendingPathComponent(part).appendingPathComponent(
        "manifest.csv")
      do { try AtomicFile.write(Data(csv.utf8), to: url) } catch {
        printError("sample-maker: \(url.path): cannot write manifest")
        failures += 1
      }
    }
    return failures
  }
}
