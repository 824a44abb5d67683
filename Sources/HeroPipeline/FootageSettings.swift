import FrameExtractor

/// How a job reads each video's footage, as `--fixed-layout`, `--debug-hud` and
/// `--max-key-frames` set it for `extract`, `identify`, `serve` and the batch commands
/// (docs/footage.md).
public struct FootageSettings: Sendable, Equatable {
  /// Where the HUD is read: found per video (the default) or at the layout's fixed place.
  public var placement = HUDPlacement.found
  /// One annotated frame per video into this folder.
  public var debugHUD: String?
  /// The per-video work bound in key frames (nil: none).
  public var maxKeyFrames: Int? = ExtractOptions.defaultMaxFrames

  public init() {}

  /// The settings the flags give: `--fixed-layout` reads the HUD at the layout's fixed place,
  /// and `--max-key-frames 0` means no bound.
  public init(fixedLayout: Bool, debugHUD: String?, maxKeyFrames: Int) {
    placement = fixedLayout ? .fixed : .found
    self.debugHUD = debugHUD
    self.maxKeyFrames = maxKeyFrames == 0 ? nil : maxKeyFrames
  }

  /// What is wrong with the flags, in their words (bad usage, exit 2), or nil: a negative
  /// bound, or `--footage` (still accepted: it names the default) with `--fixed-layout`.
  public static func usageProblem(fixedLayout: Bool, footage: Bool, maxKeyFrames: Int) -> String? {
    guard maxKeyFrames >= 0 else { return "--max-key-frames must be 0 or more" }
    if fixedLayout && footage {
      return
        "--footage (finding the HUD, now the default) and --fixed-layout contradict each other"
    }
    return nil
  }
}

/// The options of a job that reads footage (``FootageSettings``): one mapping for every front
/// end and job.
public protocol FootageReading {
  var placement: HUDPlacement { get set }
  var debugHUD: String? { get set }
  var maxKeyFrames: Int? { get set }
}

extension FootageReading {
  /// The placement, the `--debug-hud` folder and the work bound as one value.
  public var footage: FootageSettings {
    get {
      var s = FootageSettings()
      s.placement = placement
      s.debugHUD = debugHUD
      s.maxKeyFrames = maxKeyFrames
      return s
    }
    set {
      placement = newValue.placement
      debugHUD = newValue.debugHUD
      maxKeyFrames = newValue.maxKeyFrames
    }
  }
}

extension ExtractJob.Options: FootageReading {}
extension BatchExtractJob.Options: FootageReading {}
extension IdentifyJob.Options: FootageReading {}
