import Foundation
import FrameExtractor
import HeroCore
import Preprocess
import SampleMaker

/// Frames and clips from SampleMaker for the screen-sorting tests.
enum SampleFrames {
  /// The heroes whose clips trained the built-in screen model (docs/screens.md); everything else
  /// is held out.
  static let screenModelHeroes: Set<String> = ["李白", "貂蝉", "韩信", "妲己"]

  /// Heroes never used to tune the sorter, the two the hero classifier never sees included.
  static var heldOutHeroes: [HeroSpec] {
    Heroes.all.filter { !screenModelHeroes.contains($0.name) }
  }

  /// The committed sample set (`samples/` at the top of the checkout).
  static var samplesRoot: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("samples")
  }

  /// Every committed standard clip (16:9, default HUD; not the footage variations under
  /// `samples/footage/`) with its sidecar, sorted by path.
  static func committedClips() -> [(path: String, sidecar: ClipSidecar)] {
    guard let walker = FileManager.default.enumerator(atPath: samplesRoot.path) else { return [] }
    var out: [(String, ClipSidecar)] = []
    while let rel = walker.nextObject() as? String {
      guard rel.hasSuffix(".mp4"), !rel.hasPrefix("footage/") else { continue }
      let path = samplesRoot.appendingPathComponent(rel).path
      if let sidecar = try? ClipSidecar.load(path: ClipSidecar.path(forClip: path)) {
        out.append((path, sidecar))
      }
    }
    return out.sorted { $0.0 < $1.0 }
  }

  static var hasCommittedClips: Bool { !committedClips().isEmpty }

  /// The committed footage variations (`samples/footage/`) with their sidecars, sorted.
  static func footageClips() -> [(path: String, sidecar: ClipSidecar)] {
    let dir = samplesRoot.appendingPathComponent("footage")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.hasSuffix(".mp4") }.sorted().compactMap { name in
      let path = dir.appendingPathComponent(name).path
      return (try? ClipSidecar.load(path: ClipSidecar.path(forClip: path))).map { (path, $0) }
    }
  }

  static var hasFootageClips: Bool { !footageClips().isEmpty }

  /// Key frames of `path`, rescaled to 1280x720, with the screen the sidecar gives.
  static func labelledKeyFrames(_ path: String, sidecar: ClipSidecar) throws
    -> [(image: RGBImage, pts: Double, truth: Screen)]
  {
    let decoder = try KeyFrameDecoder(path: path)
    var out: [(RGBImage, Double, Screen)] = []
    while let f = try decoder.nextFrame() {
      if let s = sidecar.screen(at: f.ptsSeconds) { out.append((f.image, f.ptsSeconds, s)) }
    }
    return out
  }

  /// Mean absolute difference per channel between two equal-size images over the pixels within
  /// `radius` of the centre shifted by (dx, dy) in `a`.
  static func discDifference(_ a: RGBImage, _ b: RGBImage, radius: Int, dx: Int = 0, dy: Int = 0)
    -> Double
  {
    precondition(a.width == b.width && a.height == b.height)
    let c = a.width / 2
    var sum = 0
    var n = 0
    for y in 0..<b.height {
      for x in 0..<b.width {
        let ex = x - c
        let ey = y - c
        guard ex * ex + ey * ey <= radius * radius else { continue }
        let ax = x + dx
        let ay = y + dy
        guard ax >= 0, ay >= 0, ax < a.width, ay < a.height else { continue }
        let p = a.pixel(x: ax, y: ay)
        let q = b.pixel(x: x, y: y)
        sum += abs(Int(p.r) - Int(q.r)) + abs(Int(p.g) - Int(q.g)) + abs(Int(p.b) - Int(q.b))
        n += 3
      }
    }
    return n == 0 ? 255 : Double(sum) / Double(n)
  }
}
