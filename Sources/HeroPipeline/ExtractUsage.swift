import FrameExtractor
import Labeler
import Preprocess

/// `extract`'s flags as given, checked for their shape (bad usage, exit 2): nothing is read.
public struct ExtractUsage: Sendable {
  public var frames = false
  public var hero: String?
  public var manifest: String?
  public var keepRejected: String?
  public var layout: String?
  public var screenModel: String?
  public var slots: String?
  public var checkWith: String?
  public var size = "1280x720"
  public var quality = 95
  public var jobs = 2
  public var every: Double?

  public init() {}

  /// What is wrong, in the flags' words, or nil.
  public var problem: String? {
    guard let (w, h) = FramesJob.frameSize(size) else {
      return "--size must be WIDTHxHEIGHT, e.g. 1280x720 (got \(size))"
    }
    guard (1...100).contains(quality) else { return "--quality must be 1 to 100" }
    guard jobs >= 1 else { return "--jobs must be at least 1" }
    if let problem = ExtractOptions(everySeconds: every, width: w, height: h).problem {
      return problem
    }
    guard hero == nil || manifest == nil else { return "give --hero or --manifest, not both" }
    if let hero {
      do { _ = try HeroName.validate(hero, source: "--hero") } catch { return "\(error)" }
    }
    if frames {
      guard hero == nil, manifest == nil, keepRejected == nil, layout == nil, screenModel == nil,
        slots == nil, checkWith == nil
      else {
        return "--frames writes whole frames: --hero, --manifest, --keep-rejected, --layout, "
          + "--screen-model, --slots and --check-with do not apply"
      }
    } else if (w, h) != (Layouts.frameWidth, Layouts.frameHeight) {
      return "--size applies only with --frames (crops come from 1280x720 frames)"
    }
    return nil
  }
}
